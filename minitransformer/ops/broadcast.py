"""The one place where broadcasting is undone in backward, and where broadcast shapes are checked."""
import numpy as np


def unbroadcast(grad, shape):
    """Sum `grad` over the axes that broadcasting added or stretched, so it gets back `shape`."""
    # BEGIN SOLUTION t1.1 unbroadcast
    if grad.shape == shape:  # the common case: nothing was broadcast
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:  # leading axes that broadcasting prepended
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:  # axes of length 1 that were repeated
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad
    # END SOLUTION


def broadcast_shape(op, a, b):
    """The broadcast shape of two arrays, or a ValueError that names the op and both shapes."""
    if a.shape == b.shape:  # the common case, without np.broadcast_shapes' few microseconds
        return a.shape
    try:
        return np.broadcast_shapes(a.shape, b.shape)  # shapes only: no array math, so NumPy is fine on CuPy data
    except ValueError:
        raise ValueError(f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be broadcast together "
                         "(trailing dimensions must be equal or 1)") from None
