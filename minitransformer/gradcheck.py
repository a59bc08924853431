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


def _output(fn, inputs):
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, it returned {type(out).__name__}")
    return out


def gradcheck(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-4, seed=0):
    """Compare autograd's d fn/d input with (f(x + eps) - f(x - eps)) / 2 eps for every element of every
    float input, in float64. Returns True, or raises AssertionError naming the input, the index and both values.

    A vector output is checked through one random projection L = sum(weights * fn(x)), which hides no element.
    Both sides stay outside the ops under test: the analytic side is the vector-Jacobian product
    `out.backward(weights)` (the same number as backpropagating L, without building `*` and `sum` nodes), and
    the numeric side projects the output arrays in NumPy. So checking an op needs the backward engine and that
    op's own backward, nothing else."""
    inputs = [_as_float64_leaf(x) for x in inputs]
    out = _output(fn, inputs)
    rng = np.random.default_rng(seed)
    # a scalar output needs no projection (weight 1); a vector one gets random weights
    weights = np.ones(out.shape) if out.size == 1 else rng.standard_normal(out.shape)

    def projected():
        return float(np.sum(_output(fn, inputs).numpy().astype("float64") * weights))

    out.backward(weights)
    for position, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        analytic = np.zeros(x.shape) if x.grad is None else x.grad.numpy()
        for index in itertools.product(*[range(n) for n in x.shape]):
            original = x.data[index].item()
            with no_grad():
                x.data[index] = original + eps
                plus = projected()
                x.data[index] = original - eps
                minus = projected()
            x.data[index] = original
            numeric = (plus - minus) / (2 * eps)
            if not abs(numeric - analytic[index]) <= atol + rtol * abs(numeric):
                raise AssertionError(
                    f"gradcheck: expected derivative {numeric:.6g} for input {position} at index {index}, "
                    f"autograd gave {analytic[index]:.6g} (difference {abs(numeric - analytic[index]):.3g}, "
                    f"allowed {atol + rtol * abs(numeric):.3g})")
    return True
