"""Softmax and log-softmax along one axis: each is one fused Function with a hand-derived backward.

Fusing matters twice: the backward is a single formula instead of a chain of exp/sum/div nodes, and the forward
works in place on one fresh array, so a (B, H, T, T) attention-sized input costs one temporary, not five.
"""
from .. import backend
from ..autograd import Function
from .parallel import rowwise


def softmax_forward(x, axis):
    """y = exp(x - max x) / sum exp(x - max x); subtracting the max keeps exp from overflowing."""
    xp = backend.array_module(x)
    y = x - x.max(axis=axis, keepdims=True)  # a new array, so everything below may work in place
    xp.exp(y, out=y)
    y /= y.sum(axis=axis, keepdims=True)
    return y


def softmax_backward(y, dy, axis):
    """dx = y * (dy - sum(dy * y)): the Jacobian diag(y) - y yᵀ applied to dy without building it."""
    # BEGIN SOLUTION t2.1 softmax backward: dx = y * (dy - sum(dy * y))
    dx = dy * y
    dx -= y * dx.sum(axis=axis, keepdims=True)  # y*dy - y*sum(dy*y), reusing the dy*y buffer
    return dx
    # END SOLUTION


class Softmax(Function):
    """y = exp(x) / sum exp(x) along axis;  dx = y * (dy - sum(dy * y))"""

    def forward(self, x, axis=-1):
        self.axis = axis
        if axis in (-1, x.ndim - 1):  # rows are contiguous: run them in blocks on every core
            (self.y,) = rowwise(lambda xb: (softmax_forward(xb, -1),), x)
        else:
            self.y = softmax_forward(x, axis)
        return self.y

    def backward(self, grad):
        if self.axis in (-1, grad.ndim - 1):
            return rowwise(lambda yb, gb: (softmax_backward(yb, gb, -1),), self.y, grad)
        return (softmax_backward(self.y, grad, self.axis),)


def log_softmax_forward(x, axis):
    """y = x - max x - log(sum exp(x - max x)): the log-sum-exp trick, finite for any finite x."""
    xp = backend.array_module(x)
    y = x - x.max(axis=axis, keepdims=True)
    y -= xp.log(xp.exp(y).sum(axis=axis, keepdims=True))
    return y


class LogSoftmax(Function):
    """y = x - log sum exp(x) along axis;  dx = dy - softmax(x) * sum(dy)"""

    def forward(self, x, axis=-1):
        self.axis = axis
        self.y = log_softmax_forward(x, axis)
        return self.y

    def backward(self, grad):
        xp = backend.array_module(grad)
        dx = xp.exp(self.y)  # softmax(x), recovered from the saved output
        dx *= -grad.sum(axis=self.axis, keepdims=True)
        dx += grad
        return (dx,)
