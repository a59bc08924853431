"""Activations as modules, so they show up in a model's repr: GELU (exact erf or tanh form) and ReLU."""
from .. import functional as F
from .module import Module


class GELU(Module):
    """y = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) ("none", BERT's "gelu"), or the tanh approximation ("tanh")."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class ReLU(Module):
    """y = max(x, 0)."""

    def forward(self, x):
        return F.relu(x)
