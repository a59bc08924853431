"""The encoder layer (t3.3) against NumPy post-LN and pre-LN formulas; the stack, its names and weights."""
import math

import numpy as np
import pytest

import minitransformer as mt
import minitransformer.functional as F
from minitransformer import nn

from conftest import gradcheck_module


def ln(x, w, b, eps=1e-5):
    return (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + eps) * w + b


def gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def attention(x, p, heads, keep):
    B, T, D = x.shape
    d = D // heads
    q, k, v = ((x @ p[f"attention.{n}.weight"].T + p[f"attention.{n}.bias"]).reshape(B, T, heads, d)
               .transpose(0, 2, 1, 3) for n in ("query", "key", "value"))
    s = np.where(keep[:, None, None, :], q @ k.transpose(0, 1, 3, 2) / math.sqrt(d), -1e30)
    w = np.exp(s - s.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    return (w @ v).transpose(0, 2, 1, 3).reshape(B, T, D) @ p["attention.out.weight"].T + p["attention.out.bias"]


def feed_forward(x, p):
    h = gelu(x @ p["feed_forward.linear1.weight"].T + p["feed_forward.linear1.bias"])
    return h @ p["feed_forward.linear2.weight"].T + p["feed_forward.linear2.bias"]


def numpy_layer(x, p, heads, keep, norm_first, attend=attention):
    norm1 = lambda h: ln(h, p["norm1.weight"], p["norm1.bias"])  # noqa: E731
    norm2 = lambda h: ln(h, p["norm2.weight"], p["norm2.bias"])  # noqa: E731
    if norm_first:
        x = x + attend(norm1(x), p, heads, keep)
        return x + feed_forward(norm2(x), p)
    x = norm1(x + attend(x, p, heads, keep))
    return norm2(x + feed_forward(x, p))


def make_layer(norm_first, device="cpu"):
    mt.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, norm_first=norm_first).to(dtype="float64")
    rng = np.random.default_rng(1)
    for p in layer.parameters():  # LayerNorm starts at ones/zeros: move it off so a swapped w/b would show
        p.data[...] = p.numpy() + 0.1 * rng.standard_normal(p.shape)  # on the host, before moving the layer
    return layer.to(device)


@pytest.mark.t3_3
@pytest.mark.parametrize("norm_first", [False, True], ids=["post_ln", "pre_ln"])
def test_layer_matches_numpy_formula(norm_first, device):
    layer = make_layer(norm_first, device)
    x = np.random.default_rng(2).standard_normal((2, 5, 8))
    keep = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
    out = layer(mt.tensor(x, dtype="float64", device=device), F.padding_mask(keep).to(device))
    expected = numpy_layer(x, layer.state_dict(), 2, keep, norm_first)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-10)
    other = numpy_layer(x, layer.state_dict(), 2, keep, not norm_first)
    assert not np.allclose(out.numpy(), other, atol=1e-3)  # the two conventions really differ


class StandInAttention(nn.Module):
    """Takes the place of self-attention (tested as tasks t2.5 and t3.1) in the layer's wiring test:
    y = tanh(x) @ A, with fixed weights, and it notes the mask it was given."""

    def __init__(self, a):
        super().__init__()
        self.a, self.masks = a, []

    def forward(self, x, mask=None, return_weights=False):
        self.masks.append(mask)
        y = x.tanh() @ mt.tensor(self.a, dtype="float64")
        weights = mt.tensor(np.full((x.shape[0], 2, x.shape[1], x.shape[1]), 0.25), dtype="float64")
        return (y, weights) if return_weights else y


@pytest.mark.t3_3
@pytest.mark.parametrize("norm_first", [False, True], ids=["post_ln", "pre_ln"])
def test_layer_wires_its_sublayers_as_the_formula_says(norm_first):
    """The encoder layer's own work is the wiring: which sub-layer sees what, where the residuals and the norms
    go. With a stand-in attention it is checked without the attention tasks."""
    layer = make_layer(norm_first)
    a = np.random.default_rng(6).standard_normal((8, 8))
    layer.attention = StandInAttention(a)
    x = np.random.default_rng(2).standard_normal((2, 5, 8))
    mask = F.padding_mask(np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool))
    out, weights = layer(mt.tensor(x, dtype="float64"), mask, return_weights=True)
    expected = numpy_layer(x, layer.state_dict(), 2, None, norm_first, attend=lambda h, *_: np.tanh(h) @ a)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-10)
    assert layer.attention.masks == [mask], "the attention is called once, with the layer's mask"
    assert weights.shape == (2, 2, 5, 5) and np.all(weights.numpy() == 0.25), "the attention's weights are returned"


@pytest.mark.t3_3
def test_post_ln_output_is_normalised_and_pre_ln_is_not():
    x = mt.tensor(np.random.default_rng(3).standard_normal((2, 4, 8)) * 5, dtype="float64")
    post = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0).double()(x).numpy()
    np.testing.assert_allclose(post.mean(-1), 0, atol=1e-10)  # LN(x + ...) with weight 1, bias 0
    np.testing.assert_allclose(post.var(-1), 1, atol=1e-3)
    pre = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, norm_first=True).double()(x).numpy()
    assert np.abs(pre.var(-1) - 1).max() > 1  # the residual path carries x's scale through


# No task marker: the layer's gradient is its ops' backwards put together (tasks t1.2-t2.5), which their own
# tests grade; the layer's own code is its forward, graded above.
@pytest.mark.parametrize("norm_first", [False, True], ids=["post_ln", "pre_ln"])
def test_gradcheck_encoder_layer_float64(norm_first):
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, norm_first=norm_first)
    x = mt.tensor(np.random.default_rng(4).standard_normal((1, 3, 4)), dtype="float64")
    mask = F.padding_mask(np.array([[1, 1, 0]]))
    assert gradcheck_module(layer, x, call=lambda t: layer(t, mask))


@pytest.mark.t3_3
def test_layer_returns_weights_and_dropout_only_in_training():
    mt.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = mt.randn(2, 4, 8)
    layer.eval()
    out, weights = layer(x, return_weights=True)
    np.testing.assert_array_equal(out.numpy(), layer(x).numpy())  # eval: deterministic
    assert weights.shape == (2, 2, 4, 4)
    layer.train()
    assert not np.allclose(layer(x).numpy(), out.numpy())


def test_encoder_stack_names_weights_and_factories():
    mt.manual_seed(0)
    enc = nn.TransformerEncoder(lambda: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 3)
    names = [n for n, _ in enc.named_parameters()]
    # torch.nn.TransformerEncoder names its layers the same way: layers.{i}.<sub-module>...
    assert names[:2] == ["layers.0.attention.query.weight", "layers.0.attention.query.bias"]
    assert names[-2:] == ["layers.2.norm2.weight", "layers.2.norm2.bias"]
    assert len(names) == 3 * 16
    x = mt.randn(2, 5, 8)
    out, weights = enc(x, return_weights=True)
    assert len(weights) == 3 and all(w.shape == (2, 2, 5, 5) for w in weights)
    h = x
    for layer in enc.layers:
        h = layer(h)
    np.testing.assert_allclose(out.numpy(), h.numpy(), rtol=1e-6)
    assert not np.allclose(enc.layers[0].attention.query.weight.numpy(), enc.layers[1].attention.query.weight.numpy())
    copied = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2)  # deep copies, as torch
    w0, w1 = (layer.attention.query.weight for layer in copied.layers)
    assert w0 is not w1 and np.array_equal(w0.numpy(), w1.numpy())
    from_dict = nn.TransformerEncoder(dict(d_model=8, num_heads=2, d_ff=16, norm_first=True), 2, norm=nn.LayerNorm(8))
    assert from_dict.layers[1].norm_first and "norm.weight" in dict(from_dict.named_parameters())
