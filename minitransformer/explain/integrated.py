"""Integrated gradients (Sundararajan, Taly & Yan 2017, "Axiomatic Attribution for Deep Networks", eq. 1):

    a_t = sum_d (x - x')[t, d] * int_0^1 dF/dx[t, d](x' + alpha (x - x')) d alpha               (T,)

x (T, D) the input embeddings, x' a baseline. The integral is the trapezoid rule on n_steps points
alpha_k = k / (n_steps - 1), k = 0..n_steps-1 (weights 1/(n-1), halved at both ends; Captum's "riemann_trapezoid"),
all points in one batch through the model. Completeness (the paper's axiom): sum_t a_t = F(x) - F(x'); what the
sum misses is the convergence delta, the quadrature error.
"""
import numpy as np

from .. import backend
from ..tensor import Tensor
from .gradients import (Attribution, as_rows, check_model, check_output, embedding_gradients, inference_mode,
                        input_embeddings, one_sequence, resolve_target)


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
        if base.size != x.size:
            raise ValueError(f"explain: a baseline array must have the embeddings' shape {tuple(x.shape[1:])}, got "
                             f"{tuple(base.shape)}")
        base = base.reshape(x.shape)
    if len(special_ids):
        ids = one_sequence(model, input_ids)  # (1, T)
        keep = xp.isin(ids, backend.asarray(list(special_ids), device=model.device))  # (1, T)
        base = xp.where(keep[..., None], x, base)
    return base


def _pad_id(model):
    cfg = model.config
    pad = getattr(cfg, "pad_id", getattr(cfg, "pad_token_id", None))
    if pad is None:
        raise ValueError("explain: the model's config names no padding id; pass baseline='zero' or an array")
    return int(pad)


RULES = ("trapezoid", "gauss_legendre")


def trapezoid(n_steps):
    """(alphas (n,), weights (n,)) of the trapezoid rule on [0, 1] with n points: sum_k w_k f(alpha_k) ~ int f."""
    if int(n_steps) < 2:
        raise ValueError(f"explain: n_steps must be at least 2 (both ends of the path), got {n_steps}")
    n = int(n_steps)
    alphas = np.linspace(0.0, 1.0, n)
    weights = np.full(n, 1.0 / (n - 1))
    weights[[0, -1]] /= 2
    return alphas, weights


def gauss_legendre(n_steps):
    """(alphas (n + 2,), weights (n + 2,)): the n Gauss-Legendre nodes and weights moved to [0, 1] (exact for
    polynomials of degree 2n - 1), between the two ends 0 and 1 with weight 0 (evaluated only for F(x'), F(x))."""
    if int(n_steps) < 1:
        raise ValueError(f"explain: n_steps must be at least 1, got {n_steps}")
    nodes, weights = np.polynomial.legendre.leggauss(int(n_steps))  # on [-1, 1]
    return np.r_[0.0, (nodes + 1) / 2, 1.0], np.r_[0.0, weights / 2, 0.0]


def quadrature(n_steps, rule):
    """(alphas, weights) of `rule` with n_steps points inside; alphas ascending, first 0 and last 1."""
    if rule == "trapezoid":
        return trapezoid(n_steps)
    if rule == "gauss_legendre":
        return gauss_legendre(n_steps)
    raise ValueError(f"explain: rule must be one of {RULES}, got {rule!r}")


def _path_gradients(model, x, base, alphas, weights, batch, mask, target, position, output, temperature, inputs):
    """(sum_k w_k dF/dx at x' + alpha_k (x - x') (T, D) float64, F at each alpha_k (K,)), in batches."""
    xp = backend.array_module(x)
    total = xp.zeros(x.shape[1:], dtype=np.float64)  # (T, D)
    scores = []
    for start in range(0, len(alphas), batch):
        a = xp.asarray(alphas[start:start + batch], dtype=x.dtype)[:, None, None]  # (S, 1, 1)
        path = base + a * (x - base)  # (S, T, D)
        s, g, _ = embedding_gradients(model, path, mask, target, position, output, temperature, **inputs)
        w = xp.asarray(weights[start:start + batch])  # (S,)
        total += xp.tensordot(w, g.astype(np.float64), axes=1)  # (S,) . (S, T, D) -> (T, D)
        scores.append(backend.to_numpy(s))
    return total, np.concatenate(scores).astype(np.float64)


def integrated_gradients(model, input_ids, attention_mask=None, target=None, position=None, n_steps=64,
                         baseline="pad", special_ids=(), output="probability", internal_batch_size=None,
                         rule="trapezoid", tolerance=None, max_steps=1024, temperature=1.0, **inputs):
    """Attribution: integrated gradients of one sequence input_ids (T,) from baseline x' (see baseline_embeddings)
    along the straight path, n_steps points of `rule` ("trapezoid", both ends included, or "gauss_legendre") in
    batches of internal_batch_size (default: all at once). Its delta is the convergence error
    sum(a) - (F(x) - F(x')); on a smooth path |delta| / |F(x) - F(x')| falls as 1/n^2 (trapezoid).

    A path with a sharp turn (a confident model crossing its decision boundary in a few steps) needs more points.
    tolerance (trapezoid only), e.g. 0.01: halve the step, reusing every point so far (the new points are the
    midpoints: T(h/2) = T(h)/2 + h/2 sum f(midpoints)), until |delta| <= tolerance |F(x) - F(x')| or the next
    halving would pass max_steps points; Attribution.n_steps says how many were used. Other arguments as
    gradient_x_input."""
    check_model(model)
    check_output(output)
    alphas, weights = quadrature(n_steps, rule)
    batch = len(alphas) if internal_batch_size is None else int(internal_batch_size)
    if batch <= 0:
        raise ValueError(f"explain: internal_batch_size must be positive, got {internal_batch_size}")
    if tolerance is not None and (rule != "trapezoid" or not tolerance > 0):
        raise ValueError(f"explain: tolerance must be positive and needs rule='trapezoid', got tolerance="
                         f"{tolerance!r}, rule={rule!r}")
    attention_mask, inputs = as_rows(model, input_ids, attention_mask, inputs)
    run = dict(mask=attention_mask, position=position, output=output, temperature=temperature, inputs=inputs)
    with inference_mode(model):
        x = input_embeddings(model, input_ids)  # (1, T, D)
        base = baseline_embeddings(model, input_ids, baseline, special_ids)  # (1, T, D)
        target = resolve_target(model, x, attention_mask, target, position, inputs)
        difference = (x[0] - base[0]).astype(np.float64)  # (T, D)
        total, scores = _path_gradients(model, x, base, alphas, weights, batch, target=target, **run)
        change = scores[-1] - scores[0]  # F(x) - F(x')
        n = len(alphas)
        delta = float((difference * total).sum() - change)
        while tolerance is not None and abs(delta) > tolerance * abs(change) and 2 * n - 1 <= max_steps:
            h = 1.0 / (n - 1)
            midpoints = (np.arange(n - 1) + 0.5) * h
            more, _ = _path_gradients(model, x, base, midpoints, np.full(n - 1, h / 2), batch, target=target, **run)
            total = total / 2 + more
            n = 2 * n - 1
            delta = float((difference * total).sum() - change)
        a = backend.to_numpy((difference * total).sum(axis=-1))  # (T, D) -> (T,)
    return Attribution(a, float(scores[-1]), target, "integrated_gradients", baseline_score=float(scores[0]),
                       delta=float(a.sum() - change), n_steps=n)
