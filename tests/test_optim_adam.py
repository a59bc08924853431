"""Adam (L2 decay in the gradient) and AdamW (decoupled decay) against updates written out in float64 NumPy."""
import math

import numpy as np
import pytest

import minitransformer as mt
from minitransformer.optim import Adam, AdamW, adamw_step

SHAPES = [(4, 3), (3,)]


def grads_for(step):
    rng = np.random.default_rng(200 + step)
    # different scales per parameter, so the adaptive denominators matter
    return [rng.standard_normal(shape) * scale for shape, scale in zip(SHAPES, (1.0, 1e-3))]


def start():
    rng = np.random.default_rng(1)
    return [rng.standard_normal(shape) for shape in SHAPES]


def run_mt(cls, steps, device="cpu", dtype="float64", **hyper):
    params = [mt.tensor(w, dtype=dtype, device=device, requires_grad=True) for w in start()]
    opt = cls(params, **hyper)
    for t in range(steps):
        for p, g in zip(params, grads_for(t)):
            p.grad = mt.tensor(g, dtype=dtype, device=device)
        opt.step()
    return [p.numpy() for p in params], opt


def run_by_hand(steps, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    """The textbook algorithm, spelled out: bias-corrected moments; eps added after correcting sqrt(v)."""
    b1, b2 = betas
    weights = start()
    m = [np.zeros_like(w) for w in weights]
    v = [np.zeros_like(w) for w in weights]
    for t in range(1, steps + 1):
        for i, g in enumerate(grads_for(t - 1)):
            if decoupled:
                weights[i] = weights[i] * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * weights[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            m_hat = m[i] / (1 - b1 ** t)
            v_hat = v[i] / (1 - b2 ** t)
            weights[i] = weights[i] - lr * m_hat / (np.sqrt(v_hat) + eps)
    return weights


def close(got, want, rtol=1e-10, atol=1e-12):
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


@pytest.mark.t4_1
@pytest.mark.parametrize("hyper", [dict(lr=1e-2), dict(lr=3e-2, weight_decay=0.1),
                                   dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.5)])
def test_adamw_matches_hand_computed_updates(hyper, device):
    got, _ = run_mt(AdamW, 5, device=device, **hyper)
    close(got, run_by_hand(5, decoupled=True, **{"weight_decay": 0.01, **hyper}))


@pytest.mark.t4_1
@pytest.mark.parametrize("hyper", [dict(lr=1e-2), dict(lr=3e-2, weight_decay=0.1)])
def test_adam_with_l2_matches_hand_computed_updates(hyper, device):
    got, _ = run_mt(Adam, 5, device=device, **hyper)
    close(got, run_by_hand(5, decoupled=False, **hyper))


@pytest.mark.t4_1
def test_adam_l2_and_adamw_are_different_algorithms():
    adam, _ = run_mt(Adam, 5, lr=1e-2, weight_decay=0.5)
    adamw, _ = run_mt(AdamW, 5, lr=1e-2, weight_decay=0.5)
    # the weight with tiny gradients (scale 1e-3) is where L2 through sqrt(v) decays hardest
    assert np.abs(adam[1] - adamw[1]).max() > 1e-2
    # without decay they are the same algorithm
    close(run_mt(Adam, 5, lr=1e-2)[0], run_mt(AdamW, 5, lr=1e-2, weight_decay=0.0)[0], rtol=0, atol=0)


@pytest.mark.t4_1
def test_adamw_step_function_on_one_array():
    # the classroom function on its own: one step from zero moments, t = 1
    p, g = np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.0, -4.0])
    m, v = np.zeros(3), np.zeros(3)
    lr, b1, b2, eps, wd = 0.1, 0.9, 0.999, 1e-8, 0.1
    want_p = p * (1 - lr * wd) - lr * g / (np.abs(g) + eps)  # at t = 1, m_hat = g and sqrt(v_hat) = |g|
    adamw_step(p, g, m, v, 1, lr, b1, b2, eps, wd, np.empty(3))
    np.testing.assert_allclose(p, want_p, rtol=1e-12)
    np.testing.assert_allclose(m, 0.1 * g, rtol=1e-15)
    np.testing.assert_allclose(v, 0.001 * g * g, rtol=1e-12)


@pytest.mark.t4_1
def test_float32_stays_float32(device):
    got, opt = run_mt(AdamW, 3, device=device, dtype="float32", lr=1e-2, weight_decay=0.1)
    for g, w in zip(got, run_by_hand(3, lr=1e-2, weight_decay=0.1, decoupled=True)):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    for state in opt.state.values():
        assert state["exp_avg"].dtype == np.float32 and state["exp_avg_sq"].dtype == np.float32
        assert state["step"] == 3


def test_parameters_without_grad_are_left_alone():
    a, b = mt.tensor([1.0, 2.0], requires_grad=True), mt.tensor([3.0], requires_grad=True)
    a.grad = mt.tensor([0.1, 0.1])
    opt = AdamW([a, b], lr=0.1, weight_decay=0.5)
    opt.step()
    assert b.numpy().tolist() == [3.0]  # no grad: not even decayed, as in PyTorch
    assert b not in opt.state and opt.state[a]["step"] == 1


def test_zero_grad_sets_none_or_zeros():
    p = mt.tensor([1.0, 2.0], requires_grad=True)
    p.grad = mt.tensor([0.5, 0.5])
    opt = Adam([p])
    opt.zero_grad(set_to_none=False)
    assert p.grad.numpy().tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


def test_adamw_defaults_follow_the_reference():
    opt = AdamW([mt.tensor([1.0], requires_grad=True)])
    group = opt.param_groups[0]
    assert (group["lr"], tuple(group["betas"]), group["eps"], group["weight_decay"]) == (1e-3, (0.9, 0.999), 1e-8,
                                                                                         0.01)
    assert Adam([mt.tensor([1.0], requires_grad=True)]).param_groups[0]["weight_decay"] == 0.0


@pytest.mark.parametrize("hyper, message", [
    (dict(lr=-1e-3), "learning rate"),
    (dict(betas=(1.0, 0.999)), "beta1"),
    (dict(betas=(0.9, -0.1)), "beta2"),
    (dict(betas=(0.9,)), "pair"),
    (dict(eps=-1.0), "eps"),
    (dict(weight_decay=-0.01), "weight_decay"),
    (dict(lr=math.nan), "learning rate"),
])
def test_bad_hyperparameters_are_named(hyper, message):
    for cls in (Adam, AdamW):
        with pytest.raises(ValueError, match=message):
            cls([mt.tensor([1.0], requires_grad=True)], **hyper)
