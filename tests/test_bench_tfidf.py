"""bench/tfidf.py, the TF-IDF + logistic regression baseline of the results table: scikit-learn's defaults in
NumPy. Default tier: L-BFGS on a quadratic, idf and norms by hand; reference tier: the same features, weights and
predictions as scikit-learn on the shipped corpus."""
import math
import sys

import numpy as np
import pytest

from conftest import REPO
from minitransformer.data import TextDataset, load_dataset

sys.path.insert(0, str(REPO / "bench"))
import tfidf  # noqa: E402


def test_lbfgs_finds_the_minimum_of_a_quadratic():
    A = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]])
    b = np.array([1.0, -2.0, 0.5])
    x = tfidf.lbfgs(lambda x: (0.5 * x @ A @ x - b @ x, A @ x - b), np.zeros(3), tol=1e-12)
    assert np.allclose(x, np.linalg.solve(A, b), atol=1e-8)


def test_tfidf_rows_by_hand():
    texts = ["the film was good", "the film was bad bad", "a good a good"]       # 'a' is too short: dropped
    vectorizer = tfidf.TfidfVectorizer().fit(texts)
    assert sorted(vectorizer.vocabulary_) == ["bad", "film", "good", "the", "was"]
    X = vectorizer.transform(["bad bad film"])
    idf = {"bad": math.log(4 / 2) + 1, "film": math.log(4 / 3) + 1}
    raw = np.array([2 * idf["bad"], idf["film"]])
    assert np.allclose(X.data, raw / np.linalg.norm(raw)) and list(X.indices) == [0, 1]
    assert np.allclose(X @ np.ones((5, 1)), raw.sum() / np.linalg.norm(raw))


def test_logistic_regression_separates_separable_data_and_handles_three_classes():
    texts = ["good great fine"] * 5 + ["bad awful poor"] * 5 + ["table chair lamp"] * 5
    train = TextDataset(texts, [1] * 5 + [0] * 5 + [2] * 5, ["a", "b", "c"])
    assert tfidf.tfidf_logistic_regression(train, train) == 1.0


@pytest.mark.reference
def test_the_same_features_weights_and_predictions_as_scikit_learn():
    text = pytest.importorskip("sklearn.feature_extraction.text")
    linear = pytest.importorskip("sklearn.linear_model")
    data = load_dataset("shipped")
    train, test = data["train"][:3000], data["test"]
    theirs = text.TfidfVectorizer().fit(train.texts)
    ours = tfidf.TfidfVectorizer().fit(train.texts)
    assert ours.vocabulary_ == theirs.vocabulary_ and np.allclose(ours.idf_, theirs.idf_, rtol=1e-12)
    X, Xs = ours.transform(test.texts), theirs.transform(test.texts).tocsr()
    assert (X.indices == Xs.indices).all() and np.allclose(X.data, Xs.data, rtol=1e-12)
    clf = linear.LogisticRegression(max_iter=1000, tol=1e-8).fit(theirs.transform(train.texts), train.labels)
    mine = tfidf.LogisticRegression().fit(ours.transform(train.texts), np.array(train.labels))
    assert np.allclose(mine.coef_[:, 0], clf.coef_[0], atol=2e-3 * np.abs(clf.coef_).max())
    assert (mine.predict(X) == clf.predict(Xs)).mean() >= 0.998
