"""Checks that attributions mean something, beyond looking plausible.

    deletion_curve   delete each text's k most attributed words: the predicted class's probability should fall
                     faster than when k random words go (the "deletion" metric of Petsiuk et al. 2018, RISE, on
                     words; DeYoung et al. 2020 call the drop "comprehensiveness")
    randomised       a copy of the model with some layers re-initialised: attributions that stay the same when the
                     weights are random explain the input, not the model (Adebayo et al. 2018, "Sanity Checks for
                     Saliency Maps", cascading randomisation from the top layer down)
    rank_correlation Spearman's rho between two attribution vectors, the similarity Adebayo et al. report
"""
import copy

import numpy as np

from .. import backend
from ..autograd import no_grad
from .explanation import explain
from .words import without_words


def class_probabilities(model, tokenizer, texts, max_length=None, batch_size=128):
    """(N, C) float64 softmax of the logits of `texts`, in padded batches, the model in eval mode."""
    cfg = model.config
    max_length = max_length or getattr(cfg, "max_len", None) or getattr(cfg, "max_position_embeddings", 512)
    was_training = model.training
    model.eval()
    rows = []
    try:
        with no_grad():
            for i in range(0, len(texts), batch_size):
                enc = tokenizer(list(texts[i:i + batch_size]), padding=True, truncation=True, max_length=max_length,
                                return_tensors="np")
                logits = model(enc["input_ids"], attention_mask=enc["attention_mask"]).logits
                z = backend.to_numpy(logits.data).astype(np.float64)  # (n, C)
                z = np.exp(z - z.max(axis=1, keepdims=True))
                rows.append(z / z.sum(axis=1, keepdims=True))
    finally:
        model.train(was_training)
    return np.concatenate(rows)


def deletion_curve(model, tokenizer, texts, method="integrated_gradients", max_k=5, random_draws=5, seed=0,
                   explanations=None, **options):
    """Mean probability of each text's predicted class after deleting its k top-attributed words, and after
    deleting k random words (mean of `random_draws` draws), for k = 0..max_k. A text with fewer than k words loses
    all of them. `explanations` (one per text, from explain()) skips recomputing them; `options` go to explain().

    Returns {"k": (K+1,), "attributed": (K+1,), "random": (K+1,), "per_text_attributed": (N, K+1),
    "per_text_random": (N, K+1)}, probabilities as float64 arrays."""
    texts = list(texts)
    if explanations is None:
        explanations = explain(model, tokenizer, texts, method=method, **options)
    if len(explanations) != len(texts):
        raise ValueError(f"deletion_curve: {len(explanations)} explanations for {len(texts)} texts")
    rng = np.random.default_rng(seed)
    ks = np.arange(max_k + 1)
    edited, slots = [], []  # every edited text, and where its probability goes: (text index, k, draw or -1)
    for i, e in enumerate(explanations):
        order = np.argsort(-e.word_attributions, kind="stable")  # most support for the class first
        for k in ks:
            edited.append(without_words(e.text, [e.word_spans[j] for j in order[:k]]))
            slots.append((i, k, -1))
            for d in range(random_draws):
                chosen = rng.permutation(len(e.word_spans))[:k]
                edited.append(without_words(e.text, [e.word_spans[j] for j in chosen]))
                slots.append((i, k, d))
    probs = class_probabilities(model, tokenizer, edited)  # (M, C)
    attributed = np.zeros((len(texts), len(ks)))
    random = np.zeros((len(texts), len(ks)))
    for (i, k, d), p in zip(slots, probs):
        target = explanations[i].target
        if d < 0:
            attributed[i, k] = p[target]
        else:
            random[i, k] += p[target] / random_draws
    return {"k": ks, "attributed": attributed.mean(axis=0), "random": random.mean(axis=0),
            "per_text_attributed": attributed, "per_text_random": random}


def randomised(model, prefixes, seed=0):
    """A deep copy of `model` whose parameters named with any of `prefixes` ("head", "encoder.layers.1", ...) hold
    the values a freshly built model of the same config gets with mt.manual_seed(seed); the rest are kept."""
    state = backend.get_rng_state()
    try:
        backend.manual_seed(seed)
        fresh = model.from_config(model.config) if hasattr(model, "from_config") else type(model)(model.config)
    finally:
        backend.set_rng_state(state)
    fresh_params = dict(fresh.named_parameters())
    out = copy.deepcopy(model)
    changed = 0
    for name, p in out.named_parameters():
        if any(name == q or name.startswith(q + ".") for q in prefixes):
            xp = backend.array_module(p.data)
            p.data = xp.asarray(backend.to_numpy(fresh_params[name].data), dtype=p.dtype)
            changed += 1
    if not changed:
        raise ValueError(f"randomised: no parameter name starts with any of {list(prefixes)}")
    return out


def rank_correlation(a, b):
    """Spearman's rho of two equal-length vectors (Pearson correlation of their ranks, ties get mean ranks)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or a.size < 2:
        raise ValueError(f"rank_correlation: needs two vectors of one length >= 2, got {a.shape} and {b.shape}")
    ra, rb = _ranks(a), _ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denominator = np.sqrt((ra * ra).sum() * (rb * rb).sum())
    return float((ra * rb).sum() / denominator) if denominator > 0 else 0.0


def _ranks(x):
    order = np.argsort(x, kind="stable")
    ranks = np.empty(x.size)
    ranks[order] = np.arange(x.size)
    ordered = x[order]
    for value in np.unique(ordered[1:][np.diff(ordered) == 0]):
        ranks[x == value] = ranks[x == value].mean()  # ties share their mean rank
    return ranks
