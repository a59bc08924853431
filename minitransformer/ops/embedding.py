"""Embedding lookup: row `id` of a (vocab, dim) weight for every id; the gradient adds back into those rows."""
from .. import backend
from ..autograd import Function
from .shape import scatter_add


def check_ids(ids, vocab_size, op="embedding"):
    """A clear error for ids that are not integers or fall outside [0, vocab_size)."""
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{op}: ids must be integers, got dtype {ids.dtype}")
    if ids.size:
        low, high = int(ids.min()), int(ids.max())
        if low < 0 or high >= vocab_size:
            bad = low if low < 0 else high
            raise IndexError(f"{op}: token id {bad} is out of range for a vocabulary of size {vocab_size} "
                             f"(ids must be in 0..{vocab_size - 1})")


class Embedding(Function):
    """y[..., :] = weight[ids[...], :];  dweight[i] = sum of dy where ids == i (zero for padding_idx)"""

    def forward(self, weight, ids, padding_idx=None):
        check_ids(ids, weight.shape[0])
        self.ids, self.weight_shape, self.padding_idx = ids, weight.shape, padding_idx
        return weight[ids]  # (*ids.shape, dim)

    def backward(self, grad):
        xp = backend.array_module(grad)
        dweight = xp.zeros(self.weight_shape, dtype=grad.dtype)
        # repeated ids must add up, not overwrite: scatter_add, not dweight[ids] = grad
        scatter_add(dweight, self.ids.reshape(-1), grad.reshape(-1, self.weight_shape[1]))  # (N,), (N, dim)
        if self.padding_idx is not None:
            dweight[self.padding_idx] = 0  # the padding vector stays fixed (as in PyTorch)
        return dweight, None
