"""MultiHeadAttention against a NumPy re-implementation; head split/merge (t3.1); weights as probabilities."""
import math

import numpy as np
import pytest

import minitransformer as mt
import minitransformer.functional as F
from minitransformer import nn

from conftest import gradcheck_module


def numpy_mha(x, p, heads, keep=None):
    """softmax(Q_h K_hᵀ / sqrt(d) with dropped keys at -1e30) V_h, heads concatenated, then the out projection."""
    B, T, D = x.shape
    d = D // heads

    def project(name):
        return x @ p[f"{name}.weight"].T + p[f"{name}.bias"]

    q, k, v = (project(n).reshape(B, T, heads, d).transpose(0, 2, 1, 3) for n in ("query", "key", "value"))
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d)  # (B, H, T, T)
    if keep is not None:
        scores = np.where(keep[:, None, None, :], scores, -1e30)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    context = (weights @ v).transpose(0, 2, 1, 3).reshape(B, T, D)
    return context @ p["out.weight"].T + p["out.bias"], weights


def setup(device, B=2, T=5, D=12, H=3, dtype="float32"):
    mt.manual_seed(0)
    mha = nn.MultiHeadAttention(D, H).to(device, dtype=dtype)
    x = np.random.default_rng(0).standard_normal((B, T, D)).astype(dtype)
    keep = np.ones((B, T), dtype=bool)
    keep[0, 3:] = False
    return mha, x, keep


def test_matches_numpy_reimplementation_with_padding(device):
    mha, x, keep = setup(device, dtype="float64")
    out, weights = mha(mt.tensor(x, dtype="float64", device=device), F.padding_mask(keep).to(device),
                       return_weights=True)
    ref_out, ref_weights = numpy_mha(x, {k: v for k, v in mha.state_dict().items()}, 3, keep)
    np.testing.assert_allclose(out.numpy(), ref_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weights.numpy(), ref_weights, rtol=1e-10, atol=1e-12)


def test_weights_rows_sum_to_one_and_masked_keys_get_zero(device):
    mha, x, keep = setup(device)
    _, weights = mha(mt.tensor(x, device=device), F.padding_mask(keep).to(device), return_weights=True)
    w = weights.numpy()
    assert w.shape == (2, 3, 5, 5)
    np.testing.assert_allclose(w.sum(-1), 1, rtol=1e-6)
    assert np.all(w[0, :, :, 3:] == 0)  # padded keys of sentence 0: exactly zero weight, every head, every query
    assert np.all(w[1] > 0)


def test_causal_mask_hides_the_future(device):
    mha, x, _ = setup(device)
    _, weights = mha(mt.tensor(x, device=device), F.causal_mask(5, device), return_weights=True)
    assert np.all(np.triu(weights.numpy()[0, 0], k=1) == 0)


def test_padded_positions_do_not_change_real_outputs(device):
    mha, x, _ = setup(device, B=1, T=4)
    short = mha(mt.tensor(x, device=device)).numpy()
    padded = np.concatenate([x, np.random.default_rng(5).standard_normal((1, 3, 12)).astype(np.float32)], axis=1)
    keep = np.array([[1, 1, 1, 1, 0, 0, 0]])
    long = mha(mt.tensor(padded, device=device), F.padding_mask(keep).to(device)).numpy()
    np.testing.assert_allclose(long[:, :4], short, rtol=1e-5, atol=1e-6)


@pytest.mark.t3_1
def test_split_heads_gives_each_head_its_slice_of_features():
    mha = nn.MultiHeadAttention(6, 3)
    x = np.arange(2 * 4 * 6, dtype=np.float32).reshape(2, 4, 6)
    heads = mha.split_heads(mt.tensor(x))
    assert heads.shape == (2, 3, 4, 2)  # (B, H, T, d_head)
    for h in range(3):
        np.testing.assert_array_equal(heads.numpy()[:, h], x[:, :, 2 * h:2 * h + 2])  # head h: features 2h, 2h+1


@pytest.mark.t3_1
def test_merge_heads_inverts_split_heads_and_gradients_flow():
    mha = nn.MultiHeadAttention(8, 4)
    x = mt.tensor(np.random.default_rng(0).standard_normal((3, 5, 8)), requires_grad=True)
    back = mha.merge_heads(mha.split_heads(x))
    assert back.shape == (3, 5, 8)
    np.testing.assert_array_equal(back.numpy(), x.numpy())
    assert mt.gradcheck(mha.split_heads, x) and mt.gradcheck(lambda t: mha.merge_heads(mha.split_heads(t)), x)


@pytest.mark.t3_1
def test_heads_attend_independently():
    """Changing the features of head 0's slice in V leaves the output of heads 1.. untouched (before W_o)."""
    mt.manual_seed(0)
    mha = nn.MultiHeadAttention(8, 2)
    q = k = v = mha.split_heads(mt.randn(1, 3, 8))
    context, _ = F.scaled_dot_product_attention(q, k, v)
    v2 = v.numpy().copy()
    v2[:, 0] += 5
    context2, _ = F.scaled_dot_product_attention(q, k, mt.tensor(v2))
    merged, merged2 = mha.merge_heads(context).numpy(), mha.merge_heads(context2).numpy()
    np.testing.assert_array_equal(merged[..., 4:], merged2[..., 4:])  # head 1 = features 4..7
    assert not np.allclose(merged[..., :4], merged2[..., :4])


def test_gradcheck_multi_head_attention_float64():
    mha, x, keep = setup("cpu", B=2, T=3, D=4, H=2)
    keep = keep[:, :3].copy()
    keep[0, 2] = False
    mask = F.padding_mask(keep)
    assert gradcheck_module(mha, mt.tensor(x, dtype="float64"), call=lambda t: mha(t, mask))


def test_attention_errors_name_the_values():
    with pytest.raises(ValueError, match="d_model=10 is not divisible by num_heads=4"):
        nn.MultiHeadAttention(10, 4)
    with pytest.raises(ValueError, match=r"expected input \(B, T, 8\), got shape \(2, 3, 6\)"):
        nn.MultiHeadAttention(8, 2)(mt.randn(2, 3, 6))
