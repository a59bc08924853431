"""Embedding: a lookup table, row `id` of a (num_embeddings, embedding_dim) weight for every token id."""
from .. import backend
from .. import functional as F
from .module import Module, Parameter


class Embedding(Module):
    """y[..., :] = W[ids[...], :], W (num_embeddings, embedding_dim).

    Initialisation as PyTorch's nn.Embedding: W ~ N(0, 1); the padding_idx row is zeroed and gets no gradient,
    so a padding token always embeds to the zero vector."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None):
        super().__init__()
        if num_embeddings <= 0 or embedding_dim <= 0:
            raise ValueError(f"Embedding: sizes must be positive, got {num_embeddings} x {embedding_dim}")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} is out of range for {num_embeddings} rows")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        weight = backend.generator("cpu").standard_normal((num_embeddings, embedding_dim), dtype="float32")
        if padding_idx is not None:
            weight[padding_idx] = 0
        self.weight = Parameter(weight)  # (num_embeddings, embedding_dim)

    def forward(self, ids):
        return F.embedding(ids, self.weight, padding_idx=self.padding_idx)  # (...) -> (..., embedding_dim)

    def extra_repr(self):
        pad = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
