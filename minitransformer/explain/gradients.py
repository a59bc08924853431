"""Gradient attributions on the input embeddings: gradient x input, and integrated gradients.

For one sequence of T pieces with input embeddings x (T, D) (the rows `model.get_input_embeddings()` gives for its
ids, before positions are added) and a scalar output F (one class's probability, logit or log-probability):

    gradient x input       a_t = sum_d x[t, d] * dF/dx[t, d](x)                                (T,)
    integrated gradients   a_t = sum_d (x - x')[t, d] * int_0^1 dF/dx[t, d](x' + alpha (x - x')) d alpha
                           (Sundararajan, Taly & Yan 2017, "Axiomatic Attribution for Deep Networks", eq. 1)

The integral is the trapezoid rule on n_steps points alpha_k = k / (n_steps - 1), k = 0..n_steps-1 (weights
1/(n-1), halved at both ends; Captum's "riemann_trapezoid"), all points in one batch through the model. Completeness
(the paper's axiom): sum_t a_t = F(x) - F(x'); what the sum misses is the convergence delta, the quadrature error.

Any model here plugs in when it has `get_input_embeddings()` and a forward taking `inputs_embeds=` (B, T, D) and
`attention_mask=`, returning `.logits` of shape (B, C), or (B, T, C) for a token classifier (then a position picks
the token whose class is explained).
"""
import dataclasses
import inspect
from contextlib import contextmanager
from typing import Optional

import numpy as np

from .. import backend
from .. import functional as F
from ..autograd import enable_grad, no_grad
from ..tensor import Tensor

OUTPUTS = ("probability", "logit", "log_probability")


@contextmanager
def inference_mode(model):
    """Eval mode (no dropout) with the parameters frozen, so backward reaches the embeddings only and leaves every
    parameter's .grad as it was; both restored on exit."""
    frozen = [p for p in model.parameters() if p.requires_grad]
    was_training = model.training
    model.eval()
    for p in frozen:
        p.requires_grad = False
    try:
        yield model
    finally:
        for p in frozen:
            p.requires_grad = True
        model.train(was_training)


def check_model(model):
    """A TypeError unless `model` has get_input_embeddings() and a forward taking inputs_embeds."""
    forward = getattr(model, "forward", None)
    if not hasattr(model, "get_input_embeddings") or forward is None \
            or "inputs_embeds" not in inspect.signature(forward).parameters:
        raise TypeError(f"explain: {type(model).__name__} cannot be explained: it needs get_input_embeddings() and "
                        "a forward(inputs_embeds=..., attention_mask=...) returning .logits, as the models in "
                        "mt.models have")


def select_output(logits, target, position=None, output="probability"):
    """(N,) tensor: the explained scalar of each row. logits (N, C), or (N, T, C) with `position` the token."""
    if logits.ndim == 3:
        if position is None:
            raise ValueError(f"explain: the model returns per-token logits {logits.shape}; pass position= (the "
                             "index of the piece whose class is explained)")
        logits = logits[:, position]  # (N, T, C) -> (N, C)
    elif position is not None:
        raise ValueError(f"explain: position={position} is only for per-token logits (N, T, C), these are "
                         f"{logits.shape}")
    if output == "logit":
        return logits[:, target]
    if output == "probability":
        return F.softmax(logits, axis=-1)[:, target]
    if output == "log_probability":
        return F.log_softmax(logits, axis=-1)[:, target]
    raise ValueError(f"explain: output must be one of {OUTPUTS}, got {output!r}")


def embedding_gradients(model, embeds, attention_mask=None, target=0, position=None, output="probability",
                        **inputs):
    """(scores (N,), grads (N, T, D)): F at each row of `embeds` (N, T, D) and dF/d embeds, one forward and one
    backward for the whole batch (rows are independent, so the gradient of the sum is each row's gradient).
    `inputs` go to the model as they are (token_type_ids). Call inside inference_mode(model)."""
    xp = backend.array_module(embeds)
    leaf = Tensor(embeds, requires_grad=True, dtype=embeds.dtype, device=model.device)  # (N, T, D)
    N = embeds.shape[0]
    mask = None if attention_mask is None else xp.broadcast_to(attention_mask, embeds.shape[:2])  # (N, T)
    inputs = {k: xp.broadcast_to(v, (N,) + v.shape[1:]) for k, v in inputs.items()}  # (1, T) -> (N, T)
    with enable_grad():
        logits = model(inputs_embeds=leaf, attention_mask=mask, **inputs).logits
        scores = select_output(logits, target, position, output)  # (N,)
        scores.sum().backward()
    return scores.data, leaf.grad.data


@dataclasses.dataclass
class Attribution:
    """Per-piece attributions of one sequence, in the units of the explained output (a probability by default)."""
    attributions: np.ndarray  # (T,) float64, one value per piece (special tokens included)
    score: float  # F(x), the explained output at the input
    target: int  # the class explained
    method: str
    baseline_score: Optional[float] = None  # F(x'), integrated gradients only
    delta: Optional[float] = None  # sum(attributions) - (F(x) - F(x')), integrated gradients only


def _one_sequence(model, input_ids):
    ids = np.asarray(input_ids.numpy() if isinstance(input_ids, Tensor) else input_ids)
    if ids.ndim == 2 and ids.shape[0] == 1:
        ids = ids[0]
    if ids.ndim != 1 or ids.dtype.kind not in "iu" or ids.size == 0:
        raise ValueError(f"explain: input_ids must be one non-empty sequence of integer ids (T,) or (1, T), got "
                         f"shape {ids.shape} dtype {ids.dtype}")
    return backend.asarray(ids[None, :], device=model.device)  # (1, T)


def as_row(model, value, T, name):
    """None, or a (1, T) integer array on the model's device from a list, array or Tensor of T (or (1, T)) values."""
    if value is None:
        return None
    array = backend.asarray(value.data if isinstance(value, Tensor) else value, device=model.device)
    if array.size != T or array.ndim > 2:
        raise ValueError(f"explain: {name} must hold one value per piece ({T},) or (1, {T}), got shape "
                         f"{tuple(array.shape)}")
    return array.reshape(1, T)


def input_embeddings(model, input_ids):
    """(1, T, D) array: the input embeddings of one sequence, outside the graph."""
    with no_grad():
        return model.get_input_embeddings()(Tensor(_one_sequence(model, input_ids), device=model.device)).data


def predicted_class(model, embeds, attention_mask=None, position=None, **inputs):
    """The argmax class of one sequence (at `position` for per-token logits)."""
    with no_grad():
        logits = model(inputs_embeds=Tensor._wrap(embeds), attention_mask=attention_mask, **inputs).logits.data
    logits = logits[0] if logits.ndim == 2 else logits[0, position]
    return int(backend.to_numpy(logits).argmax())


def _rows(model, input_ids, attention_mask, inputs):
    T = _one_sequence(model, input_ids).shape[1]
    return as_row(model, attention_mask, T, "attention_mask"), {k: as_row(model, v, T, k) for k, v in inputs.items()}


def _target(model, embeds, attention_mask, target, position, inputs):
    if target is None:
        return predicted_class(model, embeds, attention_mask, position, **inputs)
    return int(target)


def gradient_x_input(model, input_ids, attention_mask=None, target=None, position=None, output="probability",
                     **inputs):
    """Attribution: a_t = sum_d x[t, d] dF/dx[t, d], x (T, D) the input embeddings of one sequence input_ids (T,).

    target: the class explained (default: the predicted one); position: the token, for per-token logits; output:
    "probability" (default), "logit" or "log_probability", the units of the attributions. Gradient x input is the
    first-order Taylor term of F around the zero embedding (Shrikumar et al. 2016), so it says nothing about how F
    behaves on the way there: a saturated softmax gives tiny values."""
    check_model(model)
    attention_mask, inputs = _rows(model, input_ids, attention_mask, inputs)
    with inference_mode(model):
        x = input_embeddings(model, input_ids)  # (1, T, D)
        target = _target(model, x, attention_mask, target, position, inputs)
        scores, grads = embedding_gradients(model, x, attention_mask, target, position, output, **inputs)
        a = (x * grads).sum(axis=-1)[0]  # (1, T, D) -> (T,)
    return Attribution(backend.to_numpy(a).astype(np.float64), float(scores[0]), target, "gradient_x_input")


def baseline_embeddings(model, input_ids, baseline="pad", special_ids=()):
    """(1, T, D) array x': "pad" puts the [PAD] embedding (row pad_id of the embedding table) at every piece,
    "zero" zero vectors; an array (T, D) or (1, T, D) is taken as is. Pieces whose id is in `special_ids` ([CLS],
    [SEP]) keep their own embedding, as is usual for BERT (so they get exactly zero attribution)."""
    x = input_embeddings(model, input_ids)  # (1, T, D)
    xp = backend.array_module(x)
    if isinstance(baseline, str):
        if baseline == "zero":
            base = xp.zeros_like(x)
        elif baseline == "pad":
            pad_id = _pad_id(model)
            table = model.get_input_embeddings().weight.data  # (V, D)
            base = xp.broadcast_to(table[pad_id], x.shape).copy()
        else:
            raise ValueError(f"explain: baseline must be 'pad', 'zero' or an array of the embeddings' shape "
                             f"{tuple(x.shape[1:])}, got {baseline!r}")
    else:
        base = backend.asarray(baseline.data if isinstance(baseline, Tensor) else baseline, dtype=x.dtype,
                               device=model.device)
        base = base.reshape(x.shape) if base.size == x.size else None
        if base is None:
            raise ValueError(f"explain: a baseline array must have the embeddings' shape {tuple(x.shape[1:])}")
    if len(special_ids):
        ids = _one_sequence(model, input_ids)  # (1, T)
        keep = xp.isin(ids, backend.asarray(list(special_ids), device=model.device))  # (1, T)
        base = xp.where(keep[..., None], x, base)
    return base


def _pad_id(model):
    cfg = model.config
    pad = getattr(cfg, "pad_id", getattr(cfg, "pad_token_id", None))
    if pad is None:
        raise ValueError("explain: the model's config names no padding id; pass baseline='zero' or an array")
    return int(pad)


def trapezoid(n_steps):
    """(alphas (n,), weights (n,)) of the trapezoid rule on [0, 1] with n points: sum_k w_k f(alpha_k) ~ int f."""
    if int(n_steps) < 2:
        raise ValueError(f"explain: n_steps must be at least 2 (both ends of the path), got {n_steps}")
    n = int(n_steps)
    alphas = np.linspace(0.0, 1.0, n)
    weights = np.full(n, 1.0 / (n - 1))
    weights[[0, -1]] /= 2
    return alphas, weights


def integrated_gradients(model, input_ids, attention_mask=None, target=None, position=None, n_steps=64,
                         baseline="pad", special_ids=(), output="probability", internal_batch_size=None, **inputs):
    """Attribution: integrated gradients of one sequence input_ids (T,) from baseline x' (see baseline_embeddings)
    along the straight path, n_steps trapezoid points (both ends included) in batches of internal_batch_size
    (default: all at once). Returns an Attribution whose delta is the convergence error sum(a) - (F(x) - F(x'));
    |delta| / |F(x) - F(x')| falls as 1/n_steps^2 on a smooth path. Other arguments as gradient_x_input."""
    check_model(model)
    alphas, weights = trapezoid(n_steps)
    batch = len(alphas) if internal_batch_size is None else int(internal_batch_size)
    if batch <= 0:
        raise ValueError(f"explain: internal_batch_size must be positive, got {internal_batch_size}")
    attention_mask, inputs = _rows(model, input_ids, attention_mask, inputs)
    with inference_mode(model):
        x = input_embeddings(model, input_ids)  # (1, T, D)
        base = baseline_embeddings(model, input_ids, baseline, special_ids)  # (1, T, D)
        target = _target(model, x, attention_mask, target, position, inputs)
        xp = backend.array_module(x)
        total = xp.zeros(x.shape[1:], dtype=np.float64)  # (T, D) sum_k w_k grad_k
        scores = []
        for start in range(0, len(alphas), batch):
            a = xp.asarray(alphas[start:start + batch], dtype=x.dtype)[:, None, None]  # (S, 1, 1)
            path = base + a * (x - base)  # (S, T, D)
            s, g = embedding_gradients(model, path, attention_mask, target, position, output, **inputs)
            w = xp.asarray(weights[start:start + batch])  # (S,)
            total += xp.tensordot(w, g.astype(np.float64), axes=1)  # (S,) . (S, T, D) -> (T, D)
            scores.append(backend.to_numpy(s))
        scores = np.concatenate(scores).astype(np.float64)  # (n_steps,) F along the path
        a = ((x[0] - base[0]).astype(np.float64) * total).sum(axis=-1)  # (T, D) -> (T,)
    a = backend.to_numpy(a)
    delta = float(a.sum() - (scores[-1] - scores[0]))
    return Attribution(a, float(scores[-1]), target, "integrated_gradients", baseline_score=float(scores[0]),
                       delta=delta)
