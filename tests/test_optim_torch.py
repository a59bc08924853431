"""Reference tier: the same steps as torch.optim.SGD / Adam / AdamW, torch's clip_grad_norm_, and the schedule
functions of Hugging Face transformers (run with /opt/refvenv/bin/python -m pytest -m reference)."""
import numpy as np
import pytest

import minitransformer as mt
from minitransformer import optim

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.reference

SHAPES = [(6, 5), (5,)]
CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=1e-2)),
    ("Adam", dict(lr=1e-2, betas=(0.8, 0.99), weight_decay=0.1)),
    ("AdamW", dict(lr=1e-2)),
    ("AdamW", dict(lr=3e-2, eps=1e-6, weight_decay=0.5)),
]


def trajectories(name, hyper, steps, dtype):
    rng = np.random.default_rng(0)
    start = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) * scale for s, scale in zip(SHAPES, (1.0, 1e-3))]
             for _ in range(steps)]
    ours = [mt.tensor(w.copy(), requires_grad=True, dtype=dtype) for w in start]
    theirs = [torch.tensor(w.copy(), requires_grad=True) for w in start]
    opt = getattr(optim, name)(ours, **hyper)
    ref = getattr(torch.optim, name)(theirs, foreach=False, **hyper)
    for step_grads in grads:
        for p, q, g in zip(ours, theirs, step_grads):
            p.grad, q.grad = mt.tensor(g.copy(), dtype=dtype), torch.tensor(g.copy())
        opt.step()
        ref.step()
    return [p.numpy() for p in ours], [q.detach().numpy() for q in theirs]


@pytest.mark.parametrize("name, hyper", CASES)
def test_float64_steps_match_torch(name, hyper):
    ours, theirs = trajectories(name, hyper, 6, np.float64)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name, hyper", CASES)
def test_float32_steps_match_torch(name, hyper):
    ours, theirs = trajectories(name, hyper, 6, np.float32)
    for a, b in zip(ours, theirs):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=2e-6, atol=1e-6)


def test_clip_grad_norm_matches_torch():
    rng = np.random.default_rng(1)
    grads = [rng.standard_normal(s).astype(np.float32) * 3 for s in SHAPES]
    ours = [mt.tensor(np.zeros(s), requires_grad=True) for s in SHAPES]
    theirs = [torch.zeros(s, requires_grad=True) for s in SHAPES]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = mt.tensor(g.copy()), torch.tensor(g.copy())
    norm = optim.clip_grad_norm(ours, 1.0)
    ref = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert norm.shape == () and float(norm) == pytest.approx(ref.item(), rel=1e-6)  # both tensors
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("kind, args", [("linear", (3, 10)), ("linear", (0, 4)), ("cosine", (3, 10)),
                                        ("cosine", (2, 9, 1.5)), ("constant", (4,))])
def test_schedules_match_transformers(kind, args):
    transformers = pytest.importorskip("transformers")
    ours_fn = getattr(optim, f"get_{kind}_schedule_with_warmup")
    ref_fn = getattr(transformers, f"get_{kind}_schedule_with_warmup")
    ours_opt = optim.SGD([{"params": [mt.tensor([1.0], requires_grad=True)], "lr": lr} for lr in (0.1, 0.03)])
    ref_opt = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in (0.1, 0.03)])
    ours, ref = ours_fn(ours_opt, *args), ref_fn(ref_opt, *args)
    for _ in range(14):
        assert ours.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-12, abs=1e-15)
        ref_opt.step()  # torch warns when the schedule steps before the optimizer
        ours.step()
        ref.step()


GROUP_CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01), [{"lr": 0.3}, {"weight_decay": 0.0}]),
    ("SGD", dict(lr=0.1, momentum=0.5, dampening=0.3), [{"weight_decay": 0.2}, {"momentum": 0.0}]),
    ("Adam", dict(lr=0.01, weight_decay=0.1), [{"lr": 0.05, "betas": (0.5, 0.9)}, {"weight_decay": 0.0}]),
    ("AdamW", dict(lr=0.01), [{"weight_decay": 0.3, "eps": 1e-3}, {"weight_decay": 0.0, "lr": 0.2}]),
]


@pytest.mark.parametrize("name, defaults, overrides", GROUP_CASES, ids=[c[0] for c in GROUP_CASES])
@pytest.mark.parametrize("schedule", [None, "linear", "cosine"])
def test_param_groups_with_a_schedule_and_a_reload_mid_run_match_torch(name, defaults, overrides, schedule):
    """Two groups with their own settings, 8 steps with zero_grad, a transformers schedule, and at step 3 a fresh
    optimizer (and schedule) loaded from the state_dicts: the same trajectory as torch's uninterrupted run."""
    transformers = pytest.importorskip("transformers")
    shapes = [(4, 3), (3,), (2, 2)]
    rng = np.random.default_rng(5)
    start = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) for s in shapes] for _ in range(8)]

    def groups(params):
        return [{"params": params[:1], **overrides[0]}, {"params": params[1:], **overrides[1]}]

    def build(params):
        opt = getattr(optim, name)(groups(params), **defaults)
        sched = schedule and getattr(optim, f"get_{schedule}_schedule_with_warmup")(opt, 2, 8)
        return opt, sched

    ours = [mt.tensor(w.copy(), requires_grad=True, dtype=np.float64) for w in start]
    theirs = [torch.tensor(w.copy(), requires_grad=True) for w in start]
    opt, sched = build(ours)
    ref = getattr(torch.optim, name)(groups(theirs), foreach=False, **defaults)
    ref_sched = schedule and getattr(transformers, f"get_{schedule}_schedule_with_warmup")(ref, 2, 8)
    for t, step_grads in enumerate(grads):
        if t == 3:
            saved, saved_sched = opt.state_dict(), sched and sched.state_dict()
            ours = [mt.tensor(p.numpy().copy(), requires_grad=True, dtype=np.float64) for p in ours]
            opt, sched = build(ours)
            opt.load_state_dict(saved)
            if sched:
                sched.load_state_dict(saved_sched)
        for p, q, g in zip(ours, theirs, step_grads):
            p.grad, q.grad = mt.tensor(g.copy(), dtype=np.float64), torch.tensor(g.copy())
        opt.step()
        ref.step()
        if schedule:
            assert sched.get_last_lr() == pytest.approx(ref_sched.get_last_lr(), rel=1e-12, abs=1e-15)
            sched.step()
            ref_sched.step()
        opt.zero_grad()
        ref.zero_grad()
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-12, atol=1e-14)


def load_fixture_script():
    """tests/fixtures/make_optim_nonfinite.py as a module (its torch_results() runs every non-finite case)."""
    import importlib.util
    import pathlib
    path = pathlib.Path(__file__).parent / "fixtures" / "make_optim_nonfinite.py"
    spec = importlib.util.spec_from_file_location("make_optim_nonfinite", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.filterwarnings("ignore")
def test_nan_and_inf_go_where_live_torch_puts_them_and_the_fixture_is_current():
    """Every non-finite case of the fixture rerun by the installed torch: ours equal to it (nan at the same places,
    the same infinities, finite values to rounding), and the stored fixture equal to it too (regenerate if not)."""
    import json
    import test_optim_nonfinite as nonfinite
    live = load_fixture_script().torch_results()
    stored = json.loads((nonfinite.FIXTURES / "optim_nonfinite_torch.json").read_text(encoding="utf-8"))
    assert len(live["optimizers"]) == len(stored["optimizers"]) and len(live["clip"]) == len(stored["clip"])
    for case, kept in zip(live["optimizers"], stored["optimizers"]):
        for t, (ours, theirs, old) in enumerate(zip(nonfinite.run_optimizer(case), case["steps"], kept["steps"])):
            for key in theirs:
                what = f"{case['optimizer']} {case['hyper']} {case['scenario']} {case['dtype']} step {t + 1} {key}"
                nonfinite.assert_same_nonfinite(ours[key], theirs[key], case["dtype"], what)
                nonfinite.assert_same_nonfinite(old[key], theirs[key], case["dtype"], "stale fixture: " + what)
    for case, kept in zip(live["clip"], stored["clip"]):
        nonfinite.test_clip_grad_norm_puts_nan_and_inf_where_torch_does(case)
        for a, b in zip(kept["clipped"], case["clipped"]):
            nonfinite.assert_same_nonfinite(a, b, case["dtype"], "stale fixture")
    for case in live["schedules"]:
        nonfinite.test_schedules_on_an_infinite_lr_follow_transformers(case)
