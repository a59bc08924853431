"""The row-block thread pool gives exactly what the whole-array computation gives (arrays large enough to split)."""
import numpy as np
import pytest

import minitransformer as mt
import minitransformer.functional as F
from minitransformer.ops import parallel
from minitransformer.ops.parallel import rowwise

SHAPE = (3, 97, 1031)  # > 2 blocks of 64K elements, rows not a multiple of the block: a ragged last block


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
        if rows is not None and rows.shape[0] < 63:  # only the ragged last block
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
