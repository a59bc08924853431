"""Every fast CPU kernel equals its reference kernel: values and gradients, float64 and float32, random shapes on
both sides of every size threshold (row blocks, blocked attention); and each runs the reference on its blocks,
so a stubbed reference fails at every size. A student copy has no fast kernels: there these tests skip."""
import math

import numpy as np
import pytest

import minitransformer as mt
import minitransformer.functional as F
from minitransformer import kernels
from minitransformer.kernels import dispatch

cpu = pytest.importorskip("minitransformer.kernels.cpu", reason="no fast kernels in this copy (a student copy)")
from minitransformer.kernels.cpu import threads  # noqa: E402
from minitransformer.kernels.cpu.attention import prefix_lengths  # noqa: E402

SMALL_BLOCK = 1 << 12  # the tests' block: rowwise splits above 2 * SMALL_BLOCK elements
TOL = {np.float64: dict(rtol=1e-12, atol=1e-13), np.float32: dict(rtol=1e-5, atol=2e-6)}


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    monkeypatch.setattr(threads, "BLOCK", SMALL_BLOCK)


def shapes(rng, large):
    """A random (.., rows, n) shape below 2 * SMALL_BLOCK elements, or above it with a ragged last block."""
    if not large:
        return (int(rng.integers(1, 4)), int(rng.integers(2, 30)), int(rng.integers(2, 60)))
    return (int(rng.integers(2, 5)), int(rng.integers(40, 90)), int(rng.integers(61, 200)))


def rowwise_cases(rng, shape, dtype):
    """name -> list of (args, kwargs) for each row-wise kernel, on arrays of `shape`."""
    x = rng.standard_normal(shape).astype(dtype) * 3
    dy = rng.standard_normal(shape).astype(dtype)
    w, b = (rng.standard_normal(shape[-1]).astype(dtype) for _ in range(2))
    y = kernels.softmax_forward.reference(x, -1)
    logp = kernels.log_softmax_forward.reference(x, -1)
    _, xhat, rstd = kernels.layer_norm_forward.reference(x, w, b, 1e-5)
    cdf = kernels.gelu_forward.reference(x, "none")[1]
    th = kernels.gelu_forward.reference(x, "tanh")[1]
    return {
        "softmax_forward": [((x, -1), {}), ((x, 0), {})],
        "softmax_backward": [((y, dy, -1), {})],
        "log_softmax_forward": [((x, -1), {})],
        "log_softmax_backward": [((logp, dy, -1), {})],
        "layer_norm_forward": [((x, w, b, 1e-5), {}), ((x, None, None, 1e-5), {}), ((x, w, b, 1e-5), {"save": False})],
        "layer_norm_backward": [((dy, xhat, rstd, w), {}), ((dy, xhat, rstd, None), {})],
        "gelu_forward": [((x, "none"), {}), ((x, "tanh"), {}), ((x, "none"), {"save": False})],
        "gelu_backward": [((x, cdf, dy, "none"), {}), ((x, th, dy, "tanh"), {})],
        "sum_over": [((x, -1), {}), ((x, 0), {}), ((x.astype(np.float16), -1), {})],
        "mean_over": [((x, -1), {}), ((x, 0), {}), ((x.astype(np.float16), -1), {})],
        "erf": [((x,), {})],
        "normal_cdf": [((x,), {})],
    }


def assert_same(fast, reference, dtype, atol=0.0):
    fast = fast if isinstance(fast, tuple) else (fast,)
    reference = reference if isinstance(reference, tuple) else (reference,)
    assert len(fast) == len(reference)
    for a, b in zip(fast, reference):
        assert a.shape == b.shape and a.dtype == b.dtype
        tolerance = TOL.get(a.dtype.type, dict(rtol=1e-3, atol=1e-3))  # float16: sums of a few hundred terms
        np.testing.assert_allclose(a, b, rtol=tolerance["rtol"], atol=max(tolerance["atol"], atol))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("large", [False, True], ids=["below_threshold", "above_threshold"])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", sorted(rowwise_cases(np.random.default_rng(0), (2, 3), np.float64)))
def test_rowwise_kernel_equals_its_reference(name, seed, large, dtype):
    rng = np.random.default_rng(seed)
    shape = shapes(rng, large)
    assert (math.prod(shape) > 2 * SMALL_BLOCK) == large
    for args, kwargs in rowwise_cases(rng, shape, dtype)[name]:
        fast = cpu.KERNELS[name](*args, **kwargs)
        # a sum of n float32 terms of size ~3, added in another order: rounding up to ~n * 3 * 2^-24 apart
        atol = shape[-1] * 3 * 2.0 ** -24 * 4 if name == "sum_over" and dtype == np.float32 else 0.0
        assert_same(fast, getattr(kernels, name).reference(*args, **kwargs), dtype, atol)


def attention_inputs(rng, B, H, T, d, dtype, mask, dropout):
    q, k, v = (rng.standard_normal((B, H, T, d)).astype(dtype) for _ in range(3))
    lengths = rng.integers(1, T + 1, size=B)
    keep = {"none": None,
            "padding": np.arange(T)[None, None, None, :] < lengths[:, None, None, None],  # (B, 1, 1, T)
            "shared_padding": np.arange(T)[None, None, None, :] < lengths[0],  # (1, 1, 1, T)
            "left_padding": np.arange(T)[None, None, None, :] >= T - lengths[:, None, None, None],
            "causal": np.tri(T, dtype=bool),  # (T, T)
            "per_query": rng.random((B, 1, T, T)) < 0.7,
            "all_masked_row": np.ones((B, 1, T, T), dtype=bool)}[mask]
    if mask == "all_masked_row":
        keep[B - 1, 0, T // 2] = False  # every key dropped for one query: uniform weights, no NaN
    drop = None
    if dropout:
        drop = (rng.random((B, H, T, T)) >= 0.1).astype(dtype) / dtype(0.9)
    return q, k, v, keep, 1 / math.sqrt(d), drop


MASKS = ["none", "padding", "shared_padding", "left_padding", "causal", "per_query", "all_masked_row"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("large", [False, True], ids=["below_threshold", "above_threshold"])
@pytest.mark.parametrize("mask", MASKS)
@pytest.mark.parametrize("dropout", [False, True])
def test_blocked_attention_equals_the_reference(mask, large, dtype, dropout):
    rng = np.random.default_rng(MASKS.index(mask))
    B, H = int(rng.integers(2, 4)), int(rng.integers(2, 4) if large else rng.integers(1, 4))
    T = int(rng.integers(50, 80)) if large else int(rng.integers(3, 20))
    args = attention_inputs(rng, B, H, T, int(rng.integers(4, 24)), dtype, mask, dropout)
    assert (B * H * T * T > 2 * SMALL_BLOCK) == large
    fast = cpu.KERNELS["attention_forward"](*args)
    assert all(a.dtype == dtype for a in fast)
    assert_same(fast, kernels.attention_forward.reference(*args), dtype)
    assert np.isfinite(fast[0]).all() and np.isfinite(fast[1]).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [1000, 3 * (1 << 17) + 77], ids=["one block", "blocks"])
def test_optimizer_updates_by_blocks_equal_the_reference_to_the_bit(size, dtype):
    """Elementwise: a block is the reference on a slice. AdamW and SGD (momentum, Nesterov, decay), several steps."""
    from minitransformer.kernels.cpu import optim as fast
    rng = np.random.default_rng(0)
    start = [rng.standard_normal(size).astype(dtype) for _ in range(3)] + [rng.random(size).astype(dtype)]  # v >= 0
    runs = []
    for adamw, sgd in ((fast.adamw_step, fast.sgd_step),
                       (kernels.optim.adamw_step.reference, kernels.optim.sgd_step.reference)):
        p, g, m, v = (a.copy() for a in start)
        q, buf, scratch = start[0].copy(), None, np.empty_like(p)
        for step in (1, 2, 3):
            adamw(p, g * step, m, v, step, 1e-2, 0.9, 0.999, 1e-8, 0.1, scratch)
            buf = sgd(q, g * step, buf, 0.1, 0.9, 0.0, 0.01, True, scratch)
        runs.append((p, m, v, q, buf))
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_every_fast_kernel_is_tested_here():
    tested = set(rowwise_cases(np.random.default_rng(0), (2, 3), np.float64)) | {"attention_forward", "adamw_step",
                                                                                 "sgd_step"}
    assert set(cpu.KERNELS) == tested, "a fast kernel without its equality test"
