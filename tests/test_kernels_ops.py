"""The fused ops give the same values and gradients on the fast kernels as on the reference kernels, at sizes on
both sides of the thresholds; a stubbed reference kernel fails at every size (the fast ones run it on their
blocks); the row-block machinery and the padding-mask plan on their own."""
import math

import numpy as np
import pytest

import minitransformer as mt
import minitransformer.functional as F
from minitransformer import kernels

cpu = pytest.importorskip("minitransformer.kernels.cpu", reason="no fast kernels in this copy (a student copy)")
from minitransformer.kernels.cpu import threads  # noqa: E402
from minitransformer.kernels.cpu.attention import prefix_lengths  # noqa: E402

SMALL_BLOCK = 1 << 12
TOL = {"float64": dict(rtol=1e-11, atol=1e-12), "float32": dict(rtol=2e-5, atol=3e-6)}


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    monkeypatch.setattr(threads, "BLOCK", SMALL_BLOCK)


def attention(t, mask):
    B, T, d = t.shape
    q = t.reshape(B, T, 2, d // 2).permute(0, 2, 1, 3)  # (B, 2, T, d/2)
    keep = F.padding_mask(np.arange(T)[None, :] < np.linspace(T, 1, B).astype(int)[:, None]) if mask else None
    return F.scaled_dot_product_attention(q, q * 0.5, q.tanh(), mask=keep)[0]


OPS = {
    "softmax": lambda t: F.softmax(t),
    "softmax_axis0": lambda t: F.softmax(t, axis=0),
    "log_softmax": lambda t: F.log_softmax(t),
    "cross_entropy": lambda t: F.cross_entropy(t.reshape(-1, t.shape[-1]),
                                               np.arange(t.shape[0] * t.shape[1]) % t.shape[-1], reduction="none"),
    "layer_norm": lambda t: F.layer_norm(t, t.shape[-1:], t[0, 0] * 0 + 1.5, t[0, 1] * 0.1),
    "layer_norm_2d": lambda t: F.layer_norm(t, t.shape[-2:]),
    "gelu": lambda t: F.gelu(t),
    "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
    "attention": lambda t: attention(t, mask=False),
    "attention_padding": lambda t: attention(t, mask=True),
}


def run(op, x, dy_seed):
    t = mt.tensor(x, requires_grad=True, dtype=x.dtype)
    out = OPS[op](t)
    dy = np.random.default_rng(dy_seed).standard_normal(out.shape).astype(x.dtype)
    out.backward(dy)
    return out.numpy(), t.grad.numpy()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("large", [False, True], ids=["below_threshold", "above_threshold"])
@pytest.mark.parametrize("op", OPS)
def test_op_values_and_gradients_equal_on_fast_and_reference_kernels(op, large, dtype):
    rng = np.random.default_rng(len(op))
    shape = (int(rng.integers(3, 6)), int(rng.integers(50, 80)), 2 * int(rng.integers(35, 60))) if large \
        else (2, int(rng.integers(2, 9)), 2 * int(rng.integers(2, 8)))
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    fast = run(op, x, 1)
    with mt.use_reference_kernels():
        reference = run(op, x, 1)
    for a, b in zip(fast, reference):
        assert a.dtype == b.dtype == np.dtype(dtype)
        np.testing.assert_allclose(a, b, **TOL[dtype])


class Stub(Exception):
    pass


STUBBED = {  # reference kernel -> an op call that reaches it, large enough for every fast path
    "softmax_forward": lambda x: F.softmax(x),
    "softmax_backward": lambda x: F.softmax(x).backward(np.ones(x.shape, np.float32)),
    "log_softmax_forward": lambda x: F.log_softmax(x),
    "log_softmax_backward": lambda x: F.log_softmax(x).backward(np.ones(x.shape, np.float32)),
    "layer_norm_forward": lambda x: F.layer_norm(x, x.shape[-1:]),
    "layer_norm_backward": lambda x: F.layer_norm(x, x.shape[-1:]).backward(np.ones(x.shape, np.float32)),
    "gelu_forward": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_backward": lambda x: F.gelu(x).backward(np.ones(x.shape, np.float32)),
    "attention_weights": lambda x: attention(x, mask=True),
    "attention_forward": lambda x: attention(x, mask=False),
}


@pytest.mark.parametrize("name", STUBBED)
def test_a_stubbed_reference_fails_at_every_size(name, monkeypatch):
    """The fast kernels run the reference on their blocks: replace a reference with a stub and every op that
    needs it fails, however large its input (as in a student copy with that task not done yet)."""
    def stub(*args, **kwargs):
        raise Stub(name)
    monkeypatch.setattr(getattr(kernels, name), "reference", stub)
    for shape in [(2, 3, 8), (6, 120, 256)]:  # below and well above every threshold
        x = mt.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32), requires_grad=True)
        with pytest.raises(Stub, match=name):
            STUBBED[name](x)


def test_rowwise_stitches_blocks_in_order():
    x = np.random.default_rng(0).standard_normal((3, 97, 131)).astype(np.float32)  # ragged last block
    w = np.arange(131, dtype=np.float32)
    y, s = threads.rowwise(lambda rows: (rows * w, rows.sum(axis=-1, keepdims=True)), x)
    np.testing.assert_array_equal(y, x * w)
    np.testing.assert_allclose(s, x.sum(axis=-1, keepdims=True), rtol=1e-5, atol=1e-4)
    assert y.shape == x.shape and s.shape == (3, 97, 1)


def test_rowwise_reraises_an_error_from_any_block():
    x = np.zeros((3, 97, 131), dtype=np.float32)

    def fail_late(rows):
        if rows.shape[0] < SMALL_BLOCK // 131:  # only the ragged last block
            raise ValueError("block failed")
        return (rows,)
    with pytest.raises(ValueError, match="block failed"):
        threads.rowwise(fail_late, x)


def test_prefix_lengths_only_for_padding_masks():
    """The blocked attention skips padded keys only for masks that keep a prefix of the keys of every row."""
    pad = np.arange(8)[None, None, None, :] < np.array([8, 3])[:, None, None, None]  # (2, 1, 1, 8)
    np.testing.assert_array_equal(prefix_lengths(pad, 2, 8), [8, 3])
    np.testing.assert_array_equal(prefix_lengths(pad[:1] & pad[1:], 2, 8), [3, 3])  # (1, 1, 1, 8) for both rows
    assert prefix_lengths(pad[:, :, :, ::-1], 2, 8) is None  # left padding: not a prefix
    assert prefix_lengths(np.tri(8, dtype=bool)[None, None], 1, 8) is None  # varies by query
    assert prefix_lengths(pad & (np.arange(2) == 0)[:, None, None, None], 2, 8) is None  # a row with no key
