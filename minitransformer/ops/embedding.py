"""Embedding lookup: row `id` of a (vocab, dim) weight for every id; the gradient adds back into those rows."""
from .. import backend, device_checks
from ..autograd import Function
from .shape import scatter_add


def check_ids(ids, vocab_size, op="embedding", message=None):
    """A clear error for ids that are not integers or fall outside [0, vocab_size): at once for host ids, at the
    next device_checks.flush() for ids on a device (no host read there). message(bad id) words the range error."""
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{op}: ids must be integers, got dtype {ids.dtype}")
    if not ids.size:
        return
    message = message or (lambda bad: f"{op}: token id {bad} is out of range for a vocabulary of size {vocab_size} "
                                      f"(ids must be in 0..{vocab_size - 1})")

    def verdict(low, high):
        if low < 0 or high >= vocab_size:
            return IndexError(message(int(low if low < 0 else high)))
    device_checks.require((ids.min(), ids.max()), verdict)


class Embedding(Function):
    """y[..., :] = weight[ids[...], :];  dweight[i] = sum of dy where ids == i (zero for padding_idx)"""

    def forward(self, weight, ids, padding_idx=None):
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
