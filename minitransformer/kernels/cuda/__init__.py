"""The GPU's fast kernels, for CuPy arrays: registered by name like the CPU's (kernels/cpu), each equal to its
reference kernel in tests (tests/test_kernels_fast.py, on a GPU). Today: erf and the normal CDF from CuPy's own
special functions (one fused elementwise kernel each, where the reference evaluates three rational approximations
and picks one). Fused CUDA kernels for the other fused ops belong here too.
"""
import cupyx.scipy.special


def erf(x):
    return cupyx.scipy.special.erf(x)


def normal_cdf(x):
    return cupyx.scipy.special.ndtr(x)


KERNELS = {
    "erf": erf,
    "normal_cdf": normal_cdf,
}
