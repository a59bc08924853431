"""LayerNorm over the last axis on the GPU (kernels/norm.py's formulas, biased variance, eps inside the root):

    forward:  mu = mean(x),  rstd = 1 / sqrt(mean((x - mu)^2) + eps),  xhat = (x - mu) rstd,  y = xhat w + b
    backward: g = dy w,  dx = rstd (g - mean(g) - xhat mean(g xhat))
Two reductions and one pass that writes xhat and y together (forward, plus a tiny pass for rstd); two reductions
and one pass (backward).
Without weight or bias the kernels get 1 and 0 (a row of ones where a reduction reads the weight).
"""
from .build import compiled, scalar

_mean = compiled(lambda cp: cp.ReductionKernel(
    "T x", "T mu", "x", "a + b", "mu = a / (_in_ind.size() / _out_ind.size())", "0", "mt_mean"))
_var = compiled(lambda cp: cp.ReductionKernel(
    "T x, T mu", "T var", "(x - mu) * (x - mu)", "a + b", "var = a / (_in_ind.size() / _out_ind.size())", "0",
    "mt_layer_norm_var"))
_rstd = compiled(lambda cp: cp.ElementwiseKernel(
    "T var, T eps", "T rstd", "rstd = 1 / sqrt(var + eps)", "mt_layer_norm_rstd"))
_forward = compiled(lambda cp: cp.ElementwiseKernel(
    "T x, T mu, T rstd, T w, T b", "T xhat, T y", "xhat = (x - mu) * rstd; y = xhat * w + b", "mt_layer_norm"))
_mean_product = compiled(lambda cp: cp.ReductionKernel(
    "T dy, T w, T xhat", "T out", "dy * w * xhat", "a + b", "out = a / (_in_ind.size() / _out_ind.size())", "0",
    "mt_mean_product"))
_mean_scaled = compiled(lambda cp: cp.ReductionKernel(
    "T dy, T w", "T out", "dy * w", "a + b", "out = a / (_in_ind.size() / _out_ind.size())", "0",
    "mt_mean_scaled"))
_backward = compiled(lambda cp: cp.ElementwiseKernel(
    "T dy, T w, T xhat, T rstd, T mean_g, T mean_gx", "T dx",
    "dx = rstd * (dy * w - mean_g - xhat * mean_gx)", "mt_layer_norm_backward"))


def layer_norm_forward(x, weight, bias, eps, save=True):
    mu = _mean()(x, axis=-1, keepdims=True)  # (..., 1)
    rstd = _rstd()(_var()(x, mu, axis=-1, keepdims=True), scalar(x, eps))  # (..., 1)
    w = scalar(x, 1) if weight is None else weight
    b = scalar(x, 0) if bias is None else bias
    xhat, y = _forward()(x, mu, rstd, w, b)
    return (y, xhat, rstd) if save else (y,)


def layer_norm_backward(dy, xhat, rstd, weight):
    import cupy
    w = cupy.ones(dy.shape[-1:], dtype=dy.dtype) if weight is None else weight  # (n,)
    mean_g = _mean_scaled()(dy, w, axis=-1, keepdims=True)  # (..., 1)
    mean_gx = _mean_product()(dy, w, xhat, axis=-1, keepdims=True)  # (..., 1)
    return _backward()(dy, w, xhat, rstd, mean_g, mean_gx)
