"""Leaf layers against closed-form NumPy: Linear, Embedding, LayerNorm, Dropout, GELU/ReLU, FeedForward; their
initialisations; float64 gradient checks over inputs and parameters; and a lint that keeps NumPy out of nn/."""
import math
import pathlib
import re

import numpy as np
import pytest

import minitransformer as mt
from minitransformer import nn

from conftest import gradcheck_module


def test_linear_forward_is_x_w_transpose_plus_b(device):
    mt.manual_seed(0)
    layer = nn.Linear(5, 3).to(device)
    x = np.random.default_rng(0).standard_normal((2, 4, 5)).astype(np.float32)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    assert w.shape == (3, 5)  # stored (out, in) as in PyTorch checkpoints
    y = layer(mt.tensor(x, device=device))
    assert y.shape == (2, 4, 3) and y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), np.einsum("bti,oi->bto", x, w) + b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(nn.Linear(5, 3, bias=False).to(device)(mt.tensor(x, device=device)).numpy().shape,
                               (2, 4, 3))


def test_linear_init_is_uniform_within_one_over_sqrt_fan_in():
    mt.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for p in (layer.weight.numpy(), layer.bias.numpy()):
        assert np.abs(p).max() <= bound and np.abs(p).max() > 0.95 * bound
    assert abs(layer.weight.numpy().std() - bound / math.sqrt(3)) < 0.01 * bound  # std of U(-a, a) is a/sqrt(3)
    mt.manual_seed(0)
    np.testing.assert_array_equal(nn.Linear(400, 300).weight.numpy(), layer.weight.numpy())  # seeded


def test_embedding_looks_up_rows_and_zeroes_the_padding_row(device):
    mt.manual_seed(0)
    emb = nn.Embedding(1000, 64, padding_idx=1)
    table = emb.weight.numpy().copy()
    assert np.all(table[1] == 0)
    assert abs(table.std() - 1) < 0.02 and abs(table.mean()) < 0.02  # N(0, 1) as torch.nn.Embedding
    emb.to(device)
    ids = np.array([[3, 1, 7], [1, 1, 999]])
    out = emb(ids)
    np.testing.assert_array_equal(out.numpy(), table[ids])
    out.sum().backward()
    grad = emb.weight.grad.numpy()
    assert grad[1].sum() == 0 and np.all(grad[3] == 1) and np.all(grad[0] == 0)  # padding row gets no gradient


def test_layer_norm_biased_variance_eps_inside_sqrt(device):
    x = np.random.default_rng(1).standard_normal((3, 4, 6)).astype(np.float32) * 3 + 1
    norm = nn.LayerNorm(6, eps=1e-3)
    assert np.all(norm.weight.numpy() == 1) and np.all(norm.bias.numpy() == 0)
    norm.weight.data[...] = np.linspace(0.5, 2, 6)
    norm.bias.data[...] = np.linspace(-1, 1, 6)
    norm.to(device)
    expected = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3)  # np.var is biased
    expected = expected * np.linspace(0.5, 2, 6) + np.linspace(-1, 1, 6)
    np.testing.assert_allclose(norm(mt.tensor(x, device=device)).numpy(), expected, rtol=1e-5, atol=1e-5)


def test_dropout_is_inverted_seeded_and_identity_in_eval(device):
    drop = nn.Dropout(0.25)
    x = mt.ones(200, 500, device=device)
    mt.manual_seed(3)
    y = drop(x).numpy()
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.01 and abs(y.mean() - 1) < 0.01  # expectation kept
    mt.manual_seed(3)
    np.testing.assert_array_equal(drop(x).numpy(), y)  # same seed, same mask
    np.testing.assert_array_equal(drop.eval()(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match="p must be in"):
        nn.Dropout(1.5)


def test_gelu_forms_and_relu():
    xs = np.linspace(-4, 4, 41)
    exact = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in xs])
    tanh = 0.5 * xs * (1 + np.tanh(math.sqrt(2 / math.pi) * (xs + 0.044715 * xs ** 3)))
    x = mt.tensor(xs, dtype="float64")
    np.testing.assert_allclose(nn.GELU()(x).numpy(), exact, atol=1e-6)
    np.testing.assert_allclose(nn.GELU("tanh")(x).numpy(), tanh, atol=1e-12)
    np.testing.assert_array_equal(nn.ReLU()(x).numpy(), np.maximum(xs, 0))
    with pytest.raises(ValueError, match="approximate must be"):
        nn.GELU("erf")


def test_feed_forward_is_linear_gelu_linear(device):
    mt.manual_seed(0)
    ff = nn.FeedForward(6, 10, dropout=0.0).to(device)
    x = np.random.default_rng(2).standard_normal((2, 3, 6)).astype(np.float32)
    w1, b1, w2, b2 = (p.numpy() for p in ff.parameters())
    h = x @ w1.T + b1
    h = 0.5 * h * (1 + np.vectorize(math.erf)(h / math.sqrt(2)))
    np.testing.assert_allclose(ff(mt.tensor(x, device=device)).numpy(), h @ w2.T + b2, rtol=1e-5, atol=1e-5)
    assert [n for n, _ in ff.named_parameters()] == ["linear1.weight", "linear1.bias", "linear2.weight",
                                                      "linear2.bias"]
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        nn.FeedForward(6, 10, activation="swish")


@pytest.mark.parametrize("make", [lambda: nn.Linear(3, 2), lambda: nn.LayerNorm(3), lambda: nn.GELU(),
                                  lambda: nn.GELU("tanh"), lambda: nn.FeedForward(3, 4, dropout=0.0),
                                  lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 3))],
                         ids=["linear", "layer_norm", "gelu", "gelu_tanh", "feed_forward", "sequential"])
def test_gradcheck_layers_float64(make):
    mt.manual_seed(0)
    x = mt.tensor(np.random.default_rng(0).standard_normal((2, 2, 3)) + 0.1, dtype="float64")
    assert gradcheck_module(make(), x)


def test_gradcheck_embedding_weight():
    mt.manual_seed(0)
    emb = nn.Embedding(5, 3)  # no padding_idx: its row's gradient is zero by definition, not by calculus
    ids = np.array([[1, 0, 4], [4, 4, 2]])
    assert gradcheck_module(emb, call=lambda: emb(ids))


def test_float32_stays_float32():
    mt.manual_seed(0)
    x = mt.randn(2, 3, 8)
    for layer in (nn.Linear(8, 8), nn.LayerNorm(8), nn.FeedForward(8, 16), nn.GELU(), nn.Dropout(0.1),
                  nn.MultiHeadAttention(8, 2), nn.TransformerEncoderLayer(8, 2, 16),
                  nn.SinusoidalPositionalEncoding(8, 10), nn.LearnedPositionalEmbedding(10, 8)):
        assert layer(x).dtype == np.float32, type(layer).__name__


def test_nn_layers_use_no_numpy_on_tensor_data():
    """Array math goes through F / Tensor ops or the array module of the data, so the layers run on CuPy too.
    Only module.py touches NumPy, to hand state_dict() host copies."""
    folder = pathlib.Path(mt.__file__).parent / "nn"
    offenders = []
    for path in sorted(folder.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        if path.name != "module.py" and re.search(r"^\s*(import numpy|from numpy)|\bnp\.", text, re.M):
            offenders.append(path.name)
    assert offenders == [], f"NumPy used directly in nn/: {offenders}"
    assert len(list(folder.glob("*.py"))) >= 11
