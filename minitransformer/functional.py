"""The functional API, shaped like torch.nn.functional: each function checks its arguments, explains mistakes,
and calls one fused Function from ops/. NumPy (or CuPy) arrays are accepted wherever a tensor is expected."""
import numpy as np

from . import backend, device_checks
from .ops.activation import GELU
from .ops.attention import ScaledDotProductAttention
from .ops.dropout import Dropout
from .ops.elementwise import ReLU
from .ops.embedding import Embedding, check_ids
from .ops.linear import Linear
from .ops.loss import REDUCTIONS, CrossEntropy
from .ops.norm import LayerNorm
from .ops.softmax import LogSoftmax, Softmax
from .tensor import Tensor

__all__ = ["softmax", "log_softmax", "cross_entropy", "nll_loss", "layer_norm", "gelu", "relu", "dropout",
           "embedding", "linear", "scaled_dot_product_attention", "causal_mask", "padding_mask"]


def as_tensor(x, device=None):
    """A Tensor as is; an array wrapped without copying, keeping its dtype; anything else through mt.tensor.
    With `device` (for constants such as labels, ids and masks) the result is moved there when it is elsewhere."""
    if isinstance(x, Tensor):
        return x if device is None or x.device == backend.parse_device(device) else x.to(device)
    if isinstance(x, np.ndarray) or backend.device_of(x) != "cpu":
        return Tensor._wrap(x if device is None else backend.to_device(x, device))
    return Tensor(x, device=device or "cpu")


def _floating(x, op):
    """x when it holds floats; integer or bool data is a TypeError saying how to convert it (NumPy would either
    fail deep inside a ufunc or silently compute in float64)."""
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: needs a floating-point tensor, got dtype {x.dtype}; convert it with "
                        ".astype('float32')")
    return x


def _check_axis(x, axis, op):
    if not isinstance(axis, int) or not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{op}: axis {axis!r} is out of range for a tensor of shape {x.shape} "
                         f"(expected an int in {-x.ndim}..{x.ndim - 1})")


def softmax(x, axis=-1):
    """exp(x) / sum exp(x) along `axis` (rows sum to 1)."""
    x = _floating(as_tensor(x), "softmax")
    _check_axis(x, axis, "softmax")
    return Softmax.apply(x, axis=axis)


def log_softmax(x, axis=-1):
    """x - log sum exp(x) along `axis`: log-probabilities, computed without overflow."""
    x = _floating(as_tensor(x), "log_softmax")
    _check_axis(x, axis, "log_softmax")
    return LogSoftmax.apply(x, axis=axis)


def _labels(logits, labels, op, ignore_index):
    """Flatten (B, T, C) logits with (B, T) labels to (N, C) and (N,) on the logits' device, checking the labels'
    dtype, shape and range where they are (host labels: before they move, at no cost)."""
    labels = as_tensor(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{op}: labels must be integer class indices, got dtype {labels.dtype}")
    if logits.ndim < 2 or labels.shape != logits.shape[:-1]:
        raise ValueError(f"{op}: logits of shape {logits.shape} need labels of shape {logits.shape[:-1]} "
                         f"(one class index per row), got labels of shape {labels.shape}")
    classes = logits.shape[-1]
    _check_range(labels.data.reshape(-1), classes, ignore_index, op)
    labels = as_tensor(labels, device=logits.device)
    return logits.reshape(-1, classes), labels.data.reshape(-1), classes  # (N, C), (N,)


def _check_range(labels, classes, ignore_index, op):
    """Every label a class or ignore_index: at once for host labels, at the next device_checks.flush() on a device
    (the first bad label is picked on the device: no host read)."""
    if not labels.size:
        return
    xp = backend.array_module(labels)
    bad = (labels != ignore_index) & ((labels < 0) | (labels >= classes))  # (N,)

    def verdict(any_bad, first):
        if any_bad:
            return IndexError(f"{op}: label {int(first)} is out of range for {classes} classes (expected "
                              f"0..{classes - 1} or ignore_index={ignore_index})")
    device_checks.require((bad.any(), xp.take(labels, xp.argmax(bad))), verdict)


def _class_weight(weight, logits, classes, op):
    """The (C,) class weights as an array of the logits' dtype on their device, or None."""
    if weight is None:
        return None
    w = weight.data if isinstance(weight, Tensor) else weight
    w = backend.asarray(w, device=logits.device)
    if w.dtype.kind not in "fiu" or w.shape != (classes,):
        raise ValueError(f"{op}: weight must be one number per class, shape ({classes},), got "
                         f"{w.dtype} of shape {tuple(w.shape)}")
    return w.astype(logits.dtype)


def cross_entropy(logits, labels, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """-log softmax(logits)[label], averaged over rows whose label != ignore_index (loss 0 if all are ignored).
    logits (N, C) with labels (N,), or (B, T, C) with (B, T); reduction "mean" | "sum" | "none".
    weight (C,): each row's loss is scaled by weight[label] and the mean divides by the sum of those weights over
    the rows that count, as torch.nn.functional.cross_entropy (ops/loss.py has the formula with smoothing)."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if not 0 <= label_smoothing < 1:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1), got {label_smoothing}")
    logits = _floating(as_tensor(logits), "cross_entropy")
    lead = logits.shape[:-1]
    flat, labels, classes = _labels(logits, labels, "cross_entropy", ignore_index)
    loss = CrossEntropy.apply(flat, Tensor._wrap(labels), ignore_index=ignore_index, reduction=reduction,
                              label_smoothing=label_smoothing,
                              weight=_class_weight(weight, logits, classes, "cross_entropy"))
    return loss.reshape(lead) if reduction == "none" else loss


def nll_loss(log_probs, labels, weight=None, ignore_index=-100, reduction="mean"):
    """-weight[label] log_probs[label] summed over non-ignored rows, divided by the sum of their weights for the mean
    (their count without weights): cross_entropy when you already hold log-probabilities."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"nll_loss: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    log_probs = as_tensor(log_probs)
    lead = log_probs.shape[:-1]
    flat, labels, classes = _labels(log_probs, labels, "nll_loss", ignore_index)
    xp = backend.array_module(labels)
    keep = labels != ignore_index  # (N,)
    target = xp.where(keep, labels, 0)
    picked = flat[xp.arange(labels.shape[0]), target]  # (N,) log-probability of the label
    counted = keep.astype(flat.dtype)  # (N,) each row's weight in the mean: 1, or weight[label]; 0 if ignored
    w = _class_weight(weight, flat, classes, "nll_loss")
    if w is not None:
        counted = counted * w[target]
    rows = -(picked * Tensor._wrap(counted))
    if reduction == "none":
        return rows.reshape(lead)
    total = rows.sum()
    if reduction == "sum":
        return total
    divisor = counted.sum()
    return total / xp.where(divisor > 0, divisor, flat.dtype.type(1))  # all ignored: 0, not 0/0


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """(x - mean) / sqrt(var + eps) * weight + bias over the trailing `normalized_shape` axes (biased variance)."""
    x = _floating(as_tensor(x), "layer_norm")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if x.shape[x.ndim - len(shape):] != shape or len(shape) > x.ndim:
        raise ValueError(f"layer_norm: input of shape {x.shape} does not end in normalized_shape {shape}")
    affine = []
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None:
            t = as_tensor(t)
            if t.shape != shape:
                raise ValueError(f"layer_norm: {name} has shape {t.shape}, expected {shape}")
            affine.append(t)
    return LayerNorm.apply(x, *affine, ndim=len(shape), eps=eps, has_weight=weight is not None,
                           has_bias=bias is not None)


def gelu(x, approximate="none"):
    """x Phi(x): exact with erf ("none", BERT's "gelu") or the tanh approximation ("tanh", "gelu_new")."""
    return GELU.apply(_floating(as_tensor(x), "gelu"), approximate=approximate)


def relu(x):
    """max(x, 0)."""
    return ReLU.apply(as_tensor(x))


def dropout(x, p=0.5, training=True):
    """Zero elements with probability p and scale the rest by 1/(1-p); the identity when not training or p == 0."""
    x = as_tensor(x)
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0  # everything dropped (and no division by zero)
    return Dropout.apply(x, p=p)


def embedding(ids, weight, padding_idx=None):
    """weight[ids]: one row of the (vocab, dim) weight per id; the padding_idx row receives no gradient."""
    weight = as_tensor(weight)
    ids = as_tensor(ids)
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be (vocab, dim), got shape {weight.shape}")
    check_ids(ids.data, weight.shape[0])  # where the ids are: free on the host, no host read on a device
    ids = as_tensor(ids, device=weight.device)
    if padding_idx is not None and not -weight.shape[0] <= padding_idx < weight.shape[0]:
        raise ValueError(f"embedding: padding_idx {padding_idx} is out of range for a vocabulary of size "
                         f"{weight.shape[0]}")
    if padding_idx is not None:
        padding_idx %= weight.shape[0]
    return Embedding.apply(weight, ids, padding_idx=padding_idx)


def linear(x, weight, bias=None):
    """x Wᵀ + b with weight stored (out, in), as PyTorch and Hugging Face checkpoints store it."""
    x, weight = as_tensor(x), as_tensor(weight)
    if x.ndim == 0 or weight.ndim != 2:
        raise ValueError(f"linear: needs input (..., in_features) and weight (out_features, in_features), got "
                         f"shapes {x.shape} and {weight.shape}")
    if _floating(x, "linear").dtype != weight.dtype:  # NumPy would quietly run the whole model in float64
        raise TypeError(f"linear: input has dtype {x.dtype} but the weight has dtype {weight.dtype}; convert the "
                        f"input with .astype('{weight.dtype}') (or the module with .double() / .float())")
    return Linear.apply(x, weight, *([as_tensor(bias)] if bias is not None else []))


def scaled_dot_product_attention(q, k, v, mask=None, dropout_p=0.0, training=True):
    """(out, weights): out = softmax(q kᵀ / sqrt(d), keys where mask is False dropped) v.
    q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv); mask a bool keep-mask broadcastable to (..., Tq, Tk).
    weights (..., Tq, Tk) are the softmax before dropout, outside the graph; a row with every key masked gets
    uniform weights (finite, never NaN)."""
    q, k, v = (_floating(as_tensor(t), "scaled_dot_product_attention") for t in (q, k, v))
    if mask is not None:
        mask = as_tensor(mask, device=q.device)
        hint = ("; a (B, T) attention_mask of 1s and 0s becomes the (B, 1, 1, T) keep-mask with "
                "F.padding_mask(attention_mask)")
        if mask.dtype != bool:
            raise TypeError(f"scaled_dot_product_attention: mask must be a boolean keep-mask (True = attend), got "
                            f"dtype {mask.dtype}" + hint)
        try:
            np.broadcast_shapes(mask.shape,  # shapes only: fine for CuPy data too
                                q.shape[:-1] + (k.shape[-2],))
        except ValueError:
            raise ValueError(f"scaled_dot_product_attention: mask of shape {mask.shape} does not broadcast to the "
                             f"scores' shape {q.shape[:-1] + (k.shape[-2],)} (B, H, Tq, Tk)"
                             + (hint if mask.ndim == 2 else "")) from None
        mask = mask.data
    if not 0 <= dropout_p < 1:
        raise ValueError(f"scaled_dot_product_attention: dropout_p must be in [0, 1), got {dropout_p}")
    return ScaledDotProductAttention.apply(q, k, v, mask=mask, dropout_p=dropout_p if training else 0.0)


def causal_mask(T, device="cpu"):
    """(T, T) bool keep-mask, True on and below the diagonal: position i may attend to positions 0..i."""
    xp = backend.array_module(backend.asarray(True, device=device))  # NumPy or CuPy, as the device says
    return Tensor._wrap(xp.tri(T, dtype=bool))  # (T, T): tri is lower-triangular ones, diagonal included


def padding_mask(attention_mask):
    """(B, T) 0/1 attention mask (1 = real token) -> (B, 1, 1, T) bool keep-mask (broadcasts over heads, queries)."""
    attention_mask = as_tensor(attention_mask)
    if attention_mask.ndim != 2:
        raise ValueError(f"padding_mask: attention_mask must be (B, T), got shape {attention_mask.shape}")
    keep = attention_mask.data != 0
    return Tensor._wrap(keep[:, None, None, :])  # (B, 1, 1, T)
