"""layer_norm, gelu (and erf), relu: values against the formulas written out here, gradients by gradcheck."""
import math

import numpy as np
import pytest

import minitransformer as mt
import minitransformer.functional as F
from minitransformer.kernels import erf


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def test_layer_norm_matches_formula_biased_variance(device):
    x, w, b = rand(2, 3, 6) * 4 + 1, rand(6, seed=1), rand(6, seed=2)
    y = F.layer_norm(mt.tensor(x, device=device, dtype="float64"), 6, mt.tensor(w, dtype="float64", device=device),
                     mt.tensor(b, dtype="float64", device=device), eps=1e-5).numpy()
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)  # np.var is biased (ddof=0)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-5) * w + b, rtol=1e-10, atol=1e-12)


def test_layer_norm_eps_inside_the_sqrt():
    x = np.array([[0.0, 2e-3]])  # var = 1e-6, comparable to eps: sqrt(var + eps) != sqrt(var) + eps
    y = F.layer_norm(mt.tensor(x, dtype="float64"), 2, eps=1e-6).numpy()
    np.testing.assert_allclose(y, [[-1e-3 / math.sqrt(2e-6), 1e-3 / math.sqrt(2e-6)]], rtol=1e-10)


@pytest.mark.t2_3
def test_layer_norm_gradcheck(device):
    x = mt.tensor(rand(2, 3, 5), device=device)
    w, b = mt.tensor(rand(5, seed=4), device=device), mt.tensor(rand(5, seed=5), device=device)
    assert mt.gradcheck(lambda x, w, b: F.layer_norm(x, 5, w, b), x, w, b)
    assert mt.gradcheck(lambda x: F.layer_norm(x, 5), x)  # no affine part


@pytest.mark.t2_3
def test_layer_norm_over_two_axes(device):
    x, w = rand(2, 3, 4), rand(3, 4, seed=1)
    y = F.layer_norm(mt.tensor(x, device=device, dtype="float64"), (3, 4),
                     mt.tensor(w, device=device, dtype="float64")).numpy()
    mean, var = x.mean((1, 2), keepdims=True), x.var((1, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-5) * w, rtol=1e-10, atol=1e-12)
    assert mt.gradcheck(lambda x, w: F.layer_norm(x, (3, 4), w), mt.tensor(x, device=device),
                        mt.tensor(w, device=device))


def test_layer_norm_errors():
    with pytest.raises(ValueError, match=r"does not end in normalized_shape \(4,\)"):
        F.layer_norm(np.zeros((2, 5), np.float32), 4)
    with pytest.raises(ValueError, match=r"weight has shape \(3,\), expected \(5,\)"):
        F.layer_norm(np.zeros((2, 5), np.float32), 5, np.ones(3, np.float32))


def test_erf_float64_accuracy_on_dense_grid():
    x = np.linspace(-7, 7, 140001)
    error = np.abs(erf(x) - np.array([math.erf(v) for v in x])).max()
    assert error <= 2e-7
    assert error <= 1e-14  # Cody's approximation is float64-quality, not just 2e-7


def test_erf_float32_accuracy():
    x = np.linspace(-7, 7, 140001).astype(np.float32)
    y = erf(x)
    assert y.dtype == np.float32
    assert np.abs(y - np.array([math.erf(float(v)) for v in x])).max() <= 1e-6  # a few float32 ulps


def test_gelu_exact_and_tanh_forms(device):
    x = np.linspace(-6, 6, 1001)
    exact = F.gelu(mt.tensor(x, device=device, dtype="float64")).numpy()
    np.testing.assert_allclose(exact, [0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x], atol=1e-14)
    tanh = F.gelu(mt.tensor(x, device=device, dtype="float64"), approximate="tanh").numpy()
    np.testing.assert_allclose(tanh, 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))),
                               atol=1e-14)
    assert 1e-4 < np.abs(exact - tanh).max() < 1e-3  # the two forms really differ (REFERENCE: up to ~5e-4)


@pytest.mark.t2_4
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_gradcheck(device, approximate):
    x = mt.tensor(np.concatenate([rand(10) * 2, [-5.0, -0.3, 0.3, 5.0]]), device=device)
    assert mt.gradcheck(lambda x: F.gelu(x, approximate=approximate), x)


@pytest.mark.t2_4
def test_gelu_float32_large_input_blocks_match_float64():
    x = rand(300, 500).astype(np.float32)  # larger than one block, so the blocked path runs
    xt = mt.tensor(x, requires_grad=True)
    y = F.gelu(xt)
    y.backward(np.ones_like(x))
    x64 = x.astype(np.float64)
    assert y.dtype == np.float32 and xt.grad.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), F.gelu(mt.tensor(x64, dtype="float64")).numpy(), atol=2e-6)
    phi = np.exp(-x64 ** 2 / 2) / math.sqrt(2 * math.pi)
    cdf = 0.5 * (1 + np.array([math.erf(v / math.sqrt(2)) for v in x64.ravel()]).reshape(x.shape))
    np.testing.assert_allclose(xt.grad.numpy(), cdf + x64 * phi, atol=2e-6)


def test_gelu_rejects_unknown_form():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        F.gelu(np.zeros(2, np.float32), approximate="fast")


def test_relu(device):
    x = np.array([-2.0, -0.5, 0.5, 3.0])
    np.testing.assert_array_equal(F.relu(mt.tensor(x, device=device)).numpy(), [0, 0, 0.5, 3.0])
    assert mt.gradcheck(F.relu, mt.tensor(x, device=device))


def test_gelu_float32_left_tail_has_no_cancellation():
    x = np.linspace(-6, 0, 6001)  # for x < -3, 1 + erf(x / sqrt 2) would cancel most float32 digits (1.2e-6 off)
    exact = np.array([0.5 * v * math.erfc(-v / math.sqrt(2)) for v in x])
    y = F.gelu(mt.tensor(x.astype(np.float32))).numpy()
    np.testing.assert_allclose(y, exact, rtol=0, atol=4e-7)  # A&S's own 1.5e-7 on erfc, times 0.5 |x|
