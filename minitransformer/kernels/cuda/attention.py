"""The attention score path on the GPU: the two matmuls stay cuBLAS's; what lies between them is fused. With v the
score where the key is kept and the dtype's most negative number where it is dropped (kernels/attention.py):

    forward:  p = exp(v - max v) / sum exp(v - max v)            (one masking pass in place, softmax.py's 3)
    backward: ds = [keep] p (dp - sum(dp p)) scale                (one fused sum, one fused pass)
so a fully dropped row still comes out uniform, and dropped keys get no gradient, as in the reference.
"""
import numpy as np

from .build import compiled, scalar
from .softmax import softmax_forward

_mask_fill = compiled(lambda cp: cp.ElementwiseKernel(
    "T s, bool keep, T low", "T v", "v = keep ? s : low", "mt_attention_mask_fill"))
_sum_product = compiled(lambda cp: cp.ReductionKernel(
    "T a, T b", "T s", "a * b", "a + b", "s = a", "0", "mt_attention_sum_product"))
_score_grad = compiled(lambda cp: cp.ElementwiseKernel(
    "T p, T dp, T sum, bool keep, T scale", "T ds", "ds = keep ? p * (dp - sum) * scale : (T)0",
    "mt_attention_score_backward"))


def attention_weights(q, k, keep, scale):
    scores = (q * scale) @ k.swapaxes(-1, -2)  # (B, H, Tq, Tk)
    if keep is None:
        return softmax_forward(scores)
    _mask_fill()(scores, keep, scalar(scores, np.finfo(scores.dtype).min), scores)  # in place
    return softmax_forward(scores)


def attention_backward(q, k, v, p, keep, scale, dout, drop=None, need=(True, True, True)):
    need_q, need_k, need_v = need
    dv = (p if drop is None else p * drop).swapaxes(-1, -2) @ dout if need_v else None  # (..., Tk, dv)
    dp = dout @ v.swapaxes(-1, -2)  # (..., Tq, Tk)
    if drop is not None:
        dp *= drop
    total = _sum_product()(dp, p, axis=-1, keepdims=True)  # (..., Tq, 1)
    ds = _score_grad()(p, dp, total, True if keep is None else keep, scalar(dp, scale))
    dq = ds @ k if need_q else None  # (..., Tq, d)
    dk = ds.swapaxes(-1, -2) @ q if need_k else None  # (..., Tk, d)
    return dq, dk, dv

