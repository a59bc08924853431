"""Attention rollout (Abnar & Zuidema 2020, "Quantifying Attention Flow in Transformers", section 3).

Each layer l mixes token vectors by its attention A_l (heads averaged), and its residual connection carries every
token's own vector past the attention; rollout models both as one row-stochastic matrix and chains the layers:

    Â_l = normalise_rows(0.5 A_l + 0.5 I)          (T, T)  A_l = mean over heads of layer l's weights
    R   = Â_L Â_(L-1) ... Â_1                       (T, T)  R[i, j]: how much of input token j reaches position i
    r   = v R                                      (T,)    v the read-out's weights over the last layer's positions

v is one-hot on [CLS] for a model that classifies from it (BERT, pooling="cls"), uniform over the real tokens for
mean pooling, one-hot on the token for a token classifier. r sums to 1 over the tokens: a share of the read-out,
never negative, and the same for every class (attention does not know which class is asked about).
"""
import numpy as np

from .. import backend
from ..autograd import no_grad
from ..tensor import Tensor
from .gradients import (Attribution, argmax_class, as_row, check_model, inference_mode, input_embeddings,
                        one_sequence)


def rollout(attentions, readout, residual=0.5):
    """r (T,) from attentions, a list of L arrays (H, T, T) (or (1, H, T, T)), and readout v (T,) summing to 1.

    Padded keys get zero attention, so with v zero on padded positions r is zero there too."""
    if not len(attentions):
        raise ValueError("attention_rollout: the model returned no attention weights")
    if not 0 <= residual <= 1:
        raise ValueError(f"attention_rollout: residual must be in [0, 1], got {residual}")
    r = np.asarray(readout, dtype=np.float64)  # (T,)
    T = r.shape[0]
    identity = np.eye(T)
    for weights in reversed(attentions):  # r Â_L ... Â_1: apply the last layer's matrix first
        weights = np.asarray(backend.to_numpy(weights.data if isinstance(weights, Tensor) else weights),
                             dtype=np.float64)
        weights = weights.reshape(-1, T, T)  # (H, T, T)
        mixed = residual * identity + (1 - residual) * weights.mean(axis=0)  # (T, T)
        mixed /= mixed.sum(axis=1, keepdims=True)  # rows sum to 1 again (they already do; kept as the paper)
        r = r @ mixed  # (T,) (T, T) -> (T,)
    return r


def readout_weights(model, keep, position=None):
    """v (T,): where the classifier reads from (see the module docstring); keep (T,) bool marks real tokens."""
    keep = np.asarray(keep, dtype=bool)
    v = np.zeros(keep.shape[0])
    if position is not None:
        v[position] = 1.0
    elif getattr(model.config, "pooling", "cls") == "mean":
        v[keep] = 1.0 / max(int(keep.sum()), 1)
    else:
        v[0] = 1.0  # [CLS]
    return v


def attention_rollout(model, input_ids, attention_mask=None, target=None, position=None, residual=0.5,
                      temperature=1.0, **inputs):
    """Attribution: attention rollout of one sequence input_ids (T,). The values are shares of the read-out (sum 1,
    never negative) and do not depend on `target`, which only names the class reported (default: the predicted
    one; its probability, at `temperature`, is the score). Needs a model whose forward takes output_attentions=True
    and returns `.attentions`."""
    check_model(model)
    T = one_sequence(model, input_ids).shape[1]
    mask = as_row(model, attention_mask, T, "attention_mask")
    inputs = {k: as_row(model, v, T, k) for k, v in inputs.items()}
    with inference_mode(model), no_grad():
        x = input_embeddings(model, input_ids)  # (1, T, D)
        out = model(inputs_embeds=Tensor._wrap(x), attention_mask=mask, output_attentions=True, **inputs)
    target = argmax_class(out.logits.data, position) if target is None else int(target)
    keep = np.ones(T, dtype=bool) if mask is None else backend.to_numpy(mask)[0] != 0
    r = rollout(out.attentions, readout_weights(model, keep, position), residual)
    logits = backend.to_numpy(out.logits.data)[0]
    logits = (logits if logits.ndim == 1 else logits[position]) / float(temperature)  # (C,)
    p = np.exp(logits - logits.max())
    return Attribution(r, float(p[target] / p.sum()), target, "attention_rollout")
