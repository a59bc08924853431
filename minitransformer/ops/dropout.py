"""Inverted dropout: zero each element with probability p and scale the survivors by 1 / (1 - p), so the
expected value is unchanged and evaluation needs no rescaling. The mask comes from the device's seeded
generator (mt.manual_seed), so a run repeats exactly."""
from .. import backend, kernels
from ..autograd import Function


def uniform_draws(shape, dtype, device):
    """Uniform numbers in [0, 1) in `dtype` from the device's seeded generator."""
    return backend.generator(device).random(shape, dtype=dtype)


def dropout_mask(shape, p, dtype, device):
    """A mask in `dtype` holding 0 with probability p and 1 / (1 - p) otherwise."""
    return kernels.dropout_mask(uniform_draws(shape, dtype, device), p)


class Dropout(Function):
    """y = x * m / (1 - p), m ~ Bernoulli(1 - p);  dx = dy * m / (1 - p)"""

    def forward(self, x, p=0.5):
        if not 0 <= p < 1:
            raise ValueError(f"dropout: p must be in [0, 1), got {p}")
        if not backend.is_float(x.dtype):
            raise TypeError(f"dropout: needs a floating-point tensor, got dtype {x.dtype}")
        y, self.mask = kernels.dropout_forward(x, uniform_draws(x.shape, x.dtype, backend.device_of(x)), p)
        return y

    def backward(self, grad):
        return (grad * self.mask,)
