"""Sums and means over one axis, kept as an axis of length 1 (so the result broadcasts back against x): the
reductions inside the fused kernels' forwards. On the CPU a sum over the last axis is a matrix-vector product
with a ones vector, a mean one with a 1/n vector (kernels/cpu): BLAS does them several times faster than NumPy's
reduction on short rows."""
from .dispatch import kernel


@kernel
def sum_over(x, axis=-1):
    """sum of x along `axis`, keepdims: (..., n, ...) -> (..., 1, ...)."""
    return x.sum(axis=axis, keepdims=True)


@kernel
def mean_over(x, axis=-1):
    """mean of x along `axis`, keepdims: (..., n, ...) -> (..., 1, ...)."""
    return x.mean(axis=axis, keepdims=True)
