"""A faster erf and normal CDF for float32 (and float16) NumPy arrays, and the float32 GELU forward built on them.

Abramowitz & Stegun 7.1.26: erfc y = t P(t) exp(-y^2) with t = 1 / (1 + p y), y >= 0, a branch-free formula about
10x faster here than Cody's rational approximations (the reference, kernels/special.py) and the same one PyTorch's
vectorised CPU erf uses. Its own error is 1.5e-7; float32 rounding brings that to ~6e-7, a few float32 ulps.
float64 keeps the reference: gradcheck and the parity tests need its ~2e-16.
"""
import math

import numpy as np

from ..special import erf as reference_erf
from ..special import normal_cdf as reference_normal_cdf

# Abramowitz & Stegun 7.1.26: p and a1..a5.
_AS_P = 0.3275911
_AS = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def _short(x):
    """float32 and float16: the dtypes this approximation is accurate enough for."""
    return x.dtype in (np.float32, np.float16)


def normal_tail(x):
    """Phi(-|x|) = erfc(|x| / sqrt 2) / 2, the normal probability beyond |x|: A&S 7.1.26 with the 1/sqrt 2 and the
    1/2 folded into its constants (three passes fewer), and exp(-x^2 / 2) taken from x itself. Accurate relative
    to its own value, so far tails keep their digits."""
    f = x.dtype.type  # constants in the input's dtype, so float32 stays float32
    u = np.abs(x)
    u *= f(_AS_P / math.sqrt(2))
    u += f(1)
    np.reciprocal(u, out=u)  # t = 1 / (1 + p |x| / sqrt 2)
    tail = u * f(0.5 * _AS[4])
    for a in _AS[3::-1]:  # Horner: t (a1 + t (a2 + ...)) / 2
        tail += f(0.5 * a)
        tail *= u
    e = np.square(x, out=u)  # t is no longer needed: its buffer takes exp(-x^2 / 2)
    e *= f(-0.5)
    np.exp(e, out=e)
    tail *= e
    return tail


def cdf_from_tail(tail, x):
    """Phi(x) from tail = Phi(-|x|), in place: tail for x < 0, 1 - tail for x >= 0, branch-free as
    0.5 + sign(x) (0.5 - tail) (2x faster than np.where; costs at most half a float32 ulp of 0.5, 3e-8, in the
    left tail, where 1 + erf(...) would have lost three digits at x = -4)."""
    f = x.dtype.type
    np.subtract(f(0.5), tail, out=tail)  # |Phi(x) - 0.5|
    np.copysign(tail, x, out=tail)
    tail += f(0.5)
    return tail


def normal_cdf(x):
    """Phi(x), as the reference's normal_cdf, by A&S for float32/float16."""
    return cdf_from_tail(normal_tail(x), x) if _short(x) else reference_normal_cdf.reference(x)


def erf(x):
    """erf(x), as the reference's erf, by A&S for float32/float16: erf x = sign(x) (1 - erfc |x|)."""
    if not _short(x):
        return reference_erf.reference(x)
    out = 2 * normal_tail(x * x.dtype.type(math.sqrt(2)))  # erfc(|x|) = 2 Phi(-|x| sqrt 2)
    np.subtract(1, out, out=out)
    return np.copysign(out, x, out=out)


def gelu_exact_forward(x, save):
    """(y, Phi(x)) or (y,) for float32/float16: x Phi(x) = relu(x) - |x| Phi(-|x|), from the tail alone (no sign
    juggling, and the left tail keeps its relative accuracy); Phi itself only when a backward will need it."""
    f = x.dtype.type
    tail = normal_tail(x)  # Phi(-|x|)
    a = np.abs(x)
    y = x + a
    y *= f(0.5)  # relu(x) = (x + |x|) / 2, exact
    a *= tail
    y -= a
    return (y, cdf_from_tail(tail, x)) if save else (y,)
