"""Dropout: zero activations at random while training so units cannot co-adapt; the identity in eval()."""
from .. import functional as F
from .module import Module


class Dropout(Module):
    """y = x * m / (1 - p), m ~ Bernoulli(1 - p) in training (inverted: no rescaling at eval); y = x in eval.
    The mask comes from the device's seeded generator (mt.manual_seed), so runs repeat."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, training=self.training)

    def extra_repr(self):
        return f"p={self.p}"
