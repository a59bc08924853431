"""Cross-entropy on the GPU: log-softmax (softmax.py's 3 launches), then one pass for the loss and one for the
whole gradient, ignore_index (keep), label smoothing s and class weights w included (kernels/loss.py's formulas):

    loss_i  = -[(1 - s) w[t_i] logp[i, t_i] + (s / C) sum_c w_c logp[i, c]] keep_i
    dx[i,c] = (m_i exp(logp[i, c]) - a[i, c]) keep_i dloss_i,  m_i = (1 - s) w[t_i] + s mean(w),
              a[i, c] = (1 - s) w[t_i] [c == t_i] + (s / C) w_c
Without weights w = 1 (the kernels take w = None as a flag). A target outside 0..C-1 (an ignored row's) reads
class 0: its keep is 0, and the GPU never reads outside the arrays.
"""
from .build import compiled, scalar
from .softmax import log_softmax_forward

_PICK = "S ti = (t < 0 || t >= C) ? 0 : t; T wt = weighted ? w[ti] : (T)1;"
_loss = compiled(lambda cp: cp.ElementwiseKernel(
    "raw T logp, S t, T keep, T spread, raw T w, int64 C, T s, bool weighted", "T loss",
    _PICK + "loss = -((1 - s) * wt * logp[i * C + ti] + s * spread) * keep;", "mt_cross_entropy"))
_grad = compiled(lambda cp: cp.ElementwiseKernel(
    "T logp, raw S t, raw T scale, raw T w, int64 C, T s, T wmean, bool weighted", "T dx",
    """long long row = i / C, c = i % C; S t_row = t[row];
    S ti = (t_row < 0 || t_row >= C) ? 0 : t_row; T wt = weighted ? w[ti] : (T)1;
    T mass = weighted ? (1 - s) * wt + s * wmean : (T)1;
    T target = (c == ti ? (1 - s) * wt : (T)0) + s / C * (weighted ? w[c] : (T)1);
    dx = (mass * exp(logp) - target) * scale[row];""", "mt_cross_entropy_backward"))


def cross_entropy_forward(logits, target, keep, smoothing=0.0, weight=None):
    logp = log_softmax_forward(logits)  # (N, C)
    classes = logp.shape[-1]
    spread = 0 if not smoothing else (logp.mean(axis=-1) if weight is None else logp @ weight / classes)  # (N,)
    w = logp if weight is None else weight  # any array when unweighted: never read
    loss = _loss()(logp, target, keep, scalar(logp, spread) if not smoothing else spread, w, classes,
                   scalar(logp, smoothing), weight is not None)
    return loss, logp


def cross_entropy_backward(logp, target, keep, smoothing, weight, dloss):
    classes = logp.shape[-1]
    w = logp if weight is None else weight
    wmean = scalar(logp, 0) if weight is None else weight.mean()
    return _grad()(logp, target, keep * dloss, w, classes, scalar(logp, smoothing), wmean, weight is not None)
