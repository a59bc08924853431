"""Forward + backward time of the fused ops against PyTorch on the base config's shapes (B=32, T=128, d=256,
4 heads, d_ff=1024). Run with a Python that has torch, e.g. the reference venv, and for honest NumPy matmul
numbers without the forced Haswell kernels:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv-ci-reference/bin/python bench/ops_speed.py
Prints one line per op: our median, torch's median, and the ratio (ours / torch)."""
import pathlib
import sys
import time

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # this checkout, from any Python
import minitransformer as mt  # noqa: E402
import minitransformer.functional as F  # noqa: E402

torch.set_num_threads(2)
B, T, D, H, FF, V, C = 32, 128, 256, 4, 1024, 8000, 2
rng = np.random.default_rng(0)


def median_time(step, repeats=10):
    step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def ours(fn, *arrays):
    def step():
        leaves = [mt.tensor(a, requires_grad=a.dtype.kind == "f") if a.dtype.kind == "f" else a for a in arrays]
        out = fn(*leaves)
        out.backward(np.ones(out.shape, dtype=np.float32))
    return median_time(step)


def theirs(fn, *arrays):
    def step():
        leaves = [torch.tensor(a, requires_grad=a.dtype.kind == "f") if a.dtype.kind == "f" else torch.tensor(a)
                  for a in arrays]
        out = fn(*leaves)
        out.backward(torch.ones_like(out))
    return median_time(step)


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


keep = np.ones((B, T), dtype=bool)
keep[:, 100:] = False
CASES = {
    "softmax (B,H,T,T)": (lambda x: F.softmax(x), lambda x: torch.softmax(x, -1), [f32(B, H, T, T)]),
    "log_softmax (B*T,V)": (lambda x: F.log_softmax(x), lambda x: torch.log_softmax(x, -1), [f32(B * 8, V)]),
    "layer_norm (B,T,D)": (lambda x, w, b: F.layer_norm(x, D, w, b),
                           lambda x, w, b: torch.nn.functional.layer_norm(x, (D,), w, b),
                           [f32(B, T, D), f32(D), f32(D)]),
    "gelu (B,T,FF)": (lambda x: F.gelu(x), lambda x: torch.nn.functional.gelu(x), [f32(B, T, FF)]),
    "linear (B,T,D)->(B,T,FF)": (lambda x, w, b: F.linear(x, w, b), lambda x, w, b: torch.nn.functional.linear(x, w, b),
                                 [f32(B, T, D), f32(FF, D), f32(FF)]),
    "attention (B,H,T,d) masked": (
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, F.padding_mask(keep))[0],
        lambda q, k, v: torch.softmax((q @ k.transpose(-1, -2) / 8.0).masked_fill(
            ~torch.tensor(keep)[:, None, None, :], -1e9), -1) @ v,
        [f32(B, H, T, D // H) for _ in range(3)]),
}

if __name__ == "__main__":
    for name, (mine, torch_fn, arrays) in CASES.items():
        a, b = ours(mine, *arrays), theirs(torch_fn, *arrays)
        print(f"{name:30s} ours {a * 1e3:7.2f} ms   torch {b * 1e3:7.2f} ms   ratio {a / b:5.2f}")
    logits, labels = f32(B * T, C), rng.integers(0, C, B * T)
    a = ours(lambda x: F.cross_entropy(x, labels), logits)
    b = theirs(lambda x: torch.nn.functional.cross_entropy(x, torch.tensor(labels)), logits)
    print(f"{'cross_entropy (B*T,2)':30s} ours {a * 1e3:7.2f} ms   torch {b * 1e3:7.2f} ms   ratio {a / b:5.2f}")
