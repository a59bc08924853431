"""Linear: y = x Wᵀ + b with W stored (out, in), as in PyTorch and Hugging Face checkpoints."""
import math

from .. import backend
from .. import functional as F
from .module import Module, Parameter


def uniform(shape, bound, dtype="float32"):
    """Samples from U(-bound, bound) drawn from the seeded CPU generator (mt.manual_seed)."""
    dtype = backend.get_dtype(dtype)
    u = backend.generator("cpu").random(shape, dtype=dtype)  # [0, 1)
    u *= dtype.type(2 * bound)
    u -= dtype.type(bound)
    return u


class Linear(Module):
    """y = x Wᵀ + b, W (out_features, in_features), b (out_features,).

    Initialisation as PyTorch's nn.Linear: kaiming_uniform_(a=sqrt(5)) reduces to W ~ U(-1/sqrt(in), 1/sqrt(in)),
    and b ~ U(-1/sqrt(in), 1/sqrt(in)) too."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        if in_features <= 0 or out_features <= 0:
            raise ValueError(f"Linear: sizes must be positive, got in={in_features}, out={out_features}")
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / math.sqrt(in_features)
        self.weight = Parameter(uniform((out_features, in_features), bound))  # (out, in)
        self.bias = Parameter(uniform((out_features,), bound)) if bias else None

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)  # (..., in) -> (..., out)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
