"""GELU, exact (erf) and tanh forms, with hand-derived backwards. The array math is in kernels/activation.py."""
from .. import kernels
from ..autograd import Function, is_grad_enabled


class GELU(Function):
    """y = x Phi(x) (Phi the normal CDF, or its tanh approximation);  dx = dy (Phi(x) + x Phi'(x))"""

    def forward(self, x, approximate="none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.x, self.approximate = x, approximate
        if not is_grad_enabled():  # no backward will come: Phi (or tanh u) need not be kept
            return kernels.gelu_forward(x, approximate, save=False)[0]
        y, self.saved = kernels.gelu_forward(x, approximate)
        return y

    def backward(self, grad):
        return (kernels.gelu_backward(self.x, self.saved, grad, self.approximate),)
