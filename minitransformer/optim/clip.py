"""Gradient clipping by the global norm: one scale for all gradients, so their direction is kept."""
import math
import numbers

from .. import backend
from ..kernels.optim import total_norm
from ..tensor import Tensor


def clip_grad_norm(params, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """n = ‖(g₁, …, g_k)‖_p over all gradients;  g ← g · min(1, max_norm / (n + 1e-6));  returns n (before clipping)
    as a 0-d Tensor on the gradients' device, as torch.nn.utils.clip_grad_norm_ (float(n) reads it).

    Nothing is read back to the host (no synchronisation with a GPU) unless error_if_nonfinite is set. Parameters
    without a gradient are skipped. The gradients are scaled in place. `norm_type` may be any
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
        return Tensor(0.0)
    xp = backend.array_module(*grads)
    total = xp.asarray(total_norm(grads, float(norm_type)))  # 0-d, on the device: nothing is read back here
    if error_if_nonfinite and not math.isfinite(float(total)):  # this check reads the norm (a sync, as torch's)
        raise RuntimeError(f"clip_grad_norm: the total gradient norm is {float(total)} (a gradient holds nan or "
                           "inf)")
    # torch multiplies by min(coef, 1) with nan passing through the min, computed on the device: a nan norm (a nan
    # gradient, or inf / inf) turns every gradient into nan, an inf norm turns the finite ones into 0 and the
    # infinite ones into nan; below max_norm the factor is exactly 1
    coef = xp.minimum(max_norm / (total + 1e-6), 1.0)  # 0-d, the gradients' dtype
    for g in grads:
        g *= coef
    return Tensor._wrap(total)
