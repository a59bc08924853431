"""The strict stand-in device, "strict": NumPy underneath and CuPy's rules on top, so CI without a GPU fails where
a GPU would.

A CuPy array lives on the GPU: it refuses to mix with a NumPy (host) array, and every value read back to the host
makes the program wait for the device. A strict array (`strict.ndarray`) wraps a NumPy array and behaves the same:
- a NumPy array beside it in a ufunc, an array function or an operator is a TypeError ("Unsupported type"), as
  in CuPy; Python and NumPy scalars mix freely, except as `copyto`'s source (a NumPy scalar failed there on CuPy);
- writing a NumPy array into it (`a[...] = host_array`) is a TypeError, `np.asarray(a)` too (CuPy's message:
  copy explicitly, with `.get()` or `Tensor.numpy()`);
- reductions give 0-d device arrays, not host scalars, and `xp` (`backend.array_module(a)`) creates arrays on
  the device;
- every host transfer is counted: `.get()`, `.item()`, `.tolist()`, `float()`, `int()`, `bool()`, `repr()`,
  using a device value as an index, and indexing with a boolean mask (its result size comes from the device);
- an out-of-bounds integer array index wraps around (CuPy's indexing does not raise: it cannot without a sync).
`transfers()` reads the count; `with count_transfers() as c:` counts one piece of code and says where each
transfer happened (`c.count`, `c.events`). Select it as any device: `mt.tensor(x, device="strict")`, `.to("strict")`.
"""
import contextlib
import copy as _copy
import os
import sys

import numpy as np

SCALARS = (bool, int, float, complex, np.generic)
_count = 0
_events = []  # "what at file:line" of every transfer while a count_transfers block is open
_watching = 0


def transfers():
    """How many host transfers strict arrays have made in this process."""
    return _count


@contextlib.contextmanager
def count_transfers():
    """`with count_transfers() as c:` -> c.count transfers inside the block, c.events where each happened."""
    global _watching
    counter = type("Transfers", (), {})()
    start, first = _count, len(_events)
    _watching += 1
    try:
        yield counter
    finally:
        _watching -= 1
        counter.count, counter.events = _count - start, _events[first:]
        if not _watching:
            del _events[:]


# The transfer's place is the first frame outside this file and the package's array plumbing (Tensor.item and
# .numpy, backend.to_numpy): the line that asked for the value.
_PLUMBING = {__file__, os.path.join(os.path.dirname(__file__), "tensor.py"),
             os.path.join(os.path.dirname(__file__), "backend.py")}


def _transfer(what):
    global _count
    _count += 1
    if _watching:
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename in _PLUMBING:
            frame = frame.f_back
        where = f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}" if frame else "?"
        _events.append(f"{what} at {where}")


def _refuse(value):
    raise TypeError(f"Unsupported type {type(value)}: a NumPy (host) array cannot mix with a strict device array, "
                    "as with CuPy on a GPU; move it first (backend.to_device, Tensor.to) or pass a Python scalar")


def unwrap(value):
    """The NumPy data of strict arrays (in lists and tuples too); a host array is refused."""
    if type(value) is ndarray:
        return value._a
    if isinstance(value, np.ndarray):
        _refuse(value)
    if isinstance(value, (list, tuple)):
        return type(value)(unwrap(v) for v in value)
    return value


def wrap(value):
    """NumPy results as strict arrays: arrays and NumPy scalars (0-d, as CuPy's reductions), in lists/tuples too."""
    if isinstance(value, (np.ndarray, np.generic)):
        return ndarray(np.asarray(value))
    if isinstance(value, (list, tuple)):
        return type(value)(wrap(v) for v in value)
    return value


def _index(key, shape=None):
    """An index with its strict arrays unwrapped; a boolean mask counts as a transfer (its size is a device value).
    With the indexed array's shape, integer array indices wrap around as on CuPy."""
    parts = key if isinstance(key, tuple) else (key,)
    for part in parts:
        if type(part) is ndarray and part.dtype == bool and part.ndim > 0:
            _transfer("boolean mask index")
        elif type(part) is ndarray and part.ndim == 0:
            _transfer("device scalar as index")
    plain = tuple(p._a if type(p) is ndarray else p for p in parts)  # host arrays/lists: uploaded, as CuPy does
    if shape is not None and all(isinstance(p, (int, slice, np.ndarray)) and not isinstance(p, bool) for p in plain):
        # CuPy wraps out-of-bounds integer array indices around instead of raising: so does this device
        plain = tuple(np.mod(p, n) if isinstance(p, np.ndarray) and p.dtype.kind in "iu" and p.size else p
                      for p, n in zip(plain, shape)) + plain[len(shape):]
    return plain if isinstance(key, tuple) else plain[0]


class ndarray:
    """A strict device array: a NumPy array that follows CuPy's rules (see the module docstring)."""

    __slots__ = ("_a",)
    __hash__ = None

    def __init__(self, array):
        self._a = array

    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: ndarray(self._a.T))
    device = "strict"

    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed (strict device, as CuPy). Please use "
                        "`.get()` (or Tensor.numpy()) to construct a NumPy array explicitly.")

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        index = None
        if method == "at":  # ufunc.at(a, index, values): the index may come from the host, as in CuPy's indexing
            index, inputs = _index(inputs[1], inputs[0].shape), inputs[:1] + inputs[2:]
        for value in inputs:
            if type(value) is not ndarray and not isinstance(value, SCALARS):
                return _refuse(value) if isinstance(value, np.ndarray) else NotImplemented
        if out is not None:
            if any(type(o) is not ndarray for o in out):
                raise TypeError("a strict ufunc's out= must be strict arrays (CuPy needs device outputs)")
            kwargs["out"] = tuple(o._a for o in out)
        if "where" in kwargs:
            kwargs["where"] = unwrap(kwargs["where"])
        if method == "at":
            return ufunc.at(unwrap(inputs[0]), index, *unwrap(inputs[1:]))
        result = getattr(ufunc, method)(*unwrap(inputs), **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return wrap(result)

    def __array_function__(self, func, types, args, kwargs):
        if func is np.copyto:
            source = args[1] if len(args) > 1 else kwargs.get("src")
            if isinstance(source, (np.ndarray, np.generic)):
                _refuse(source)  # CuPy's copyto refused NumPy's finfo(...).min here
        result = func(*unwrap(args), **{k: unwrap(v) for k, v in kwargs.items()})
        if kwargs.get("out") is not None:
            return kwargs["out"]
        return wrap(result)

    # ---------------------------------------------------------------- host transfers, counted
    def get(self):
        _transfer(".get()")
        return self._a.copy()

    def item(self, *args):
        _transfer(".item()")
        return self._a.item(*args)

    def tolist(self):
        _transfer(".tolist()")
        return self._a.tolist()

    def __float__(self):
        _transfer("float()")
        return float(self._a)

    def __int__(self):
        _transfer("int()")
        return int(self._a)

    def __index__(self):
        _transfer("a device value as an index")
        return self._a.__index__()

    def __bool__(self):
        _transfer("bool()")
        return bool(self._a)

    def __repr__(self):
        _transfer("repr()")
        return "strict." + repr(self._a)

    __str__ = __repr__

    # ---------------------------------------------------------------- indexing and iteration
    def __getitem__(self, key):
        return wrap(self._a[_index(key, self._a.shape)])

    def __setitem__(self, key, value):
        if isinstance(value, np.ndarray) and value.ndim > 0:
            _refuse(value)
        self._a[_index(key, self._a.shape)] = unwrap(value)

    def nonzero(self):
        _transfer(".nonzero()")  # the number of nonzeros comes from the device
        return wrap(self._a.nonzero())

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (ndarray(row) if isinstance(row, np.ndarray) else wrap(row) for row in self._a)

    def __copy__(self):
        return ndarray(self._a.copy())

    def __deepcopy__(self, memo):
        return ndarray(_copy.deepcopy(self._a, memo))

    def __reduce__(self):
        return ndarray, (self._a,)


def _method(name):
    def method(self, *args, **kwargs):
        return wrap(getattr(self._a, name)(*unwrap(args), **{k: unwrap(v) for k, v in kwargs.items()}))
    method.__name__ = name
    return method


for _name in ("reshape", "transpose", "swapaxes", "astype", "copy", "view", "sum", "mean", "max", "min", "argmax",
              "argmin", "any", "all", "prod", "cumsum", "var", "std", "ravel", "flatten", "squeeze", "clip", "fill",
              "take", "repeat", "round", "dot", "sort", "argsort", "conj", "diagonal", "argpartition"):
    setattr(ndarray, _name, _method(_name))


def _operator(ufunc, swap=False, inplace=False):
    def op(self, other):
        if type(other) is not ndarray and not isinstance(other, SCALARS + (np.ndarray,)):
            return NotImplemented  # a Tensor, say: let its reflected operator answer
        if inplace:
            return ufunc(self, other, out=(self,))
        return ufunc(other, self) if swap else ufunc(self, other)
    return op


for _name, _ufunc in [("add", np.add), ("sub", np.subtract), ("mul", np.multiply), ("truediv", np.true_divide),
                      ("floordiv", np.floor_divide), ("mod", np.remainder), ("pow", np.power),
                      ("matmul", np.matmul), ("and", np.bitwise_and), ("or", np.bitwise_or),
                      ("xor", np.bitwise_xor)]:
    setattr(ndarray, f"__{_name}__", _operator(_ufunc))
    setattr(ndarray, f"__r{_name}__", _operator(_ufunc, swap=True))
    setattr(ndarray, f"__i{_name}__", _operator(_ufunc, inplace=True))
for _name, _ufunc in [("lt", np.less), ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal),
                      ("eq", np.equal), ("ne", np.not_equal)]:
    setattr(ndarray, f"__{_name}__", _operator(_ufunc))
for _name, _ufunc in [("neg", np.negative), ("pos", np.positive), ("abs", np.absolute), ("invert", np.invert)]:
    setattr(ndarray, f"__{_name}__", lambda self, _u=_ufunc: _u(self))


# ---------------------------------------------------------------- the array module and the random generator
CREATE = {"empty", "zeros", "ones", "full", "arange", "linspace", "eye", "identity", "tri", "empty_like",
          "zeros_like", "ones_like", "full_like"}


def asarray(data, dtype=None):
    """A strict array from host data (an explicit upload) or a strict array (no copy when the dtype fits)."""
    if type(data) is ndarray:
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)
    return ndarray(np.array(data, dtype=dtype, copy=True))


def array(data, dtype=None, copy=True):
    return ndarray(np.array(unwrap(data) if type(data) is ndarray else data, dtype=dtype, copy=True))


class _Module:
    """`xp` for strict arrays: NumPy's functions (they dispatch to the arrays' rules), with new arrays created on
    the device, as cupy.zeros(...) creates them on the GPU."""

    ndarray = ndarray
    asarray = staticmethod(asarray)
    array = staticmethod(array)
    __name__ = "minitransformer.strict.xp"

    def __getattr__(self, name):
        value = getattr(np, name)
        if name in CREATE:
            def create(*args, **kwargs):
                return wrap(value(*unwrap(args), **{k: unwrap(v) for k, v in kwargs.items()}))
            create.__name__ = name
            return create
        return value


xp = _Module()


class Generator:
    """numpy.random.Generator whose draws land on the strict device."""

    def __init__(self, seed):
        self._rng = np.random.default_rng(seed)

    def __getattr__(self, name):
        draw = getattr(self._rng, name)
        return (lambda *args, **kwargs: wrap(draw(*unwrap(args), **kwargs))) if callable(draw) else draw
