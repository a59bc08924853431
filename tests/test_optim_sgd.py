"""SGD against updates written out by hand in float64 NumPy (torch.optim.SGD's documented algorithm)."""
import numpy as np
import pytest

import minitransformer as mt
from minitransformer.optim import SGD

SHAPES = [(3, 4), (5,)]


def grads_for(step):
    """A fixed, different gradient per step and parameter (independent of the weights, to keep it hand-checkable)."""
    rng = np.random.default_rng(100 + step)
    return [rng.standard_normal(shape) for shape in SHAPES]


def start():
    rng = np.random.default_rng(0)
    return [rng.standard_normal(shape) for shape in SHAPES]


def run_mt(steps, device="cpu", dtype="float64", **hyper):
    params = [mt.tensor(w, dtype=dtype, device=device, requires_grad=True) for w in start()]
    opt = SGD(params, **hyper)
    for t in range(steps):
        for p, g in zip(params, grads_for(t)):
            p.grad = mt.tensor(g, dtype=dtype, device=device)
        opt.step()
    return [p.numpy() for p in params]


def run_by_hand(steps, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    weights = start()
    velocity = [None] * len(weights)
    for t in range(steps):
        for i, g in enumerate(grads_for(t)):
            d = g + weight_decay * weights[i]
            if momentum:
                velocity[i] = d.copy() if velocity[i] is None else momentum * velocity[i] + (1 - dampening) * d
                d = d + momentum * velocity[i] if nesterov else velocity[i]
            weights[i] = weights[i] - lr * d
    return weights


CASES = {
    "plain": dict(lr=0.1),
    "momentum": dict(lr=0.05, momentum=0.9),
    "dampening": dict(lr=0.05, momentum=0.9, dampening=0.3),
    "nesterov": dict(lr=0.05, momentum=0.8, nesterov=True),
    "weight_decay": dict(lr=0.1, weight_decay=0.2),
    "everything": dict(lr=0.02, momentum=0.7, weight_decay=0.05, nesterov=True),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_sgd_matches_hand_computed_updates(case, device):
    got = run_mt(4, device=device, **CASES[case])
    for g, want in zip(got, run_by_hand(4, **CASES[case])):
        np.testing.assert_allclose(g, want, rtol=1e-12, atol=1e-12)


def test_first_momentum_step_ignores_dampening():
    # torch starts the velocity at the gradient itself, so one step with dampening equals plain SGD
    got = run_mt(1, lr=0.1, momentum=0.9, dampening=0.5)
    plain = run_by_hand(1, lr=0.1)
    for g, want in zip(got, plain):
        np.testing.assert_allclose(g, want, rtol=1e-12)


def test_float32_stays_float32_and_close_to_float64(device):
    got = run_mt(4, device=device, dtype="float32", lr=0.05, momentum=0.9, weight_decay=0.1)
    want = run_by_hand(4, lr=0.05, momentum=0.9, weight_decay=0.1)
    for g, w in zip(got, want):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_the_gradient_itself_is_not_modified():
    p = mt.tensor([1.0, 2.0], requires_grad=True)
    p.grad = mt.tensor([0.5, -0.5])
    opt = SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True)
    opt.step()
    opt.step()
    np.testing.assert_array_equal(p.grad.numpy(), np.array([0.5, -0.5], np.float32))


@pytest.mark.parametrize("hyper, message", [
    (dict(lr=-0.1), "learning rate"),
    (dict(lr=0.1, momentum=-0.5), "momentum"),
    (dict(lr=0.1, dampening=-1.0), "dampening"),
    (dict(lr=0.1, weight_decay=-1e-2), "weight_decay"),
    (dict(lr=0.1, nesterov=True), "Nesterov"),
    (dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
])
def test_bad_hyperparameters_are_named(hyper, message):
    with pytest.raises(ValueError, match=message):
        SGD([mt.tensor([1.0], requires_grad=True)], **hyper)
