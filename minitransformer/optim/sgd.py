"""SGD with momentum, dampening, Nesterov and L2 weight decay, step for step as torch.optim.SGD."""
import numbers

from ..kernels.optim import sgd_step
from .optimizer import Optimizer


class SGD(Optimizer):
    """d = g + wd·p;  b ← μ b + (1 − τ) d  (b = d at the first step);  d = d + μ b (Nesterov) or b;  p ← p − lr·d"""

    flat_state = ("momentum_buffer",)

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov)
        super().__init__(params, defaults)

    def _check_group(self, group):
        super()._check_group(group)
        for name in ("momentum", "dampening"):
            value = group[name]
            if not isinstance(value, numbers.Real) or isinstance(value, bool) or not value >= 0:
                raise ValueError(f"invalid {name} {value!r}: expected a number >= 0")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _update(self, param, grad, state, group):
        buffer = sgd_step(param, grad, state.get("momentum_buffer"), group["lr"], group["momentum"],
                          group["dampening"], group["weight_decay"], group["nesterov"], self._buffer(param))
        if buffer is not None:
            state["momentum_buffer"] = buffer
