"""Position information for a model that is otherwise blind to order: fixed sinusoids, or learned vectors."""
import math

from .. import backend
from ..tensor import Tensor
from .embedding import Embedding
from .module import Module


def sinusoid_table(max_len, d_model, dtype="float32"):
    """(max_len, d_model) array: PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(pos / 10000^(2i/d))."""
    # BEGIN SOLUTION t3.2 sinusoidal positional encoding
    positions = backend.asarray(range(max_len), dtype="float64")  # (max_len,) 0, 1, 2, ...
    xp = backend.array_module(positions)
    two_i = xp.arange(0, d_model, 2, dtype="float64")  # (ceil(d/2),) the even column indices 2i
    frequencies = xp.exp(-math.log(10000.0) * two_i / d_model)  # 1 / 10000^(2i/d), via exp for accuracy
    angles = positions[:, None] * frequencies[None, :]  # (max_len, ceil(d/2)): pos / 10000^(2i/d)
    table = xp.zeros((max_len, d_model), dtype="float64")
    table[:, 0::2] = xp.sin(angles)  # even columns: sine
    table[:, 1::2] = xp.cos(angles[:, : d_model // 2])  # odd columns: cosine of the same angle (odd d: one fewer)
    # END SOLUTION
    return table.astype(backend.get_dtype(dtype))  # computed in float64, stored in the model's dtype


class SinusoidalPositionalEncoding(Module):
    """y = x + PE[:T], PE the paper's fixed sinusoids ("Attention Is All You Need", section 3.5).

    The (max_len, d_model) table is computed once and registered as a NON-persistent buffer `pe`: it moves with
    .to() and casts with .double(), but is not in state_dict (it is a pure function of max_len and d_model). Each
    pair of columns (2i, 2i+1) is a point on a circle turning at its own frequency, so PE[pos + k] is PE[pos]
    rotated by an angle that depends only on k: relative positions are a linear map the model can learn."""

    def __init__(self, d_model, max_len=512):
        super().__init__()
        if d_model <= 0 or max_len <= 0:
            raise ValueError(f"SinusoidalPositionalEncoding: sizes must be positive, got d_model={d_model}, "
                             f"max_len={max_len}")
        self.d_model, self.max_len = d_model, max_len
        self.register_buffer("pe", Tensor(sinusoid_table(max_len, d_model)), persistent=False)  # (max_len, D)

    def forward(self, x):
        """x (B, T, D) -> x + PE[:T] (broadcast over the batch)."""
        T = x.shape[-2]
        if T > self.max_len:
            raise ValueError(f"SinusoidalPositionalEncoding: sequence length {T} exceeds max_len={self.max_len}")
        return x + self.pe[:T]  # (B, T, D) + (T, D)

    def extra_repr(self):
        return f"d_model={self.d_model}, max_len={self.max_len}"


class LearnedPositionalEmbedding(Module):
    """y = x + P[:T], P a trained (max_len, d_model) table (as BERT's position_embeddings), init N(0, 1) as
    nn.Embedding. Unlike sinusoids it cannot say anything about positions beyond those seen in training."""

    def __init__(self, max_len, d_model):
        super().__init__()
        self.max_len, self.d_model = max_len, d_model
        self.embedding = Embedding(max_len, d_model)  # weight (max_len, D)

    def forward(self, x):
        T = x.shape[-2]
        if T > self.max_len:
            raise ValueError(f"LearnedPositionalEmbedding: sequence length {T} exceeds max_len={self.max_len}")
        return x + self.embedding.weight[:T]  # (B, T, D) + (T, D)

    def extra_repr(self):
        return f"max_len={self.max_len}, d_model={self.d_model}"
