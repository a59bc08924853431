"""Scaled dot-product attention, fused: out = softmax(Q Kᵀ / sqrt(d) masked) V, with a hand-derived backward.

Masking convention: `mask` is a boolean KEEP-mask broadcastable to (B, H, Tq, Tk) — True where a query may look at
a key. Dropped scores are set to the dtype's most negative finite number (as Hugging Face does), never -inf, so
every row stays finite: a row whose keys are ALL masked comes out as uniform weights 1/Tk over those keys (and
gets no gradient through them), instead of the NaN that -inf would give.

The Function hands back two tensors: `out` (differentiable) and the attention weights (a tensor outside the graph,
for plotting and inspection). The weights are the softmax before dropout, so every row sums to 1.
"""
import math

from .. import backend
from ..autograd import Function, check_same_device, is_grad_enabled
from .dropout import dropout_mask
from .parallel import rowwise
from .softmax import softmax_backward, softmax_forward


def attention_weights(q, k, keep, scale):
    """p = softmax(q kᵀ * scale, with dropped keys at the dtype's min) over the last axis, (B, H, Tq, Tk)."""
    # BEGIN SOLUTION t2.5 scaled dot-product attention with masking
    xp = backend.array_module(q)
    scores = q @ k.swapaxes(-1, -2)  # (B, H, Tq, Tk)
    scores *= scale
    if keep is not None:
        xp.copyto(scores, xp.finfo(scores.dtype).min, where=~keep)  # large finite negative, never -inf
    (weights,) = rowwise(lambda rows: (softmax_forward(rows, -1),), scores)  # softmax of each row, all cores
    return weights
    # END SOLUTION


class ScaledDotProductAttention(Function):
    """out = softmax(q kᵀ / sqrt(d) + mask) v;  dv = pᵀ dy, ds = p * (dp - sum(dp * p)) with dp = dy vᵀ,
    dq = ds k / sqrt(d), dk = dsᵀ q / sqrt(d)"""

    def forward(self, q, k, v, mask=None, dropout_p=0.0):
        if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
            raise ValueError(f"attention: q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)} do not fit: "
                             "need q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv)")
        if mask is not None and mask.dtype != bool:
            raise TypeError(f"attention: mask must be a boolean keep-mask (True = attend), got dtype {mask.dtype}")
        self.scale = q.dtype.type(1 / math.sqrt(q.shape[-1]))
        self.q, self.k, self.v, self.keep = q, k, v, mask
        self.p = attention_weights(q, k, mask, self.scale)  # (B, H, Tq, Tk)
        self.drop = None
        p = self.p
        if dropout_p > 0:
            self.drop = dropout_mask(p.shape, dropout_p, p.dtype, backend.device_of(p))  # 0 or 1/(1-p)
            p = p * self.drop
        self.p_used = p  # what multiplied v
        return p @ v  # (B, H, Tq, dv)

    def backward(self, grad):
        xp = backend.array_module(grad)
        need_q, need_k, need_v = (t.requires_grad for t in self.inputs)
        dv = self.p_used.swapaxes(-1, -2) @ grad if need_v else None  # (B, H, Tk, dv)
        dp = grad @ self.v.swapaxes(-1, -2)  # (B, H, Tq, Tk)
        if self.drop is not None:
            dp *= self.drop
        (ds,) = rowwise(lambda p, g: (softmax_backward(p, g, -1),), self.p, dp)  # (B, H, Tq, Tk)
        if self.keep is not None:
            xp.copyto(ds, 0, where=~self.keep)  # masked scores were constants: no gradient (all-masked rows)
        ds *= self.scale
        dq = ds @ self.k if need_q else None  # (B, H, Tq, d)
        dk = ds.swapaxes(-1, -2) @ self.q if need_k else None  # (B, H, Tk, d)
        return dq, dk, dv

    @classmethod
    def apply(cls, q, k, v, mask=None, dropout_p=0.0):
        """Like Function.apply, but returns (out, weights): weights is a tensor outside the graph."""
        from ..tensor import Tensor
        check_same_device(cls.__name__, (q, k, v))
        fn = cls()
        out = Tensor._wrap(fn.forward(q.data, k.data, v.data, mask=mask, dropout_p=dropout_p))
        weights = Tensor._wrap(fn.p)
        if is_grad_enabled() and any(t.requires_grad for t in (q, k, v)):
            fn.inputs, fn.freed = (q, k, v), False
            out.requires_grad, out._creator = True, fn
        return out, weights
