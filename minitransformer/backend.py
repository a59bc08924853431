"""Array backends: NumPy on "cpu", CuPy on "cuda" / "cuda:N", the strict stand-in (strict.py) on "strict"; dtype
names; the seeded random generators.

The array module is always chosen from the data (`array_module(x)`), never fixed at import time, so the same
op code runs on every backend. CuPy is imported only when a CUDA device is first asked for. "strict" is NumPy
with CuPy's rules (no mixing with host arrays, counted host transfers): what CI without a GPU runs the device
tests on.
"""
import numpy as np

DTYPES = {
    "float16": np.float16,
    "float32": np.float32,
    "float64": np.float64,
    "int32": np.int32,
    "int64": np.int64,
    "bool": np.bool_,
}
DEFAULT_FLOAT = np.dtype(np.float32)

_cupy = None
_cupy_error = None
_strict = None  # the strict module, once the "strict" device is first used


def cupy():
    """Import CuPy on first use; the error says how to install it and what CuPy itself reported."""
    global _cupy, _cupy_error
    if _cupy is None and _cupy_error is None:
        try:
            import cupy as cp
            cp.cuda.runtime.getDeviceCount()  # fails here, not later, when there is no driver or GPU
            _cupy = cp
        except Exception as exc:  # ImportError, CUDARuntimeError, ...
            _cupy_error = f"{type(exc).__name__}: {exc}"
    if _cupy is None:
        raise RuntimeError(
            "device 'cuda' needs CuPy and an NVIDIA GPU. Install the extra that matches your CUDA major "
            "version: pip install 'minitransformer[cuda12]' (or [cuda13]). CuPy reported: " + _cupy_error)
    return _cupy


def cuda_available():
    """True when CuPy imports and sees at least one GPU."""
    try:
        cupy()
        return True
    except RuntimeError:
        return False


def strict():
    """The strict stand-in device's module (strict.py), imported on first use."""
    global _strict
    if _strict is None:
        from . import strict as module
        _strict = module
    return _strict


def multi_device():
    """False while every array must be on the CPU (no GPU or strict array was ever made): device checks skip."""
    return _cupy is not None or _strict is not None


def parse_device(device):
    """Normalise "cpu", "cuda", "cuda:N", "strict" to "cpu", "cuda:N" or "strict"; anything else is a ValueError."""
    if device is None:
        return "cpu"
    name = str(device).strip().lower()
    if name in ("cpu", "strict"):
        return name
    if name == "cuda":
        return "cuda:0"
    if name.startswith("cuda:") and name[5:].isdigit():
        return name
    raise ValueError(f"unknown device {device!r}: expected 'cpu', 'cuda', 'cuda:N' or 'strict' (the stand-in that "
                     "runs on the CPU with a GPU's rules, for tests)")


def get_dtype(dtype):
    """Resolve a dtype name ("float32", ...), a NumPy dtype or None (the default, float32)."""
    if dtype is None:
        return DEFAULT_FLOAT
    if isinstance(dtype, str):
        if dtype not in DTYPES:
            raise ValueError(f"unknown dtype {dtype!r}: expected one of {', '.join(DTYPES)}")
        return np.dtype(DTYPES[dtype])
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise ValueError(f"unknown dtype {dtype!r}: expected one of {', '.join(DTYPES)}") from None
    if resolved.name not in DTYPES:
        raise ValueError(f"unsupported dtype {resolved.name!r}: expected one of {', '.join(DTYPES)}")
    return resolved


def is_float(dtype):
    return np.dtype(dtype).kind == "f"


def array_module(*arrays):
    """NumPy, CuPy or the strict module, whichever owns the arrays (none is imported just to ask)."""
    if _cupy is not None or _strict is not None:
        for a in arrays:
            if _cupy is not None and isinstance(a, _cupy.ndarray):
                return _cupy
            if _strict is not None and type(a) is _strict.ndarray:
                return _strict.xp
    return np


def device_of(array):
    """"cpu" for a NumPy array, "cuda:N" for a CuPy array on GPU N, "strict" for a strict array."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return f"cuda:{array.device.id}"
    if _strict is not None and type(array) is _strict.ndarray:
        return "strict"
    return "cpu"


def to_device(array, device):
    """Copy an array to a device explicitly (a no-op when it is already there)."""
    device = parse_device(device)
    if device == device_of(array):
        return array
    if device == "cpu":
        return array.get()
    host = array.get() if device_of(array) != "cpu" else array
    if device == "strict":
        return strict().asarray(host)
    cp = cupy()
    with cp.cuda.Device(int(device.split(":")[1])):
        return cp.asarray(host)


def to_numpy(array):
    """A NumPy view or copy of any backend's array (a transfer to the host for a device's)."""
    return array.get() if device_of(array) != "cpu" else np.asarray(array)


def scatter_add(target, index, values):
    """target[index] += values, summing over repeated indices: NumPy's ufunc.at (on the strict device too, under
    its rules), cupyx.scatter_add on a GPU."""
    if device_of(target).startswith("cuda"):
        import cupyx
        cupyx.scatter_add(target, index, values)
    else:
        array_module(target).add.at(target, index, values)


def asarray(data, dtype=None, device="cpu"):
    """Make an array of `dtype` on `device`; floats default to float32, ints to int64, bools stay bool."""
    device = parse_device(device)
    if isinstance(data, (list, tuple)):
        data = _from_nested(data)
    if dtype is None:
        inferred = np.asarray(data).dtype if device_of(data) == "cpu" else data.dtype
        dtype = {"f": DEFAULT_FLOAT, "i": np.int64, "u": np.int64, "b": np.bool_}.get(inferred.kind)
        if dtype is None:
            raise TypeError(f"cannot make a tensor from data of dtype {inferred}: expected numbers or bools")
    dtype = get_dtype(dtype)
    if device == "cpu":
        return np.asarray(to_numpy(data) if device_of(data) != "cpu" else data, dtype=dtype)
    if device == "strict":
        if device_of(data) == "strict":
            return data.astype(dtype, copy=False)
        return strict().asarray(to_numpy(data) if device_of(data) != "cpu" else data, dtype=dtype)
    if device_of(data) == "strict":
        data = data.get()
    cp = cupy()
    with cp.cuda.Device(int(device.split(":")[1])):
        return cp.asarray(data, dtype=dtype)


def _from_nested(data):
    """Nested lists as one NumPy array, or a ValueError naming the ragged row (rows must have equal lengths)."""
    try:
        return np.asarray(data)
    except ValueError:
        lengths = [len(row) if hasattr(row, "__len__") else None for row in data]
        raise ValueError(f"cannot make a tensor from ragged nested lists: the rows have lengths {lengths}; "
                         "every row must have the same length (pad them first)") from None


# ---------------------------------------------------------------- random numbers
_generators = {}
_seed = None


def manual_seed(seed):
    """Seed every backend's generator so runs repeat exactly (what mt.manual_seed calls)."""
    global _seed
    _seed = int(seed)
    _generators.clear()


def generator(device="cpu"):
    """The seeded generator of a device: numpy.random.Generator on CPU, cupy.random.Generator on CUDA."""
    device = parse_device(device)
    if device not in _generators:
        seed = _seed if _seed is not None else np.random.SeedSequence().entropy % (2 ** 63)
        if device == "cpu":
            _generators[device] = np.random.default_rng(seed)
        elif device == "strict":
            _generators[device] = strict().Generator(seed)
        else:
            _generators[device] = cupy().random.default_rng(seed)
    return _generators[device]


def get_rng_state():
    """Picklable state of the CPU generator (for checkpoints)."""
    return {"seed": _seed, "cpu": generator("cpu").bit_generator.state}


def set_rng_state(state):
    """Restore what get_rng_state returned."""
    global _seed
    _seed = state["seed"]
    generator("cpu").bit_generator.state = state["cpu"]
