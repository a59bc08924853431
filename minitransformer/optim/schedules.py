"""Learning-rate schedules: lr = initial lr × multiplier(step), with the multipliers of Hugging Face transformers.

A schedule works like torch's LambdaLR: constructing it records each group's initial lr (as "initial_lr") and
sets lr = initial lr × multiplier(0); every `.step()` (called after `optimizer.step()`) advances one step.
"""
import math
import numbers

from .optimizer import Optimizer


class LambdaLR:
    """lr_g(t) = initial_lr_g · λ(t), with t the number of `.step()` calls so far."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"a schedule needs an Optimizer, got {type(optimizer).__name__}")
        groups = optimizer.param_groups
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * len(groups)
        if len(lambdas) != len(groups) or not all(callable(f) for f in lambdas):
            raise ValueError(f"expected one callable, or one per parameter group ({len(groups)}), got {lr_lambda!r}")
        if last_epoch == -1:
            for group in groups:
                group.setdefault("initial_lr", group["lr"])
        elif any("initial_lr" not in group for group in groups):
            raise KeyError("resuming a schedule (last_epoch != -1) needs 'initial_lr' in every parameter group: "
                           "load the optimizer's state_dict first")
        self.optimizer = optimizer
        self.lr_lambdas = lambdas
        self.base_lrs = [group["initial_lr"] for group in groups]
        self.last_epoch = last_epoch
        self.step()  # to step 0 (or to last_epoch + 1 when resuming)

    def step(self):
        """Advance one step and set each group's lr."""
        self.last_epoch += 1
        self._last_lr = [base * f(self.last_epoch) for base, f in zip(self.base_lrs, self.lr_lambdas)]
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr

    def get_last_lr(self):
        """The lr of each group as set by the last step (a list, one per group)."""
        return list(self._last_lr)

    def state_dict(self):
        """The position in the schedule (the multiplier functions are rebuilt by the constructor, not saved)."""
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs), "_last_lr": list(self._last_lr)}

    def load_state_dict(self, state_dict):
        """Continue from a saved position; sets the groups' lr to the saved ones."""
        missing = {"last_epoch", "base_lrs", "_last_lr"} - set(state_dict)
        if missing:
            raise ValueError(f"schedule state_dict is missing {sorted(missing)}")
        if len(state_dict["base_lrs"]) != len(self.optimizer.param_groups):
            raise ValueError(f"the loaded schedule has {len(state_dict['base_lrs'])} groups, the optimizer has "
                             f"{len(self.optimizer.param_groups)}")
        self.last_epoch = int(state_dict["last_epoch"])
        self.base_lrs = [float(lr) for lr in state_dict["base_lrs"]]
        self._last_lr = [float(lr) for lr in state_dict["_last_lr"]]
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr


def _check_steps(**steps):
    for name, value in steps.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise ValueError(f"{name} must be an integer >= 0, got {value!r}")


def linear_warmup_decay(step, num_warmup_steps, num_training_steps):
    """step / warmup while step < warmup, then max(0, (total − step) / (total − warmup))"""
    # BEGIN SOLUTION t4.2 linear warmup schedule
    if step < num_warmup_steps:
        return float(step) / float(max(1, num_warmup_steps))  # 0 at step 0: the first update does nothing
    return max(0.0, float(num_training_steps - step) / float(max(1, num_training_steps - num_warmup_steps)))
    # END SOLUTION


def cosine_warmup_decay(step, num_warmup_steps, num_training_steps, num_cycles=0.5):
    """step / warmup while step < warmup, then max(0, ½(1 + cos(2π · cycles · progress))), progress ∈ [0, 1]"""
    if step < num_warmup_steps:  # the warmup is the linear schedule's
        return linear_warmup_decay(step, num_warmup_steps, num_training_steps)
    progress = float(step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))


def constant_warmup(step, num_warmup_steps):
    """step / warmup while step < warmup, then 1"""
    if step < num_warmup_steps:  # the warmup is the linear schedule's
        return linear_warmup_decay(step, num_warmup_steps, num_warmup_steps)
    return 1.0


def get_linear_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps, last_epoch=-1):
    """lr rises linearly from 0 to the initial lr over the warmup, then falls linearly to 0 at the last step."""
    _check_steps(num_warmup_steps=num_warmup_steps, num_training_steps=num_training_steps)
    return LambdaLR(optimizer, lambda step: linear_warmup_decay(step, num_warmup_steps, num_training_steps),
                    last_epoch)


def get_cosine_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps, num_cycles=0.5,
                                    last_epoch=-1):
    """Linear warmup, then a cosine from the initial lr down to 0 (num_cycles=0.5: half a period)."""
    _check_steps(num_warmup_steps=num_warmup_steps, num_training_steps=num_training_steps)
    if (isinstance(num_cycles, bool) or not isinstance(num_cycles, numbers.Real) or not num_cycles >= 0
            or not math.isfinite(num_cycles)):
        raise ValueError(f"num_cycles must be a finite number >= 0, got {num_cycles!r}")
    return LambdaLR(optimizer, lambda step: cosine_warmup_decay(step, num_warmup_steps, num_training_steps,
                                                                num_cycles), last_epoch)


def get_constant_schedule_with_warmup(optimizer, num_warmup_steps, last_epoch=-1):
    """Linear warmup, then the initial lr for ever."""
    _check_steps(num_warmup_steps=num_warmup_steps)
    return LambdaLR(optimizer, lambda step: constant_warmup(step, num_warmup_steps), last_epoch)
