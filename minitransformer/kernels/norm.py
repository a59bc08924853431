"""Layer normalisation over the last axis, forward and backward: the reference kernels.

Convention (as PyTorch and BERT): biased variance (divide by n, not n - 1) and eps inside the square root,
    y = (x - mean) / sqrt(var + eps) * weight + bias.
Normalising over several trailing axes is the same computation on those axes flattened into one (ops/norm.py).
"""
from .. import backend
from .dispatch import kernel
from .reduce import mean_over


@kernel
def layer_norm_forward(x, weight, bias, eps, save=True):
    """(y, xhat, rstd), or (y,) when save is False (no backward will follow): xhat = (x - mean) * rstd with
    rstd = 1 / sqrt(var + eps) over the last axis, y = xhat * weight + bias (weight, bias (n,) or None)."""
    xp = backend.array_module(x)
    xhat = x - mean_over(x, axis=-1)  # centred: a new array, normalised in place below
    var = mean_over(xp.square(xhat), axis=-1)  # (..., 1) biased: divide by n
    rstd = 1 / xp.sqrt(var + eps)  # (..., 1)
    xhat *= rstd
    if save:  # xhat is kept for backward: y gets its own array
        y = xhat * weight if weight is not None else xhat.copy()
    else:  # nothing is kept: y takes xhat's buffer
        y = xhat
        if weight is not None:
            y *= weight
    if bias is not None:
        y += bias
    return (y, xhat, rstd) if save else (y,)


@kernel
def layer_norm_backward(dy, xhat, rstd, weight):
    """dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * weight, means over the last axis."""
    # BEGIN SOLUTION t2.3 LayerNorm backward
    g = dy * weight if weight is not None else dy.copy()  # a fresh buffer we may overwrite
    mean_g = g.mean(axis=-1, keepdims=True)
    mean_gx = (g * xhat).mean(axis=-1, keepdims=True)
    g -= mean_g
    g -= xhat * mean_gx
    g *= rstd
    return g
    # END SOLUTION
