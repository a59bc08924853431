"""erf, which NumPy lacks, and the normal CDF built on it: the reference kernels, any float dtype, any backend.

W. J. Cody, "Rational Chebyshev approximation for the error function", Math. Comp. 23 (1969), the algorithm behind
CALERF/SPECFUN: three rational approximations cover |x| <= 0.5, 0.5 < |x| <= 4 and |x| > 4, and in float64 the
result agrees with math.erf to ~2e-16 (what gradcheck and the parity tests need). Each range is computed on the
whole array (its input clipped into the range) and the right one picked with `where`: no boolean indexing, which
on a GPU would wait for the device to count the elements. The CPU has a faster float32 form (kernels/cpu/erf.py).
"""
import math

from .. import backend
from .dispatch import kernel

# Cody's coefficients, highest index = the constant term's partner in Horner form (see _ratio).
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03,
      1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
      8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
      2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
      3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
      6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
      2.33520497626869185e-3)
_SQRT_1_PI = 1 / math.sqrt(math.pi)


def _ratio(num, den, z, terms):
    """Cody's Horner loop: (((n_last z + n0) z + n1) z ...) / (((z + d0) z + d1) z ...), over `terms` steps."""
    xnum = num[-1] * z
    xden = z.copy()
    for i in range(terms):
        xnum += num[i]
        xnum *= z
        xden += den[i]
        xden *= z
    return (xnum + num[terms]) / (xden + den[terms])


def _erfc_tail(y, ratio):
    """erfc(y) = exp(-y^2) * ratio, with y^2 split as a 1/16-rounded part plus a rest to keep exp accurate."""
    xp = backend.array_module(y)
    head = xp.trunc(y * 16) / 16
    return xp.exp(-head * head) * xp.exp(-(y - head) * (y + head)) * ratio


def erfc_large(y):
    """erfc(y) for y >= 0.5 by Cody's second (y <= 4) and third (asymptotic, y > 4) approximations."""
    xp = backend.array_module(y)
    mid = xp.minimum(y, 4.0)
    big = xp.maximum(y, 4.0)
    z = 1 / (big * big)
    return xp.where(y <= 4, _erfc_tail(mid, _ratio(_C, _D, mid, 7)),
                    _erfc_tail(big, (_SQRT_1_PI - z * _ratio(_P, _Q, z, 4)) / big))  # erfc < 2e-8 there


@kernel
def erf(x):
    """erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt, elementwise, in the dtype of x."""
    xp = backend.array_module(x)
    near = xp.clip(x, -0.5, 0.5)
    far = xp.copysign(1 - erfc_large(xp.maximum(xp.abs(x), 0.5)), x)  # erf is odd
    return xp.where(xp.abs(x) <= 0.5, near * _ratio(_A, _B, near * near, 3), far)  # erf = x R(x^2) near 0


@kernel
def normal_cdf(x):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2 = erfc(-x / sqrt 2) / 2, via erfc in the left tail, where 1 + erf(...)
    would cancel (at x = -4, 1 + erf loses three digits in float32)."""
    xp = backend.array_module(x)
    z = x * (1 / math.sqrt(2))
    return xp.where(z < -0.5, 0.5 * erfc_large(xp.maximum(-z, 0.5)), 0.5 * (1 + erf(z)))
