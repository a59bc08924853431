"""Softmax and log-softmax along one axis: each is one fused Function with a hand-derived backward.

Fusing matters twice: the backward is a single formula instead of a chain of exp/sum/div nodes, and the forward
works in place on one fresh array. The array math is in kernels/softmax.py.
"""
from .. import kernels
from ..autograd import Function


class Softmax(Function):
    """y = exp(x) / sum exp(x) along axis;  dx = y * (dy - sum(dy * y))"""

    def forward(self, x, axis=-1):
        self.axis = axis
        self.y = kernels.softmax_forward(x, axis)
        return self.y

    def backward(self, grad):
        return (kernels.softmax_backward(self.y, grad, self.axis),)


class LogSoftmax(Function):
    """y = x - log sum exp(x) along axis;  dx = dy - softmax(x) * sum(dy)"""

    def forward(self, x, axis=-1):
        self.axis = axis
        self.y = kernels.log_softmax_forward(x, axis)
        return self.y

    def backward(self, grad):
        return (kernels.log_softmax_backward(self.y, grad, self.axis),)
