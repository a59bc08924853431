"""The CPU's fast kernels: each one the reference kernel run over cache-sized blocks of rows on a thread pool
(threads.py), blocked attention (attention.py), a faster float32 erf (erf.py), and the optimizer updates by blocks
(optim.py). dispatch.py picks them for NumPy arrays; tests/test_kernels_fast.py holds each equal to its reference, values and gradients, on both sides of every
size threshold. A student copy has no such package: there every kernel runs its reference.
"""
import numpy as np

from .. import activation, norm, reduce, softmax
from . import erf, optim
from .attention import attention_forward
from .threads import rowwise


def _by_rows(reference, arrays, axis):
    """reference(*arrays, axis) over blocks of rows when axis is the last one (else on the whole arrays)."""
    if axis not in (-1, arrays[0].ndim - 1):
        return reference(*arrays, axis)
    return rowwise(lambda *rows: (reference(*rows, -1),), *arrays)[0]


def softmax_forward(x, axis=-1):
    return _by_rows(softmax.softmax_forward.reference, (x,), axis)


def softmax_backward(y, dy, axis=-1):
    return _by_rows(softmax.softmax_backward.reference, (y, dy), axis)


def log_softmax_forward(x, axis=-1):
    return _by_rows(softmax.log_softmax_forward.reference, (x,), axis)


def log_softmax_backward(y, dy, axis=-1):
    return _by_rows(softmax.log_softmax_backward.reference, (y, dy), axis)


def _last_axis_gemv(x, axis):
    """True when a reduction of x over `axis` can be a GEMV: the last axis, float32/64 (float16 keeps NumPy's
    reduction, which accumulates in float32; its matmul would accumulate in float16)."""
    return axis in (-1, x.ndim - 1) and x.ndim >= 2 and x.dtype in (np.float32, np.float64)


def sum_over(x, axis=-1):
    """The last axis's sum as a GEMV with a ones vector: several times faster than NumPy's on short rows."""
    if not _last_axis_gemv(x, axis):
        return reduce.sum_over.reference(x, axis)
    return x @ np.ones((x.shape[-1], 1), dtype=x.dtype)


def mean_over(x, axis=-1):
    """The last axis's mean as a GEMV with a 1/n vector."""
    if not _last_axis_gemv(x, axis):
        return reduce.mean_over.reference(x, axis)
    return x @ np.full((x.shape[-1], 1), 1 / x.shape[-1], dtype=x.dtype)


def layer_norm_forward(x, weight, bias, eps, save=True):
    return rowwise(lambda rows: norm.layer_norm_forward.reference(rows, weight, bias, eps, save), x)


def layer_norm_backward(dy, xhat, rstd, weight):
    return rowwise(lambda *rows: (norm.layer_norm_backward.reference(*rows, weight),), dy, xhat, rstd)[0]


def gelu_forward(x, approximate="none", save=True):
    if approximate == "none" and erf._short(x):
        return rowwise(lambda rows: erf.gelu_exact_forward(rows, save), x)
    return rowwise(lambda rows: activation.gelu_forward.reference(rows, approximate, save), x)


def gelu_backward(x, saved, dy, approximate="none"):
    return rowwise(lambda *rows: (activation.gelu_backward.reference(*rows, approximate),), x, saved, dy)[0]


KERNELS = {
    "softmax_forward": softmax_forward,
    "softmax_backward": softmax_backward,
    "log_softmax_forward": log_softmax_forward,
    "log_softmax_backward": log_softmax_backward,
    "layer_norm_forward": layer_norm_forward,
    "layer_norm_backward": layer_norm_backward,
    "gelu_forward": gelu_forward,
    "gelu_backward": gelu_backward,
    "sum_over": sum_over,
    "mean_over": mean_over,
    "erf": erf.erf,
    "normal_cdf": erf.normal_cdf,
    "attention_forward": attention_forward,
    "adamw_step": optim.adamw_step,
    "sgd_step": optim.sgd_step,
}
