"""Softmax and log-softmax along one axis, forward and backward: the reference kernels.

Each forward works in place on one fresh array, so a (B, H, T, T) attention-sized input costs one temporary, not
five; each backward is a single formula instead of a chain of exp/sum/div nodes.
"""
from .. import backend
from .dispatch import kernel
from .reduce import sum_over


@kernel
def softmax_forward(x, axis=-1):
    """y = exp(x - max x) / sum exp(x - max x); subtracting the max keeps exp from overflowing."""
    xp = backend.array_module(x)
    y = x - x.max(axis=axis, keepdims=True)  # a new array, so everything below may work in place
    xp.exp(y, out=y)
    y /= sum_over(y, axis)
    return y


@kernel
def softmax_backward(y, dy, axis=-1):
    """dx = y * (dy - sum(dy * y)): the Jacobian diag(y) - y yᵀ applied to dy without building it."""
    # BEGIN SOLUTION t2.1 softmax backward: dx = y * (dy - sum(dy * y))
    dx = dy * y
    dx -= y * dx.sum(axis=axis, keepdims=True)  # y*dy - y*sum(dy*y), reusing the dy*y buffer
    return dx
    # END SOLUTION


@kernel
def log_softmax_forward(x, axis=-1):
    """y = x - max x - log(sum exp(x - max x)): the log-sum-exp trick, finite for any finite x."""
    xp = backend.array_module(x)
    y = x - x.max(axis=axis, keepdims=True)
    y -= xp.log(sum_over(xp.exp(y), axis))
    return y


@kernel
def log_softmax_backward(y, dy, axis=-1):
    """dx = dy - softmax(x) * sum(dy), with softmax(x) = exp(y) recovered from the output."""
    xp = backend.array_module(y)
    dx = xp.exp(y)
    dx *= -dy.sum(axis=axis, keepdims=True)
    dx += dy
    return dx
