"""The row-block thread pool gives exactly what the whole-array computation gives (arrays large enough to split)."""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import minitransformer as mt
import minitransformer.functional as F
from minitransformer.ops import parallel
from minitransformer.ops.parallel import rowwise

SHAPE = (3, 97, 1031)  # many blocks of SMALL elements, rows not a multiple of the block: a ragged last block
SMALL = 1 << 14  # block size for these tests, so they split however large the default block is


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    monkeypatch.setattr(parallel, "BLOCK", SMALL)


def test_rowwise_stitches_blocks_in_order_with_shared_arguments():
    x = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    w = np.arange(SHAPE[-1], dtype=np.float32)
    y, s = rowwise(lambda rows, weight: (rows * weight, rows.sum(axis=-1, keepdims=True)), x, shared=(w,))
    np.testing.assert_array_equal(y, x * w)
    np.testing.assert_allclose(s, x.sum(axis=-1, keepdims=True), rtol=1e-5, atol=1e-4)
    assert y.shape == SHAPE and s.shape == SHAPE[:-1] + (1,)


def test_rowwise_reraises_an_error_from_any_block():
    x = np.zeros(SHAPE, dtype=np.float32)

    def fail_late(rows):
        if rows is not None and rows.shape[0] < SMALL // SHAPE[-1]:  # only the ragged last block
            raise ValueError("block failed")
        return (rows,)
    with pytest.raises(ValueError, match="block failed"):
        rowwise(fail_late, x)


@pytest.mark.parametrize("op", ["gelu", "gelu_tanh", "softmax", "layer_norm", "attention"])
def test_parallel_ops_match_one_thread(op, monkeypatch):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(SHAPE).astype(np.float32)
    dy = rng.standard_normal(SHAPE).astype(np.float32)
    w, b = rng.standard_normal(SHAPE[-1]).astype(np.float32), rng.standard_normal(SHAPE[-1]).astype(np.float32)

    def run():
        t = mt.tensor(x, requires_grad=True)
        if op == "gelu":
            out = F.gelu(t)
        elif op == "gelu_tanh":
            out = F.gelu(t, approximate="tanh")
        elif op == "softmax":
            out = F.softmax(t)
        elif op == "layer_norm":
            out = F.layer_norm(t, (SHAPE[-1],), mt.tensor(w), mt.tensor(b))
        else:
            q = t.reshape(3, 97, 1031)[:, None, :, :64]  # (B, 1, T, 64)
            out = F.scaled_dot_product_attention(q, q, q)[0]
        out.backward(np.ones(out.shape, np.float32) if op == "attention" else dy)
        return out.numpy(), t.grad.numpy()

    many = run()
    monkeypatch.setattr(parallel, "BLOCK", 1 << 40)  # one block: the plain whole-array computation
    one = run()
    for a, b_ in zip(many, one):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b_, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mask", ["none", "padding", "shared_padding", "left_padding", "causal", "per_query",
                                  "all_masked_row"])
@pytest.mark.parametrize("heads", [True, False])
def test_blocked_attention_matches_whole_array(mask, heads, monkeypatch):
    """Attention big enough for the blocked path (one job per batch row and query slice) gives what the
    whole-array computation gives, for every mask shape that broadcasts, with and without a heads axis."""
    rng = np.random.default_rng(2)
    B, H, T, d = 3, 4, 90, 48  # 90 queries: a ragged last slice of rows
    shape = (B, H, T, d) if heads else (B, T, d)
    q, k, v = (rng.standard_normal(shape).astype(np.float32) for _ in range(3))
    keep = {"none": None,
            "padding": np.arange(T)[None, None, None, :] < np.array([T, 50, 7])[:, None, None, None],  # (B,1,1,T)
            "shared_padding": np.arange(T)[None, None, None, :] < 61,  # (1, 1, 1, T): one length for every row
            "left_padding": np.arange(T)[None, None, None, :] >= np.array([0, 40, 83])[:, None, None, None],
            "causal": np.tri(T, dtype=bool),  # (T, T)
            "per_query": rng.random((B, 1, T, T)) < 0.7,
            "all_masked_row": np.ones((B, 1, T, T), dtype=bool)}[mask]
    if mask == "all_masked_row":
        keep[1, 0, 5] = False  # every key masked for one query: uniform weights, no NaN
    if keep is not None and not heads:
        keep = keep.reshape(keep.shape[-2:]) if keep.ndim == 2 else keep[:, 0]

    def run():
        leaves = [mt.tensor(a, requires_grad=True) for a in (q, k, v)]
        out, weights = F.scaled_dot_product_attention(*leaves, mask=keep)
        out.backward(np.ones(out.shape, np.float32))
        return [out.numpy(), weights.numpy()] + [t.grad.numpy() for t in leaves]

    monkeypatch.setattr(parallel, "BLOCK", 1 << 12)  # smaller still: the blocked path, many jobs
    many = run()
    monkeypatch.setattr(parallel, "BLOCK", 1 << 40)
    one = run()
    for a, b_ in zip(many, one):
        assert np.isfinite(a).all()
        np.testing.assert_allclose(a, b_, rtol=1e-5, atol=1e-6)


def test_prefix_lengths_only_for_padding_masks():
    """The blocked path skips padded keys only for masks that keep a prefix of the keys of every row."""
    from minitransformer.ops.attention import prefix_lengths
    pad = np.arange(8)[None, None, None, :] < np.array([8, 3])[:, None, None, None]  # (2, 1, 1, 8)
    np.testing.assert_array_equal(prefix_lengths(pad, 2, 8), [8, 3])
    np.testing.assert_array_equal(prefix_lengths(pad[:1] & pad[1:], 2, 8), [3, 3])  # (1, 1, 1, 8) for both rows
    assert prefix_lengths(pad[:, :, :, ::-1], 2, 8) is None  # left padding: not a prefix
    assert prefix_lengths(np.tri(8, dtype=bool)[None, None], 1, 8) is None  # varies by query
    assert prefix_lengths(pad & (np.arange(2) == 0)[:, None, None, None], 2, 8) is None  # a row with no key


def test_import_before_numpy_shortens_openblas_spin_unless_set():
    """minitransformer sets OPENBLAS_THREAD_TIMEOUT (read by OpenBLAS when NumPy loads) only when NumPy is not
    loaded yet, and never over a value the user set."""
    code = "import {}; import os; print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'))"
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    root = str(pathlib.Path(__file__).resolve().parents[1])

    def run(modules, **extra):
        return subprocess.run([sys.executable, "-c", code.format(modules)], env={**env, **extra}, cwd=root,
                              capture_output=True, text=True, check=True).stdout.strip()
    assert run("minitransformer") == "22"
    assert run("numpy, minitransformer") == "None"  # too late to matter: left alone
    assert run("minitransformer", OPENBLAS_THREAD_TIMEOUT="28") == "28"
