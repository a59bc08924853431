"""The Transformer encoder: a stack of identical layers, each self-attention then a feed-forward block,
each sub-layer wrapped in a residual connection and a LayerNorm."""
import copy

from .attention import MultiHeadAttention
from .containers import ModuleList
from .dropout import Dropout
from .feedforward import FeedForward
from .module import Module
from .normalization import LayerNorm


class TransformerEncoderLayer(Module):
    """One encoder block. Two conventions, chosen by `norm_first`:

    post-LN (norm_first=False, the default; the original Transformer and BERT):
        x = LN1(x + dropout(attention(x)));  x = LN2(x + dropout(feed_forward(x)))
    pre-LN (norm_first=True; GPT-2 and most recent models, easier to train deep):
        x = x + dropout(attention(LN1(x)));  x = x + dropout(feed_forward(LN2(x)))

    `dropout` is used for the attention probabilities, inside the feed-forward block and on both residual
    branches, as torch.nn.TransformerEncoderLayer does."""

    def __init__(self, d_model, num_heads, d_ff, dropout=0.1, norm_first=False, activation="gelu",
                 layer_norm_eps=1e-5):
        super().__init__()
        self.norm_first = norm_first
        self.attention = MultiHeadAttention(d_model, num_heads, dropout=dropout)
        self.dropout1 = Dropout(dropout)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps)
        self.feed_forward = FeedForward(d_model, d_ff, dropout=dropout, activation=activation)
        self.dropout2 = Dropout(dropout)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps)

    def forward(self, x, mask=None, return_weights=False):
        """x (B, T, D), mask a keep-mask for the attention -> (B, T, D) [and the weights (B, H, T, T)]."""
        # BEGIN SOLUTION t3.3 encoder layer
        if self.norm_first:  # pre-LN: normalise the sub-layer's input, leave the residual path untouched
            attended, weights = self.attention(self.norm1(x), mask, return_weights=True)  # (B, T, D)
            x = x + self.dropout1(attended)
            x = x + self.dropout2(self.feed_forward(self.norm2(x)))  # (B, T, D)
        else:  # post-LN: normalise the sum of the residual and the sub-layer's output
            attended, weights = self.attention(x, mask, return_weights=True)  # (B, T, D)
            x = self.norm1(x + self.dropout1(attended))
            x = self.norm2(x + self.dropout2(self.feed_forward(x)))  # (B, T, D)
        # END SOLUTION
        return (x, weights) if return_weights else x

    def extra_repr(self):
        return "norm_first=True (pre-LN)" if self.norm_first else "norm_first=False (post-LN)"


class TransformerEncoder(Module):
    """x -> layer_N(... layer_1(x)) [-> norm]; layers are registered as `layers.0`, `layers.1`, ... (PyTorch's
    names). `layer` is a zero-argument factory (called once per layer), a dict of TransformerEncoderLayer
    arguments, or a layer to deep-copy (as torch does: every copy starts from the same weights)."""

    def __init__(self, layer, num_layers, norm=None):
        super().__init__()
        if num_layers <= 0:
            raise ValueError(f"TransformerEncoder: num_layers must be positive, got {num_layers}")
        if isinstance(layer, dict):
            make = lambda: TransformerEncoderLayer(**layer)  # noqa: E731
        elif isinstance(layer, Module):
            make = lambda: copy.deepcopy(layer)  # noqa: E731
        elif callable(layer):
            make = layer
        else:
            raise TypeError(f"TransformerEncoder: layer must be a factory, a dict of arguments or a Module, "
                            f"got {type(layer).__name__}")
        self.layers = ModuleList([make() for _ in range(num_layers)])
        self.norm = norm  # a final LayerNorm, customary after a pre-LN stack (None: no module registered)

    def forward(self, x, mask=None, return_weights=False):
        """x (B, T, D) -> (B, T, D); with return_weights also a list of each layer's (B, H, T, T) weights."""
        all_weights = []
        for layer in self.layers:
            x, weights = layer(x, mask, return_weights=True)
            all_weights.append(weights)
        if self.norm is not None:
            x = self.norm(x)
        return (x, all_weights) if return_weights else x
