"""The BERT masked-LM recipe: 15% of maskable tokens chosen, 80/10/10 split, specials and padding untouched,
labels -100 elsewhere, same seed same masks. Proportions are checked on ~400k maskable tokens (~60k chosen): the binomial
standard deviations are ~0.0006 for the 15% rate, ~0.0016 for 80% and ~0.0012 for 10%, so the tolerances below
(>= 5 sigma) fail on a real bias, not on chance."""
import numpy as np
import pytest

from minitransformer.models.masking import IGNORE_INDEX, mask_tokens

PAD, UNK, CLS, SEP, MASK = 0, 1, 2, 3, 4
SPECIAL = {PAD, UNK, CLS, SEP}
VOCAB = 1000


def corpus(B=512, T=400, seed=0):
    """[CLS] words [SEP] [PAD]... with random lengths; words are ids 5..VOCAB-1."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, VOCAB, size=(B, T))
    lengths = rng.integers(10, T + 1, size=B)
    attention = (np.arange(T)[None] < lengths[:, None]).astype(np.int64)
    ids[:, 0] = CLS
    ids[np.arange(B), lengths - 1] = SEP
    ids[attention == 0] = PAD
    return ids, attention


def test_proportions_on_a_large_sample():
    ids, attention = corpus(B=2048)
    corrupted, labels = mask_tokens(ids, MASK, VOCAB, special_ids=SPECIAL, attention_mask=attention, rng=0)
    maskable = (attention == 1) & ~np.isin(ids, list(SPECIAL))
    chosen = labels != IGNORE_INDEX
    assert maskable.sum() > 350_000
    assert abs(chosen.sum() / maskable.sum() - 0.15) < 0.005
    n = chosen.sum()
    to_mask = chosen & (corrupted == MASK)
    kept = chosen & (corrupted == ids)
    randomized = chosen & ~to_mask & ~kept
    assert abs(to_mask.sum() / n - 0.8) < 0.01
    # A random replacement equals the original with probability ~1/995, so "kept" absorbs ~0.01% of the randoms.
    assert abs(kept.sum() / n - 0.1) < 0.008
    assert abs(randomized.sum() / n - 0.1) < 0.008
    assert not np.isin(corrupted[randomized], list(SPECIAL | {MASK})).any()  # random tokens are ordinary words


def test_specials_and_padding_never_chosen_and_labels_elsewhere_ignored():
    ids, attention = corpus(B=64, T=50, seed=1)
    ids[attention == 1] = np.where(np.random.default_rng(2).random((attention == 1).sum()) < 0.05, UNK,
                                   ids[attention == 1])  # some [UNK] inside the text
    corrupted, labels = mask_tokens(ids, MASK, VOCAB, special_ids=SPECIAL, attention_mask=attention, rng=3,
                                    mlm_probability=0.9)  # high rate: any leak would show
    protected = np.isin(ids, list(SPECIAL)) | (attention == 0)
    assert np.all(labels[protected] == IGNORE_INDEX)
    np.testing.assert_array_equal(corrupted[protected], ids[protected])
    chosen = labels != IGNORE_INDEX
    np.testing.assert_array_equal(labels[chosen], ids[chosen])  # the label is the original token
    np.testing.assert_array_equal(corrupted[~chosen], ids[~chosen])  # nothing unchosen is changed
    assert labels.dtype == np.int64


def test_padding_is_protected_even_without_attention_mask_when_pad_is_special():
    ids, _ = corpus(B=32, T=60, seed=4)
    _, labels = mask_tokens(ids, MASK, VOCAB, special_ids=SPECIAL, rng=0, mlm_probability=1.0)
    assert np.all(labels[ids == PAD] == IGNORE_INDEX)
    assert np.all(labels[(ids >= 5)] != IGNORE_INDEX)


def test_seeded_repeatable_and_input_untouched():
    ids, attention = corpus(B=16, T=40, seed=5)
    before = ids.copy()
    a = mask_tokens(ids, MASK, VOCAB, special_ids=SPECIAL, attention_mask=attention, rng=7)
    b = mask_tokens(ids, MASK, VOCAB, special_ids=SPECIAL, attention_mask=attention, rng=np.random.default_rng(7))
    c = mask_tokens(ids, MASK, VOCAB, special_ids=SPECIAL, attention_mask=attention, rng=8)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])
    np.testing.assert_array_equal(ids, before)


def test_bad_arguments():
    ids = np.array([[2, 5, 6, 3]])
    with pytest.raises(ValueError, match="mask_fraction"):
        mask_tokens(ids, MASK, VOCAB, mask_fraction=0.95, random_fraction=0.1)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        mask_tokens(ids, VOCAB, VOCAB)
    with pytest.raises(TypeError, match="integers"):
        mask_tokens(ids.astype(np.float32), MASK, VOCAB)
