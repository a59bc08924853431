"""softmax, log_softmax, cross_entropy, nll_loss: values against closed-form NumPy, gradients by gradcheck."""
import numpy as np
import pytest

import minitransformer as mt
import minitransformer.functional as F


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def test_softmax_values_and_rows_sum_to_one(device):
    x = rand(3, 4, 5) * 3
    y = F.softmax(mt.tensor(x, device=device, dtype="float64")).numpy()
    np.testing.assert_allclose(y, np_softmax(x), rtol=1e-12)
    np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-12)
    y0 = F.softmax(mt.tensor(x, device=device, dtype="float64"), axis=0).numpy()
    np.testing.assert_allclose(y0, np_softmax(x, axis=0), rtol=1e-12)


def test_softmax_large_inputs_stay_finite():
    y = F.softmax(np.array([[1000.0, 0.0], [-1000.0, -1000.0]], dtype=np.float32)).numpy()
    np.testing.assert_allclose(y, [[1.0, 0.0], [0.5, 0.5]])
    assert y.dtype == np.float32


@pytest.mark.t2_1
@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_gradcheck(device, axis):
    assert mt.gradcheck(lambda x: F.softmax(x, axis=axis), mt.tensor(rand(3, 4), device=device))


def test_log_softmax_values_and_gradcheck(device):
    x = rand(4, 6) * 5
    y = F.log_softmax(mt.tensor(x, device=device, dtype="float64")).numpy()
    np.testing.assert_allclose(y, np.log(np_softmax(x)), rtol=1e-10, atol=1e-12)
    assert mt.gradcheck(F.log_softmax, mt.tensor(x, device=device))


def test_cross_entropy_value_matches_formula(device):
    x, labels = rand(5, 3), np.array([0, 2, 1, 1, 0])
    loss = F.cross_entropy(mt.tensor(x, device=device, dtype="float64"), labels).item()
    expected = -np.mean(np.log(np_softmax(x))[np.arange(5), labels])
    assert loss == pytest.approx(expected, rel=1e-12)


@pytest.mark.t2_2
def test_cross_entropy_ignore_index_and_reductions(device):
    x, labels = rand(5, 3), np.array([0, -100, 1, -100, 2])
    logp = np.log(np_softmax(x))
    kept = [0, 2, 4]
    picked = -logp[kept, labels[kept]]
    xt = mt.tensor(x, device=device, dtype="float64")
    assert F.cross_entropy(xt, labels).item() == pytest.approx(picked.mean(), rel=1e-12)
    assert F.cross_entropy(xt, labels, reduction="sum").item() == pytest.approx(picked.sum(), rel=1e-12)
    rows = F.cross_entropy(xt, labels, reduction="none").numpy()
    np.testing.assert_allclose(rows, [picked[0], 0, picked[1], 0, picked[2]], rtol=1e-12)
    xg = mt.tensor(x, device=device, dtype="float64", requires_grad=True)
    F.cross_entropy(xg, labels).backward()
    grad = xg.grad.numpy()
    np.testing.assert_array_equal(grad[[1, 3]], 0.0)  # ignored rows get no gradient
    onehot = np.eye(3)[labels[kept]]
    np.testing.assert_allclose(grad[kept], (np_softmax(x)[kept] - onehot) / 3, rtol=1e-10)
    assert F.cross_entropy(xt, np.full(5, -100)).item() == 0.0  # all ignored: 0, not NaN


@pytest.mark.t2_2
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_gradcheck(device, reduction):
    labels = np.array([[0, 2, -100], [1, 1, 0]])  # (B, T) labels with (B, T, C) logits
    assert mt.gradcheck(lambda x: F.cross_entropy(x, labels, reduction=reduction),
                        mt.tensor(rand(2, 3, 4), device=device))


@pytest.mark.t2_2
def test_cross_entropy_label_smoothing(device):
    x, labels, eps = rand(4, 5), np.array([0, 4, 2, 1]), 0.1
    logp = np.log(np_softmax(x))
    expected = np.mean(-(1 - eps) * logp[np.arange(4), labels] - eps * logp.mean(1))
    xt = mt.tensor(x, device=device, dtype="float64")
    assert F.cross_entropy(xt, labels, label_smoothing=eps).item() == pytest.approx(expected, rel=1e-12)
    assert mt.gradcheck(lambda x: F.cross_entropy(x, labels, label_smoothing=eps), xt)


def np_weighted_cross_entropy(x, labels, w, s, reduction="mean"):
    """torch's formula written out: -[(1 - s) w[t] logp[t] + (s / C) sum_c w[c] logp[c]], mean over sum w[t]."""
    logp = np.log(np_softmax(x))
    keep = labels != -100
    t = np.where(keep, labels, 0)
    rows = -((1 - s) * w[t] * logp[np.arange(len(t)), t] + s / x.shape[1] * logp @ w) * keep
    if reduction == "none":
        return rows
    return rows.sum() / (w[t] * keep).sum() if reduction == "mean" else rows.sum()


@pytest.mark.t2_2
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_class_weights_value_and_gradient(device, smoothing, reduction):
    x, labels, w = rand(6, 4), np.array([0, 3, -100, 1, 1, 2]), np.array([0.5, 2.0, 1.0, 3.0])
    xt = mt.tensor(x, device=device, dtype="float64")
    got = F.cross_entropy(xt, labels, weight=w, label_smoothing=smoothing, reduction=reduction).numpy()
    np.testing.assert_allclose(got, np_weighted_cross_entropy(x, labels, w, smoothing, reduction), rtol=1e-12)
    assert mt.gradcheck(lambda x: F.cross_entropy(x, labels, weight=w, label_smoothing=smoothing,
                                                  reduction=reduction), xt)


def test_cross_entropy_weighted_mean_is_not_the_plain_mean_of_weighted_rows(device):  # forward only: no task
    # one heavy row and one light: the mean divides by 3 + 1 = 4 (sum of the rows' weights), not by 2 rows
    x, labels, w = rand(2, 2), np.array([0, 1]), np.array([3.0, 1.0])
    logp = np.log(np_softmax(x))
    expected = (3 * -logp[0, 0] + 1 * -logp[1, 1]) / 4
    assert F.cross_entropy(mt.tensor(x, device=device, dtype="float64"), labels, weight=w).item() == \
        pytest.approx(expected, rel=1e-12)
    uniform = F.cross_entropy(mt.tensor(x, dtype="float64"), labels, weight=np.ones(2)).item()
    assert uniform == pytest.approx(F.cross_entropy(mt.tensor(x, dtype="float64"), labels).item(), rel=1e-12)
    assert F.cross_entropy(mt.tensor(x), np.full(2, -100), weight=w).item() == 0.0  # all ignored: 0, not NaN


def test_cross_entropy_weight_keeps_float32_and_names_a_wrong_shape():
    x = mt.tensor(rand(4, 3).astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(x, [0, 1, 2, 0], weight=np.array([1.0, 2.0, 3.0]))   # float64 weights: no upcast
    loss.backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32
    with pytest.raises(ValueError, match=r"weight must be one number per class, shape \(3,\)"):
        F.cross_entropy(x, [0, 1, 2, 0], weight=[1.0, 2.0])


def test_cross_entropy_errors():
    logits = np.zeros((2, 3), dtype=np.float32)
    with pytest.raises(IndexError, match="label 3 is out of range for 3 classes"):
        F.cross_entropy(logits, [1, 3])
    with pytest.raises(IndexError, match="label -2"):
        F.cross_entropy(logits, [1, -2])
    with pytest.raises(ValueError, match=r"need labels of shape \(2,\).*\(3,\)"):
        F.cross_entropy(logits, [1, 0, 2])
    with pytest.raises(TypeError, match="integer"):
        F.cross_entropy(logits, np.array([0.0, 1.0]))


@pytest.mark.t2_2
def test_cross_entropy_keeps_float32():
    x = mt.tensor(rand(4, 3).astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(x, [0, 1, 2, 0])
    loss.backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32


def test_nll_loss_equals_cross_entropy_on_log_softmax(device):
    x, labels = rand(4, 3), np.array([2, -100, 0, 1])
    xt = mt.tensor(x, device=device, dtype="float64")
    for reduction in ("mean", "sum", "none"):
        np.testing.assert_allclose(F.nll_loss(F.log_softmax(xt), labels, reduction=reduction).numpy(),
                                   F.cross_entropy(xt, labels, reduction=reduction).numpy(), rtol=1e-12)
    assert mt.gradcheck(lambda x: F.nll_loss(F.log_softmax(x), labels), xt)
    w = np.array([0.5, 2.0, 3.0])
    for reduction in ("mean", "sum", "none"):
        np.testing.assert_allclose(F.nll_loss(F.log_softmax(xt), labels, weight=w, reduction=reduction).numpy(),
                                   F.cross_entropy(xt, labels, weight=w, reduction=reduction).numpy(), rtol=1e-12)
