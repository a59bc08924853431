"""Tensor: an array (NumPy or CuPy) plus the autograd bookkeeping; its operators call the Functions in ops/."""
import numbers

import numpy as np

from . import autograd, backend
from .autograd import Function, is_grad_enabled, no_grad, run_backward  # noqa: F401  (re-exported)


class Tensor:
    """An n-dimensional array that remembers how it was computed, so `backward()` can find gradients."""

    __array_priority__ = 1000  # so `ndarray + Tensor` defers to Tensor.__radd__

    def __init__(self, data, requires_grad=False, dtype=None, device="cpu"):
        if isinstance(data, Tensor):
            data = data.data
        self.data = backend.asarray(data, dtype=dtype, device=device)
        self.grad = None
        self._creator = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, array):
        """A Tensor around an existing array, no copy (used by ops)."""
        out = cls.__new__(cls)
        out.data, out.grad, out._creator, out.requires_grad = array, None, None, False
        return out

    def requires_grad_(self, flag=True):
        if flag and not backend.is_float(self.dtype):
            raise TypeError(f"only floating-point tensors can require grad, got dtype {self.dtype}")
        self.requires_grad = bool(flag)
        return self

    # ------------------------------------------------------------------ properties
    shape = property(lambda self: tuple(self.data.shape))
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: int(self.data.size))
    dtype = property(lambda self: self.data.dtype)
    device = property(lambda self: backend.device_of(self.data))
    is_leaf = property(lambda self: self._creator is None)

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        device = "" if self.device == "cpu" else f", device='{self.device}'"
        body = np.array2string(self.numpy(), separator=", ", precision=4, prefix="tensor(")
        return f"tensor({body}, dtype={self.dtype}{device}{grad})"

    # ------------------------------------------------------------------ conversion
    def numpy(self):
        """The values as a NumPy array (copied from the GPU when needed; shares memory on CPU)."""
        return backend.to_numpy(self.data)

    def __array__(self, dtype=None, copy=None):
        """np.asarray(t) gives the values (not an object array of tensors); a GPU tensor needs .numpy() to say
        that it copies to the host, as torch asks for .cpu()."""
        if self.device != "cpu":
            raise TypeError(f"cannot convert a tensor on {self.device} to NumPy implicitly: call .numpy() (copies "
                            "to the host)")
        array = self.data if dtype is None else self.data.astype(dtype, copy=False)
        return array.copy() if copy and array is self.data else array  # np.array(t) copies, np.asarray(t) not

    def __float__(self): return float(self.item())
    def __int__(self): return int(self.item())

    def item(self):
        if self.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self.data.reshape(-1)[0].item()

    def tolist(self):
        return self.numpy().tolist()

    def to(self, device):
        """The same values on another device; gradients flow back across the copy."""
        from .ops.shape import ToDevice
        if backend.parse_device(device) == self.device:
            return self
        return ToDevice.apply(self, device=device)

    def detach(self):
        """The same data cut from the graph (shares memory)."""
        return Tensor._wrap(self.data)

    def astype(self, dtype):
        from .ops.elementwise import Cast
        return Cast.apply(self, dtype=backend.get_dtype(dtype))

    float = lambda self: self.astype("float32")  # noqa: E731
    double = lambda self: self.astype("float64")  # noqa: E731

    # ------------------------------------------------------------------ autograd
    def backward(self, grad=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's .grad; `grad` is needed when self is not a scalar."""
        if not backend.is_float(self.dtype):
            raise TypeError(f"backward() needs a floating-point tensor, this one has dtype {self.dtype}")
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad: no input had "
                               "requires_grad=True, or it was computed under no_grad()")
        if grad is None:
            if self.size != 1:
                raise RuntimeError(f"backward() on a non-scalar tensor of shape {self.shape} needs an explicit "
                                   "grad of that shape (or reduce it first, e.g. .sum())")
            grad = backend.array_module(self.data).ones_like(self.data)
        else:
            grad = grad.data if isinstance(grad, Tensor) else backend.asarray(grad, self.dtype, self.device)
            if tuple(grad.shape) != self.shape:
                raise ValueError(f"backward(): grad has shape {tuple(grad.shape)}, expected {self.shape}")
        run_backward(self, grad.astype(self.dtype, copy=False), retain_graph=retain_graph)

    def zero_grad(self):
        self.grad = None

    # ------------------------------------------------------------------ operator sugar (calls into ops/)
    def _lift(self, other):
        """A Python scalar or array becomes a tensor of this tensor's dtype, so scalars never upcast (except an int
        beside a bool mask, which becomes int64: `1 - mask` must count, not apply a logical op)."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, numbers.Number) and not backend.is_float(self.dtype) and isinstance(other, float):
            raise TypeError(f"mixing integer tensor (dtype {self.dtype}) with float {other}: "
                            "convert it first with .astype('float32')")
        dtype = None
        if isinstance(other, numbers.Number):
            dtype = "int64" if self.dtype == bool and not isinstance(other, bool) else self.dtype
        return Tensor(other, dtype=dtype, device=self.device)

    def _pair(self, other, divide=False):
        """(self, other) in dtypes NumPy will not widen to float64: see promote()."""
        return promote(self, other if isinstance(other, Tensor) else self._lift(other), divide)

    def __add__(self, other): return _ops.Add.apply(*self._pair(other))
    def __radd__(self, other): return _ops.Add.apply(*self._pair(other)[::-1])
    def __sub__(self, other): return _ops.Sub.apply(*self._pair(other))
    def __rsub__(self, other): return _ops.Sub.apply(*self._pair(other)[::-1])
    def __mul__(self, other): return _ops.Mul.apply(*self._pair(other))
    def __rmul__(self, other): return _ops.Mul.apply(*self._pair(other)[::-1])
    def __truediv__(self, other): return _ops.Div.apply(*self._pair(other, divide=True))
    def __rtruediv__(self, other): return _ops.Div.apply(*self._pair(other, divide=True)[::-1])
    def __pow__(self, other): return _ops.Pow.apply(*self._pair(other))
    def __rpow__(self, other): return _ops.Pow.apply(*self._pair(other)[::-1])
    def __matmul__(self, other): return _ops.MatMul.apply(*self._pair(other))
    def __rmatmul__(self, other): return _ops.MatMul.apply(*self._pair(other)[::-1])
    def __neg__(self): return _ops.Neg.apply(self)

    def _compare(self, other, op):
        other = self._lift(other)
        return Tensor._wrap(op(self.data, other.data))

    def __lt__(self, other): return self._compare(other, lambda a, b: a < b)
    def __le__(self, other): return self._compare(other, lambda a, b: a <= b)
    def __gt__(self, other): return self._compare(other, lambda a, b: a > b)
    def __ge__(self, other): return self._compare(other, lambda a, b: a >= b)
    def __eq__(self, other): return self._compare(other, lambda a, b: a == b)
    def __ne__(self, other): return self._compare(other, lambda a, b: a != b)
    __hash__ = object.__hash__  # tensors are hashed by identity (== is elementwise)

    def _logical(self, other, op, name):
        other = self._lift(other)
        if self.dtype != bool or other.dtype != bool:
            raise TypeError(f"{name}: needs bool tensors (masks), got dtypes {self.dtype} and {other.dtype}")
        return Tensor._wrap(op(self.data, other.data))

    def __and__(self, other): return self._logical(other, lambda a, b: a & b, "&")
    def __or__(self, other): return self._logical(other, lambda a, b: a | b, "|")
    def __xor__(self, other): return self._logical(other, lambda a, b: a ^ b, "^")
    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__  # symmetric, so the same code serves both sides

    def __invert__(self):
        if self.dtype != bool:
            raise TypeError(f"~: needs a bool tensor (mask), got dtype {self.dtype}")
        return Tensor._wrap(~self.data)

    def __bool__(self):
        if self.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous; use .any()/.all()")
        return bool(self.item())

    # ------------------------------------------------------------------ methods
    def sum(self, axis=None, keepdims=False): return _ops.Sum.apply(self, axis=axis, keepdims=keepdims)
    def mean(self, axis=None, keepdims=False): return _ops.Mean.apply(self, axis=axis, keepdims=keepdims)
    def max(self, axis=None, keepdims=False): return _ops.Max.apply(self, axis=axis, keepdims=keepdims)
    def exp(self): return _ops.Exp.apply(self)
    def log(self): return _ops.Log.apply(self)
    def sqrt(self): return _ops.Sqrt.apply(self)
    def tanh(self): return _ops.Tanh.apply(self)
    def relu(self): return _ops.ReLU.apply(self)
    def sigmoid(self): return _ops.Sigmoid.apply(self)
    def abs(self): return _ops.Abs.apply(self)

    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return _ops.Reshape.apply(self, shape=tuple(int(s) for s in shape))

    view = reshape

    def transpose(self, axis1=-2, axis2=-1):
        """Swap two axes (PyTorch's transpose(dim0, dim1)); default swaps the last two."""
        if not (-self.ndim <= axis1 < self.ndim and -self.ndim <= axis2 < self.ndim):
            raise ValueError(f"transpose: axes ({axis1}, {axis2}) are out of range for a tensor of shape "
                             f"{self.shape} ({self.ndim} dimensions)")
        axes = list(range(self.ndim))
        axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
        return _ops.Permute.apply(self, axes=tuple(axes))

    def permute(self, *axes):
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        return _ops.Permute.apply(self, axes=tuple(axes))

    T = property(lambda self: self.permute(*reversed(range(self.ndim))))

    def __getitem__(self, index):
        return _ops.GetItem.apply(self, index=_ops.normalize_index(index))

    def masked_fill(self, mask, value):
        """Where `mask` is True put `value`; the gradient is zero there."""
        return _ops.MaskedFill.apply(self, self._lift(mask), value=value)

    def any(self): return bool(self.data.any())
    def all(self): return bool(self.data.all())
    def argmax(self, axis=None): return Tensor._wrap(self.data.argmax(axis=axis))


def promote(a, b, divide=False):
    """Two tensors about to meet in a binary op, in the dtypes PyTorch would compute in: an int or bool tensor
    beside a float one takes the float's dtype (float32 + int64 -> float32, where NumPy gives float64), and true
    division of two int/bool tensors is done in float32. Two floats, or two ints, pass unchanged."""
    dtype_a, dtype_b = a.data.dtype, b.data.dtype
    if dtype_a is dtype_b and not divide:  # the common case, as cheap as it can be (dtypes are singletons)
        return a, b
    kind_a, kind_b = dtype_a.kind, dtype_b.kind
    if kind_a == kind_b and not (divide and kind_a != "f"):
        return a, b
    if kind_a == "f" and kind_b != "f":
        return a, b.astype(a.dtype)
    if kind_b == "f" and kind_a != "f":
        return a.astype(b.dtype), b
    if divide and kind_a != "f":  # int / int, bool / int, ...: a float result, in the default float32
        return a.astype(backend.DEFAULT_FLOAT), b.astype(backend.DEFAULT_FLOAT)
    return a, b


autograd.Tensor = Tensor  # Function.apply and the engine wrap arrays in it
from . import ops as _ops  # noqa: E402  the one tolerated back-edge: operator sugar calls into ops/
