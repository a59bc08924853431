"""Text generation for causal language models: greedy or sampled, one token at a time, with a KV cache.

    ids = model.generate(prompt_ids, max_new_tokens=50)                                   # greedy
    ids = model.generate(prompt_ids, max_new_tokens=50, do_sample=True, temperature=0.8, top_k=40, seed=0)

Each step runs the model on what it has not seen yet and picks the next token from the last position's logits.
Without a cache that is the whole sequence again (step t costs O(t) positions); with one (`use_cache=True`, the
default) the keys and values of earlier positions come back from the previous step as `past_key_values` and only
the newest token goes through the model. The result is the same token for token; only the work differs.

Sampling follows Hugging Face's order and rules: logits / temperature, then top-k (keep the k largest, ties to
the k-th kept), then top-p (keep the smallest set of most likely tokens whose probability reaches p), then one
draw from the softmax. Batched prompts of different lengths are left-padded (attention_mask 0 on the pads); the
positions count real tokens only (cumsum(mask) - 1), as transformers does, so a padded prompt continues exactly
as it would alone.
"""
import warnings

import numpy as np

from .. import backend
from ..autograd import no_grad
from ..tensor import Tensor


def top_k_filter(scores, k):
    """scores (B, V) with every score below the row's k-th largest set to -inf (ties with the k-th are kept)."""
    xp = backend.array_module(scores)
    k = min(k, scores.shape[-1])
    kth = -xp.partition(-scores, k - 1, axis=-1)[:, k - 1:k]  # (B, 1): the k-th largest score of each row
    return xp.where(scores < kth, -xp.inf, scores)


def top_p_filter(scores, p):
    """scores (B, V) keeping the most likely tokens whose probabilities sum to at least p (at least one token),
    the rest -inf: nucleus sampling (Holtzman et al. 2019), as transformers' TopPLogitsWarper."""
    xp = backend.array_module(scores)
    order = xp.argsort(scores, axis=-1, kind="stable")  # (B, V) ascending
    ascending = xp.take_along_axis(scores, order, axis=-1)
    probs = xp.exp(ascending - ascending[:, -1:])
    cumulative = xp.cumsum(probs / probs.sum(axis=-1, keepdims=True), axis=-1)  # (B, V)
    drop_sorted = cumulative <= 1 - p  # the unlikely tail that together holds at most 1 - p
    drop_sorted[:, -1] = False  # the most likely token always stays
    drop = xp.take_along_axis(drop_sorted, xp.argsort(order, axis=-1), axis=-1)  # back to vocabulary order
    return xp.where(drop, -xp.inf, scores)


def sample_from_scores(scores, uniform):
    """One token id per row drawn from softmax(scores) (B, V), by inverting the CDF at uniform (B,) in [0, 1)."""
    xp = backend.array_module(scores)
    probs = xp.exp(scores - scores.max(axis=-1, keepdims=True))  # exp(-inf) = 0: filtered tokens never come up
    cdf = xp.cumsum(probs, axis=-1)  # (B, V)
    target = uniform[:, None] * cdf[:, -1:]  # (B, 1)
    ids = (cdf <= target).sum(axis=-1)  # the first index whose cumulative mass exceeds the target
    return xp.minimum(ids, scores.shape[-1] - 1)


def next_token_scores(logits, temperature, top_k, top_p):
    """The warped scores to sample from: logits / temperature, then top-k, then top-p (skipped when neutral)."""
    scores = logits.astype(np.float64) if logits.dtype != np.float64 else logits.copy()  # (B, V)
    if temperature != 1.0:
        scores /= temperature
    if top_k:
        scores = top_k_filter(scores, top_k)
    if top_p < 1.0:
        scores = top_p_filter(scores, top_p)
    return scores


def _check(max_new_tokens, do_sample, temperature, top_k, top_p):
    if not isinstance(max_new_tokens, int) or isinstance(max_new_tokens, bool) or max_new_tokens < 0:
        raise ValueError(f"generate: max_new_tokens must be an int >= 0, got {max_new_tokens!r}")
    if do_sample:
        if not temperature > 0:
            raise ValueError(f"generate: temperature must be > 0 when sampling, got {temperature!r} (for the "
                             "most likely token every time, use do_sample=False: greedy decoding)")
        if top_k is not None and (not isinstance(top_k, int) or top_k < 0):
            raise ValueError(f"generate: top_k must be an int >= 0 (0 or None: no top-k filtering), got {top_k!r}")
        if not 0 < top_p <= 1:
            raise ValueError(f"generate: top_p must be in (0, 1], got {top_p!r}")


class GenerationMixin:
    """generate() for a model whose forward takes (input_ids, past_key_values, attention_mask, position_ids,
    use_cache=..., logits_to_keep=...) and returns .logits and .past_key_values (GPT2LMHeadModel)."""

    def generate(self, input_ids, max_new_tokens=20, do_sample=False, temperature=1.0, top_k=50, top_p=1.0,
                 eos_token_id=None, pad_token_id=None, attention_mask=None, seed=None, use_cache=True,
                 show_progress=False):
        """input_ids (B, T) prompt ids (left-padded when lengths differ, with attention_mask (B, T) 0 on the pads)
        -> int64 Tensor (B, T + n): the prompts followed by n <= max_new_tokens tokens. Greedy (argmax) unless
        do_sample; sampling uses temperature, top_k (0/None: off; 50 by default, as Hugging Face) and top_p, drawing
        from numpy.random.default_rng(seed) when seed is given, else from the mt.manual_seed generator. A row that
        produced eos_token_id (default config.eos_token_id) is continued with pad_token_id (default eos) and
        generation stops once every row has. Runs in eval mode (no dropout) and restores the mode after."""
        _check(max_new_tokens, do_sample, temperature, top_k, top_p)
        device = self.device
        ids = input_ids.data if isinstance(input_ids, Tensor) else backend.asarray(input_ids, device=device)
        if ids.ndim != 2 or ids.dtype.kind not in "iu" or ids.shape[1] == 0:
            raise ValueError(f"generate: input_ids must be a non-empty (batch, prompt_len) integer array, got "
                             f"shape {tuple(ids.shape)} and dtype {ids.dtype}")
        xp = backend.array_module(ids)
        ids = ids.astype(xp.int64)
        B, T0 = ids.shape
        mask = xp.ones((B, T0), dtype=xp.int64) if attention_mask is None else (
            attention_mask.data if isinstance(attention_mask, Tensor) else backend.asarray(attention_mask,
                                                                                           device=device))
        if tuple(mask.shape) != (B, T0):
            raise ValueError(f"generate: attention_mask has shape {tuple(mask.shape)}, input_ids {(B, T0)}")
        mask = (mask != 0).astype(xp.int64)
        if bool((mask[:, -1] == 0).any()):
            warnings.warn("generate: right padding detected (attention_mask ends in 0); a decoder continues from "
                          "the last position, so pad prompts on the left", stacklevel=2)
        limit = self.config.n_positions
        if T0 + max_new_tokens > limit:
            raise ValueError(f"generate: {T0} prompt + {max_new_tokens} new tokens exceed the model's n_positions "
                             f"{limit}; shorten the prompt or ask for fewer tokens")
        eos = self.config.eos_token_id if eos_token_id is None else eos_token_id
        pad = pad_token_id if pad_token_id is not None else (
            self.config.pad_token_id if self.config.pad_token_id is not None else eos)
        rng = np.random.default_rng(seed) if seed is not None else backend.generator("cpu")
        positions = xp.cumsum(mask, axis=-1) - 1  # (B, T): real tokens count 0, 1, ...; pads get 1 (ignored)
        positions[mask == 0] = 1
        unfinished = xp.ones(B, dtype=bool)
        was_training, past = self.training, None
        self.eval()
        from tqdm import tqdm
        try:
            with no_grad():
                for _ in tqdm(range(max_new_tokens), desc="generate", unit="token", disable=not show_progress):
                    fresh = slice(-1, None) if past is not None else slice(None)  # only the unseen tokens
                    out = self(ids[:, fresh], past_key_values=past, attention_mask=mask,
                               position_ids=positions[:, fresh], use_cache=use_cache, logits_to_keep=1)
                    logits = out.logits.data[:, -1, :]  # (B, V)
                    if do_sample:
                        scores = next_token_scores(logits, temperature, top_k, top_p)
                        token = sample_from_scores(scores, backend.asarray(rng.random(B), dtype="float64",
                                                                           device=device))
                    else:
                        token = logits.argmax(axis=-1)  # (B,): ties go to the smaller id, as torch.argmax
                    if eos is not None:
                        token = xp.where(unfinished, token, pad)
                        unfinished &= token != eos
                    ids = xp.concatenate([ids, token[:, None].astype(xp.int64)], axis=1)
                    mask = xp.concatenate([mask, xp.ones((B, 1), dtype=xp.int64)], axis=1)
                    positions = xp.concatenate([positions, positions[:, -1:] + 1], axis=1)
                    past = out.past_key_values if use_cache else None
                    if eos is not None and not bool(unfinished.any()):
                        break
        finally:
            self.train(was_training)
        return Tensor._wrap(ids)
