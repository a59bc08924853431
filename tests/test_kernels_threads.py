"""The CPU thread policy: every core while the process's threads do not wait for one, a single thread (pool idle,
OpenBLAS at 1) while they do, probing back with a growing backoff; the calling thread shares the jobs."""
import ctypes
import os
import threading
import time

import numpy as np
import pytest

pytest.importorskip("minitransformer.kernels.cpu", reason="no fast kernels in this copy (a student copy)")
from minitransformer.kernels.cpu import blas, threads  # noqa: E402


class Clock:
    def __init__(self):
        self.now, self.waited, self.ran = 100.0, 0, 0

    def advance(self, seconds, wait_ratio, busy=1.0):
        """`seconds` pass; the process's threads ran busy * 1e9 ns per second and waited wait_ratio times that."""
        self.now += seconds
        self.ran += int(1e9 * seconds * busy)
        self.waited += int(1e9 * seconds * busy * wait_ratio)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(threads.time, "monotonic", lambda: clock.now)
    monkeypatch.setattr(threads, "waiting_and_running", lambda: (clock.waited, clock.ran))
    monkeypatch.setattr(threads, "cpus", lambda: 4)
    monkeypatch.delenv("MT_NUM_THREADS", raising=False)
    blas_calls = []
    monkeypatch.setattr(threads.blas, "set_threads", blas_calls.append)
    clock.blas = blas_calls
    return clock


def test_quiet_keeps_every_cpu_and_contention_falls_back_to_one_thread(clock):
    policy = threads.Policy()
    assert policy.update() == 4 and clock.blas[-1] == 4
    clock.advance(0.6, wait_ratio=0.05)  # quiet: a little waiting
    assert policy.update() == 4
    clock.advance(0.6, wait_ratio=0.6)  # busy: threads wait as long as they run
    assert policy.update() == 1 and clock.blas[-1] == 1
    clock.advance(0.2, wait_ratio=0.0)
    assert policy.update() == 1  # checked at most every INTERVAL, and no probe before the backoff


def test_probes_back_with_a_doubling_backoff_and_forgets_it_once_parallel_holds(clock):
    policy = threads.Policy()
    clock.advance(0.6, wait_ratio=1.0)
    assert policy.update() == 1
    for _ in range(threads.BACKOFF[0] - 1):
        clock.advance(0.6, wait_ratio=0.0)
        assert policy.update() == 1  # the backoff counts checks made while working
    clock.advance(60, wait_ratio=0.0, busy=0.01)  # idle time (between batches) is no check at all
    assert policy.update() == 1
    clock.advance(0.6, wait_ratio=0.0)
    assert policy.update() == 4  # the probe, after BACKOFF[0] checks
    clock.advance(0.2, wait_ratio=0.8)  # judged after INTERVAL / 4
    assert policy.update() == 1 and policy.backoff == 2 * threads.BACKOFF[0]  # the probe failed: wait longer
    for _ in range(30):  # a machine that stays busy: the backoff grows to its cap
        while policy.threads == 1:
            clock.advance(0.6, wait_ratio=0.8)
            policy.update()
        clock.advance(0.2, wait_ratio=0.8)
        assert policy.update() == 1
    assert policy.backoff == threads.BACKOFF[1]
    while policy.threads == 1:
        clock.advance(0.6, wait_ratio=0.0)
        policy.update()
    for _ in range(2 * threads.BACKOFF[1]):  # the machine went quiet: the probe holds
        clock.advance(0.2, wait_ratio=0.0)
        assert policy.update() == 4
    assert not policy.probing and policy.backoff == threads.BACKOFF[0]


def test_an_idle_interval_decides_nothing_but_heavy_waiting_does(clock):
    policy = threads.Policy()
    clock.advance(5, wait_ratio=0.0, busy=0.05)  # asleep between batches: too little to judge
    assert policy.update() == 4 and policy.count == 0
    clock.advance(0.6, wait_ratio=7.0, busy=0.125)  # a very busy machine: a thread runs 1/8 of the time
    assert policy.update() == 1


def test_mt_num_threads_fixes_the_count(clock, monkeypatch):
    monkeypatch.setenv("MT_NUM_THREADS", "1")
    policy = threads.Policy()
    clock.advance(0.6, wait_ratio=0.0)
    assert policy.update() == 1 and clock.blas == [1]


def test_run_jobs_does_every_job_once_on_the_caller_and_the_pool():
    done, lock = [], threading.Lock()
    caller = threading.get_ident()

    def work(job):
        time.sleep(0.001)  # lets the other thread in (a NumPy block releases the GIL the same way)
        with lock:
            done.append((job, threading.get_ident()))
    threads.run_jobs(work, list(range(60)))
    assert sorted(job for job, _ in done) == list(range(60))
    assert any(thread == caller for _, thread in done)  # the calling thread takes jobs too


def test_run_jobs_reraises_an_error_and_stops_taking_jobs():
    def work(job):
        if job == 3:
            raise ValueError("job 3 failed")
    with pytest.raises(ValueError, match="job 3 failed"):
        threads.run_jobs(work, list(range(50)))


def test_cpus_is_the_affinity_at_most():
    assert 1 <= threads.cpus() <= len(os.sched_getaffinity(0))


@pytest.mark.skipif(not blas.controllable(), reason="NumPy's BLAS is not an OpenBLAS whose threads can be set")
def test_blas_threads_can_be_set_and_restored():
    getter = None
    with open("/proc/self/maps") as maps:
        path = next(line.split()[-1] for line in maps if "openblas" in line.rsplit("/", 1)[-1].lower())
    library = ctypes.CDLL(path, mode=os.RTLD_NOLOAD)
    for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads"):
        getter = getattr(library, name, None) or getter
    before = getter()
    try:
        blas.set_threads(1)
        assert getter() == 1
        np.ones((300, 300)) @ np.ones((300, 300))  # still computes
    finally:
        blas.set_threads(before)
    assert getter() == before


def test_import_before_numpy_shortens_openblas_spin_unless_set():
    """minitransformer sets OPENBLAS_THREAD_TIMEOUT (read by OpenBLAS when NumPy loads) only when NumPy is not
    loaded yet, and never over a value the user set (kernels/cpu/threads.py says why)."""
    import pathlib
    import subprocess
    import sys
    code = "import {}; import os; print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'))"
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    root = str(pathlib.Path(__file__).resolve().parents[1])

    def run(modules, **extra):
        return subprocess.run([sys.executable, "-c", code.format(modules)], env={**env, **extra}, cwd=root,
                              capture_output=True, text=True, check=True).stdout.strip()
    assert run("minitransformer") == "22"
    assert run("numpy, minitransformer") == "None"  # too late to matter: left alone
    assert run("minitransformer", OPENBLAS_THREAD_TIMEOUT="28") == "28"
