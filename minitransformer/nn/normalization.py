"""LayerNorm: normalise each position's features to mean 0, variance 1, then scale and shift (learned)."""
from .. import functional as F
from ..creation import ones, zeros
from .module import Module, Parameter


class LayerNorm(Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias over the trailing `normalized_shape` axes.

    Biased variance (divide by n) and eps inside the square root, as PyTorch and BERT. weight starts at ones,
    bias at zeros, so a fresh LayerNorm only standardises."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps = shape, eps
        if elementwise_affine:
            self.weight = Parameter(ones(shape))
            self.bias = Parameter(zeros(shape))
        else:
            self.weight = self.bias = None

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)  # same shape as x

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}"
