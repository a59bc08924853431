"""Gradient x input on the input embeddings, and the machinery every gradient method shares.

For one sequence of T pieces with input embeddings x (T, D) (the rows `model.get_input_embeddings()` gives for its
ids, before positions are added) and a scalar output F (one class's probability, logit or log-probability):

    gradient x input       a_t = sum_d x[t, d] * dF/dx[t, d](x)                                (T,)

Integrated gradients are in integrated.py. Any model here plugs in when it has `get_input_embeddings()` and a
forward taking `inputs_embeds=` (B, T, D) and `attention_mask=`, returning `.logits` of shape (B, C), or (B, T, C)
for a token classifier (then a position picks the token whose class is explained).
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


def check_output(output):
    """A ValueError unless `output` names an explainable scalar."""
    if output not in OUTPUTS:
        raise ValueError(f"explain: output must be one of {OUTPUTS}, got {output!r}")


def check_model(model):
    """A TypeError unless `model` has get_input_embeddings() and a forward taking inputs_embeds."""
    forward = getattr(model, "forward", None)
    if not hasattr(model, "get_input_embeddings") or forward is None \
            or "inputs_embeds" not in inspect.signature(forward).parameters:
        raise TypeError(f"explain: {type(model).__name__} cannot be explained: it needs get_input_embeddings() and "
                        "a forward(inputs_embeds=..., attention_mask=...) returning .logits, as the models in "
                        "mt.models have")


def select_output(logits, target, position=None, output="probability", temperature=1.0):
    """(N,) tensor: the explained scalar of each row. logits (N, C), or (N, T, C) with `position` the token;
    probabilities are softmax(logits / temperature) (a calibrated model's, Guo et al. 2017; 1: the plain one)."""
    if logits.ndim == 3:
        if position is None:
            raise ValueError(f"explain: the model returns per-token logits {logits.shape}; pass position= (the "
                             "index of the piece whose class is explained)")
        logits = logits[:, position]  # (N, T, C) -> (N, C)
    elif position is not None:
        raise ValueError(f"explain: position={position} is only for per-token logits (N, T, C), these are "
                         f"{logits.shape}")
    if not 0 <= target < logits.shape[-1]:
        raise ValueError(f"explain: target class {target} is out of range for {logits.shape[-1]} classes")
    if output == "logit":
        return logits[:, target]
    if temperature != 1.0:
        logits = logits / float(temperature)
    if output == "probability":
        return F.softmax(logits, axis=-1)[:, target]
    check_output(output)
    return F.log_softmax(logits, axis=-1)[:, target]


def embedding_gradients(model, embeds, attention_mask=None, target=None, position=None, output="probability",
                        temperature=1.0, **inputs):
    """(scores (N,), grads (N, T, D), target): F at each row of `embeds` (N, T, D) and dF/d embeds, one forward and
    one backward for the whole batch (rows are independent, so the gradient of the sum is each row's gradient).
    target None: the class row 0 predicts. `inputs` go to the model as they are (token_type_ids). Call inside
    inference_mode(model)."""
    xp = backend.array_module(embeds)
    leaf = Tensor(embeds, requires_grad=True, dtype=embeds.dtype, device=model.device)  # (N, T, D)
    N = embeds.shape[0]
    mask = None if attention_mask is None else xp.broadcast_to(attention_mask, embeds.shape[:2])  # (N, T)
    inputs = {k: xp.broadcast_to(v, (N,) + v.shape[1:]) for k, v in inputs.items()}  # (1, T) -> (N, T)
    with enable_grad():
        logits = model(inputs_embeds=leaf, attention_mask=mask, **inputs).logits
        target = argmax_class(logits.data, position) if target is None else int(target)
        scores = select_output(logits, target, position, output, temperature)  # (N,)
        scores.sum().backward()
    return scores.data, leaf.grad.data, target


def argmax_class(logits, position=None):
    """The class predicted for the first row of logits (N, C), or (N, T, C) at `position`."""
    row = logits[0] if logits.ndim == 2 else logits[0, position]
    return int(backend.to_numpy(row).argmax())


@dataclasses.dataclass
class Attribution:
    """Per-piece attributions of one sequence, in the units of the explained output (a probability by default)."""
    attributions: np.ndarray  # (T,) float64, one value per piece (special tokens included)
    score: float  # F(x), the explained output at the input
    target: int  # the class explained
    method: str
    baseline_score: Optional[float] = None  # F(x'), integrated gradients only
    delta: Optional[float] = None  # sum(attributions) - (F(x) - F(x')), integrated gradients only
    n_steps: Optional[int] = None  # points on the path, integrated gradients only


def one_sequence(model, input_ids):
    """(1, T) integer array on the model's device from one sequence of ids (T,) or (1, T), or a ValueError."""
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
        return model.get_input_embeddings()(Tensor(one_sequence(model, input_ids), device=model.device)).data


def predicted_class(model, embeds, attention_mask=None, position=None, **inputs):
    """The argmax class of one sequence (at `position` for per-token logits)."""
    with no_grad():
        logits = model(inputs_embeds=Tensor._wrap(embeds), attention_mask=attention_mask, **inputs).logits.data
    return argmax_class(logits, position)


def as_rows(model, input_ids, attention_mask, inputs):
    """The attention mask and the other per-piece inputs (token_type_ids) as (1, T) arrays (see as_row)."""
    T = one_sequence(model, input_ids).shape[1]
    return as_row(model, attention_mask, T, "attention_mask"), {k: as_row(model, v, T, k) for k, v in inputs.items()}


def resolve_target(model, embeds, attention_mask, target, position, inputs):
    """`target` as an int, or the predicted class when it is None."""
    if target is None:
        return predicted_class(model, embeds, attention_mask, position, **inputs)
    return int(target)


def gradient_x_input(model, input_ids, attention_mask=None, target=None, position=None, output="probability",
                     temperature=1.0, **inputs):
    """Attribution: a_t = sum_d x[t, d] dF/dx[t, d], x (T, D) the input embeddings of one sequence input_ids (T,).

    target: the class explained (default: the predicted one); position: the token, for per-token logits; output:
    "probability" (default), "logit" or "log_probability", the units of the attributions, probabilities at
    `temperature` (see select_output). Gradient x input is the
    first-order Taylor term of F around the zero embedding (Shrikumar et al. 2016), so it says nothing about how F
    behaves on the way there: a saturated softmax gives tiny values."""
    check_model(model)
    check_output(output)
    attention_mask, inputs = as_rows(model, input_ids, attention_mask, inputs)
    with inference_mode(model):
        x = input_embeddings(model, input_ids)  # (1, T, D)
        scores, grads, target = embedding_gradients(model, x, attention_mask, target, position, output, temperature,
                                                    **inputs)
        a = (x * grads).sum(axis=-1)[0]  # (1, T, D) -> (T,)
    return Attribution(backend.to_numpy(a).astype(np.float64), float(scores[0]), target, "gradient_x_input")
