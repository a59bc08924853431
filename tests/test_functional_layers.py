"""embedding, dropout, linear: values against NumPy, gradients by gradcheck, padding and seeding behaviour."""
import numpy as np
import pytest

import minitransformer as mt
import minitransformer.functional as F


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def test_embedding_lookup_and_gradcheck(device):
    ids, w = np.array([[0, 3, 3], [5, 1, 2]]), rand(6, 4)
    y = F.embedding(ids, mt.tensor(w, device=device, dtype="float64"))
    np.testing.assert_array_equal(y.numpy(), w[ids])
    assert mt.gradcheck(lambda w: F.embedding(ids, w), mt.tensor(w, device=device))


def test_embedding_repeated_ids_accumulate_and_padding_gets_no_grad(device):
    ids = mt.tensor(np.array([[0, 3, 3, 0], [3, 1, 0, 0]]), device=device)
    w = mt.tensor(rand(5, 2), device=device, requires_grad=True)
    F.embedding(ids, w, padding_idx=0).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[0, 0], [1, 1], [0, 0], [3, 3], [0, 0]])


def test_embedding_errors_name_the_bad_id():
    w = np.zeros((10, 2), np.float32)
    with pytest.raises(IndexError, match="token id 10 is out of range for a vocabulary of size 10"):
        F.embedding(np.array([1, 10]), w)
    with pytest.raises(IndexError, match="token id -1 is out of range"):
        F.embedding(np.array([-1, 2]), w)
    with pytest.raises(TypeError, match="ids must be integers"):
        F.embedding(np.array([1.0]), w)


def test_dropout_identity_when_not_training_or_p_zero():
    x = mt.tensor(rand(3, 4))
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), 0)


def test_dropout_scales_survivors_and_preserves_expectation(device):
    mt.manual_seed(0)
    x = mt.ones(200_000, device=device, dtype="float32")
    y = F.dropout(x, p=0.3).numpy()
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.7], rtol=1e-6)  # dropped or scaled by 1/(1-p)
    assert y.dtype == np.float32
    assert abs(y.mean() - 1) < 0.01  # E[y] = x; std of the mean ~ 0.0015
    assert abs((y == 0).mean() - 0.3) < 0.01


def test_dropout_same_seed_same_mask_and_gradient(device):
    x = mt.tensor(rand(50, 20), device=device)
    mt.manual_seed(7)
    a = F.dropout(x, 0.4).numpy()
    mt.manual_seed(7)
    b = F.dropout(x, 0.4).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, F.dropout(x, 0.4).numpy())  # the generator moves on

    def seeded(x):
        mt.manual_seed(1)
        return F.dropout(x, 0.4)
    assert mt.gradcheck(seeded, mt.tensor(rand(4, 5), device=device))


def test_linear_matches_formula_and_gradcheck(device):
    x, w, b = rand(2, 3, 4), rand(5, 4, seed=1), rand(5, seed=2)
    tensors = [mt.tensor(a, device=device, dtype="float64") for a in (x, w, b)]
    np.testing.assert_allclose(F.linear(*tensors).numpy(), x @ w.T + b, rtol=1e-12)
    np.testing.assert_allclose(F.linear(*tensors[:2]).numpy(), x @ w.T, rtol=1e-12)
    assert mt.gradcheck(F.linear, *[mt.tensor(a, device=device) for a in (x, w, b)])
    assert mt.gradcheck(F.linear, mt.tensor(rand(4), device=device), mt.tensor(w, device=device))


def test_linear_shape_error():
    with pytest.raises(ValueError, match=r"has 3 features but the weight of shape \(5, 4\) expects 4"):
        F.linear(np.zeros((2, 3), np.float32), np.zeros((5, 4), np.float32))
