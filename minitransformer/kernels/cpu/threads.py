"""Row blocks on a few threads: how the CPU kernels run an elementwise chain on every core.

NumPy runs each ufunc on one core and makes a full pass over memory per step. For a chain of steps over a
large array (GELU, softmax, LayerNorm) two things help, and `rowwise` does both:
- cache: cutting the rows into blocks of ~256K elements keeps a block's temporaries in the CPU caches;
- cores: NumPy releases the GIL inside ufuncs, so blocks handed to a thread pool really run in parallel.
The block is not smaller because every ufunc call of a block retakes the GIL, and a thread waiting for it idles
while the other runs Python. `run_jobs` hands any list of independent jobs to the same pool (blocked attention
uses it). A call made from inside a pool thread runs inline: a worker waiting on jobs queued behind itself would
deadlock the pool. Set MT_NUM_THREADS to choose the number of threads (default: the CPUs this process may use).
"""
import concurrent.futures
import os
import threading

import numpy as np

BLOCK = 1 << 18  # elements per block (see above for why this size)
_pool = None
_local = threading.local()  # .in_pool is True in the pool's own threads


def num_threads():
    """MT_NUM_THREADS, else the CPUs this process may run on."""
    if "MT_NUM_THREADS" in os.environ:
        return max(1, int(os.environ["MT_NUM_THREADS"]))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _executor():
    global _pool
    if _pool is None:
        _pool = concurrent.futures.ThreadPoolExecutor(num_threads(), thread_name_prefix="mt-rows",
                                                      initializer=_mark_pool_thread)
    return _pool


def _mark_pool_thread():
    _local.in_pool = True


def in_pool():
    """True inside a pool thread, where handing work to the pool again would wait on itself."""
    return getattr(_local, "in_pool", False)


def run_jobs(work, jobs):
    """work(job) for every job, on the pool (inline when there is one job or we already are in the pool)."""
    if len(jobs) <= 1 or in_pool():
        for job in jobs:
            work(job)
        return
    list(_executor().map(work, jobs))  # list() re-raises the first exception of any job


def rowwise(fn, *arrays):
    """fn(*row_blocks) -> tuple of arrays, run over blocks of rows and stitched back together.

    `arrays` share every axis but the last (which fn reduces over or works along); they are viewed as (rows, last)
    matrices. Each output keeps the leading shape of the inputs and the last axis fn gave it. Small arrays, and
    calls from inside the pool, are one call of fn on the whole arrays."""
    first = arrays[0]
    if first.size <= 2 * BLOCK or in_pool():
        return fn(*arrays)
    lead = first.shape[:-1]
    flat = [a.reshape(-1, a.shape[-1]) for a in arrays]  # (rows, last): views for contiguous inputs
    rows = flat[0].shape[0]
    step = max(1, BLOCK // max(first.shape[-1], 1))
    starts = list(range(0, rows, step))
    head = fn(*[f[:step] for f in flat])
    outs = [np.empty((rows,) + part.shape[1:], dtype=part.dtype) for part in head]
    for out, part in zip(outs, head):
        out[:step] = part

    def work(start):
        for out, part in zip(outs, fn(*[f[start:start + step] for f in flat])):
            out[start:start + step] = part

    run_jobs(work, starts[1:])
    return tuple(out.reshape(lead + out.shape[1:]) for out in outs)
