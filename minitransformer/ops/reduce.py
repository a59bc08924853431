"""Reductions over axes: sum, mean, max. Backward spreads dy back over the reduced axes."""
from .. import backend
from ..autograd import Function


def normalize_axes(axis, ndim, op):
    """None -> all axes; int or tuple -> a sorted tuple of non-negative axes (with a clear error when out of range)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions")
    return tuple(sorted(a % max(ndim, 1) for a in axes))


def expand_reduced(grad, shape, axes, keepdims):
    """Reinsert the reduced axes (length 1) so grad broadcasts against the input's shape."""
    if not keepdims:
        grad = grad.reshape([1 if i in axes else n for i, n in enumerate(shape)])
    return grad


class Sum(Function):
    """y = sum of x over axes;  dx = dy broadcast back over those axes"""

    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.keepdims = x.shape, keepdims
        self.axes = normalize_axes(axis, x.ndim, "sum")
        return x.sum(axis=self.axes, keepdims=keepdims)

    def backward(self, grad):
        xp = backend.array_module(grad)
        grad = expand_reduced(grad, self.shape, self.axes, self.keepdims)
        return (xp.broadcast_to(grad, self.shape),)


class Mean(Function):
    """y = sum(x) / n over axes;  dx = dy / n broadcast back"""

    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.keepdims = x.shape, keepdims
        self.axes = normalize_axes(axis, x.ndim, "mean")
        self.count = 1
        for a in self.axes:
            self.count *= x.shape[a]
        return x.mean(axis=self.axes, keepdims=keepdims)

    def backward(self, grad):
        xp = backend.array_module(grad)
        grad = expand_reduced(grad, self.shape, self.axes, self.keepdims) / grad.dtype.type(self.count)
        return (xp.broadcast_to(grad, self.shape),)


class Max(Function):
    """y = max of x over axes;  dx = dy shared equally among the positions that attain the max"""

    def forward(self, x, axis=None, keepdims=False):
        self.x, self.keepdims = x, keepdims
        self.axes = normalize_axes(axis, x.ndim, "max")
        if x.size == 0:
            raise ValueError(f"max: cannot reduce an empty tensor of shape {tuple(x.shape)}")
        self.y = x.max(axis=self.axes, keepdims=True)  # (.., 1, ..) broadcasts against x
        return self.y if keepdims else self.y.reshape([n for i, n in enumerate(x.shape) if i not in self.axes])

    def backward(self, grad):
        is_max = self.x == self.y
        ties = is_max.sum(axis=self.axes, keepdims=True)  # ties split the gradient, as torch.amax does
        grad = expand_reduced(grad, self.x.shape, self.axes, self.keepdims)
        return (grad * is_max / ties.astype(grad.dtype),)
