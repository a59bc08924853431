"""Cross-entropy of integer class labels: log-softmax and the negative log-likelihood fused in one Function.

Fused, the gradient with respect to the logits is simply (softmax - target distribution), scaled: no log-softmax
node, no gather node, and no (N, C) one-hot matrix is ever built.

As torch.nn.functional.cross_entropy (aten LossNLL.cpp), with class weights w (all 1 when none are given), label
smoothing s and C classes, row i with label t_i loses

    loss_i = -[(1 - s) w[t_i] logp[i, t_i] + (s / C) sum_c w[c] logp[i, c]]    (0 when t_i == ignore_index)

and the mean divides the sum by sum_i w[t_i] over the rows that are not ignored (by their count without weights).
Row i's target distribution a_i = (1 - s) w[t_i] onehot(t_i) + (s / C) w has total mass m_i = (1 - s) w[t_i] +
s mean(w), so d loss_i / d logits_i = m_i softmax_i - a_i: softmax minus the target distribution when w = 1.
"""
from .. import backend
from ..autograd import Function
from .softmax import log_softmax_forward

REDUCTIONS = ("mean", "sum", "none")


def nll_rows(logp, target, smoothing, weight=None):
    """(N,) -[(1 - s) w[t] logp[t] + (s / C) sum_c w[c] logp[c]] per row (w = 1 when weight is None)."""
    xp = backend.array_module(logp)
    picked = logp[xp.arange(logp.shape[0]), target]  # (N,) log-probability of each row's label
    if weight is not None:
        picked = picked * weight[target]
    if not smoothing:
        return -picked
    spread = logp.mean(axis=1) if weight is None else logp @ weight / logp.shape[1]  # (N,) (1/C) sum_c w_c logp_c
    return -(1 - smoothing) * picked - smoothing * spread


class CrossEntropy(Function):
    """loss = sum_i loss_i / sum_i w[t_i] over rows with t_i != ignore_index;  dx_i = (m_i softmax_i - a_i) / that sum
    (module docstring: loss_i, the target distribution a_i and its mass m_i; w = 1 without class weights)"""

    def forward(self, logits, target, ignore_index=-100, reduction="mean", label_smoothing=0.0, weight=None):
        xp = backend.array_module(logits)
        dtype = logits.dtype.type
        self.keep = (target != ignore_index).astype(logits.dtype)  # (N,) 1.0 on rows that count
        self.target = xp.where(target != ignore_index, target, 0)  # any valid class for ignored rows; zeroed below
        self.weight = None if weight is None else weight.astype(logits.dtype, copy=False)  # (C,)
        self.reduction, self.smoothing = reduction, dtype(label_smoothing)
        self.logp = log_softmax_forward(logits, axis=1)  # (N, C)
        rows = nll_rows(self.logp, self.target, self.smoothing, self.weight) * self.keep  # (N,) zero where ignored
        if reduction == "none":
            return rows
        # the mean's divisor stays an array (no host sync); an all-ignored (or all-zero-weight) batch gives 0, not
        # torch's 0/0 = nan
        counted = self.keep if self.weight is None else self.keep * self.weight[self.target]  # (N,)
        total = counted.sum()
        self.divisor = xp.where(total > 0, total, dtype(1)) if reduction == "mean" else dtype(1)
        return xp.asarray(rows.sum() / self.divisor, dtype=logits.dtype)

    def backward(self, grad):
        # BEGIN SOLUTION t2.2 log-softmax + NLL backward: softmax minus the target distribution
        xp = backend.array_module(grad)
        n, classes = self.logp.shape
        rows, s, w = xp.arange(n), self.smoothing, self.weight
        dx = xp.exp(self.logp)  # softmax, (N, C)
        if w is not None:
            dx *= ((1 - s) * w[self.target] + s * w.mean())[:, None]  # the target distribution's mass m_i
        if s:
            dx -= s / classes if w is None else s / classes * w  # the uniform part of the smoothed target
        dx[rows, self.target] -= (1 - s) if w is None else (1 - s) * w[self.target]  # the one-hot part
        scale = grad[:, None] if self.reduction == "none" else grad / self.divisor
        dx *= self.keep[:, None] * scale  # ignored rows get no gradient
        return dx, None
        # END SOLUTION
