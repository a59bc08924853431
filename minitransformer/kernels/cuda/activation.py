"""GELU, dropout and the normal CDF on the GPU: one elementwise pass each (the reference GELU makes ~10 passes,
its erf three rational approximations over the whole array). The formulas of kernels/activation.py and
kernels/dropout.py:

    exact: Phi = erfc(-x / sqrt 2) / 2 (CUDA's erfc: accurate in the left tail),  y = x Phi,
           dx = dy (Phi + x exp(-x^2 / 2) / sqrt(2 pi))
    tanh:  th = tanh(sqrt(2/pi) (x + 0.044715 x^3)),  y = x (1 + th) / 2,
           dx = dy ((1 + th) / 2 + x (1 - th^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2) / 2)
    dropout: mask = [u >= p] / (1 - p),  y = x mask   (u uniform in [0, 1), drawn by the caller)
"""
from .build import compiled, scalar

_gelu = compiled(lambda cp: cp.ElementwiseKernel(
    "T x", "T y, T saved", "saved = 0.5 * erfc(-x * M_SQRT1_2); y = x * saved", "mt_gelu"))
_gelu_tanh = compiled(lambda cp: cp.ElementwiseKernel(
    "T x", "T y, T saved",
    "saved = tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)); y = x * (0.5 * (1 + saved))", "mt_gelu_tanh"))
_gelu_backward = compiled(lambda cp: cp.ElementwiseKernel(
    "T x, T saved, T dy", "T dx", "dx = dy * (saved + x * exp(-0.5 * x * x) * 0.3989422804014327)",
    "mt_gelu_backward"))
_gelu_tanh_backward = compiled(lambda cp: cp.ElementwiseKernel(
    "T x, T saved, T dy", "T dx",
    "dx = dy * (0.5 * (1 + saved) + (1 - saved * saved) * (0.3989422804014327 * x) * (1 + 3 * 0.044715 * x * x))",
    "mt_gelu_tanh_backward"))
_dropout = compiled(lambda cp: cp.ElementwiseKernel(
    "T x, T u, T p, T scale", "T y, T mask", "mask = u >= p ? scale : (T)0; y = x * mask", "mt_dropout"))
_dropout_mask = compiled(lambda cp: cp.ElementwiseKernel(
    "T u, T p, T scale", "T mask", "mask = u >= p ? scale : (T)0", "mt_dropout_mask"))


def gelu_forward(x, approximate="none", save=True):
    y, saved = (_gelu_tanh if approximate == "tanh" else _gelu)()(x)
    return (y, saved) if save else (y,)


def gelu_backward(x, saved, dy, approximate="none"):
    return (_gelu_tanh_backward if approximate == "tanh" else _gelu_backward)()(x, saved, dy)


def dropout_forward(x, uniform, p):
    return _dropout()(x, uniform, scalar(x, p), scalar(x, 1 / (1 - p)))


def dropout_mask(uniform, p):
    return _dropout_mask()(uniform, scalar(uniform, p), scalar(uniform, 1 / (1 - p)))


def erf(x):
    import cupyx.scipy.special
    return cupyx.scipy.special.erf(x)


def normal_cdf(x):
    import cupyx.scipy.special
    return cupyx.scipy.special.ndtr(x)
