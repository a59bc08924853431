"""Scaled dot-product attention, fused: out = softmax(Q Kᵀ / sqrt(d) masked) V, with a hand-derived backward.

Masking convention: `mask` is a boolean KEEP-mask broadcastable to (B, H, Tq, Tk) — True where a query may look at
a key. Dropped scores are set to the dtype's most negative finite number (as Hugging Face does), never -inf, so
every row stays finite: a row whose keys are ALL masked comes out as uniform weights 1/Tk over those keys (and
gets no gradient through them), instead of the NaN that -inf would give.

The Function hands back two tensors: `out` (differentiable) and the attention weights (a tensor outside the graph,
for plotting and inspection). The weights are the softmax before dropout, so every row sums to 1.

On NumPy the forward runs in blocks (`blocked_attention`): one batch row and a slice of queries per job, each
job's scores, softmax and p @ v done while its (H, rows, Tk) scores sit in cache, jobs on every core. The
blocks are sized so OpenBLAS runs each GEMM on the calling thread: a whole-batch `q @ kᵀ` is hundreds of small
GEMMs that OpenBLAS splits over its own threads one by one, and with another busy process on 2 cores each split
waits for a descheduled thread (MiniLM's 32 x 12 heads x 128 tokens: 40 ms -> 18 ms loaded, and once 6 s).
"""
import math

import numpy as np

from .. import backend
from ..autograd import Function, check_same_device, is_grad_enabled
from . import parallel
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


# OpenBLAS gives a GEMM one thread when m·n·k <= 65536 · GEMM_MULTITHREAD_THRESHOLD (4 by default; see its
# interface/gemm.c). Blocks of queries are cut to that size so every GEMM of a block runs in the calling thread.
ONE_THREAD_GEMM = 65536 * 4


def prefix_lengths(keep, n, Tk):
    """The number of kept keys per leading index (n of them) when `keep` is a padding mask — every query of row i
    keeps keys 0..L_i-1 and drops the rest, (B or 1, 1, .., 1, Tk) — else None (also when a row keeps no key)."""
    if keep.shape[-2] != 1 or any(size != 1 for size in keep.shape[1:-2]) or keep.shape[0] not in (1, n):
        return None
    xp = backend.array_module(keep)
    rows = keep.reshape(keep.shape[0], Tk)  # (B or 1, Tk)
    lengths = rows.sum(axis=-1)
    if not lengths.all() or not (rows == (xp.arange(Tk) < lengths[:, None])).all():
        return None
    return xp.broadcast_to(lengths, (n,))


def blocked_attention(q, k, v, keep, scale):
    """(p, out) = (attention_weights(q, k, keep, scale), p @ v) for NumPy q, k, v of one leading shape, computed
    per (leading index i, slice of query rows) on the thread pool; None when the inputs do not fit that plan.

    The same steps as attention_weights, done in place in each block's slice of p: scores straight into p,
    masked scores pushed to the dtype's min by adding it (a score below ~1e31 rounds to min itself), the row
    max subtracted, exp, and the row sums taken as a GEMV with a ones vector (5x faster than .sum(-1) on rows
    this short). For (B, H, T, d) inputs `out` is a (B, T, H, d) array seen as (B, H, T, d), so merging the
    heads back afterwards is a free reshape, not a copy. Under a padding mask a row of L real tokens works on its
    first L keys only and writes exact zeros for the rest (what exp(min - max) gives): a batch of mixed lengths
    skips its padded keys' share of the GEMMs, the mask add and the softmax."""
    xp = backend.array_module(q, k, v)
    if xp is not np or q.ndim < 3 or not q.shape[:-2] == k.shape[:-2] == v.shape[:-2]:
        return None
    *lead, Tq, d = q.shape
    Tk, dv = v.shape[-2:]
    if math.prod(lead) * Tq * Tk <= 2 * parallel.BLOCK:
        return None  # small: the plain whole-array computation
    rows = max(1, min(Tq, ONE_THREAD_GEMM // (Tk * max(d, dv))))
    dtype = xp.result_type(q, k, v)
    minus = lengths = None
    if keep is not None:  # same rank as q (leading 1s), still broadcast-sized
        keep = keep.reshape((1,) * (q.ndim - keep.ndim) + keep.shape)
        lengths = prefix_lengths(keep, lead[0], Tk)
        if lengths is None:  # any other mask: added to the scores, 0 where kept and min where dropped
            minus = xp.where(keep, dtype.type(0), xp.finfo(dtype).min).astype(dtype, copy=False)
    ones = xp.ones((Tk, 1), dtype=dtype)
    p = np.empty((*lead, Tq, Tk), dtype=dtype)
    if q.ndim == 4:  # (B, T, H, dv) memory seen as (B, H, T, dv)
        out = np.empty((lead[0], Tq, lead[1], dv), dtype=dtype).transpose(0, 2, 1, 3)
    else:
        out = np.empty((*lead, Tq, dv), dtype=dtype)

    def work(blocks):
        for i, r in blocks:
            rs = slice(r, r + rows)
            n = Tk if lengths is None else lengths[i]  # keys this row looks at: all, or its first n real tokens
            weights = p[i, ..., rs, :n]  # (..., rows, n), a view: the block's weights are written into p itself
            s = weights  # the scores, in place, when rows are whole; else in a contiguous scratch, since ufuncs
            if n < Tk:  # on the strided view ran ~2x slower (MiniLM's batch: attention 26 -> 21 ms CPU per layer)
                s = xp.empty(weights.shape, dtype)
                p[i, ..., rs, n:] = 0  # padded keys: weight exactly 0
            xp.matmul(q[i, ..., rs, :] * scale, k[i, ..., :n, :].swapaxes(-1, -2), out=s)  # scale q: 4x fewer mults
            if minus is not None:  # the mask's own index i and rows, or the whole axis where it broadcasts
                m = minus[i if minus.shape[0] > 1 else 0]
                s += m[..., rs, :] if m.shape[-2] > 1 else m
            s -= s.max(axis=-1, keepdims=True)
            xp.exp(s, out=s)
            xp.divide(s, s @ ones[:n], out=weights)  # by the (..., rows, 1) row sums
            xp.matmul(weights, v[i, ..., :n, :], out=out[i, ..., rs, :])  # (..., rows, dv)

    blocks = [(i, r) for i in range(lead[0]) for r in range(0, Tq, rows)]
    # a job takes several blocks when they are small (few heads, short rows): ~BLOCK scores per job, so the
    # pool's per-job cost stays small next to the work
    per_job = max(1, parallel.BLOCK // (math.prod(lead[1:]) * rows * Tk))
    parallel.run_jobs(work, [blocks[j:j + per_job] for j in range(0, len(blocks), per_job)])
    return p, out


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
        blocked = blocked_attention(q, k, v, mask, self.scale) if dropout_p == 0 else None
        if blocked is not None:
            self.p, out = blocked  # (B, H, Tq, Tk), (B, H, Tq, dv)
            self.drop, self.p_used = None, self.p
            return out
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
