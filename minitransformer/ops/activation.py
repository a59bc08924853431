"""GELU, exact (erf) and tanh forms, with hand-derived backwards.

GELU is a chain of ten or more elementwise steps over the largest activations of the model (B, T, d_ff). On
NumPy each step is a full pass over memory, so the chain runs block by block on every core (`rowwise`): a block's
temporaries stay in the CPU cache, which alone makes the chain about 3x faster. CuPy gets the arrays whole.
Under no_grad the forward skips what only the backward needs (Phi, or tanh u): BERT inference is mostly this.
"""
import math

import numpy as np

from .. import backend
from ..autograd import Function, is_grad_enabled
from .parallel import rowwise
from .special import cdf_from_tail, normal_cdf, normal_tail


def gelu_forward(x, approximate, keep=True):
    """(saved for backward, y = x Phi), or just (y,) when keep is False (no backward will follow).
    exact: saved = Phi = 0.5 (1 + erf(x / sqrt 2)); tanh: saved = tanh u, u = sqrt(2/pi) (x + 0.044715 x^3),
    and Phi = 0.5 (1 + tanh u)."""
    xp = backend.array_module(x)
    t = x.dtype.type  # constants in the input's dtype, so float32 stays float32
    if approximate == "tanh":
        th = xp.tanh(t(math.sqrt(2 / math.pi)) * (x + t(0.044715) * x * x * x))  # kept: 1 - th^2 needs it exact
        cdf = th + 1
        cdf *= t(0.5)
        return (th, x * cdf) if keep else (x * cdf,)
    if xp is not np or x.dtype == np.float64:
        cdf = normal_cdf(x)  # Phi(x), kept for backward
        return (cdf, x * cdf) if keep else (x * cdf,)
    # float32/16 on the CPU: x Phi(x) = relu(x) - |x| Phi(-|x|), from the tail alone: no sign juggling (copysign
    # is a slow, unvectorised ufunc), and the left tail keeps its relative accuracy.
    tail = normal_tail(x)  # Phi(-|x|)
    a = xp.abs(x)
    y = x + a
    y *= t(0.5)  # relu(x) = (x + |x|) / 2, exact
    a *= tail
    y -= a
    return (cdf_from_tail(tail, x), y) if keep else (y,)


def gelu_backward(x, saved, dy, approximate):
    """exact: dx = dy (Phi + x phi(x));
    tanh: dx = dy (0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2))."""
    # BEGIN SOLUTION t2.4 GELU backward, exact and tanh forms
    xp = backend.array_module(x)
    t = x.dtype.type
    if approximate == "tanh":
        th = saved  # tanh(u)
        slope = (1 - th * th) * (t(0.5 * math.sqrt(2 / math.pi)) * x) * (1 + t(3 * 0.044715) * x * x)
        slope += t(0.5) * (1 + th)
    else:
        slope = xp.exp(t(-0.5) * x * x)
        slope *= t(1 / math.sqrt(2 * math.pi)) * x  # x phi(x)
        slope += saved  # Phi(x)
    slope *= dy
    return (slope,)
    # END SOLUTION


class GELU(Function):
    """y = x Phi(x) (Phi the normal CDF, or its tanh approximation);  dx = dy (Phi(x) + x Phi'(x))"""

    def forward(self, x, approximate="none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.x, self.approximate = x, approximate
        if not is_grad_enabled():  # no backward will come: skip the saved array (and its pass over memory)
            (y,) = rowwise(lambda xb: gelu_forward(xb, approximate, keep=False), x)
            return y
        self.saved, y = rowwise(lambda xb: gelu_forward(xb, approximate), x)
        return y

    def backward(self, grad):
        return rowwise(lambda xb, cb, gb: gelu_backward(xb, cb, gb, self.approximate), self.x, self.saved, grad)
