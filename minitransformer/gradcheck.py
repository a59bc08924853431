"""Check autograd against central finite differences in float64 — the test every op must pass."""
import itertools

import numpy as np

from . import backend
from .autograd import no_grad
from .tensor import Tensor


def _as_float64_leaf(x):
    """A float64 leaf copy of a float input (other inputs, e.g. integer ids, pass through unchanged)."""
    if isinstance(x, Tensor) and backend.is_float(x.dtype):
        return Tensor(x.data.astype("float64"), requires_grad=True, dtype="float64", device=x.device)
    return x


def _projected(fn, inputs, weights):
    """L = sum(fn(inputs) * weights): one scalar whose gradient checks every output element at once."""
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, it returned {type(out).__name__}")
    return out if weights is None else (out * weights).sum()


def gradcheck(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-4, seed=0):
    """Compare autograd's d fn/d input with (f(x + eps) - f(x - eps)) / 2 eps for every element of every
    float input, in float64. Returns True, or raises AssertionError naming the input, the index and both values."""
    inputs = [_as_float64_leaf(x) for x in inputs]
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, it returned {type(out).__name__}")
    weights = None
    if out.size != 1:  # a random projection turns a vector output into a scalar without hiding any element
        rng = np.random.default_rng(seed)
        weights = Tensor(rng.standard_normal(out.shape), dtype="float64", device=out.device)
    loss = _projected(fn, inputs, weights)
    loss.backward()
    for position, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        analytic = np.zeros(x.shape) if x.grad is None else x.grad.numpy()
        for index in itertools.product(*[range(n) for n in x.shape]):
            original = x.data[index].item()
            with no_grad():
                x.data[index] = original + eps
                plus = _projected(fn, inputs, weights).item()
                x.data[index] = original - eps
                minus = _projected(fn, inputs, weights).item()
            x.data[index] = original
            numeric = (plus - minus) / (2 * eps)
            if not abs(numeric - analytic[index]) <= atol + rtol * abs(numeric):
                raise AssertionError(
                    f"gradcheck: expected derivative {numeric:.6g} for input {position} at index {index}, "
                    f"autograd gave {analytic[index]:.6g} (difference {abs(numeric - analytic[index]):.3g}, "
                    f"allowed {atol + rtol * abs(numeric):.3g})")
    return True
