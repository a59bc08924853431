"""The point of the project in one test: the Transformer trained by `python -m minitransformer train` (its
defaults, on the shipped corpus) reads word order, and so scores far above a bag-of-words logistic regression,
which only counts words (the corpus is built so that counting is not enough; see tests/test_corpus_baseline.py,
whose baseline is re-implemented here in a few lines)."""
import collections
import json
import pathlib
import re

import numpy as np
import pytest

import minitransformer as mt
from minitransformer.cli import main
from minitransformer.data import shipped_path
from test_plain_sentences import NEGATIVE, POSITIVE

DATA = pathlib.Path(shipped_path("train")).parent


def read(split):
    rows = [line.split("\t") for line in (DATA / f"{split}.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    return [text for text, _ in rows], np.array([label == "positive" for _, label in rows], dtype=np.float64)


def words(text):
    return re.findall(r"[a-z]+(?:'[a-z]+)?|[^\sa-z]", text.lower())


def bag_of_words_accuracy():
    """Unigram counts (words seen 3+ times), logistic regression by full-batch Adam, accuracy on test."""
    texts, y = read("train")
    counts = collections.Counter(w for t in texts for w in words(t))
    vocab = {w: i for i, w in enumerate(sorted(w for w, c in counts.items() if c >= 3))}

    def features(texts):
        X = np.zeros((len(texts), len(vocab)))                        # (N, V)
        for i, t in enumerate(texts):
            for w in words(t):
                if w in vocab:
                    X[i, vocab[w]] += 1
        return X

    X = features(texts)
    theta, m, v = np.zeros(len(vocab) + 1), np.zeros(len(vocab) + 1), np.zeros(len(vocab) + 1)   # (w, b)
    for t in range(1, 301):
        p = 1 / (1 + np.exp(-(X @ theta[:-1] + theta[-1])))
        g = np.append(X.T @ (p - y) / len(y) + 1e-4 * theta[:-1], np.mean(p - y))
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        theta -= 0.1 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    test_texts, y_test = read("test")
    return float(np.mean(((features(test_texts) @ theta[:-1] + theta[-1]) > 0) == y_test))


@pytest.mark.slow
def test_the_default_transformer_beats_bag_of_words_by_a_wide_margin(tmp_path):
    assert main(["train", "--dataset", "shipped", "--output-dir", str(tmp_path / "run"), "--quiet"]) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    bow = bag_of_words_accuracy()
    transformer = metrics["test_accuracy"]
    print(f"test accuracy: Transformer {transformer:.3f} (macro-F1 {metrics['test_macro_f1']:.3f}, "
          f"{metrics['wall_time_s']:.0f} s), bag of words {bow:.3f}")
    assert bow < 0.75, f"bag of words reaches {bow:.3f}: the corpus no longer needs word order"
    assert transformer >= 0.90, f"the default Transformer reaches only {transformer:.3f} test accuracy"
    assert transformer >= bow + 0.2
    # plain sentences, and the same words in another order (tests/test_plain_sentences.py: the plain ones only)
    sentences = {**{text: "positive" for text in POSITIVE}, **{text: "negative" for text in NEGATIVE},
                 "The plot was not good.": "negative", "The acting was never boring.": "positive",
                 "The plot was dull, but the acting was superb.": "positive",
                 "Although the acting was superb, the plot was dull.": "negative",
                 "Never boring, a superb film.": "positive", "I would not recommend it.": "negative"}
    predicted = mt.pipeline("text-classification", model=str(tmp_path / "run"))(list(sentences))
    wrong = [(text, p) for (text, label), p in zip(sentences.items(), predicted) if p["label"] != label]
    assert not wrong, f"misread: {wrong}"
