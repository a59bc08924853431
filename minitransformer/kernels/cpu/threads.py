"""Threads that never hurt: how the CPU kernels use every core when the machine is quiet and one when it is busy.

Two kinds of work run in parallel: GEMMs, on the threads of NumPy's BLAS (OpenBLAS), and the elementwise chains
of the fused kernels (GELU, softmax, LayerNorm, blocked attention), on the pool below. `rowwise` cuts an array's
rows into blocks of ~256K elements, which keeps a block's temporaries in the CPU caches (alone ~3x faster for
GELU's chain of ten passes) and lets NumPy, which releases the GIL inside ufuncs, run blocks in parallel. Smaller
blocks make threads wait for the GIL, which every ufunc call retakes.

The policy. Both kinds are fork-join: a parallel step ends when its slowest thread ends. On a busy machine a
thread is often waiting for a core, and every step waits with it: on 2 cores beside two busy processes the
lesson train step took 468-525 ms with every thread against 238-247 ms with one. So the threads follow what the
process really gets:
- cpus(): the CPUs the process may run on and its cgroup CPU quota, whichever is smaller;
- every half second (checked at the start of a parallel step, on the calling thread) the time our threads spent
  runnable but waiting for a core (Linux's /proc/self/task/*/schedstat) is compared with the time they ran: above
  WAIT_RATIO, cores are contended and everything goes to one thread (the pool idles and OpenBLAS gets 1 thread,
  blas.py); one thread then probes parallel again after a backoff (5 s of work, doubling to 60 s while the probes
  fail; an interval in which the threads were mostly idle, between batches, is not judged and does not count),
  and a probe is judged after an eighth of a second, since on a busy machine it costs about that much;
- the calling thread works too: it takes blocks from the same queue as the pool, so a block never waits for a
  thread that is not running (only one already started on such a thread is waited for);
- MT_NUM_THREADS=n fixes the count (n = 1: one thread for everything, OpenBLAS included, unless
  OPENBLAS_NUM_THREADS is set); without schedstat (not Linux) the policy keeps every CPU.

The one environment setting, made by `import minitransformer` (its __init__.py) and nowhere else: on a quiet
machine OpenBLAS's worker thread busy-waits 2^28 TSC cycles (~0.1 s) after each multithreaded GEMM before it
sleeps, so it spins beside the pool's thread (three busy threads on two cores) through the elementwise steps
that follow every GEMM. OPENBLAS_THREAD_TIMEOUT=22 (~1.6 ms) ends that and still bridges the gaps between the
GEMMs of a training step (measured, 2 cores, round-robin processes: MiniLM forward 0.87 -> 0.74 s, base train
step 1.13 -> 0.83 s, lesson step 92 ms either way; 2^20 made the lesson step 100 ms). OpenBLAS reads it once,
when NumPy loads it, so it is set only when NumPy is not loaded yet and never over a value already set.
"""
import concurrent.futures
import os
import threading
import time

import numpy as np

from . import blas

BLOCK = 1 << 18  # elements per block (see above for why this size)
INTERVAL = 0.5  # seconds between two looks at the contention
WAIT_RATIO = 0.3  # runnable-but-waiting time / running time above which the cores count as contended
BACKOFF = (10, 120)  # checks (INTERVAL each, while working) on one thread before probing again: first, at most
_pool = None
_local = threading.local()  # .in_pool is True in the pool's own threads


def cpus():
    """The CPUs this process may use: its affinity, capped by its cgroup CPU quota (cgroup v2 cpu.max)."""
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()
        if quota != "max":
            count = min(count, max(1, round(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return count


def waiting_and_running():
    """(ns runnable but waiting for a core, ns running) summed over this process's threads; None without schedstat."""
    waited = ran = 0
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return None
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/schedstat") as f:
                running, waiting, _ = f.read().split()
        except (OSError, ValueError):
            continue  # a thread that just ended
        waited, ran = waited + int(waiting), ran + int(running)
    return waited, ran


class Policy:
    """How many threads to use now: all of cpus() on a quiet machine, 1 on a busy one (see the module docstring)."""

    def __init__(self):
        fixed = os.environ.get("MT_NUM_THREADS")
        self.fixed = max(1, int(fixed)) if fixed else None
        self.cpus = self.fixed or cpus()
        self.threads = self.cpus
        self.sample, self.checked = waiting_and_running(), time.monotonic()
        self.backoff = BACKOFF[0]  # checks spent on one thread before the next probe
        self.count = 0  # checks since the last switch
        self.probing = False  # parallel again for a look, after contention
        blas.set_threads(self.threads)

    def update(self):
        now = time.monotonic()
        interval = INTERVAL / 4 if self.probing else INTERVAL  # a probe is judged quickly: it may be costly
        if self.fixed or self.cpus == 1 or self.sample is None or now - self.checked < interval:
            return self.threads
        sample = waiting_and_running()
        waited, ran, elapsed = sample[0] - self.sample[0], sample[1] - self.sample[1], now - self.checked
        self.sample, self.checked = sample, now
        if waited + ran < 0.5e9 * elapsed:  # mostly idle since the last look (between batches): nothing to judge
            return self.threads
        self.count += 1
        if self.threads > 1 and waited > WAIT_RATIO * max(ran, 1):  # contended: one thread, probe again later
            self.backoff = min(2 * self.backoff, BACKOFF[1]) if self.probing else BACKOFF[0]
            self.threads, self.count, self.probing = 1, 0, False
        elif self.threads == 1 and self.count >= self.backoff:
            self.threads, self.count, self.probing = self.cpus, 0, True  # kept while the waiting stays low
        elif self.threads > 1 and self.probing and self.count >= 2 * self.backoff:
            self.backoff, self.probing = BACKOFF[0], False  # parallel has held: the next contention starts afresh
        blas.set_threads(self.threads)
        return self.threads


_policy = None


def threads_now():
    """The number of threads a parallel step may use now (the policy, checked at most every INTERVAL)."""
    global _policy
    if _policy is None:
        _policy = Policy()
    return _policy.update()


def _executor(workers):
    global _pool
    if _pool is None:
        _pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="mt-rows",
                                                      initializer=_mark_pool_thread)
    return _pool


def _mark_pool_thread():
    _local.in_pool = True


def in_pool():
    """True inside a pool thread, where handing work to the pool again would wait on itself."""
    return getattr(_local, "in_pool", False)


def run_jobs(work, jobs):
    """work(job) for every job: on the calling thread and, when the policy allows, the pool, taking jobs from one
    queue; inline for one job or inside the pool. Re-raises the first error of any job."""
    helpers = 0 if len(jobs) <= 1 or in_pool() else min(threads_now(), len(jobs)) - 1
    if helpers <= 0:
        for job in jobs:
            work(job)
        return
    queue, lock, failed, end = iter(jobs), threading.Lock(), [], object()

    def drain():
        while not failed:
            with lock:
                job = next(queue, end)
            if job is end:
                return
            try:
                work(job)
            except BaseException as error:  # noqa: B902  stop the others, re-raise below
                failed.append(error)
    helping = [_executor(_policy.cpus - 1).submit(drain) for _ in range(helpers)]
    drain()
    concurrent.futures.wait(helping)
    if failed:
        raise failed[0]


def rowwise(fn, *arrays):
    """fn(*row_blocks) -> tuple of arrays, run over blocks of rows and stitched back together.

    `arrays` share every axis but the last (which fn reduces over or works along); they are viewed as (rows, last)
    matrices. Each output keeps the leading shape of the inputs and the last axis fn gave it. Small arrays, and
    calls from inside the pool, are one call of fn on the whole arrays."""
    first = arrays[0]
    if in_pool():
        return fn(*arrays)
    threads_now()  # OpenBLAS's threads follow the policy even while no array here is large enough to split
    if first.size <= 2 * BLOCK:
        return fn(*arrays)
    lead = first.shape[:-1]
    flat = [a.reshape(-1, a.shape[-1]) for a in arrays]  # (rows, last): views for contiguous inputs
    rows = flat[0].shape[0]
    step = max(1, BLOCK // max(first.shape[-1], 1))
    head = fn(*[f[:step] for f in flat])  # the first block: it tells the outputs' shapes and dtypes
    outs = [np.empty((rows,) + part.shape[1:], dtype=part.dtype) for part in head]
    for out, part in zip(outs, head):
        out[:step] = part

    def work(start):
        for out, part in zip(outs, fn(*[f[start:start + step] for f in flat])):
            out[start:start + step] = part

    run_jobs(work, list(range(step, rows, step)))
    return tuple(out.reshape(lead + out.shape[1:]) for out in outs)
