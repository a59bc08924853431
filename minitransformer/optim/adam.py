"""Adam (weight decay as L2 on the gradient) and AdamW (decoupled weight decay), as torch.optim.Adam / AdamW.

The difference is where the decay goes. Adam adds wd·p to the gradient, so the decay is then divided by
sqrt(v) like everything else: weights with large gradients are barely decayed, weights with tiny gradients
are decayed hard. AdamW shrinks every weight by the same factor (1 − lr·wd) outside the adaptive step
(Loshchilov & Hutter, "Decoupled Weight Decay Regularization"). lessons/06_adamw.py shows the difference.
"""
import math
import numbers

from .. import backend
from .optimizer import Optimizer


def lerp_(start, end, weight, scratch):
    """start ← start + w·(end − start) when w < ½, else end − (1 − w)·(end − start): torch.lerp, in place.

    Both equal (1 − w)·start + w·end; torch computes from the nearer end (exact at w = 0 and w = 1). The form
    matters where a value is infinite: inf − inf is nan, so an infinite gradient leaves nan in torch's running
    mean, and so it does here. `scratch` is a spare array shaped like `start`.
    """
    xp = backend.array_module(start)
    delta = xp.subtract(end, start, out=scratch)  # end − start
    if weight < 0.5:
        start += xp.multiply(delta, weight, out=scratch)
    else:
        xp.subtract(end, xp.multiply(delta, 1.0 - weight, out=scratch), out=start)


def adamw_step(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay, scratch):
    """p ← p(1 − lr·wd);  m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;  p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)

    All arrays are updated in place; `step` is t (1 at the first update); `scratch` is a spare array shaped like
    `param` for the temporaries, so the update allocates no new memory. nan and inf go where torch.optim.AdamW
    puts them, because the terms are formed in its order: m by `lerp_` (so an infinite g leaves m nan), and
    (1−β2)·g before multiplying by g again (so a float32 g of 1e20 gives v ≈ 1e37, not inf; an inf v would
    freeze the weight where torch's moves).
    """
    xp = backend.array_module(param)
    # BEGIN SOLUTION t4.1 AdamW step
    if weight_decay != 0:
        param *= 1.0 - lr * weight_decay  # decoupled: shrink the weight itself, not the gradient
    lerp_(exp_avg, grad, 1.0 - beta1, scratch)  # m ← β1 m + (1 − β1) g : running mean of the gradient
    exp_avg_sq *= beta2  # v ← β2 v + (1 − β2) g² : running mean of its square
    exp_avg_sq += xp.multiply(xp.multiply(grad, 1.0 - beta2, out=scratch), grad, out=scratch)
    # m and v start at 0, so early on they are too small by (1 − βᵗ): divide that back out
    step_size = lr / (1.0 - beta1 ** step)
    denom = xp.sqrt(exp_avg_sq, out=scratch)
    denom /= math.sqrt(1.0 - beta2 ** step)
    denom += eps  # ε after the correction, as PyTorch: keeps the step finite where v = 0
    update = xp.divide(exp_avg, denom, out=scratch)
    update *= step_size
    param -= update
    # END SOLUTION


class Adam(Optimizer):
    """g ← g + wd·p (L2);  then the Adam step:  p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)"""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _check_group(self, group):
        super()._check_group(group)
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"invalid betas {betas!r}: expected a pair (beta1, beta2)")
        for i, beta in enumerate(betas):
            if not isinstance(beta, numbers.Real) or isinstance(beta, bool) or not 0.0 <= beta < 1.0:
                raise ValueError(f"invalid beta{i + 1} {beta!r}: expected a number in [0, 1)")
        eps = group["eps"]
        if not isinstance(eps, numbers.Real) or isinstance(eps, bool) or not eps >= 0:
            raise ValueError(f"invalid eps {eps!r}: expected a number >= 0")

    def _moments(self, param, state):
        """This parameter's step count and moment arrays, created (zeros, same dtype and device) on first use."""
        if not state:
            xp = backend.array_module(param)
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(param)
            state["exp_avg_sq"] = xp.zeros_like(param)
        state["step"] += 1
        return state["step"], state["exp_avg"], state["exp_avg_sq"]

    def _update(self, param, grad, state, group):
        weight_decay = group["weight_decay"]
        if weight_decay != 0:
            grad = grad + weight_decay * param  # L2: a new array, the caller's .grad stays untouched
        step, exp_avg, exp_avg_sq = self._moments(param, state)
        beta1, beta2 = group["betas"]
        adamw_step(param, grad, exp_avg, exp_avg_sq, step, group["lr"], beta1, beta2, group["eps"], 0.0,
                   self._buffer(param))


class AdamW(Adam):
    """p ← p(1 − lr·wd), then the Adam step on the raw gradient (decoupled weight decay)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        Optimizer.__init__(self, params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _update(self, param, grad, state, group):
        step, exp_avg, exp_avg_sq = self._moments(param, state)
        beta1, beta2 = group["betas"]
        adamw_step(param, grad, exp_avg, exp_avg_sq, step, group["lr"], beta1, beta2, group["eps"],
                   group["weight_decay"], self._buffer(param))
