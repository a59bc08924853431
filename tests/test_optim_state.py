"""state_dict round trip: 3 steps, save, a fresh optimizer, load, 2 more == 5 uninterrupted steps, bit for bit."""
import copy

import numpy as np
import pytest

import minitransformer as mt
from minitransformer import backend
from minitransformer.optim import SGD, Adam, AdamW, get_linear_schedule_with_warmup

OPTIMIZERS = {
    "sgd": lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "adam": lambda ps: Adam(ps, lr=1e-2, weight_decay=0.1),
    "adamw": lambda ps: AdamW([{"params": ps[:1]}, {"params": ps[1:], "weight_decay": 0.0, "lr": 3e-2}], lr=1e-2),
}


def make_params(device):
    rng = np.random.default_rng(3)
    return [mt.tensor(rng.standard_normal(s), device=device, requires_grad=True) for s in [(4, 3), (3,)]]


def set_grads(params, step):
    rng = np.random.default_rng(50 + step)
    for p in params:
        p.grad = mt.tensor(rng.standard_normal(p.shape), device=p.device)


def run(opt, sched, params, steps):
    for t in steps:
        set_grads(params, t)
        opt.step()
        sched.step()


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_resume_is_bit_identical(name, device):
    params = make_params(device)
    opt = OPTIMIZERS[name](params)
    sched = get_linear_schedule_with_warmup(opt, 2, 10)
    run(opt, sched, params, range(5))
    want = [p.numpy().copy() for p in params]

    params = make_params(device)
    opt = OPTIMIZERS[name](params)
    sched = get_linear_schedule_with_warmup(opt, 2, 10)
    run(opt, sched, params, range(3))
    saved_weights = [p.numpy().copy() for p in params]
    saved_opt, saved_sched = copy.deepcopy(opt.state_dict()), sched.state_dict()
    run(opt, sched, params, range(3, 4))  # the saved dict must not follow the live state along

    params = [mt.tensor(w, device=device, requires_grad=True) for w in saved_weights]
    opt = OPTIMIZERS[name](params)
    sched = get_linear_schedule_with_warmup(opt, 2, 10)
    opt.load_state_dict(saved_opt)
    sched.load_state_dict(saved_sched)
    run(opt, sched, params, range(3, 5))
    for got, w in zip(params, want):
        np.testing.assert_array_equal(got.numpy(), w)
        assert got.dtype == np.float32
    for p in params:
        for value in opt.state[p].values():
            if hasattr(value, "shape"):
                assert backend.device_of(value) == p.device  # restored onto the params' device


def test_state_dict_layout_is_numpy_by_position():
    params = make_params("cpu")
    opt = AdamW([{"params": params[:1]}, {"params": params[1:], "lr": 0.5}])
    set_grads(params, 0)
    params[1].grad = None  # no grad yet: no state for it
    opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0] and sd["param_groups"][1]["params"] == [1]
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert set(sd["state"]) == {0}
    assert sd["state"][0]["step"] == 1 and type(sd["state"][0]["exp_avg"]) is np.ndarray


def test_load_accepts_values_that_went_through_npz():
    params = make_params("cpu")
    opt = Adam(params, lr=0.01)
    set_grads(params, 0)
    opt.step()
    sd = opt.state_dict()
    for entry in sd["state"].values():
        entry["step"] = np.array(entry["step"])  # np.savez turns ints into 0-d arrays
    sd["param_groups"][0]["lr"] = np.float64(0.02)
    fresh = Adam(make_params("cpu"), lr=0.01)
    fresh.load_state_dict(sd)
    assert fresh.param_groups[0]["lr"] == 0.02 and type(fresh.param_groups[0]["lr"]) is float
    assert all(type(s["step"]) is int for s in fresh.state.values())


def wrong(sd, edit):
    sd = copy.deepcopy(sd)
    edit(sd)
    return sd


@pytest.mark.parametrize("edit, message", [
    (lambda sd: sd["param_groups"].append({"params": [], "lr": 0.1}), "2 parameter groups"),
    (lambda sd: sd["param_groups"][0]["params"].append(2), "3 parameters"),
    (lambda sd: sd["state"][0].update(exp_avg=np.zeros((3, 4))), r"shape \(3, 4\)"),
    (lambda sd: sd["state"].update({7: {}}), "parameter 7"),
    (lambda sd: sd["param_groups"][0].update(lr=-1.0), "learning rate"),
    (lambda sd: sd.pop("state"), "'state'"),
])
def test_mismatched_state_is_rejected_and_nothing_changes(edit, message):
    params = make_params("cpu")
    opt = Adam(params, lr=0.01)
    set_grads(params, 0)
    opt.step()
    sd = opt.state_dict()
    before = copy.deepcopy(sd)
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(wrong(sd, edit))
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for i in before["state"]:
        np.testing.assert_array_equal(after["state"][i]["exp_avg"], before["state"][i]["exp_avg"])
