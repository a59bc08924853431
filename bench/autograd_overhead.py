"""Autograd overhead: forward + backward of a 1,000-op chain of small (16, 16) tensors, in microseconds per op.

With tensors this small the arithmetic is nearly free, so the time is the framework's own bookkeeping: making
Function objects, wrapping outputs, recording the graph, the topological sort and the backward dispatch.
PyTorch (when importable) runs the same chain; the two are timed interleaved, rep by rep, so a neighbour's load
on this shared machine hits both alike, and medians are reported.

    python bench/autograd_overhead.py [--ops 1000] [--reps 15]
    .venv-ci-reference/bin/python bench/autograd_overhead.py      # the venv that has torch
"""
import argparse
import pathlib
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # this checkout, from any Python
import minitransformer as mt  # noqa: E402


def chain(h, w, b, c, n_ops):
    """n_ops ops cycling add, mul, tanh, matmul; the operands are reused, the activations are new."""
    for i in range(n_ops):
        k = i % 4
        if k == 0:
            h = h + b
        elif k == 1:
            h = h * c
        elif k == 2:
            h = h.tanh()
        else:
            h = h @ w
    return h.sum()  # one more op, the scalar that backward starts from


def make_inputs(module, rng, **kwargs):
    """x, w, b, c as leaves requiring grad, in float32 (w scaled so the chain neither explodes nor dies)."""
    arrays = [rng.standard_normal((16, 16)), rng.standard_normal((16, 16)) / 4,
              rng.standard_normal((16, 16)), 1 + rng.standard_normal((16, 16)) / 10]
    return [module.tensor(a.astype(np.float32), requires_grad=True, **kwargs) for a in arrays]


def time_once(module, inputs, n_ops):
    start = time.perf_counter()
    loss = chain(*inputs, n_ops)
    loss.backward()
    elapsed = time.perf_counter() - start
    for t in inputs:
        t.grad = None
    return elapsed / (n_ops + 1) * 1e6  # microseconds per op, forward and backward together


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=15)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    ours_inputs = make_inputs(mt, rng)
    try:
        import torch
        torch.set_num_threads(1)  # 16x16 tensors never use more; one thread is steadier on a shared machine
        torch_inputs = [torch.tensor(t.numpy(), requires_grad=True) for t in ours_inputs]
    except ImportError:
        torch = None
    ours, theirs = [], []
    for rep in range(args.reps + 2):  # two warm-up reps, not counted
        a = time_once(mt, ours_inputs, args.ops)
        b = time_once(torch, torch_inputs, args.ops) if torch else None
        if rep >= 2:
            ours.append(a)
            if torch:
                theirs.append(b)
    mine = statistics.median(ours)
    print(f"chain of {args.ops} ops on (16, 16) float32, forward + backward, median of {args.reps} interleaved reps")
    print(f"minitransformer  {mine:7.2f} us/op   (min {min(ours):.2f}, max {max(ours):.2f})")
    if torch:
        ref = statistics.median(theirs)
        print(f"torch {torch.__version__:<10} {ref:7.2f} us/op   (min {min(theirs):.2f}, max {max(theirs):.2f})")
        print(f"ratio minitransformer / torch: {mine / ref:.2f}x  (target <= 2x)")
    else:
        print("torch not importable: run with the interpreter of a venv that has torch for the comparison")


if __name__ == "__main__":
    main()
