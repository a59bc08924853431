"""The BERT masked-language-model recipe (Devlin et al. 2018, §3.1 and appendix A.1), on integer id arrays.

Each maskable token (not [CLS]/[SEP]/[PAD]/... and not padding) is chosen with probability 15%. A chosen token
becomes a prediction target, and its input is corrupted:
    80% of the time  -> [MASK]
    10% of the time  -> a random (non-special) token of the vocabulary
    10% of the time  -> left unchanged
Every other position gets label -100, which cross_entropy ignores, so the loss is only over the chosen tokens.
Why not always [MASK]? [MASK] never appears when fine-tuning; the random/kept 20% force the model to keep a
good representation of every input token, since it cannot tell which ones it will be asked about.

This is data preparation, so it works on NumPy arrays with a seeded numpy.random.Generator (same seed, same
masks) and runs once per batch before the ids become tensors. Choice per token is a coin flip, as in Hugging
Face's DataCollatorForLanguageModeling (the count per sequence varies; the expected rate is 15%).
"""
import numpy as np

IGNORE_INDEX = -100


def special_tokens_mask(input_ids, special_ids):
    """True where input_ids holds one of `special_ids` ([CLS], [SEP], [PAD], [MASK], [UNK], ...)."""
    return np.isin(input_ids, np.asarray(sorted(special_ids), dtype=np.asarray(input_ids).dtype))


def mask_tokens(input_ids, mask_token_id, vocab_size, special_ids=(), attention_mask=None, rng=None,
                mlm_probability=0.15, mask_fraction=0.8, random_fraction=0.1):
    """(corrupted ids, labels) for masked-LM training; `input_ids` (B, T) ints is not modified.

    special_ids: ids never chosen (and never drawn as random replacements); positions where attention_mask is 0
    are never chosen either. rng: a numpy.random.Generator or a seed (None: a fresh, unseeded generator).
    labels (B, T): the original id at chosen positions, -100 elsewhere.
    """
    if not 0 <= mlm_probability <= 1 or mask_fraction < 0 or random_fraction < 0 \
            or mask_fraction + random_fraction > 1:
        raise ValueError(f"mask_tokens: need 0 <= mlm_probability <= 1 and mask_fraction + random_fraction <= 1, "
                         f"got {mlm_probability}, {mask_fraction}, {random_fraction}")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    input_ids = np.asarray(input_ids)
    if input_ids.dtype.kind not in "iu":
        raise TypeError(f"mask_tokens: input_ids must be integers, got dtype {input_ids.dtype}")
    if not 0 <= mask_token_id < vocab_size:
        raise ValueError(f"mask_tokens: mask_token_id {mask_token_id} is outside the vocabulary (size {vocab_size})")

    maskable = ~special_tokens_mask(input_ids, set(special_ids) | {mask_token_id})  # (B, T)
    if attention_mask is not None:
        maskable &= np.asarray(attention_mask) != 0
    chosen = maskable & (rng.random(input_ids.shape) < mlm_probability)  # (B, T) the prediction targets
    labels = np.where(chosen, input_ids, IGNORE_INDEX).astype(np.int64)

    # One uniform draw per position splits the chosen ones 80 / 10 / 10 (no dependence between the two choices).
    u = rng.random(input_ids.shape)
    to_mask = chosen & (u < mask_fraction)
    to_random = chosen & (u >= mask_fraction) & (u < mask_fraction + random_fraction)
    corrupted = input_ids.copy()
    corrupted[to_mask] = mask_token_id
    corrupted[to_random] = random_tokens(rng, int(to_random.sum()), vocab_size, set(special_ids) | {mask_token_id})
    return corrupted, labels


def random_tokens(rng, n, vocab_size, exclude=()):
    """n ids drawn uniformly from the vocabulary minus `exclude` (a random replacement is never a special token)."""
    candidates = np.setdiff1d(np.arange(vocab_size), np.asarray(sorted(exclude), dtype=np.int64))
    if candidates.size == 0:
        raise ValueError(f"mask_tokens: a vocabulary of {vocab_size} ids has no ordinary token to draw")
    return candidates[rng.integers(0, candidates.size, size=n)]
