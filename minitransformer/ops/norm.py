"""Layer normalisation over the trailing axes, one fused Function with a hand-derived backward.

Convention (as PyTorch and BERT): biased variance (divide by n, not n - 1) and eps inside the square root,
    y = (x - mean) / sqrt(var + eps) * weight + bias.
The array math is in kernels/norm.py, over the last axis: the `ndim` normalised axes are flattened into one.
"""
import math

from .. import kernels
from ..autograd import Function, is_grad_enabled


class LayerNorm(Function):
    """y = (x - mean) / sqrt(var + eps) * w + b over the last `ndim` axes;  dx, dw = sum dy*xhat, db = sum dy"""

    def forward(self, x, *affine, ndim=1, eps=1e-5, has_weight=True, has_bias=True):
        self.shape, self.normalized_shape = x.shape, x.shape[x.ndim - ndim:]
        n = math.prod(self.normalized_shape)
        rows = x.reshape(-1, n)  # (N, n): one row per normalised group
        self.weight = affine[0].reshape(n) if has_weight else None
        bias = affine[-1].reshape(n) if has_bias else None
        self.has_weight, self.has_bias = has_weight, has_bias
        if not is_grad_enabled():  # no backward will come: y alone, no saved xhat (a full-size array) or rstd
            (y,) = kernels.layer_norm_forward(rows, self.weight, bias, eps, save=False)
        else:
            y, self.xhat, self.rstd = kernels.layer_norm_forward(rows, self.weight, bias, eps)  # (N, n) (N, n) (N, 1)
        return y.reshape(self.shape)

    def backward(self, grad):
        g = grad.reshape(self.xhat.shape)  # (N, n)
        need = [t.requires_grad for t in self.inputs]
        grads = [kernels.layer_norm_backward(g, self.xhat, self.rstd, self.weight).reshape(self.shape)
                 if need[0] else None]
        if self.has_weight:
            grads.append((g * self.xhat).sum(axis=0).reshape(self.normalized_shape) if need[1] else None)
        if self.has_bias:
            grads.append(g.sum(axis=0).reshape(self.normalized_shape) if need[-1] else None)
        return tuple(grads)
