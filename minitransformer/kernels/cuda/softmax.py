"""Softmax and log-softmax over the last axis on the GPU: a max, one fused sum of exponentials and one fused
elementwise pass (3 launches; the reference kernel makes 5-6 with their temporaries). Other axes run the reference.

    m = max_j x_j,   s = sum_j exp(x_j - m),   softmax_j = exp(x_j - m) / s,   log_softmax_j = x_j - m - log s
    softmax backward: dx = y (dy - sum_j dy_j y_j);   log-softmax backward: dx = dy - exp(y) sum_j dy_j
"""
from .. import softmax as reference
from .build import compiled

_sum_exp = compiled(lambda cp: cp.ReductionKernel(
    "T x, T m", "T s", "exp(x - m)", "a + b", "s = a", "0", "mt_sum_exp"))  # m broadcasts along the row
_softmax = compiled(lambda cp: cp.ElementwiseKernel(
    "T x, T m, T s", "T y", "y = exp(x - m) / s", "mt_softmax"))
_log_softmax = compiled(lambda cp: cp.ElementwiseKernel(
    "T x, T m, T s", "T y", "y = x - m - log(s)", "mt_log_softmax"))
_sum_product = compiled(lambda cp: cp.ReductionKernel(
    "T a, T b", "T s", "a * b", "a + b", "s = a", "0", "mt_sum_product"))
_softmax_backward = compiled(lambda cp: cp.ElementwiseKernel(
    "T y, T dy, T s", "T dx", "dx = y * (dy - s)", "mt_softmax_backward"))
_log_softmax_backward = compiled(lambda cp: cp.ElementwiseKernel(
    "T y, T dy, T s", "T dx", "dx = dy - exp(y) * s", "mt_log_softmax_backward"))


def _last(x, axis):
    return axis in (-1, x.ndim - 1)


def row_stats(x):
    """(m, s) of every row, each (..., 1): the max and the sum of exp(x - m)."""
    m = x.max(axis=-1, keepdims=True)
    return m, _sum_exp()(x, m, axis=-1, keepdims=True)


def softmax_forward(x, axis=-1):
    if not _last(x, axis):
        return reference.softmax_forward.reference(x, axis)
    return _softmax()(x, *row_stats(x))


def log_softmax_forward(x, axis=-1):
    if not _last(x, axis):
        return reference.log_softmax_forward.reference(x, axis)
    return _log_softmax()(x, *row_stats(x))


def softmax_backward(y, dy, axis=-1):
    if not _last(y, axis):
        return reference.softmax_backward.reference(y, dy, axis)
    return _softmax_backward()(y, dy, _sum_product()(dy, y, axis=-1, keepdims=True))


def log_softmax_backward(y, dy, axis=-1):
    if not _last(y, axis):
        return reference.log_softmax_backward.reference(y, dy, axis)
    return _log_softmax_backward()(y, dy, dy.sum(axis=-1, keepdims=True))
