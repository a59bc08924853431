"""Inverted dropout's mask and product, the reference kernels: from uniform draws u in [0, 1) in the data's dtype
(the device's seeded generator, drawn by ops/dropout.py), keep an element when u >= p and scale the kept ones by
1 / (1 - p), so the expected value is unchanged."""
from .dispatch import kernel


@kernel
def dropout_mask(uniform, p):
    """mask = [u >= p] / (1 - p), in u's dtype."""
    mask = (uniform >= uniform.dtype.type(p)).astype(uniform.dtype)
    mask *= uniform.dtype.type(1 / (1 - p))
    return mask


@kernel
def dropout_forward(x, uniform, p):
    """(y, mask): y = x * mask, the mask kept for the backward (dx = dy * mask)."""
    mask = dropout_mask(uniform, p)
    return x * mask, mask
