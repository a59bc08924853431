"""How far to trust a predicted probability: expected calibration error, reliability bins and temperature scaling
(Guo, Pleiss, Sun and Weinberger, "On Calibration of Modern Neural Networks", ICML 2017).

    ece = expected_calibration_error(probs, labels)        # 15 equal-width confidence bins, as Guo et al.
    T = fit_temperature(val_logits, val_labels)            # one scalar T > 0 minimising the NLL of softmax(z / T)
    probs = softmax(test_logits, T)                        # same argmax, so accuracy is unchanged

A model is calibrated when, among the predictions made with confidence ~p, a fraction ~p is right. ECE is the
gap between confidence and accuracy averaged over the bins, weighted by how many predictions fall in each:
ECE = sum_b (n_b / n) |accuracy_b - confidence_b|. Everything here is NumPy on host arrays, in float64.
"""
import numpy as np

N_BINS = 15
T_RANGE = (1e-2, 1e2)   # fitted temperatures are kept inside this range (a separable set pushes T towards 0)


def softmax(logits, temperature=1.0):
    """(N, C) probabilities of softmax(logits / temperature), in float64."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def reliability_bins(probs, labels, n_bins=N_BINS):
    """{"edges" (n_bins + 1,), "count", "confidence", "accuracy" (n_bins,)}: predictions grouped by their top
    probability in equal-width bins (lo, hi] (the first also takes 0); empty bins hold 0 confidence and accuracy."""
    probs, labels = np.asarray(probs, dtype=np.float64), np.asarray(labels)
    if probs.ndim != 2 or labels.shape != (probs.shape[0],):
        raise ValueError(f"reliability_bins: expected probs (N, C) and labels (N,), got {probs.shape} and "
                         f"{labels.shape}")
    confidence, predicted = probs.max(axis=1), probs.argmax(axis=1)  # (N,) each
    correct = (predicted == labels).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, n_bins - 1)  # (lo, hi] -> bin index
    count = np.bincount(which, minlength=n_bins)
    sums = lambda v: np.bincount(which, weights=v, minlength=n_bins)  # noqa: E731
    safe = np.maximum(count, 1)
    return {"edges": edges, "count": count, "confidence": sums(confidence) / safe, "accuracy": sums(correct) / safe}


def expected_calibration_error(probs, labels, n_bins=N_BINS):
    """sum_b (n_b / n) |accuracy_b - confidence_b| over `n_bins` equal-width confidence bins (0.0 for no rows)."""
    bins = reliability_bins(probs, labels, n_bins)
    n = bins["count"].sum()
    return float((bins["count"] * np.abs(bins["accuracy"] - bins["confidence"])).sum() / n) if n else 0.0


def nll(logits, labels, temperature=1.0):
    """Mean -log softmax(logits / temperature)[label], in float64."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(z)), np.asarray(labels)].mean())


def fit_temperature(logits, labels, tol=1e-10):
    """The T > 0 minimising nll(logits, labels, T), within T_RANGE.

    With beta = 1 / T, NLL(beta) = mean(logsumexp(beta z) - beta z_y) is convex, and its derivative
    mean(E_softmax(beta z)[z] - z_y) increases with beta; bisection on the sign of that derivative (in log beta)
    finds the minimum without step sizes to tune.
    """
    z = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels)
    if z.ndim != 2 or labels.shape != (z.shape[0],) or not len(z):
        raise ValueError(f"fit_temperature: expected logits (N, C) with N > 0 and labels (N,), got {z.shape} and "
                         f"{labels.shape}")
    picked = z[np.arange(len(z)), labels]                 # (N,)

    def slope(beta):                                       # d NLL / d beta
        return float((softmax(z * beta) * z).sum(axis=1).mean() - picked.mean())

    low, high = np.log(1 / T_RANGE[1]), np.log(1 / T_RANGE[0])   # log beta bounds
    if slope(np.exp(low)) >= 0:
        return T_RANGE[1]
    if slope(np.exp(high)) <= 0:
        return T_RANGE[0]
    while high - low > tol:
        middle = 0.5 * (low + high)
        low, high = (middle, high) if slope(np.exp(middle)) < 0 else (low, middle)
    return float(1 / np.exp(0.5 * (low + high)))


def calibration_summary(logits, labels, temperature=1.0):
    """{"temperature", "nll", "ece"} of these logits scaled by `temperature` (JSON-ready)."""
    return {"temperature": float(temperature), "nll": nll(logits, labels, temperature),
            "ece": expected_calibration_error(softmax(logits, temperature), labels)}
