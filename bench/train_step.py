"""One full training step of the TransformerClassifier (forward, cross-entropy, backward, AdamW step, zero_grad)
on the "lesson" and "base" configs of ../shared/bench/torch_reference.py, side by side with that PyTorch model.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv-ci-reference/bin/python bench/train_step.py [--repeats 10]

Why unset both variables: this environment forces OpenBLAS's Haswell kernels (OPENBLAS_CORETYPE, with the
matching OPENBLAS_L2_SIZE), which roughly halves NumPy's float32 matmul speed on these AVX-512 CPUs, while
PyTorch brings its own BLAS and is not affected; with them set we would time a handicapped NumPy. They go
together (the L2 size belongs to the forced core type). Tests leave them alone; only timing runs unset them.

Both models are the same computation: token embedding * sqrt(d) + sinusoids, post-LN layers with GELU, [CLS]
pooling, no dropout, a linear head; the torch model fuses Q, K, V into one Linear, ours keeps three (see
nn/attention.py for the measurement behind that choice). Both update with AdamW at its defaults, as the reference
does (lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01, every parameter decayed): mt.optim.AdamW against
torch.optim.AdamW (on CPU a loop over the parameters: no for-each or fused kernels there). Both zero_grad by
setting .grad to None, so each backward allocates fresh gradients on both sides. Both use 2 threads. Steps
alternate ours / torch so a busy neighbour slows both alike, with a pause between them: after a GEMM, OpenBLAS's
worker thread spins for ~0.1 s (2^28 cycles, OPENBLAS_THREAD_TIMEOUT; minitransformer's import now sets 2^22
unless the variable is set) before it sleeps, and without the pause it spun through torch's next step and took a
core from it (torch's lesson step: 58 ms alone, ~120 ms right after ours, which made ours look 0.8x torch
instead of ~1.6x).

Prints per config: median step time of each side, the ratio ours / torch (target <= 1.5 on the base config), and
peak memory: for ours the tracemalloc peak of one step (NumPy reports its buffers to tracemalloc), and for both
the growth of the process's max RSS over the first step (which also allocates AdamW's two moment buffers per
parameter), measured in a fresh child process per side. Without torch it times ours alone.

Run it on a quiet machine (it prints the load average first). Under load the two sides stop comparing code:
ours falls back to one thread when its threads wait for cores (kernels/cpu/threads.py), torch keeps its two
(with one other busy process on the 2 cores torch's lesson step went from 100 ms to ~1200 ms); the ratio then
says more about thread policies. bench/threads_under_load.py measures ours under load.
"""
import argparse
import importlib.util
import json
import os
import pathlib
import resource
import subprocess
import sys
import time
import tracemalloc

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# minitransformer before NumPy, as the CLI does: its import sets OpenBLAS's thread timeout (see its __init__), which
# OpenBLAS reads only when NumPy loads it, so this times what a user of the package gets.
import minitransformer as mt  # noqa: E402,I100
import numpy as np  # noqa: E402,I100
from minitransformer.models import TransformerClassifier  # noqa: E402
from minitransformer.optim import AdamW  # noqa: E402

# Copied from ../shared/bench/torch_reference.py so this runs without it.
CONFIGS = {
    "lesson": dict(vocab=4000, d=128, heads=4, layers=2, ff=512, seq=64, batch=32, classes=2),
    "base": dict(vocab=8000, d=256, heads=4, layers=4, ff=1024, seq=128, batch=32, classes=2),
}
LR = 1e-3  # AdamW's other settings at their defaults on both sides, as the reference


def torch_reference():
    """The reference module from ../shared/bench (imported by path), or None when it or torch is missing."""
    path = REPO.parent / "shared" / "bench" / "torch_reference.py"
    if not path.exists() or importlib.util.find_spec("torch") is None:
        return None
    spec = importlib.util.spec_from_file_location("torch_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # sets torch to 2 threads
    return module


def batch(c, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, c["vocab"], size=(c["batch"], c["seq"]))  # no pad id: every position is real
    return ids, rng.integers(0, c["classes"], size=c["batch"])


def our_step_fn(c):
    mt.manual_seed(0)
    model = TransformerClassifier(c["vocab"], c["classes"], d_model=c["d"], num_heads=c["heads"],
                                  num_layers=c["layers"], d_ff=c["ff"], max_len=c["seq"], dropout=0.0)
    ids, labels = batch(c)
    ids, labels = mt.tensor(ids), mt.tensor(labels)
    opt = AdamW(model.parameters(), lr=LR)

    def step():
        loss = model(ids, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss.item()
    return step


def torch_step_fn(ref, c):
    import torch
    torch.manual_seed(0)
    model = ref.Classifier(c)
    opt = torch.optim.AdamW(model.parameters(), lr=LR)
    ids, labels = (torch.tensor(a) for a in batch(c))
    mask = torch.ones_like(ids, dtype=torch.bool)

    def step():
        loss = torch.nn.functional.cross_entropy(model(ids, mask), labels)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss.item()
    return step


def maxrss_mb():
    """This process's peak RSS. VmHWM first: ru_maxrss is inherited from the parent across fork + exec, so a
    child started by a big parent would report the parent's peak."""
    try:
        for line in pathlib.Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def memory_child(side, name):
    """Run in a fresh process: max-RSS growth over the first step (and ours' tracemalloc peak)."""
    c = CONFIGS[name]
    step = our_step_fn(c) if side == "ours" else torch_step_fn(torch_reference(), c)
    before = maxrss_mb()
    step()
    result = {"rss_growth_mb": maxrss_mb() - before}
    if side == "ours":
        tracemalloc.start()
        step()
        result["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2 ** 20
        tracemalloc.stop()
    print(json.dumps(result))


def child_memory(side, name):
    out = subprocess.run([sys.executable, __file__, "--memory", side, name], capture_output=True, text=True)
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


PAUSE = 0.2  # seconds between the two sides, so neither runs beside the other's still-spinning BLAS threads


def timed(step):
    time.sleep(PAUSE)
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--configs", default="lesson,base")
    parser.add_argument("--memory", nargs=2, metavar=("SIDE", "CONFIG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory:
        return memory_child(*args.memory)
    ref = torch_reference()
    print(f"NumPy {np.__version__}; torch {'not available: ours alone' if ref is None else ref.torch.__version__}; "
          f"load average {os.getloadavg()[0]:.2f} (should be ~0 for honest numbers)")
    for name in args.configs.split(","):
        c = CONFIGS[name]
        ours = our_step_fn(c)
        theirs = torch_step_fn(ref, c) if ref else None
        for _ in range(2):  # warm up: first-touch allocations, BLAS thread start
            ours()
            theirs and theirs()
        t_ours, t_torch = [], []
        for _ in range(args.repeats):
            t_ours.append(timed(ours))
            if theirs:
                t_torch.append(timed(theirs))
        mine = float(np.median(t_ours))
        line = f"{name:7s} {json.dumps(c)}\n  ours  {mine * 1e3:8.1f} ms/step"
        mem = child_memory("ours", name)
        line += f"   peak: tracemalloc {mem.get('tracemalloc_peak_mb', float('nan')):.0f} MB, " \
                f"RSS growth {mem.get('rss_growth_mb', float('nan')):.0f} MB"
        if theirs:
            other = float(np.median(t_torch))
            tmem = child_memory("torch", name)
            line += f"\n  torch {other * 1e3:8.1f} ms/step   peak: RSS growth " \
                    f"{tmem.get('rss_growth_mb', float('nan')):.0f} MB\n  ratio ours/torch {mine / other:.2f}" \
                    + ("  (target <= 1.5)" if name == "base" else "")
        print(line, flush=True)


if __name__ == "__main__":
    main()
