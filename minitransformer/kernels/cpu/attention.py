"""Blocked attention for NumPy: the reference attention run per (batch row, slice of queries), jobs on the pool.

Each job's scores, softmax and p @ v are done while its (H, rows, Tk) scores sit in cache, and the blocks are sized
so OpenBLAS runs each GEMM on the calling thread: a whole-batch `q @ kᵀ` is hundreds of small GEMMs that OpenBLAS
splits over its own threads one by one, and with another busy process on 2 cores each split waits for a
descheduled thread. Under a padding mask a row of L real tokens attends to its first L keys only, with no mask,
and its padded keys get weight exactly 0 (what exp(min - max) gives in the reference): a batch of mixed lengths
skips its padded keys' share of the GEMMs and the softmax. For (B, H, T, d) inputs `out` is written into a
(B, T, H, d) array seen as (B, H, T, d), so merging the heads back afterwards is a free reshape, not a copy.
"""
import math

import numpy as np

from .. import attention as reference_attention
from . import threads

# OpenBLAS gives a GEMM one thread when m·n·k <= 65536 · GEMM_MULTITHREAD_THRESHOLD (4 by default; see its
# interface/gemm.c). Blocks of queries are cut to that size so every GEMM of a block runs in the calling thread.
ONE_THREAD_GEMM = 65536 * 4


def prefix_lengths(keep, n, Tk):
    """The number of kept keys per leading index (n of them) when `keep` is a padding mask — every query of row i
    keeps keys 0..L_i-1 and drops the rest, (B or 1, 1, .., 1, Tk) — else None (also when a row keeps no key)."""
    if keep.shape[-2] != 1 or any(size != 1 for size in keep.shape[1:-2]) or keep.shape[0] not in (1, n):
        return None
    rows = keep.reshape(keep.shape[0], Tk)  # (B or 1, Tk)
    lengths = rows.sum(axis=-1)
    if not lengths.all() or not (rows == (np.arange(Tk) < lengths[:, None])).all():
        return None
    return np.broadcast_to(lengths, (n,))


def attention_forward(q, k, v, keep, scale, drop=None):
    """(p, out) as the reference attention_forward, computed per (leading index i, slice of query rows) on the
    pool; inputs that do not fit that plan (small, a leading shape that broadcasts) go to the reference whole."""
    reference = reference_attention.attention_forward.reference
    *lead, Tq, d = q.shape
    Tk, dv = v.shape[-2:]
    if q.ndim < 3 or not q.shape[:-2] == k.shape[:-2] == v.shape[:-2] or math.prod(lead) * Tq * Tk <= 2 * threads.BLOCK:
        return reference(q, k, v, keep, scale, drop)
    rows = max(1, min(Tq, ONE_THREAD_GEMM // (Tk * max(d, dv))))
    dtype = np.result_type(q, k, v)
    lengths = None
    if keep is not None:  # same rank as q (leading 1s), still broadcast-sized
        keep = keep.reshape((1,) * (q.ndim - keep.ndim) + keep.shape)
        lengths = prefix_lengths(keep, lead[0], Tk)
    p = np.empty((*lead, Tq, Tk), dtype=dtype)
    if q.ndim == 4:  # (B, T, H, dv) memory seen as (B, H, T, dv)
        out = np.empty((lead[0], Tq, lead[1], dv), dtype=dtype).transpose(0, 2, 1, 3)
    else:
        out = np.empty((*lead, Tq, dv), dtype=dtype)

    def work(blocks):
        for i, r in blocks:
            rs = slice(r, r + rows)
            n = Tk if lengths is None else int(lengths[i])  # keys this row looks at: all, or its first n real tokens
            mask = None
            if keep is not None and lengths is None:  # the mask's own index i and rows, or what broadcasts
                mask = keep[i if keep.shape[0] > 1 else 0]
                mask = mask[..., rs, :] if mask.shape[-2] > 1 else mask
            block_drop = None if drop is None else drop[i, ..., rs, :n]
            p[i, ..., rs, :n], out[i, ..., rs, :] = reference(q[i, ..., rs, :], k[i, ..., :n, :], v[i, ..., :n, :],
                                                              mask, scale, block_drop)
            if n < Tk:
                p[i, ..., rs, n:] = 0  # padded keys: weight exactly 0

    blocks = [(i, r) for i in range(lead[0]) for r in range(0, Tq, rows)]
    # a job takes several blocks when they are small (few heads, short rows): ~BLOCK scores per job, so the
    # pool's per-job cost stays small next to the work
    per_job = max(1, threads.BLOCK // (math.prod(lead[1:]) * rows * Tk))
    threads.run_jobs(work, [blocks[j:j + per_job] for j in range(0, len(blocks), per_job)])
    return p, out
