"""The GPU's kernels (minitransformer/kernels/cuda): registered under the names and signatures of the reference
kernels and picked by the dispatch only for CuPy arrays (checked on any machine, with a stand-in array type); on a
machine with CuPy and a GPU, each equals its reference, float32 and float64. A student copy has no such package."""
import inspect
import math
import sys

import numpy as np
import pytest

import minitransformer as mt
from minitransformer import kernels
from minitransformer.kernels import dispatch
from minitransformer.kernels import optim as reference_optim

cuda = pytest.importorskip("minitransformer.kernels.cuda", reason="no fast kernels in this copy (a student copy)")
from conftest import CUDA  # noqa: E402

REFERENCES = {name: getattr(kernels, name) for name in dir(kernels) if hasattr(getattr(kernels, name), "reference")}


def test_the_package_imports_without_cupy_and_compiles_nothing_at_import():
    if "cupy" not in sys.modules:  # on a machine without CuPy: importing the package did not need it
        assert all(callable(f) for f in cuda.KERNELS.values())


@pytest.mark.parametrize("name", sorted(cuda.KERNELS))
def test_each_gpu_kernel_stands_for_a_reference_kernel_with_its_signature(name):
    assert name in REFERENCES, f"{name}: no reference kernel of that name"
    ours = inspect.signature(cuda.KERNELS[name]).parameters
    theirs = inspect.signature(REFERENCES[name].reference).parameters
    assert list(ours) == list(theirs)
    assert [p.default for p in ours.values()] == [p.default for p in theirs.values()]


def test_the_dispatch_picks_them_for_cupy_arrays_only(monkeypatch):
    """A stand-in class from a module named cupy gets the GPU's table; NumPy and strict arrays never do."""
    FakeCupyArray = type("ndarray", (), {"__module__": "cupy"})
    monkeypatch.setattr(dispatch, "_tables", {})
    assert dispatch.fast_kernels(FakeCupyArray) is cuda.KERNELS
    called = []
    monkeypatch.setitem(cuda.KERNELS, "softmax_forward", lambda x, axis=-1: called.append(axis) or "gpu")
    assert kernels.softmax_forward(FakeCupyArray(), axis=-1) == "gpu" and called == [-1]
    monkeypatch.setitem(cuda.KERNELS, "total_norm", lambda grads, norm_type: "gpu norm")
    assert kernels.total_norm([FakeCupyArray()], 2.0) == "gpu norm"  # a list argument: its first array decides
    with mt.use_reference_kernels():  # forced reference: the GPU's version is not called
        with pytest.raises(Exception):
            kernels.softmax_forward(FakeCupyArray())
    assert called == [-1]
    x = np.ones((2, 3), np.float32)
    assert dispatch.fast_kernels(np.ndarray) is not cuda.KERNELS
    assert dispatch.fast_kernels(type(mt.tensor(x, device="strict").data)) == {}


# ---------------------------------------------------------------- on a GPU: each equals its reference
gpu = pytest.mark.skipif(not CUDA, reason="CuPy with a CUDA device is not available")
TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}


def cases(rng, dtype):
    """(name, args, kwargs) for every GPU kernel, NumPy arrays (moved to the GPU by the test)."""
    x = rng.standard_normal((4, 5, 33)).astype(dtype) * 3
    y = np.exp(x - x.max(-1, keepdims=True))
    y /= y.sum(-1, keepdims=True)
    dy = rng.standard_normal(x.shape).astype(dtype)
    logits, target = rng.standard_normal((9, 6)).astype(dtype), rng.integers(0, 6, 9)
    keep_rows = (rng.random(9) > 0.3).astype(dtype)
    weight = rng.random(6).astype(dtype) + 0.5
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    w, b = rng.standard_normal(33).astype(dtype), rng.standard_normal(33).astype(dtype)
    xhat = (x - x.mean(-1, keepdims=True)) / x.std(-1, keepdims=True)
    rstd = 1 / x.std(-1, keepdims=True)
    q, k, v = (rng.standard_normal((2, 3, 7, 8)).astype(dtype) for _ in range(3))
    keep = rng.random((2, 1, 1, 7)) > 0.3
    keep[0, ..., :] = False  # a row with every key dropped
    p = kernels.attention_weights.reference(q, k, keep, 0.35)
    u = rng.random(x.shape).astype(dtype)
    grads = [rng.standard_normal(s).astype(dtype) for s in ((3, 4), (5,), (2, 2, 2))]
    out = [("softmax_forward", (x,), {}), ("log_softmax_forward", (x,), {}), ("softmax_backward", (y, dy), {}),
           ("log_softmax_backward", (np.log(y), dy), {}), ("softmax_forward", (x, 1), {}),
           ("layer_norm_forward", (x, w, b, 1e-5), {}), ("layer_norm_forward", (x, None, None, 1e-12), {}),
           ("layer_norm_backward", (dy, xhat, rstd, w), {}), ("layer_norm_backward", (dy, xhat, rstd, None), {}),
           ("gelu_forward", (x,), {}), ("gelu_forward", (x, "tanh"), {}), ("dropout_forward", (x, u, 0.3), {}),
           ("dropout_mask", (u, 0.1), {}), ("erf", (x,), {}), ("normal_cdf", (x,), {}),
           ("attention_weights", (q, k, keep, 0.35), {}), ("attention_weights", (q, k, None, 0.35), {}),
           ("attention_backward", (q, k, v, p, keep, 0.35, dy[:2, :3, :7, :8].copy()), {}),
           ("total_norm", (grads, 2.0), {}), ("total_norm", (grads, math.inf), {}), ("total_norm", (grads, 1.0), {})]
    for approximate in ("none", "tanh"):
        saved = kernels.gelu_forward.reference(x, approximate)[1]
        out.append(("gelu_backward", (x, saved, dy, approximate), {}))
    for smoothing in (0.0, 0.1):
        for wt in (None, weight):
            out.append(("cross_entropy_forward", (logits, target, keep_rows, smoothing, wt), {}))
            out.append(("cross_entropy_backward", (logp, target, keep_rows, smoothing, wt, keep_rows * 2), {}))
    return out


def _to(value, xp):
    if isinstance(value, np.ndarray):
        return xp.asarray(value)
    if isinstance(value, list):
        return [_to(v, xp) for v in value]
    return value


def _host(value):
    if value is None:
        return None
    if isinstance(value, tuple):
        return tuple(_host(v) for v in value)
    return np.asarray(value.get() if hasattr(value, "get") else value)


@gpu
@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_each_gpu_kernel_equals_its_reference(dtype):
    import cupy
    for name, args, kwargs in cases(np.random.default_rng(0), dtype):
        want = _host(REFERENCES[name].reference(*args, **kwargs))
        got = _host(cuda.KERNELS[name](*_to(list(args), cupy), **kwargs))
        for a, b in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
            if b is not None:
                np.testing.assert_allclose(a, b, err_msg=name, **TOL[dtype])


@gpu
@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_gpu_adamw_update_equals_the_reference(dtype):
    import cupy
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(1000).astype(dtype) for _ in range(3)] + [rng.random(1000).astype(dtype)]
    arrays[1][:3] = [np.inf, np.nan, 1e20]  # nan and inf where torch puts them
    host = [a.copy() for a in arrays]
    device = [cupy.asarray(a) for a in arrays]
    for step in (1, 2):
        reference_optim.adamw_step.reference(host[0], host[1], host[2], host[3], step, 1e-3, 0.9, 0.999, 1e-8, 0.01,
                                             np.empty_like(host[0]))
        cuda.KERNELS["adamw_step"](device[0], device[1], device[2], device[3], step, 1e-3, 0.9, 0.999, 1e-8, 0.01,
                                   None)
    for a, b in zip(device, host):
        np.testing.assert_allclose(a.get(), b, equal_nan=True, **TOL[dtype])
