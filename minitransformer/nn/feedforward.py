"""The position-wise feed-forward block: the same two-layer MLP applied to every position independently."""
from .activation import GELU, ReLU
from .dropout import Dropout
from .linear import Linear
from .module import Module

ACTIVATIONS = {"gelu": lambda: GELU("none"), "gelu_tanh": lambda: GELU("tanh"), "gelu_new": lambda: GELU("tanh"),
               "relu": ReLU}


class FeedForward(Module):
    """y = W2 · dropout(act(W1 x + b1)) + b2, W1 (d_ff, d_model), W2 (d_model, d_ff); act = exact GELU by
    default ("gelu"), or "gelu_tanh" / "relu". The dropout sits between the layers, as in torch's
    TransformerEncoderLayer; the residual dropout belongs to the encoder layer."""

    def __init__(self, d_model, d_ff, dropout=0.1, activation="gelu"):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"FeedForward: unknown activation {activation!r}, expected one of {sorted(ACTIVATIONS)}")
        self.linear1 = Linear(d_model, d_ff)
        self.activation = ACTIVATIONS[activation]()
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(d_ff, d_model)

    def forward(self, x):
        h = self.activation(self.linear1(x))  # (B, T, d_ff)
        return self.linear2(self.dropout(h))  # (B, T, d_model)
