"""nan and inf in clip_grad_norm, SGD, Adam, AdamW and the schedules go where PyTorch puts them.

The values are torch's, stored by tests/fixtures/make_optim_nonfinite.py (tests/test_optim_torch.py reruns it live):
nan exactly where torch has nan, the same infinities with the same signs, the finite rest within float rounding.
"""
import json
import math

import numpy as np
import pytest

import minitransformer as mt
from minitransformer import optim

from conftest import FIXTURES

NAN, INF = math.nan, math.inf
TORCH = json.loads((FIXTURES / "optim_nonfinite_torch.json").read_text(encoding="utf-8"))
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's "invalid value" (torch is silent)


def assert_same_nonfinite(got, want, dtype, what=""):
    """nan at the same places, the same signed infinities, the finite values equal to rounding of the dtype."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    rtol = 2e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(got, want, rtol=rtol, atol=0, equal_nan=True, err_msg=what)


def run_optimizer(case):
    """Our weights and state after each step of the fixture's case."""
    hyper = {k: tuple(v) if isinstance(v, list) else v for k, v in case["hyper"].items()}
    param = mt.tensor(case["start"], dtype=case["dtype"], requires_grad=True)
    opt = getattr(optim, case["optimizer"])([param], **hyper)
    steps = []
    for grad in case["grads"]:
        param.grad = mt.tensor(grad, dtype=case["dtype"])
        opt.step()
        record = {"param": param.numpy().copy()}
        record.update({k: np.array(v, copy=True) for k, v in opt.state[param].items() if k != "step"})
        steps.append(record)
    return steps


def optimizer_cases():
    for i, case in enumerate(TORCH["optimizers"]):
        marks = [pytest.mark.t4_1] if case["optimizer"] in ("Adam", "AdamW") else []  # runs adamw_step
        name = f"{case['optimizer']}-{i}-{case['scenario']}-{case['dtype']}"
        yield pytest.param(case, id=name, marks=marks)


@pytest.mark.parametrize("case", list(optimizer_cases()))
def test_optimizer_steps_put_nan_and_inf_where_torch_does(case):
    """Weights AND state: an infinite gradient leaves nan in Adam's m (torch.lerp: inf − inf), a float32 gradient
    of 1e20 gives v ≈ 1e37 rather than inf (so the weight still moves), a nan weight stays nan."""
    for t, (ours, theirs) in enumerate(zip(run_optimizer(case), case["steps"])):
        assert sorted(ours) == sorted(theirs)
        for key in theirs:
            assert_same_nonfinite(ours[key], theirs[key], case["dtype"], f"step {t + 1}, {key}")


def test_the_fixture_covers_every_kind():
    scenarios = {c["scenario"] for c in TORCH["optimizers"]}
    assert scenarios == {"nan_grad", "inf_grad", "inf_at_step_2", "nonfinite_weights", "zero_grad_infinite_weights",
                         "overflowing_square"}
    assert {c["optimizer"] for c in TORCH["optimizers"]} == {"SGD", "Adam", "AdamW"}
    assert len(TORCH["clip"]) >= 20 and len(TORCH["schedules"]) == 3


@pytest.mark.parametrize("case", TORCH["clip"], ids=lambda c: f"{c['grads']}-max{c['max_norm']}-p{c['norm_type']}"
                                                             f"-{c['dtype']}")
def test_clip_grad_norm_puts_nan_and_inf_where_torch_does(case):
    params = [mt.tensor(np.zeros(len(g)), dtype=case["dtype"], requires_grad=True) for g in case["grads"]]
    for p, g in zip(params, case["grads"]):
        p.grad = mt.tensor(g, dtype=case["dtype"])
    norm = optim.clip_grad_norm(params, case["max_norm"], norm_type=case["norm_type"])
    assert_same_nonfinite(norm, case["norm"], case["dtype"], "the returned norm")
    for p, want in zip(params, case["clipped"]):
        assert p.grad.dtype == case["dtype"]
        assert_same_nonfinite(p.grad.numpy(), want, case["dtype"], "the clipped gradient")


def test_the_issue_case_written_out():
    """A nan in one gradient: torch returns nan and turns every gradient into nan (the nan coefficient multiplies
    them all), not only the one that held it."""
    a, b = mt.tensor([0.0, 0.0], requires_grad=True), mt.tensor([0.0, 0.0], requires_grad=True)
    a.grad, b.grad = mt.tensor([NAN, 1.0]), mt.tensor([3.0, 4.0])
    assert math.isnan(optim.clip_grad_norm([a, b], max_norm=1.0))
    assert np.isnan(a.grad.numpy()).all() and np.isnan(b.grad.numpy()).all()
    # an inf norm: the coefficient is 0, so finite entries become 0 and the inf one nan (inf * 0)
    a.grad, b.grad = mt.tensor([INF, 1.0]), mt.tensor([3.0, 4.0])
    assert optim.clip_grad_norm([a, b], max_norm=1.0) == INF
    np.testing.assert_array_equal(a.grad.numpy(), [NAN, 0.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.0, 0.0])


def test_error_if_nonfinite_raises_before_touching_the_gradients():
    a = mt.tensor([0.0, 0.0], requires_grad=True)
    a.grad = mt.tensor([INF, 1.0])
    with pytest.raises(RuntimeError, match="inf"):
        optim.clip_grad_norm([a], 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(a.grad.numpy(), [INF, 1.0])


@pytest.mark.parametrize("case", TORCH["schedules"], ids=lambda c: c["kind"])
def test_schedules_on_an_infinite_lr_follow_transformers(case):
    """lr = initial lr · multiplier, in Python floats as LambdaLR: 0 · inf = nan at step 0, inf during the run."""
    opt = optim.SGD([mt.tensor([0.0], requires_grad=True)], lr=case["lr"])
    schedule = getattr(optim, f"get_{case['kind']}_schedule_with_warmup")(opt, *case["args"])
    lrs = []
    for _ in range(len(case["lrs"])):
        lrs.append(schedule.get_last_lr()[0])
        schedule.step()
    assert_same_nonfinite(lrs, case["lrs"], "float64")
    assert math.isnan(lrs[0]) and lrs[1] == INF


@pytest.mark.parametrize("cycles", [INF, -INF, NAN])
def test_cosine_schedule_rejects_a_non_finite_number_of_cycles(cycles):
    """transformers fails later with math.cos's bare 'math domain error' (inf) or silently gives lr 0 (nan)."""
    opt = optim.SGD([mt.tensor([0.0], requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="num_cycles must be a finite number >= 0"):
        optim.get_cosine_schedule_with_warmup(opt, 1, 5, num_cycles=cycles)
    assert opt.param_groups[0]["lr"] == 0.1 and "initial_lr" not in opt.param_groups[0]


@pytest.mark.parametrize("name, hyper", [("SGD", {"lr": NAN}), ("Adam", {"lr": NAN}), ("AdamW", {"eps": NAN}),
                                         ("AdamW", {"betas": (NAN, 0.9)}), ("AdamW", {"weight_decay": NAN}),
                                         ("SGD", {"lr": 0.1, "momentum": NAN})])
def test_nan_hyperparameters_are_rejected_and_inf_lr_is_accepted(name, hyper):
    """torch.optim.Adam/AdamW reject nan hyperparameters (`not 0.0 <= lr`); we do so for SGD too, where torch's
    `lr < 0.0` check lets nan through into weights that all become nan. An infinite lr is allowed, as in torch."""
    p = mt.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="invalid"):
        getattr(optim, name)([p], **hyper)
    getattr(optim, name)([p], lr=INF)
