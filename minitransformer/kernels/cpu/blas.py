"""NumPy's BLAS thread count, set at run time: the thread policy (threads.py) gives OpenBLAS's GEMMs one thread
when the machine is busy and every core when it is quiet.

OpenBLAS reads OPENBLAS_NUM_THREADS once, when NumPy loads it; after that only its own
`openblas_set_num_threads` changes the count. NumPy does not expose it, so, as threadpoolctl does, the library is
found among the process's loaded files (/proc/self/maps on Linux) and the function called through ctypes: NumPy
2's wheels name it `scipy_openblas_set_num_threads64_`, NumPy 1's `openblas_set_num_threads64_`, a system
OpenBLAS `openblas_set_num_threads`. Where there is none (another BLAS, another OS) nothing is set, and the user's
OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, when given, are never overridden.
"""
import ctypes
import os

NAMES = ["scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads"]
_setter = None  # the C function, once found; False when there is none (or the user fixed the count)
_current = None


def _find():
    if any(name in os.environ for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")):
        return False  # the user chose: leave it
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.rsplit("/", 1)[-1].lower()}
    except OSError:
        return False
    for path in sorted(paths):
        try:
            library = ctypes.CDLL(path, mode=getattr(os, "RTLD_NOLOAD", 0))
        except OSError:
            continue
        for name in NAMES:
            setter = getattr(library, name, None)
            if setter is not None:
                setter.argtypes, setter.restype = [ctypes.c_int], None
                return setter
    return False


def set_threads(count):
    """Give OpenBLAS `count` threads from its next call on (a no-op when it cannot be set, or is already)."""
    global _setter, _current
    if _setter is None:
        _setter = _find()
    if _setter and count != _current:
        _setter(int(count))
        _current = count


def controllable():
    """True when set_threads really changes NumPy's BLAS threads."""
    global _setter
    if _setter is None:
        _setter = _find()
    return bool(_setter)
