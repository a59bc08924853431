"""Cross-entropy of integer class labels: log-softmax and the negative log-likelihood fused in one Function.

With class weights w, label smoothing s and C classes (kernels/loss.py has the per-row loss and its gradient,
as torch.nn.functional.cross_entropy), the mean divides the sum of the rows' losses by sum_i w[t_i] over the rows
that are not ignored (by their count without weights).
"""
from .. import backend, kernels
from ..autograd import Function

REDUCTIONS = ("mean", "sum", "none")


class CrossEntropy(Function):
    """loss = sum_i loss_i / sum_i w[t_i] over rows with t_i != ignore_index;  dx_i = (m_i softmax_i - a_i) / that sum
    (kernels/loss.py: loss_i, the target distribution a_i and its mass m_i; w = 1 without class weights)"""

    def forward(self, logits, target, ignore_index=-100, reduction="mean", label_smoothing=0.0, weight=None):
        xp = backend.array_module(logits)
        dtype = logits.dtype.type
        self.keep = (target != ignore_index).astype(logits.dtype)  # (N,) 1.0 on rows that count
        self.target = xp.where(target != ignore_index, target, 0)  # any valid class for ignored rows (keep is 0)
        self.weight = None if weight is None else weight.astype(logits.dtype, copy=False)  # (C,)
        self.reduction, self.smoothing = reduction, float(label_smoothing)
        rows, self.logp = kernels.cross_entropy_forward(logits, self.target, self.keep, self.smoothing, self.weight)
        if reduction == "none":
            return rows  # (N,)
        # the mean's divisor stays an array (no host sync); an all-ignored (or all-zero-weight) batch gives 0, not
        # torch's 0/0 = nan
        counted = self.keep if self.weight is None else self.keep * self.weight[self.target]  # (N,)
        total = counted.sum()
        self.divisor = xp.where(total > 0, total, dtype(1)) if reduction == "mean" else dtype(1)
        return xp.asarray(rows.sum() / self.divisor, dtype=logits.dtype)

    def backward(self, grad):
        xp = backend.array_module(grad)
        dloss = grad if self.reduction == "none" else xp.broadcast_to(grad / self.divisor, self.keep.shape)  # (N,)
        return kernels.cross_entropy_backward(self.logp, self.target, self.keep, self.smoothing, self.weight,
                                              dloss), None
