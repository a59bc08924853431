"""Reference tier: forward values AND gradients of the fused ops against PyTorch (skipped without torch).
Run: /opt/refvenv/bin/python -m pytest -m reference tests/test_functional_torch.py"""
import math

import numpy as np
import pytest

import minitransformer as mt
import minitransformer.functional as F

torch = pytest.importorskip("torch")
tF = torch.nn.functional
pytestmark = pytest.mark.reference

RTOL, ATOL = 1e-5, 1e-6  # float32 parity


def rand(*shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def compare(ours, theirs, *arrays, rtol=RTOL, atol=ATOL):
    """Run both on the same float32 inputs, backpropagate the same upstream gradient, compare all of it."""
    mine = [mt.tensor(a, requires_grad=True) for a in arrays]
    ref = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref_out = ours(*mine), theirs(*ref)
    np.testing.assert_allclose(out.numpy(), ref_out.detach().numpy(), rtol=rtol, atol=atol)
    upstream = rand(*out.shape, seed=99)
    out.backward(upstream)
    ref_out.backward(torch.tensor(upstream))
    for m, r in zip(mine, ref):
        np.testing.assert_allclose(m.grad.numpy(), r.grad.numpy(), rtol=rtol, atol=atol)


@pytest.mark.t2_1
def test_softmax():
    compare(F.softmax, lambda x: torch.softmax(x, -1), rand(4, 7, 9, scale=3))


def test_log_softmax():
    compare(F.log_softmax, lambda x: torch.log_softmax(x, -1), rand(4, 7, 9, scale=3))


@pytest.mark.t2_2
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy(smoothing):
    labels = np.array([[0, 4, -100, 2], [1, 1, 3, -100]])
    compare(lambda x: F.cross_entropy(x, labels, label_smoothing=smoothing),
            lambda x: tF.cross_entropy(x.reshape(-1, 5), torch.tensor(labels).reshape(-1), label_smoothing=smoothing),
            rand(2, 4, 5, scale=2))


@pytest.mark.t2_2
@pytest.mark.parametrize("smoothing", [0.0, 0.15])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_class_weights(smoothing, reduction):
    labels = np.array([[0, 4, -100, 2], [1, 1, 3, -100]])
    w = np.array([0.2, 1.0, 2.5, 0.7, 4.0], dtype=np.float32)
    compare(lambda x: F.cross_entropy(x, labels, weight=w, label_smoothing=smoothing, reduction=reduction),
            lambda x: tF.cross_entropy(x.reshape(-1, 5), torch.tensor(labels).reshape(-1), weight=torch.tensor(w),
                                       label_smoothing=smoothing, reduction=reduction).reshape(
                                           (2, 4) if reduction == "none" else ()),
            rand(2, 4, 5, scale=2))


def test_nll_loss_class_weights():
    labels = np.array([3, 0, -100, 2, 2])
    w = np.array([0.5, 1.0, 2.0, 3.0], dtype=np.float32)
    compare(lambda x: F.nll_loss(F.log_softmax(x), labels, weight=w),
            lambda x: tF.nll_loss(torch.log_softmax(x, -1), torch.tensor(labels), weight=torch.tensor(w)),
            rand(5, 4, scale=2))


@pytest.mark.t2_3
def test_layer_norm():
    compare(lambda x, w, b: F.layer_norm(x, 16, w, b, eps=1e-12),
            lambda x, w, b: tF.layer_norm(x, (16,), w, b, eps=1e-12),
            rand(3, 5, 16, scale=2) + 1, rand(16, seed=1), rand(16, seed=2), atol=1e-5)


@pytest.mark.t2_4
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu(approximate):
    x = np.concatenate([rand(300, 400, scale=3).ravel(), np.linspace(-10, 10, 2001, dtype=np.float32)])
    # atol 5e-6: in the far left tail both sides' float32 tanh/erf round differently (torch is not closer to the
    # float64 truth there either: at x = -5.4 the true tanh-form slope is -8.6e-8, torch says 0, we say -1.2e-6)
    compare(lambda x: F.gelu(x, approximate=approximate), lambda x: tF.gelu(x, approximate=approximate), x,
            atol=5e-6)


@pytest.mark.t2_5
def test_attention_with_padding_mask():
    attention_mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [0, 0, 0, 0, 0]])
    keep = F.padding_mask(attention_mask)

    def theirs(q, k, v):  # BERT-style: add a large negative on padded keys, then softmax
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
        scores = scores.masked_fill(~torch.tensor(keep.numpy()), torch.finfo(torch.float32).min)
        return torch.softmax(scores, -1) @ v
    compare(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, mask=keep)[0], theirs,
            rand(3, 2, 5, 8), rand(3, 2, 5, 8, seed=1), rand(3, 2, 5, 8, seed=2))


@pytest.mark.t2_5
def test_attention_matches_torch_sdpa_causal():
    q, k, v = rand(2, 4, 6, 8), rand(2, 4, 6, 8, seed=1), rand(2, 4, 6, 8, seed=2)
    compare(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, mask=F.causal_mask(6))[0],
            lambda q, k, v: tF.scaled_dot_product_attention(q, k, v, is_causal=True), q, k, v)


def test_embedding_and_linear():
    ids = np.array([[0, 3, 3], [5, 1, 0]])
    compare(lambda w: F.embedding(ids, w, padding_idx=0),
            lambda w: tF.embedding(torch.tensor(ids), w, padding_idx=0), rand(6, 4))
    compare(F.linear, tF.linear, rand(2, 3, 8), rand(5, 8, seed=1), rand(5, seed=2))
