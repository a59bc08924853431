"""Ops that move values without arithmetic: reshape, permute, indexing, cat/stack, where, device copies."""
import itertools

from .. import backend
from ..autograd import Function
from ..backend import scatter_add  # noqa: F401  (re-exported: ops.scatter_add)


class Reshape(Function):
    """y = x viewed with a new shape;  dx = dy reshaped back"""

    def forward(self, x, shape):
        self.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot view shape {tuple(x.shape)} ({x.size} elements) "
                             f"as {tuple(shape)}") from None

    def backward(self, grad):
        return (grad.reshape(self.shape),)


class Permute(Function):
    """y = x with axes reordered;  dx = dy with the inverse order"""

    def forward(self, x, axes):
        if sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
            raise ValueError(f"permute: {axes} is not an ordering of the {x.ndim} axes of shape {tuple(x.shape)}")
        self.axes = axes
        return x.transpose(axes)

    def backward(self, grad):
        axes = [a % grad.ndim for a in self.axes]
        inverse = tuple(sorted(range(grad.ndim), key=axes.__getitem__))  # argsort, in Python: axes are few
        return (grad.transpose(inverse),)


def normalize_index(index):
    """Tensors inside an index become their arrays (integer or boolean)."""
    from ..tensor import Tensor
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index.data if isinstance(index, Tensor) else index


def _has_advanced(index):
    parts = index if isinstance(index, tuple) else (index,)
    return any(hasattr(p, "shape") or isinstance(p, list) for p in parts)


def _is_mask(index):
    return hasattr(index, "dtype") and index.dtype == bool


class GetItem(Function):
    """y = x[index] (slices, integer arrays, boolean masks);  dx = dy scattered back (summed where repeated)"""

    def forward(self, x, index):
        self.shape, self.dtype, self.index = x.shape, x.dtype, index
        try:
            return x[index]
        except IndexError as exc:
            raise IndexError(f"index {index!r} is invalid for a tensor of shape {tuple(x.shape)}: {exc}") from None

    def backward(self, grad):
        xp = backend.array_module(grad)
        full = xp.zeros(self.shape, dtype=grad.dtype)
        if _is_mask(self.index):  # a boolean mask picks each position at most once: plain assignment
            full[self.index] = grad
        elif _has_advanced(self.index):  # an integer array may repeat positions: accumulate, don't overwrite
            scatter_add(full, self.index, grad)
        else:
            full[self.index] = grad
        return (full,)


class MaskedFill(Function):
    """y = value where mask else x;  dx = dy where not mask"""

    def forward(self, x, mask, value):
        xp = backend.array_module(x)
        if mask.dtype != bool:
            raise TypeError(f"masked_fill: mask must be a bool tensor, got dtype {mask.dtype}")
        from .broadcast import broadcast_shape
        if broadcast_shape("masked_fill", x, mask) != x.shape:
            raise ValueError(f"masked_fill: mask of shape {tuple(mask.shape)} does not broadcast to {tuple(x.shape)}")
        self.mask = mask
        return xp.where(mask, x.dtype.type(value), x)

    def backward(self, grad):
        return (grad * ~self.mask, None)


class Where(Function):
    """y = a where condition else b;  da = dy where condition, db = dy elsewhere"""

    def forward(self, condition, a, b):
        from .broadcast import broadcast_shape, unbroadcast  # noqa: F401
        shape = broadcast_shape("where", a, b)
        broadcast_shape("where (condition)", condition, backend.array_module(a).empty(shape, dtype=bool))
        self.condition, self.a_shape, self.b_shape = condition, a.shape, b.shape
        return backend.array_module(a).where(condition, a, b)

    def backward(self, grad):
        from .broadcast import unbroadcast
        return (None, unbroadcast(grad * self.condition, self.a_shape),
                unbroadcast(grad * ~self.condition, self.b_shape))


class Concatenate(Function):
    """y = [x1, x2, ...] joined along axis;  dx_i = the slice of dy that came from x_i"""

    def forward(self, *arrays, axis=0):
        xp = backend.array_module(*arrays)
        self.axis = axis % arrays[0].ndim
        self.sizes = [a.shape[self.axis] for a in arrays]
        try:
            return xp.concatenate(arrays, axis=self.axis)
        except ValueError:
            shapes = ", ".join(str(tuple(a.shape)) for a in arrays)
            raise ValueError(f"cat: shapes {shapes} differ outside axis {axis}") from None

    def backward(self, grad):
        xp = backend.array_module(grad)
        cuts = list(itertools.accumulate(self.sizes[:-1]))  # where each input's slice of dy ends
        return tuple(xp.split(grad, cuts, axis=self.axis))


class Stack(Function):
    """y = x1, x2, ... stacked on a new axis;  dx_i = dy taken at position i of that axis"""

    def forward(self, *arrays, axis=0):
        xp = backend.array_module(*arrays)
        shapes = {tuple(a.shape) for a in arrays}
        if len(shapes) > 1:
            raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
        self.axis = axis % (arrays[0].ndim + 1)
        return xp.stack(arrays, axis=self.axis)

    def backward(self, grad):
        xp = backend.array_module(grad)
        return tuple(xp.moveaxis(grad, self.axis, 0))


class ToDevice(Function):
    """y = x copied to another device;  dx = dy copied back"""

    def forward(self, x, device):
        self.source = backend.device_of(x)
        return backend.to_device(x, device)

    def backward(self, grad):
        return (backend.to_device(grad, self.source),)

