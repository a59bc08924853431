"""scaled_dot_product_attention and the mask helpers: values against a NumPy formula, masks, gradients."""
import numpy as np
import pytest

import minitransformer as mt
import minitransformer.functional as F


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def np_attention(q, k, v, keep=None):
    scores = q @ k.swapaxes(-1, -2) / np.sqrt(q.shape[-1])
    if keep is not None:
        scores = np.where(keep, scores, -np.inf)
    w = np.exp(scores - scores.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    return w @ v, w


def qkv(device, B=2, H=2, T=4, d=3, dtype="float64"):
    return [mt.tensor(rand(B, H, T, d, seed=s), device=device, dtype=dtype) for s in range(3)]


@pytest.mark.t2_5
def test_attention_matches_formula_and_rows_sum_to_one(device):
    q, k, v = qkv(device)
    out, weights = F.scaled_dot_product_attention(q, k, v)
    expected_out, expected_w = np_attention(q.numpy(), k.numpy(), v.numpy())
    np.testing.assert_allclose(out.numpy(), expected_out, rtol=1e-10)
    np.testing.assert_allclose(weights.numpy(), expected_w, rtol=1e-10)
    np.testing.assert_allclose(weights.numpy().sum(-1), 1.0, rtol=1e-12)
    assert not weights.requires_grad  # weights are for looking at, outside the graph


@pytest.mark.t2_5
def test_padding_mask_gives_masked_keys_zero_weight(device):
    q, k, v = qkv(device)
    attention_mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0]])
    keep = F.padding_mask(attention_mask)
    assert keep.shape == (2, 1, 1, 4) and keep.dtype == bool
    out, weights = F.scaled_dot_product_attention(q, k, v, mask=keep)
    w = weights.numpy()
    assert np.all(w[0, :, :, 3] == 0) and np.all(w[1, :, :, 2:] == 0)
    expected_out, _ = np_attention(q.numpy(), k.numpy(), v.numpy(), keep.numpy())
    np.testing.assert_allclose(out.numpy(), expected_out, rtol=1e-10)


@pytest.mark.t2_5
def test_causal_mask(device):
    keep = F.causal_mask(4, device=device)
    np.testing.assert_array_equal(keep.numpy(), np.tril(np.ones((4, 4), dtype=bool)))
    _, weights = F.scaled_dot_product_attention(*qkv(device), mask=keep)
    assert np.all(np.triu(weights.numpy()[0, 0], k=1) == 0)  # no query looks at a later key


@pytest.mark.t2_5
def test_fully_masked_row_is_finite_and_uniform(device):
    q, k, v = qkv(device, dtype="float32")
    keep = F.padding_mask(np.array([[0, 0, 0, 0], [1, 1, 0, 0]]))
    for t in (q, k, v):
        t.requires_grad_()
    out, weights = F.scaled_dot_product_attention(q, k, v, mask=keep)
    out.sum().backward()
    np.testing.assert_allclose(weights.numpy()[0], 0.25)  # documented: uniform weights, never NaN
    assert np.isfinite(out.numpy()).all()
    assert all(np.isfinite(t.grad.numpy()).all() for t in (q, k, v))
    np.testing.assert_array_equal(k.grad.numpy()[0], 0)  # masked scores were constants: no gradient to k
    np.testing.assert_array_equal(q.grad.numpy()[0], 0)


@pytest.mark.t2_5
@pytest.mark.parametrize("mask", [None, "padding", "causal", "all_masked_row"])
def test_attention_gradcheck(device, mask):
    keep = {None: None, "padding": F.padding_mask(np.array([[1, 1, 0, 0], [1, 1, 1, 1]])),
            "causal": F.causal_mask(4), "all_masked_row": F.padding_mask(np.array([[0, 0, 0, 0], [1, 0, 1, 0]]))}[mask]
    q, k, v = qkv(device)
    assert mt.gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, mask=keep)[0], q, k, v)


@pytest.mark.t2_5
def test_attention_cross_lengths_and_value_width(device):
    q = mt.tensor(rand(2, 5, 3), device=device)
    k, v = mt.tensor(rand(2, 4, 3, seed=1), device=device), mt.tensor(rand(2, 4, 6, seed=2), device=device)
    out, weights = F.scaled_dot_product_attention(q, k, v)
    assert out.shape == (2, 5, 6) and weights.shape == (2, 5, 4)
    assert mt.gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v)[0], q, k, v)


def test_attention_dropout_seeded_and_differentiable(device):
    q, k, v = qkv(device)

    def run(q, k, v):
        mt.manual_seed(3)
        return F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)

    (out1, w1), (out2, _) = run(q, k, v), run(q, k, v)
    np.testing.assert_array_equal(out1.numpy(), out2.numpy())  # same seed, same dropout
    np.testing.assert_allclose(w1.numpy().sum(-1), 1.0)  # weights are reported before dropout
    assert not np.allclose(out1.numpy(), np_attention(q.numpy(), k.numpy(), v.numpy())[0])
    assert mt.gradcheck(lambda q, k, v: run(q, k, v)[0], q, k, v)
    out_eval, _ = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5, training=False)
    np.testing.assert_allclose(out_eval.numpy(), np_attention(q.numpy(), k.numpy(), v.numpy())[0], rtol=1e-10)


def test_attention_errors():
    q = np.zeros((1, 2, 3, 4), np.float32)
    with pytest.raises(ValueError, match="mask of shape"):
        F.scaled_dot_product_attention(q, q, q, mask=np.ones((2, 5), dtype=bool))
    with pytest.raises(TypeError, match="boolean keep-mask"):
        F.scaled_dot_product_attention(q, q, q, mask=np.ones((3, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="do not fit"):
        F.scaled_dot_product_attention(q, np.zeros((1, 2, 3, 5), np.float32), q)
    with pytest.raises(ValueError, match=r"attention_mask must be \(B, T\)"):
        F.padding_mask(np.ones(4))
