"""Gradient clipping by the global norm: one scale for all gradients, so their direction is kept."""
import math
import numbers

from .. import backend
from ..tensor import Tensor


def clip_grad_norm(params, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """n = ‖(g₁, …, g_k)‖_p over all gradients;  g ← g · min(1, max_norm / (n + 1e-6));  returns n (before clipping).

    Parameters without a gradient are skipped. The gradients are scaled in place. `norm_type` may be any
    p > 0 or math.inf (largest absolute value), as torch.nn.utils.clip_grad_norm_. Non-finite gradients are
    treated as torch treats them: a nan norm makes every gradient nan, an inf norm zeroes the finite entries
    (and makes the infinite ones nan); `error_if_nonfinite=True` raises instead, before changing anything.
    """
    if isinstance(params, Tensor):
        params = [params]
    if isinstance(max_norm, bool) or not isinstance(max_norm, numbers.Real) or not max_norm >= 0:
        raise ValueError(f"clip_grad_norm: max_norm must be a number >= 0, got {max_norm!r}")
    if isinstance(norm_type, bool) or not isinstance(norm_type, numbers.Real) or not norm_type > 0:
        raise ValueError(f"clip_grad_norm: norm_type must be a number > 0 or math.inf, got {norm_type!r}")
    grads = []
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"clip_grad_norm expects tensors, got a {type(p).__name__}")
        if p.grad is not None:
            grads.append(p.grad.data)
    if not grads:
        return 0.0
    xp = backend.array_module(*grads)
    norm_type = float(norm_type)
    # one norm per tensor, then the norm of those norms: equal to the norm of everything concatenated,
    # and it stays on the device until the single float() at the end
    if norm_type == math.inf:
        norms = [xp.max(xp.abs(g)) if g.size else xp.zeros((), g.dtype) for g in grads]
        total = float(xp.max(xp.stack(norms)))
    else:
        norms = [xp.linalg.norm(g.reshape(-1), ord=norm_type) for g in grads]
        total = float(xp.linalg.norm(xp.stack(norms), ord=norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm: the total gradient norm is {total} (a gradient holds nan or inf)")
    coef = max_norm / (total + 1e-6)
    # torch multiplies by min(coef, 1) with nan passing through the min: a nan norm (a nan gradient, or inf / inf)
    # turns every gradient into nan, an inf norm turns the finite ones into 0 and the infinite ones into nan
    if not coef >= 1.0:
        for g in grads:
            g *= coef  # a Python float: keeps float32 gradients float32
    return total
