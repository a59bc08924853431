"""The optimizer's update on the GPU: AdamW in one elementwise pass over the flat arrays of a whole parameter group
(optim/flat.py), where the reference makes ~12; the total gradient norm as one reduction over the gradients
concatenated. The terms are formed in kernels/optim.py's order (torch's), so nan and inf land where they land:

    p <- p (1 - lr wd);  m <- lerp(m, g, 1 - b1);  v <- b2 v + ((1 - b2) g) g;
    p <- p - lr / (1 - b1^t) * (m / (sqrt(v) / sqrt(1 - b2^t) + eps))
with lerp(m, g, w) = m + w (g - m) for w < 1/2, else g - (1 - w)(g - m) (torch.lerp).
"""
import math

from .build import compiled, scalar

_adamw = compiled(lambda cp: cp.ElementwiseKernel(
    "T g, T decay, T w, T b2, T one_minus_b2, T step_size, T bias2, T eps", "T p, T m, T v",
    """p = p * decay;
    T delta = g - m;
    m = w < 0.5 ? m + w * delta : g - (1 - w) * delta;
    v = v * b2 + (g * one_minus_b2) * g;
    p = p - (m / (sqrt(v) / bias2 + eps)) * step_size;""", "mt_adamw"))


def adamw_step(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay, scratch):
    s = lambda value: scalar(param, value)  # noqa: E731  each hyperparameter rounded to the dtype, as the reference
    _adamw()(grad, s(1.0 - lr * weight_decay), s(1.0 - beta1), s(beta2), s(1.0 - beta2),
             s(lr / (1.0 - beta1 ** step)), s(math.sqrt(1.0 - beta2 ** step)), s(eps), param, exp_avg, exp_avg_sq)


def total_norm(grads, norm_type):
    import cupy
    flat = cupy.concatenate([g.reshape(-1) for g in grads])  # (total,)
    if norm_type == math.inf:
        return cupy.abs(flat).max() if flat.size else cupy.zeros((), flat.dtype)
    return cupy.linalg.norm(flat, ord=norm_type)
