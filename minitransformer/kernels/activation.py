"""GELU, exact (erf) and tanh forms, forward and backward: the reference kernels.

GELU(x) = x Phi(x) with Phi the standard normal CDF (Hendrycks & Gimpel 2016); the tanh form approximates Phi by
0.5 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as GPT-2's "gelu_new" and torch's approximate="tanh".
"""
import math

from .. import backend
from .dispatch import kernel
from .special import normal_cdf


@kernel
def gelu_forward(x, approximate="none", save=True):
    """(y, saved) with y = x Phi(x), or (y,) when save is False (no backward will follow).
    exact: saved = Phi(x); tanh: saved = tanh u, u = sqrt(2/pi) (x + 0.044715 x^3), and Phi = 0.5 (1 + tanh u)."""
    if approximate == "tanh":
        u = math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)
        saved = backend.array_module(x).tanh(u)  # kept: 1 - th^2 needs it exact
        cdf = 0.5 * (1 + saved)
    else:
        saved = cdf = normal_cdf(x)
    y = x * cdf
    return (y, saved) if save else (y,)


@kernel
def gelu_backward(x, saved, dy, approximate="none"):
    """exact: dx = dy (Phi + x phi(x));
    tanh: dx = dy (0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2))."""
    # BEGIN SOLUTION t2.4 GELU backward, exact and tanh forms
    xp = backend.array_module(x)
    if approximate == "tanh":
        th = saved  # tanh(u)
        slope = (1 - th * th) * (0.5 * math.sqrt(2 / math.pi) * x) * (1 + 3 * 0.044715 * x * x)
        slope += 0.5 * (1 + th)
    else:
        slope = xp.exp(-0.5 * x * x)
        slope *= (1 / math.sqrt(2 * math.pi)) * x  # x phi(x)
        slope += saved  # Phi(x)
    slope *= dy
    return slope
    # END SOLUTION
