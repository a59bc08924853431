"""Matrix product with NumPy's rules: batched, broadcast over leading axes, 1-D operands promoted."""
import numpy as np

from ..autograd import Function
from .broadcast import unbroadcast


def check_matmul(a, b):
    """A ValueError that names both shapes when the inner dimensions or the batch axes disagree."""
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must have at least one dimension, got shapes {tuple(a.shape)} "
                         f"and {tuple(b.shape)} (use * for scalars)")
    inner_a = a.shape[-1]
    inner_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if inner_a != inner_b:
        raise ValueError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} do not align "
                         f"({inner_a} != {inner_b})")
    if a.ndim <= 2 and b.ndim <= 2:  # no batch axes to check
        return
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])  # shapes only, so NumPy is fine for CuPy data
    except ValueError:
        raise ValueError(f"matmul: batch axes of shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                         "broadcast together") from None


class MatMul(Function):
    """y = a @ b;  da = dy @ b^T, db = a^T @ dy (1-D operands as rows/columns, batch axes unbroadcast)"""

    def forward(self, a, b):
        check_matmul(a, b)
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad):
        # BEGIN SOLUTION t1.4 matmul backward
        a, b = self.a, self.b
        # Promote 1-D operands to matrices so one formula covers every case: (n,) -> (1, n) or (n, 1).
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g = grad
        if b.ndim == 1:  # (column first: for vector @ vector dy is 0-d, and () -> (1,) -> (1, 1))
            g = g[..., None]  # restore the column axis matmul dropped
        if a.ndim == 1:
            g = g[..., None, :]  # restore the row axis matmul dropped
        need_a, need_b = (t.requires_grad for t in self.inputs)
        grad_a = grad_b = None
        if need_a:
            grad_a = unbroadcast(g @ b2.swapaxes(-1, -2), a2.shape).reshape(a.shape)
        if need_b:
            grad_b = unbroadcast(a2.swapaxes(-1, -2) @ g, b2.shape).reshape(b.shape)
        return grad_a, grad_b
        # END SOLUTION
