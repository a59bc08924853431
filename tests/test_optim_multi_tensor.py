"""Multi-tensor steps (optim/flat.py): every parameter of a group updated by one kernel call on flat arrays, equal
to the per-parameter update (the update is elementwise: equal to the bit, on every device), and still right after
anything replaces the arrays (module.to, loading weights, loading the optimizer's state)."""
import numpy as np
import pytest

import minitransformer as mt
from minitransformer.optim import SGD, Adam, AdamW

SHAPES = [(7, 5), (5,), (), (3, 4, 2), (1,)]
BIG = [(600_000,), (300, 7)]  # above the CPU kernel's block threshold (kernels/cpu/optim.py): run by blocks
OPTIMIZERS = {
    "adamw": lambda ps: AdamW(ps, lr=1e-2, weight_decay=0.1),
    "adam": lambda ps: Adam(ps, lr=1e-2, weight_decay=0.1),
    "adam_betas": lambda ps: Adam(ps, lr=3e-3, betas=(0.5, 0.9), eps=1e-6),
    "sgd": lambda ps: SGD(ps, lr=0.1),
    "sgd_momentum": lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "sgd_nesterov": lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
}


def run(make, shapes, device, multi_tensor, steps=3, dtype="float32"):
    """The parameters and the state after `steps` updates with seeded gradients."""
    rng = np.random.default_rng(0)
    params = [mt.tensor(rng.standard_normal(s).astype(dtype), device=device, requires_grad=True) for s in shapes]
    opt = make(params)
    opt.multi_tensor = multi_tensor
    for _ in range(steps):
        for p in params:
            p.grad = mt.tensor(rng.standard_normal(p.shape).astype(dtype), device=device)
        opt.step()
    return params, opt


@pytest.mark.parametrize("name", [pytest.param(n, marks=[pytest.mark.t4_1] if n.startswith("adam") else [])
                                  for n in sorted(OPTIMIZERS)])
@pytest.mark.parametrize("shapes", [SHAPES, BIG], ids=["small", "big"])
def test_a_multi_tensor_step_equals_the_per_parameter_one(name, shapes, device):
    if shapes is BIG and device != "cpu":
        pytest.skip("the block threshold is the CPU kernel's")
    flat, opt = run(OPTIMIZERS[name], shapes, device, True)
    with mt.use_reference_kernels():  # the per-parameter reference kernel (on the CPU, not its blocked version)
        alone, ref = run(OPTIMIZERS[name], shapes, device, False)
    assert opt._flat and not ref._flat  # the flat path ran, and only where asked
    for a, b in zip(flat, alone):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for pa, pb in zip(flat, alone):
        sa, sb = opt.state[pa], ref.state[pb]
        assert sa.keys() == sb.keys()
        for key in sa:
            if key == "step":
                assert sa[key] == sb[key] == 3
            else:
                np.testing.assert_array_equal(mt.tensor(sa[key]).numpy(), mt.tensor(sb[key]).numpy())


@pytest.mark.t4_1
def test_parameters_and_state_become_views_of_one_flat_array():
    params, opt = run(OPTIMIZERS["adamw"], SHAPES, "cpu", True)
    flat = opt._flat[0]
    for p in params:
        assert p.data.base is flat.param and opt.state[p]["exp_avg"].base is flat.state["exp_avg"]
    assert flat.param.shape == (sum(int(np.prod(s)) for s in SHAPES),)


def test_arrays_replaced_from_outside_are_picked_up():
    """module.to, loading weights and load_state_dict replace arrays: the next step rebuilds the flat ones from
    the current values, and the run goes on exactly as the per-parameter one."""
    results = {}
    for multi in (True, False):
        mt.manual_seed(0)
        model = mt.nn.Sequential(mt.nn.Linear(4, 6), mt.nn.Linear(6, 3))
        opt = AdamW(model.parameters(), lr=1e-2)
        opt.multi_tensor = multi
        x = np.random.default_rng(1).standard_normal((5, 4)).astype("float32")
        for step in range(6):
            (model(x) * model(x)).sum().backward()
            opt.step()
            opt.zero_grad()
            if step == 1:
                model.to("strict").to("cpu")  # every p.data replaced
            if step == 2:
                for p in model.parameters():
                    p.data = p.data * 0.5  # weights loaded by assignment
            if step == 3:
                saved = opt.state_dict()
                opt.load_state_dict(saved)  # state arrays replaced by copies
        results[multi] = [p.numpy() for p in model.parameters()]
    for a, b in zip(results[True], results[False]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.t4_1
def test_parameters_without_a_gradient_are_left_alone():
    rng = np.random.default_rng(0)
    params = [mt.tensor(rng.standard_normal((3, 2)).astype("float32"), requires_grad=True) for _ in range(4)]
    before = [p.numpy().copy() for p in params]
    opt = AdamW(params, lr=0.1)
    for p in params[:3]:
        p.grad = mt.tensor(np.ones((3, 2), dtype="float32"))
    opt.step()
    np.testing.assert_array_equal(params[3].numpy(), before[3])
    assert params[3] not in opt.state and opt.state[params[0]]["step"] == 1
    params[3].grad = mt.tensor(np.ones((3, 2), dtype="float32"))  # it joins, one step behind: updated alone
    opt.step()
    assert [opt.state[p]["step"] for p in params] == [2, 2, 2, 1]
    assert not np.array_equal(params[3].numpy(), before[3])


@pytest.mark.t4_1
def test_mixed_dtypes_are_updated_one_parameter_at_a_time():
    rng = np.random.default_rng(0)
    params = [mt.tensor(rng.standard_normal(3), dtype=d, requires_grad=True) for d in ("float32", "float64")]
    opt = AdamW(params, lr=0.1)
    for p in params:
        p.grad = mt.tensor(np.ones(3), dtype=p.dtype)
    opt.step()
    assert not opt._flat and [p.dtype for p in params] == [np.float32, np.float64]
