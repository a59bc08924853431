"""Cross-entropy of integer class labels: log-softmax and the negative log-likelihood fused in one Function.

Fused, the gradient with respect to the logits is simply (softmax - target distribution) / n — no log-softmax
node, no gather node, and no (N, C) one-hot matrix is ever built.
"""
from .. import backend
from ..autograd import Function
from .softmax import log_softmax_forward

REDUCTIONS = ("mean", "sum", "none")


def nll_rows(logp, target, smoothing):
    """Per-row loss -[(1 - s) log p[target] + s mean_c log p[c]] (s = label smoothing; s = 0 is plain NLL)."""
    xp = backend.array_module(logp)
    picked = logp[xp.arange(logp.shape[0]), target]  # (N,) log-probability of each row's label
    if smoothing:
        return -(1 - smoothing) * picked - smoothing * logp.mean(axis=1)
    return -picked


class CrossEntropy(Function):
    """loss = mean over rows with target != ignore_index of -log softmax(x)[target];  dx = (softmax - onehot) / n"""

    def forward(self, logits, target, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        xp = backend.array_module(logits)
        dtype = logits.dtype.type
        self.keep = target != ignore_index  # (N,) rows that count
        self.target = xp.where(self.keep, target, 0)  # any valid class index for ignored rows; zeroed below
        self.count = max(int(self.keep.sum()), 1)  # an all-ignored batch gives loss 0, not 0/0 = NaN
        self.reduction, self.smoothing = reduction, dtype(label_smoothing)
        self.logp = log_softmax_forward(logits, axis=1)  # (N, C)
        rows = nll_rows(self.logp, self.target, self.smoothing) * self.keep  # (N,) zero where ignored
        if reduction == "none":
            return rows
        total = rows.sum()
        return xp.asarray(total / dtype(self.count) if reduction == "mean" else total, dtype=logits.dtype)

    def backward(self, grad):
        # BEGIN SOLUTION t2.2 log-softmax + NLL backward: softmax minus the target distribution
        xp = backend.array_module(grad)
        n, classes = self.logp.shape
        dx = xp.exp(self.logp)  # softmax, (N, C)
        if self.smoothing:
            dx -= self.smoothing / classes  # the uniform part of the smoothed target
        dx[xp.arange(n), self.target] -= 1 - self.smoothing  # the one-hot part
        scale = grad[:, None] if self.reduction == "none" else grad / grad.dtype.type(
            self.count if self.reduction == "mean" else 1)
        dx *= self.keep[:, None] * scale  # ignored rows get no gradient
        return dx, None
        # END SOLUTION
