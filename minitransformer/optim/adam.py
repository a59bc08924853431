"""Adam (weight decay as L2 on the gradient) and AdamW (decoupled weight decay), as torch.optim.Adam / AdamW.

The difference is where the decay goes. Adam adds wd·p to the gradient, so the decay is then divided by
sqrt(v) like everything else: weights with large gradients are barely decayed, weights with tiny gradients
are decayed hard. AdamW shrinks every weight by the same factor (1 − lr·wd) outside the adaptive step
(Loshchilov & Hutter, "Decoupled Weight Decay Regularization"). lessons/06_adamw.py shows the difference.
"""
import numbers

from .. import backend
from ..kernels.optim import adamw_step  # noqa: F401  (the update math; public here, as before)
from .optimizer import Optimizer


class Adam(Optimizer):
    """g ← g + wd·p (L2);  then the Adam step:  p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)"""

    flat_state = ("exp_avg", "exp_avg_sq")

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
