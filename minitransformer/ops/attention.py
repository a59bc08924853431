"""Scaled dot-product attention, fused: out = softmax(Q Kᵀ / sqrt(d) masked) V, with a hand-derived backward.

Masking convention: `mask` is a boolean KEEP-mask broadcastable to (B, H, Tq, Tk), True where a query may look at
a key; a row whose keys are all masked gets uniform weights, never NaN (kernels/attention.py says how).

The Function has two outputs: `out` (differentiable) and the attention weights (outside the graph, for plotting
and inspection). The weights are the softmax before dropout, so every row sums to 1. The array math is in
kernels/attention.py.
"""
import math

import numpy as np

from .. import backend, kernels
from ..autograd import Function
from .dropout import dropout_mask


class ScaledDotProductAttention(Function):
    """out = softmax(q kᵀ / sqrt(d) + mask) v;  dv = pᵀ dy, ds = p * (dp - sum(dp * p)) with dp = dy vᵀ,
    dq = ds k / sqrt(d), dk = dsᵀ q / sqrt(d)"""

    def forward(self, q, k, v, mask=None, dropout_p=0.0):
        if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
            raise ValueError(f"attention: q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)} do not fit: "
                             "need q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv)")
        if mask is not None and mask.dtype != bool:
            raise TypeError(f"attention: mask must be a boolean keep-mask (True = attend), got dtype {mask.dtype}")
        self.scale = 1 / math.sqrt(q.shape[-1])
        self.drop = None
        if dropout_p > 0:  # one mask over the weights, (B, H, Tq, Tk): 0 or 1/(1-p)
            shape = np.broadcast_shapes(q.shape[:-2], k.shape[:-2]) + (q.shape[-2], k.shape[-2])  # shapes only
            self.drop = dropout_mask(shape, dropout_p, q.dtype, backend.device_of(q))
        self.q, self.k, self.v, self.keep = q, k, v, mask
        self.p, out = kernels.attention_forward(q, k, v, mask, self.scale, self.drop)  # (B, H, Tq, Tk), (.., dv)
        return out, self.p  # the weights: a second output, outside the graph

    def backward(self, grad):
        need = tuple(t.requires_grad for t in self.inputs)
        return kernels.attention_backward(self.q, self.k, self.v, self.p, self.keep, self.scale, grad, self.drop,
                                          need)
