"""Making tensors: from data, filled, random; and joining them (cat, stack, where)."""
from . import backend
from .ops import Concatenate, Stack, Where
from .tensor import Tensor, promote


def tensor(data, requires_grad=False, dtype=None, device="cpu"):
    """A new leaf tensor. Floats become float32 unless `dtype` says otherwise; ints int64; bools bool.

    It holds its own copy of the data, as torch.tensor does: training it (optimizers update in place) never
    writes into the array it was made from, and changing that array later never changes it."""
    source = data.data if isinstance(data, Tensor) else data
    out = Tensor(source, requires_grad=requires_grad, dtype=dtype, device=device)
    if out.data is source:  # asarray handed back the caller's own array (same dtype and device): copy it
        out.data = out.data.copy()
    return out


def _filled(fill, shape, dtype, device, requires_grad):
    shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    array = backend.asarray(0.0, dtype=dtype, device=device)  # 0.0, so the default is float32 like torch
    xp = backend.array_module(array)
    return Tensor(xp.full(tuple(shape), fill, dtype=array.dtype), requires_grad=requires_grad,
                  dtype=array.dtype, device=device)


def zeros(*shape, dtype=None, device="cpu", requires_grad=False):
    return _filled(0, shape, dtype, device, requires_grad)


def ones(*shape, dtype=None, device="cpu", requires_grad=False):
    return _filled(1, shape, dtype, device, requires_grad)


def randn(*shape, dtype=None, device="cpu", requires_grad=False):
    """Standard normal samples from the seeded generator of `device` (see mt.manual_seed)."""
    shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    dtype = backend.get_dtype(dtype)
    data = backend.generator(device).standard_normal(tuple(shape), dtype=dtype)
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def rand(*shape, dtype=None, device="cpu", requires_grad=False):
    """Uniform samples in [0, 1) from the seeded generator of `device`."""
    shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    dtype = backend.get_dtype(dtype)
    data = backend.generator(device).random(tuple(shape), dtype=dtype)
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def arange(*args, dtype=None, device="cpu"):
    """start, start + step, ... below stop; int64 for integer arguments, float32 when any is a float."""
    values = backend.np.arange(*args)  # host-side: built from Python numbers, then moved to `device`
    if dtype is None:
        dtype = "int64" if values.dtype.kind in "iu" else None  # None: floats become the default float32
    return Tensor(values, dtype=dtype, device=device)


def _tensors(op, items):
    items = list(items)
    if not items:
        raise ValueError(f"{op}: needs at least one tensor")
    return [t if isinstance(t, Tensor) else Tensor(t) for t in items]


def cat(tensors, axis=0):
    """Join tensors along an existing axis (torch.cat / np.concatenate)."""
    return Concatenate.apply(*_tensors("cat", tensors), axis=axis)


def stack(tensors, axis=0):
    """Join same-shaped tensors along a new axis (torch.stack / np.stack)."""
    return Stack.apply(*_tensors("stack", tensors), axis=axis)


def where(condition, a, b):
    """a where condition else b, elementwise with broadcasting; differentiable in a and b."""
    condition = condition if isinstance(condition, Tensor) else Tensor(condition, dtype="bool")
    if condition.dtype != bool:
        raise TypeError(f"where: condition must be a bool tensor, got dtype {condition.dtype}")
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else None
    if like is None:
        a = Tensor(a)
        like = a
    a, b = promote(like._lift(a), like._lift(b))  # float32 beside int64 stays float32, as in a + b
    return Where.apply(condition, a, b)
