"""TF-IDF + logistic regression in NumPy: the classical baseline the results table puts beside our Transformers.

    vectorizer = TfidfVectorizer().fit(train_texts)            # scikit-learn's defaults, reimplemented
    X = vectorizer.transform(train_texts)                      # a CSR matrix as three arrays
    clf = LogisticRegression(C=1.0).fit(X, train_labels)       # L2, multinomial, L-BFGS
    accuracy = (clf.predict(vectorizer.transform(test_texts)) == test_labels).mean()

What scikit-learn does by default, written out (tests/test_bench_tfidf.py compares with it in the reference tier):
tokens are runs of 2+ word characters, lower-cased (analyzer="char" takes character n-grams instead, for text
without spaces such as Chinese); idf = ln((1 + n) / (1 + df)) + 1; each row scaled to unit L2 norm. Logistic
regression minimises C * sum_i -log softmax(x_i W + b)[y_i] + |W|^2 / 2 (the bias is not penalised) with L-BFGS.
"""
import collections
import re

import numpy as np

WORD = re.compile(r"(?u)\b\w\w+\b")


class CSR:
    """A sparse (n, d) matrix: row i holds data[indptr[i]:indptr[i+1]] at columns indices[...]."""

    def __init__(self, data, indices, indptr, shape):
        self.data, self.indices, self.indptr, self.shape = data, indices, indptr, shape
        self.rows = np.repeat(np.arange(shape[0]), np.diff(indptr))          # row of every stored value
        self.filled = np.flatnonzero(np.diff(indptr))                         # rows with at least one value

    def __matmul__(self, W):
        """X @ W for a dense (d, k) W: per row, the sum of its values times W's rows at its columns."""
        out = np.zeros((self.shape[0], W.shape[1]))
        if len(self.data):
            out[self.filled] = np.add.reduceat(self.data[:, None] * W[self.indices], self.indptr[self.filled])
        return out

    def rmatmul(self, R):
        """X.T @ R for a dense (n, k) R, one bincount per column."""
        return np.stack([np.bincount(self.indices, self.data * R[self.rows, j], minlength=self.shape[1])
                         for j in range(R.shape[1])], axis=1)


class TfidfVectorizer:
    """scikit-learn's TfidfVectorizer defaults (smooth idf, sublinear_tf off, l2 norm); ngram_range as there."""

    def __init__(self, analyzer="word", ngram_range=(1, 1)):
        self.analyzer, self.ngram_range = analyzer, ngram_range

    def _terms(self, text):
        text = text.lower()
        units = WORD.findall(text) if self.analyzer == "word" else list(" ".join(text.split()))
        low, high = self.ngram_range
        joiner = " " if self.analyzer == "word" else ""
        return [joiner.join(units[i:i + n]) for n in range(low, high + 1) for i in range(len(units) - n + 1)]

    def fit(self, texts):
        df = collections.Counter(term for text in texts for term in set(self._terms(text)))
        self.vocabulary_ = {term: i for i, term in enumerate(sorted(df))}
        counts = np.array([df[t] for t in sorted(df)], dtype=np.float64)
        self.idf_ = np.log((1 + len(texts)) / (1 + counts)) + 1
        return self

    def transform(self, texts):
        data, indices, indptr = [], [], [0]
        for text in texts:
            counts = collections.Counter(self.vocabulary_[t] for t in self._terms(text) if t in self.vocabulary_)
            cols = np.array(sorted(counts), dtype=np.int64)
            values = np.array([counts[c] for c in cols], dtype=np.float64) * self.idf_[cols] if len(cols) else \
                np.zeros(0)
            norm = np.sqrt((values ** 2).sum())
            data.append(values / norm if norm else values)
            indices.append(cols)
            indptr.append(indptr[-1] + len(cols))
        return CSR(np.concatenate(data), np.concatenate(indices), np.array(indptr), (len(texts), len(self.idf_)))


class LogisticRegression:
    """Logistic regression with an L2 penalty (scikit-learn's C, lbfgs, fit_intercept): multinomial for 3+
    classes; for 2 one weight vector for class 1 against a fixed 0 for class 0, as scikit-learn's binary model
    (two free columns would halve the penalty on their difference)."""

    def __init__(self, C=1.0, max_iter=1000, tol=1e-6):
        self.C, self.max_iter, self.tol = C, max_iter, tol

    def _logits(self, X, W, b):
        Z = X @ W + b                                             # (n, k), or (n, 1) for two classes
        return np.concatenate([np.zeros((len(Z), 1)), Z], axis=1) if self.binary else Z

    def _loss_grad(self, theta, X, Y):
        d, k = X.shape[1], Y.shape[1] - self.binary
        W, b = theta[:d * k].reshape(d, k), theta[d * k:]
        Z = self._logits(X, W, b)
        Z -= Z.max(axis=1, keepdims=True)
        logp = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
        loss = -self.C * (Y * logp).sum() + 0.5 * (W * W).sum()
        R = (self.C * (np.exp(logp) - Y))[:, self.binary:]        # (n, k) d loss / d (X W + b)
        return loss, np.concatenate([(X.rmatmul(R) + W).ravel(), R.sum(axis=0)])

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.binary = int(len(self.classes_) == 2)
        Y = (np.asarray(y)[:, None] == self.classes_).astype(np.float64)  # (n, C) one-hot
        d, k = X.shape[1], len(self.classes_) - self.binary
        theta = lbfgs(lambda t: self._loss_grad(t, X, Y), np.zeros(d * k + k), self.max_iter, self.tol)
        self.coef_, self.intercept_ = theta[:d * k].reshape(d, k), theta[d * k:]
        return self

    def predict(self, X):
        return self.classes_[np.argmax(self._logits(X, self.coef_, self.intercept_), axis=1)]


def lbfgs(f, x, max_iter=1000, tol=1e-6, memory=10):
    """Minimise f(x) -> (value, gradient) with L-BFGS (Nocedal & Wright, algorithm 7.4) and a backtracking
    Armijo line search; stops when the largest gradient entry is below tol * max(1, |value|)."""
    value, grad = f(x)
    s_list, y_list = [], []
    for _ in range(max_iter):
        if np.abs(grad).max() <= tol * max(1.0, abs(value)):
            break
        q, alphas = grad.copy(), []
        for s, y in reversed(list(zip(s_list, y_list))):          # two-loop recursion
            alpha = s @ q / (y @ s)
            alphas.append(alpha)
            q -= alpha * y
        if s_list:
            q *= (s_list[-1] @ y_list[-1]) / (y_list[-1] @ y_list[-1])
        for (s, y), alpha in zip(zip(s_list, y_list), reversed(alphas)):
            q += (alpha - y @ q / (y @ s)) * s
        direction, step = -q, 1.0
        while True:
            new_value, new_grad = f(x + step * direction)
            if new_value <= value + 1e-4 * step * (grad @ direction) or step < 1e-10:
                break
            step *= 0.5
        s, y = step * direction, new_grad - grad
        if s @ y > 1e-12:
            s_list, y_list = (s_list + [s])[-memory:], (y_list + [y])[-memory:]
        x, value, grad = x + s, new_value, new_grad
    return x


def tfidf_logistic_regression(train, test, analyzer="word", ngram_range=(1, 1), C=1.0):
    """Test accuracy of TF-IDF + logistic regression trained on `train` (TextDatasets)."""
    vectorizer = TfidfVectorizer(analyzer, ngram_range).fit(train.texts)
    clf = LogisticRegression(C=C).fit(vectorizer.transform(train.texts), np.array(train.labels))
    return float(np.mean(clf.predict(vectorizer.transform(test.texts)) == np.array(test.labels)))
