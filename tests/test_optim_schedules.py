"""Schedules: the multipliers of Hugging Face transformers at the boundary steps, driven through .step()."""
import math

import pytest

import minitransformer as mt
from minitransformer.optim import (SGD, get_constant_schedule_with_warmup, get_cosine_schedule_with_warmup,
                                   get_linear_schedule_with_warmup)
from minitransformer.optim.schedules import linear_warmup_decay


def hf_linear(step, warmup, total):
    """transformers.optimization._get_linear_schedule_with_warmup_lr_lambda, copied in as the oracle."""
    if step < warmup:
        return float(step) / float(max(1, warmup))
    return max(0.0, float(total - step) / float(max(1, total - warmup)))


def hf_cosine(step, warmup, total, cycles=0.5):
    if step < warmup:
        return float(step) / float(max(1, warmup))
    progress = float(step - warmup) / float(max(1, total - warmup))
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(cycles) * 2.0 * progress)))


def boundary_steps(warmup, total):
    return sorted({0, max(warmup - 1, 0), warmup, warmup + 1, total - 1, total, total + 1, total + 7})


def optimizer(lrs=(0.1, 0.02)):
    return SGD([{"params": [mt.tensor([1.0], requires_grad=True)], "lr": lr} for lr in lrs], lr=1.0)


def lrs_by_step(sched, last):
    """get_last_lr() after 0, 1, ..., last calls of .step()."""
    out = [sched.get_last_lr()]
    for _ in range(last):
        sched.step()
        out.append(sched.get_last_lr())
    return out


# warmup shorter than, equal to and longer than the run, none, one step: where `step < warmup` decides
WARMUP_TOTAL = [(4, 10), (0, 5), (1, 3), (10, 10), (6, 4), (1, 1), (3, 3), (5, 2), (2, 1), (0, 0), (7, 8), (1, 2)]


@pytest.mark.t4_2
@pytest.mark.parametrize("warmup, total", WARMUP_TOTAL)
def test_linear_multiplier_matches_hugging_face(warmup, total):
    for step in boundary_steps(warmup, total):
        assert linear_warmup_decay(step, warmup, total) == hf_linear(step, warmup, total)


@pytest.mark.t4_2
def test_the_warmup_ends_exactly_at_step_warmup():
    """The last warmup step is warmup - 1 (multiplier (warmup-1)/warmup); step `warmup` is the decay's first: 1.0
    when the run is longer, 0.0 when it ends there or earlier (no step at full lr for a run of warmup steps)."""
    for warmup, total in WARMUP_TOTAL:
        if warmup:
            assert linear_warmup_decay(warmup - 1, warmup, total) == (warmup - 1) / warmup
        assert linear_warmup_decay(warmup, warmup, total) == (1.0 if total > warmup else 0.0), (warmup, total)


@pytest.mark.t4_2
def test_linear_schedule_sets_every_group_lr():
    opt = optimizer()
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=4, num_training_steps=10)
    history = lrs_by_step(sched, 17)
    for step in boundary_steps(4, 10):
        assert history[step] == [0.1 * hf_linear(step, 4, 10), 0.02 * hf_linear(step, 4, 10)]
    # the shape a reader should see: 0 at the start, the peak at the end of warmup, 0 from the last step on
    assert history[0] == [0.0, 0.0] and history[4] == [0.1, 0.02] and history[10] == history[17] == [0.0, 0.0]
    assert [g["lr"] for g in opt.param_groups] == history[-1]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.02]


@pytest.mark.t4_2
def test_constructing_a_schedule_applies_step_zero():
    opt = optimizer()
    get_linear_schedule_with_warmup(opt, 3, 10)
    assert [g["lr"] for g in opt.param_groups] == [0.0, 0.0]  # the first update happens at lr 0, as in HF


@pytest.mark.parametrize("warmup, total, cycles", [(3, 10, 0.5), (0, 8, 0.5), (2, 12, 1.0), (2, 12, 2.0)])
def test_cosine_schedule_matches_hugging_face(warmup, total, cycles):
    opt = optimizer()
    sched = get_cosine_schedule_with_warmup(opt, warmup, total, num_cycles=cycles)
    history = lrs_by_step(sched, total + 7)
    for step in boundary_steps(warmup, total):
        want = hf_cosine(step, warmup, total, cycles)
        assert history[step] == pytest.approx([0.1 * want, 0.02 * want], abs=1e-15)


def test_cosine_half_cycle_reaches_zero_at_the_end_and_half_in_the_middle():
    sched = get_cosine_schedule_with_warmup(optimizer((1.0,)), 0, 10)
    history = lrs_by_step(sched, 10)
    assert history[5][0] == pytest.approx(0.5) and history[10][0] == pytest.approx(0.0, abs=1e-15)


def test_constant_schedule_with_warmup():
    sched = get_constant_schedule_with_warmup(optimizer((0.5,)), 4)
    assert [lr[0] for lr in lrs_by_step(sched, 6)] == [0.0, 0.125, 0.25, 0.375, 0.5, 0.5, 0.5]


def test_schedule_state_dict_resumes():
    opt = optimizer()
    sched = get_linear_schedule_with_warmup(opt, 2, 10)
    for _ in range(3):
        sched.step()
    saved = sched.state_dict()
    opt2 = optimizer()
    sched2 = get_linear_schedule_with_warmup(opt2, 2, 10)
    sched2.load_state_dict(saved)
    assert [g["lr"] for g in opt2.param_groups] == sched.get_last_lr()
    sched.step()
    sched2.step()
    assert sched2.get_last_lr() == sched.get_last_lr() == [0.1 * hf_linear(4, 2, 10), 0.02 * hf_linear(4, 2, 10)]


def test_schedule_errors():
    with pytest.raises(ValueError, match="num_warmup_steps"):
        get_linear_schedule_with_warmup(optimizer(), -1, 10)
    with pytest.raises(ValueError, match="num_training_steps"):
        get_cosine_schedule_with_warmup(optimizer(), 1, 2.5)
    with pytest.raises(ValueError, match="num_cycles"):
        get_cosine_schedule_with_warmup(optimizer(), 1, 5, num_cycles=-1)
    with pytest.raises(TypeError, match="Optimizer"):
        get_linear_schedule_with_warmup([0.1], 1, 5)
    with pytest.raises(ValueError, match="groups"):
        get_linear_schedule_with_warmup(optimizer(), 1, 5).load_state_dict(
            get_linear_schedule_with_warmup(optimizer((0.1,)), 1, 5).state_dict())
