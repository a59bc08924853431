"""clip_grad_norm: the global norm over all gradients, one common scale, the norm before clipping returned."""
import math

import numpy as np
import pytest

import minitransformer as mt
from minitransformer import strict
from minitransformer.optim import clip_grad_norm


def params_with_grads(grads, device="cpu", dtype="float32"):
    params = []
    for g in grads:
        p = mt.tensor(np.zeros(np.shape(g)), dtype=dtype, device=device, requires_grad=True)
        if g is not None:
            p.grad = mt.tensor(np.array(g, copy=True), dtype=dtype, device=device)  # never alias the oracle
        params.append(p)
    return params


def test_clips_to_max_norm_and_returns_the_norm_before(device):
    grads = [np.array([[3.0, 0.0], [0.0, 0.0]]), np.array([4.0, 0.0, 12.0])]  # global norm sqrt(9+16+144) = 13
    params = params_with_grads(grads, device)
    with strict.count_transfers() as counted:
        norm = clip_grad_norm(params, max_norm=1.0)
    assert counted.count == 0  # no host read: on a GPU, no synchronisation
    assert isinstance(norm, mt.Tensor) and norm.shape == () and norm.device == device  # as torch: a tensor
    assert float(norm) == pytest.approx(13.0, rel=1e-6)
    scale = 1.0 / (13.0 + 1e-6)
    for p, g in zip(params, grads):
        np.testing.assert_allclose(p.grad.numpy(), g * scale, rtol=1e-6)
        assert p.grad.dtype == np.float32
    total = math.sqrt(sum(float((p.grad.numpy().astype(np.float64) ** 2).sum()) for p in params))
    assert total == pytest.approx(1.0, rel=1e-5)


def test_the_epsilon_is_in_the_scale_and_keeps_a_tiny_norm_finite():
    """scale = max_norm / (norm + 1e-6): with a norm of 1e-3 the epsilon moves the scale by 0.1%, which float64
    sees (a scale of max_norm / norm would be off by 1e-3 relative); the norm returned has no epsilon."""
    grads = [np.array([6e-4, 0.0]), np.array([0.0, 8e-4])]  # norm 1e-3
    params = params_with_grads(grads, dtype="float64")
    assert float(clip_grad_norm(params, max_norm=1e-4)) == pytest.approx(1e-3, rel=1e-12)
    scale = 1e-4 / (1e-3 + 1e-6)
    for p, g in zip(params, grads):
        np.testing.assert_allclose(p.grad.numpy(), g * scale, rtol=1e-12)
        assert not np.allclose(p.grad.numpy(), g * 0.1, rtol=1e-4, atol=0)  # without the epsilon: visibly off


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_all_zero_gradients_stay_zero_and_the_norm_is_zero(dtype):
    """0 / (0 + 1e-6) is 0 < 1, and 1 / 1e-6 > 1 means no scaling: zeros in, zeros out, never nan."""
    params = params_with_grads([np.zeros((2, 3)), np.zeros(4)], dtype=dtype)
    for max_norm in (1.0, 0.0):
        assert float(clip_grad_norm(params, max_norm=max_norm)) == 0.0
        for p in params:
            assert p.grad.dtype == dtype and not np.isnan(p.grad.numpy()).any()
            np.testing.assert_array_equal(p.grad.numpy(), 0.0)
    assert float(clip_grad_norm(params, max_norm=1.0, norm_type=math.inf)) == 0.0


def test_no_scaling_below_the_threshold():
    grads = [np.array([0.3, -0.4])]
    params = params_with_grads(grads)
    assert float(clip_grad_norm(params, max_norm=1.0)) == pytest.approx(0.5, rel=1e-6)
    np.testing.assert_array_equal(params[0].grad.numpy(), np.float32(grads[0]))


def test_params_without_grad_are_skipped():
    params = params_with_grads([np.array([6.0, 8.0]), None])
    params[1] = mt.tensor([1.0, 2.0], requires_grad=True)  # no .grad at all
    assert float(clip_grad_norm(params, 5.0)) == pytest.approx(10.0, rel=1e-6)
    np.testing.assert_allclose(params[0].grad.numpy(), [3.0, 4.0], rtol=1e-6)
    assert params[1].grad is None
    assert float(clip_grad_norm([params[1]], 1.0)) == 0.0


def test_other_norms_match_numpy():
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 5)), rng.standard_normal(7)]
    flat = np.concatenate([g.ravel() for g in grads])
    for norm_type, want in [(1.0, np.abs(flat).sum()), (math.inf, np.abs(flat).max()),
                            (2.0, np.sqrt((flat ** 2).sum()))]:
        params = params_with_grads(grads, dtype="float64")
        assert float(clip_grad_norm(params, 0.1, norm_type=norm_type)) == pytest.approx(want, rel=1e-12)
        np.testing.assert_allclose(params[1].grad.numpy(), grads[1] * 0.1 / (want + 1e-6), rtol=1e-12)


def test_bad_arguments():
    params = params_with_grads([np.array([1.0])])
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm(params, -1.0)
    with pytest.raises(ValueError, match="norm_type"):
        clip_grad_norm(params, 1.0, norm_type=0)
    with pytest.raises(TypeError, match="tensors"):
        clip_grad_norm([np.ones(2)], 1.0)
    params[0].grad = mt.tensor([math.nan])
    with pytest.raises(RuntimeError, match="nan"):
        clip_grad_norm(params, 1.0, error_if_nonfinite=True)
