"""The affine map of a Linear layer, fused: weight stored (out, in) as in PyTorch and Hugging Face checkpoints.

Fusing lets us fold every leading axis into one: a (B, T, in) input becomes one (B*T, in) matrix, so forward and
backward are three plain GEMMs instead of a batched matmul whose weight gradient must then be summed over B.
"""
from ..autograd import Function


class Linear(Function):
    """y = x Wᵀ + b;  dx = dy W, dW = dyᵀ x, db = sum dy over all leading axes"""

    def forward(self, x, weight, *bias):
        if x.shape[-1] != weight.shape[1]:
            raise ValueError(f"linear: input of shape {tuple(x.shape)} has {x.shape[-1]} features but the weight "
                             f"of shape {tuple(weight.shape)} expects {weight.shape[1]} (weight is (out, in))")
        self.x, self.weight = x, weight
        y = x @ weight.T  # (..., out)
        if bias:
            y += bias[0]
        return y

    def backward(self, grad):
        need = [t.requires_grad for t in self.inputs]
        x2 = self.x.reshape(-1, self.x.shape[-1])  # (N, in), N = all leading axes together
        g2 = grad.reshape(-1, grad.shape[-1])  # (N, out)
        dx = (grad @ self.weight) if need[0] else None  # (..., in)
        dweight = (g2.T @ x2) if need[1] else None  # (out, in)
        grads = [dx, dweight]
        if len(need) == 3:
            grads.append(g2.sum(axis=0) if need[2] else None)  # (out,)
        return tuple(grads)
