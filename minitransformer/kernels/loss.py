"""Cross-entropy of integer class labels, log-softmax and the negative log-likelihood fused: the reference kernels.

As torch.nn.functional.cross_entropy (aten LossNLL.cpp), with class weights w (all 1 when none are given), label
smoothing s and C classes, row i with label t_i loses

    loss_i = -[(1 - s) w[t_i] logp[i, t_i] + (s / C) sum_c w[c] logp[i, c]]    (0 when the row is ignored)

Row i's target distribution a_i = (1 - s) w[t_i] onehot(t_i) + (s / C) w has total mass m_i = (1 - s) w[t_i] +
s mean(w), so d loss_i / d logits_i = m_i softmax_i - a_i: softmax minus the target distribution when w = 1.
Fused, that gradient needs no log-softmax node, no gather node, and no (N, C) one-hot matrix.
"""
from .. import backend
from .dispatch import kernel
from .softmax import log_softmax_forward


@kernel
def cross_entropy_forward(logits, target, keep, smoothing=0.0, weight=None):
    """(loss (N,), logp (N, C)): loss_i as in the module docstring times keep_i, logp = log softmax(logits).
    logits (N, C) float; target (N,) int, a valid class in every row (ignored rows may hold any); keep (N,) 1.0 for
    a row that counts, 0.0 for an ignored one; weight (C,) or None."""
    xp = backend.array_module(logits)
    logp = log_softmax_forward(logits, axis=-1)  # (N, C)
    picked = logp[xp.arange(logp.shape[0]), target]  # (N,) log-probability of each row's label
    if weight is not None:
        picked = picked * weight[target]
    loss = -picked
    if smoothing:
        spread = logp.mean(axis=-1) if weight is None else logp @ weight / logp.shape[-1]  # (1/C) sum_c w_c logp_c
        loss = (1 - smoothing) * loss - smoothing * spread
    return loss * keep, logp


@kernel
def cross_entropy_backward(logp, target, keep, smoothing, weight, dloss):
    """dlogits_i = (m_i softmax_i - a_i) * keep_i * dloss_i (module docstring);  dloss (N,) = d out / d loss_i."""
    # BEGIN SOLUTION t2.2 log-softmax + NLL backward: softmax minus the target distribution
    xp = backend.array_module(logp)
    n, classes = logp.shape
    rows, s, w = xp.arange(n), smoothing, weight
    dx = xp.exp(logp)  # softmax, (N, C)
    if w is not None:
        dx *= ((1 - s) * w[target] + s * w.mean())[:, None]  # the target distribution's mass m_i
    if s:
        dx -= s / classes if w is None else s / classes * w  # the uniform part of the smoothed target
    dx[rows, target] -= (1 - s) if w is None else (1 - s) * w[target]  # the one-hot part
    dx *= (keep * dloss)[:, None]  # ignored rows get no gradient
    return dx
    # END SOLUTION
