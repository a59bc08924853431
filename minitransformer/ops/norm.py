"""Layer normalisation over the trailing axes, one fused Function with a hand-derived backward.

Convention (as PyTorch and BERT): biased variance (divide by n, not n - 1) and eps inside the square root,
    y = (x - mean) / sqrt(var + eps) * weight + bias.
"""
from .. import backend
from ..autograd import Function


def layer_norm_backward(dy, xhat, rstd, weight, axes):
    """dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * weight, means over the normalised axes."""
    # BEGIN SOLUTION t2.3 LayerNorm backward
    g = dy * weight if weight is not None else dy.copy()  # a fresh buffer we may overwrite
    mean_g = g.mean(axis=axes, keepdims=True)
    mean_gx = (g * xhat).mean(axis=axes, keepdims=True)
    g -= mean_g
    g -= xhat * mean_gx
    g *= rstd
    return g
    # END SOLUTION


class LayerNorm(Function):
    """y = (x - mean) / sqrt(var + eps) * w + b over the last `ndim` axes;  dx, dw = sum dy*xhat, db = sum dy"""

    def forward(self, x, *affine, ndim=1, eps=1e-5, has_weight=True, has_bias=True):
        xp = backend.array_module(x)
        self.axes = tuple(range(x.ndim - ndim, x.ndim))  # the normalised axes
        weight = affine[0] if has_weight else None
        bias = affine[-1] if has_bias else None
        self.weight, self.has_weight, self.has_bias = weight, has_weight, has_bias
        xhat = x - x.mean(axis=self.axes, keepdims=True)  # centred, a new array we normalise in place
        var = xp.square(xhat).mean(axis=self.axes, keepdims=True)  # biased: divide by n
        var += x.dtype.type(eps)
        self.rstd = 1 / xp.sqrt(var)  # (..., 1, ...) one per normalised group
        xhat *= self.rstd
        self.xhat = xhat
        y = xhat * weight if has_weight else xhat.copy()
        if has_bias:
            y += bias
        return y

    def backward(self, grad):
        lead = tuple(range(grad.ndim - len(self.axes)))  # the axes weight and bias were broadcast over
        grads = [layer_norm_backward(grad, self.xhat, self.rstd, self.weight, self.axes)
                 if self.inputs[0].requires_grad else None]
        if self.has_weight:
            grads.append((grad * self.xhat).sum(axis=lead) if self.inputs[1].requires_grad else None)
        if self.has_bias:
            grads.append(grad.sum(axis=lead) if self.inputs[-1].requires_grad else None)
        return tuple(grads)
