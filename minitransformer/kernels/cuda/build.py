"""CuPy kernels built on first use, so this package imports without CuPy (the tests import it on any machine,
and the dispatch imports it only when a CuPy array arrives)."""
import functools


def compiled(build):
    """`build(cupy)` -> a CuPy kernel (ElementwiseKernel, ReductionKernel), made once, at the first call."""
    @functools.lru_cache(maxsize=None)
    def kernel():
        import cupy
        return build(cupy)
    return kernel


def scalar(x, value):
    """`value` as a scalar of x's dtype: a kernel's `T` parameter then rounds it as the reference does (a Python
    float meeting a float32 array is rounded to float32 first)."""
    return x.dtype.type(value)


def count(x, axis=-1):
    """The length of the reduced axis, for a mean's division."""
    return x.shape[axis]
