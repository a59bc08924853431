"""Why the shipped corpus exists: word counts alone cannot classify it, word order can.

A bag-of-words logistic regression (unigram counts, NumPy, written here) stays far below what an
order-aware reading of the same sentences achieves. (The Transformer-vs-bag-of-words comparison lives
with the training loop's tests.)
"""
import collections
import pathlib
import re

import numpy as np
import pytest

from minitransformer.data import lexicon as L
from minitransformer.data import shipped_path

DATA = pathlib.Path(shipped_path("train")).parent


def read(split):
    rows = [line.split("\t") for line in (DATA / f"{split}.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    return [text for text, _ in rows], np.array([label == "positive" for _, label in rows], dtype=np.float64)


def tokens(text):
    """Lowercased words (contractions kept whole: "wasn't") and punctuation marks."""
    return re.findall(r"[a-z]+(?:'[a-z]+)?|[^\sa-z]", text.lower())


# ---------------------------------------------------------------- bag of words

def bag_of_words(texts, vocab):
    X = np.zeros((len(texts), len(vocab)), dtype=np.float64)      # (N, V) unigram counts
    for i, text in enumerate(texts):
        for w in tokens(text):
            if w in vocab:
                X[i, vocab[w]] += 1
    return X


def fit_logistic_regression(X, y, l2=1e-4, steps=300, lr=0.1):
    """Full-batch Adam on the mean logistic loss + l2/2 |w|^2; returns (w, b)."""
    w, b = np.zeros(X.shape[1]), 0.0
    m, v = np.zeros(X.shape[1] + 1), np.zeros(X.shape[1] + 1)
    for t in range(1, steps + 1):
        p = 1 / (1 + np.exp(-(X @ w + b)))                          # (N,)
        g = np.append(X.T @ (p - y) / len(y) + l2 * w, np.mean(p - y))
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        step = lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        w, b = w - step[:-1], b - step[-1]
    return w, b


@pytest.fixture(scope="module")
def bow():
    train_texts, y_train = read("train")
    counts = collections.Counter(w for text in train_texts for w in tokens(text))
    vocab = {w: i for i, w in enumerate(sorted(w for w, c in counts.items() if c >= 3))}   # typos mostly drop out
    w, b = fit_logistic_regression(bag_of_words(train_texts, vocab), y_train)
    return lambda texts: (bag_of_words(texts, vocab) @ w + b > 0).astype(np.float64)


def test_bag_of_words_logistic_regression_cannot_classify_the_corpus(bow):
    texts, y = read("test")
    accuracy = np.mean(bow(texts) == y)
    assert accuracy < 0.72, f"bag-of-words accuracy {accuracy:.3f}: word counts alone give the labels away"


def test_bag_of_words_works_where_order_does_not_matter(bow):
    """Guard against a broken baseline: on sentences with no negator and no contrast it must do well."""
    texts, y = read("test")
    order_free = re.compile(r"\b(not|never|hardly|nobody|far|but|yet|however|still|said|although|though|while|"
                            r"despite|if)\b|n't\b")
    keep = np.array([not order_free.search(t.lower()) for t in texts])
    assert keep.sum() > 150
    accuracy = np.mean(bow([t for t, k in zip(texts, keep) if k]) == y[keep])
    assert accuracy > 0.9, f"bag-of-words accuracy {accuracy:.3f} on order-free sentences"


# ---------------------------------------------------------------- an order-aware reading

def polar_phrases():
    """Every sentiment-bearing word or phrase the corpus uses, as a token tuple -> +1 / -1."""
    phrases = {}
    for polarity, adjectives, verbs, effects, actions in (
            (1, L.POSITIVE_ADJECTIVES, L.POSITIVE_VERBS, L.POSITIVE_EFFECTS, L.POSITIVE_ACTIONS),
            (-1, L.NEGATIVE_ADJECTIVES, L.NEGATIVE_VERBS, L.NEGATIVE_EFFECTS, L.NEGATIVE_ACTIONS)):
        for phrase in adjectives + actions + [form for pair in verbs + effects for form in pair]:
            phrases[tuple(phrase.split())] = polarity
    phrases[(L.SUPERLATIVES[0],)], phrases[(L.SUPERLATIVES[1],)] = 1, -1          # "the best/worst film"
    return phrases


PHRASES = polar_phrases()
NEGATORS = {"not", "never", "hardly", "nobody"}
BUT = [("but",), ("yet",), ("however",), ("still",), ("that", "said")]          # what follows decides
ALTHOUGH = [("despite", "the", "fact", "that"), ("even", "though"), ("even", "if"), ("although",),
            ("though",), ("while",)]                                         # this clause is conceded


def read_in_order(text):
    """Sentiment from left to right: negation flips until the clause ends, contrast picks the clause."""
    toks = tokens(text)
    found = []                                    # [polarity, conceded?] per sentiment phrase
    negated, conceded, i = False, False, 0
    while i < len(toks):
        but = next((c for c in BUT if tuple(toks[i:i + len(c)]) == c), None)
        although = next((c for c in ALTHOUGH if tuple(toks[i:i + len(c)]) == c), None)
        if but:                                   # everything so far was the conceded side
            for item in found:
                item[1] = True
            negated, conceded, i = False, False, i + len(but)
        elif although:
            negated, conceded, i = False, True, i + len(although)
        elif toks[i] in {",", ".", ";", "!", "-", "and", "plus"}:   # a clause boundary ends negation's scope
            negated = False
            conceded = conceded and toks[i] in {"-", "and", "plus"}
            i += 1
        elif toks[i] in NEGATORS or toks[i].endswith("n't") or toks[i:i + 2] == ["far", "from"]:
            negated, i = True, i + 1
        else:
            n = next((n for n in range(4, 0, -1) if tuple(toks[i:i + n]) in PHRASES), 0)
            if n:
                polarity = PHRASES[tuple(toks[i:i + n])]
                found.append([-polarity if negated else polarity, conceded])
            i += max(n, 1)
    deciding = [p for p, c in found if not c]
    score = sum(deciding) if deciding else -sum(p for p, _ in found)    # only a conceded side: its opposite
    return 1.0 if score >= 0 else 0.0


def test_word_order_determines_the_labels():
    texts, y = read("test")
    accuracy = np.mean(np.array([read_in_order(t) for t in texts]) == y)
    assert accuracy >= 0.95, f"order-aware reading gets only {accuracy:.3f}: labels are not learnable from order"


@pytest.mark.parametrize("text, label", [
    ("The plot was not good.", 0), ("The plot was never boring.", 1), ("It was not a bad film.", 1),
    ("I would not call it great.", 0), ("The plot was dull, but the acting was superb.", 1),
    ("Although the acting was superb, the plot was dull.", 0),
    ("The plot was dull, although the acting was superb.", 0),
    ("I saw it on a Tuesday with my brother, and the ending was not very clever.", 0),
    ("I love it.", 1), ("The worst film I have ever seen.", 0), ("Never boring, a superb film.", 1),
])
def test_the_order_aware_reading_on_hand_written_sentences(text, label):
    assert read_in_order(text) == label
