"""The optimizers' update math, one parameter at a time, in place: the reference kernels (optim/ holds the
bookkeeping: groups, state, validation). Each follows torch.optim step for step, nan and inf included.
`scratch` is a spare array shaped like the parameter, so an update allocates no new memory. `total_norm` is
gradient clipping's one reduction.
"""
import math

from .. import backend
from .dispatch import kernel


def lerp_(start, end, weight, scratch):
    """start ← start + w·(end − start) when w < ½, else end − (1 − w)·(end − start): torch.lerp, in place.

    Both equal (1 − w)·start + w·end; torch computes from the nearer end (exact at w = 0 and w = 1). The form
    matters where a value is infinite: inf − inf is nan, so an infinite gradient leaves nan in torch's running
    mean, and so it does here.
    """
    xp = backend.array_module(start)
    delta = xp.subtract(end, start, out=scratch)  # end − start
    if weight < 0.5:
        start += xp.multiply(delta, weight, out=scratch)
    else:
        xp.subtract(end, xp.multiply(delta, 1.0 - weight, out=scratch), out=start)


@kernel
def adamw_step(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay, scratch):
    """p ← p(1 − lr·wd);  m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;  p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)

    All arrays are updated in place; `step` is t (1 at the first update). nan and inf go where torch.optim.AdamW
    puts them, because the terms are formed in its order: m by `lerp_` (so an infinite g leaves m nan), and
    (1−β2)·g before multiplying by g again (so a float32 g of 1e20 gives v ≈ 1e37, not inf; an inf v would
    freeze the weight where torch's moves). Adam's L2 decay is this step with weight_decay 0 on g + wd·p.
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


@kernel
def sgd_step(param, grad, momentum_buffer, lr, momentum, dampening, weight_decay, nesterov, scratch):
    """d = g + wd·p;  b ← μ b + (1 − τ) d  (b = d at the first step);  d = d + μ b (Nesterov) or b;  p ← p − lr·d.

    Updates param (and the buffer) in place and returns the momentum buffer: a new one at the first step
    (momentum_buffer None), None without momentum. The caller's gradient is never changed."""
    xp = backend.array_module(param)
    direction = grad
    if weight_decay != 0:
        direction = grad + weight_decay * param  # L2: the decay rides on the gradient (a new array)
    if momentum != 0:
        if momentum_buffer is None:  # the first step starts the velocity at d itself, not at (1 - dampening)·d
            momentum_buffer = xp.array(direction, copy=True)
        else:
            momentum_buffer *= momentum
            momentum_buffer += direction if dampening == 0 else (1.0 - dampening) * direction
        direction = direction + momentum * momentum_buffer if nesterov else momentum_buffer
    param -= xp.multiply(direction, lr, out=scratch)
    return momentum_buffer


@kernel
def total_norm(grads, norm_type):
    """‖(g₁, …, g_k)‖_p = ‖(‖g₁‖_p, …, ‖g_k‖_p)‖_p, a 0-d array on the gradients' device (no host read): the norm
    of every gradient concatenated, taken per tensor first (no copy). p = math.inf: the largest |g|."""
    xp = backend.array_module(grads[0])
    if norm_type == math.inf:
        norms = [xp.max(xp.abs(g)) if g.size else xp.zeros((), g.dtype) for g in grads]
        return xp.max(xp.stack(norms))
    norms = [xp.linalg.norm(g.reshape(-1), ord=norm_type) for g in grads]
    return xp.linalg.norm(xp.stack(norms), ord=norm_type)
