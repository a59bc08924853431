"""calibration.py: ECE by hand, the temperature against a brute-force search, ECE falling on held-out data."""
import numpy as np
import pytest

from minitransformer.calibration import (expected_calibration_error, fit_temperature, nll, reliability_bins,
                                         softmax)


def test_ece_by_hand():
    # two predictions at confidence 0.9 (one right) and two at 0.6 (both right), 15 bins of width 1/15:
    # bin (0.867, 0.933]: accuracy 0.5, confidence 0.9 -> gap 0.4; bin (0.533, 0.6]: accuracy 1, confidence 0.6
    probs = np.array([[0.9, 0.1], [0.1, 0.9], [0.6, 0.4], [0.4, 0.6]])
    labels = np.array([0, 0, 0, 1])
    assert expected_calibration_error(probs, labels) == pytest.approx(0.5 * 0.4 + 0.5 * 0.4)
    bins = reliability_bins(probs, labels)
    assert bins["count"].sum() == 4 and bins["count"][13] == 2 and bins["count"][8] == 2
    # 0.6 sits on the edge 9/15 = 0.6: bins are (lo, hi], so it belongs to the bin ending at 0.6
    assert bins["edges"][9] == pytest.approx(0.6)
    assert expected_calibration_error(np.eye(3), [0, 1, 2]) == 0.0       # confident and right: calibrated


def test_temperature_minimises_the_nll_found_by_brute_force():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 300)
    logits = rng.standard_normal((300, 4)) + 2.5 * np.eye(4)[labels]
    overconfident = 6.0 * logits                            # sharpened: the best T is well above 1
    T = fit_temperature(overconfident, labels)
    grid = np.exp(np.linspace(np.log(0.5), np.log(50), 20001))
    best = grid[np.argmin([nll(overconfident, labels, t) for t in grid])]
    assert T == pytest.approx(best, rel=1e-3) and T > 2
    assert nll(overconfident, labels, T) <= min(nll(overconfident, labels, t) for t in (best, T * 1.01, T / 1.01))
    assert fit_temperature(10 * np.eye(3), [0, 1, 2]) == 0.01          # separable: T pushed to the range's end
    with pytest.raises(ValueError, match="expected logits"):
        fit_temperature(np.zeros((0, 2)), [])


def test_temperature_fitted_on_validation_lowers_ece_on_a_held_out_split():
    rng = np.random.default_rng(1)

    def split(n):
        labels = rng.integers(0, 3, n)
        clean = rng.standard_normal((n, 3)) * 1.5 + 1.2 * np.eye(3)[labels]
        return 5.0 * clean, labels                         # an overconfident model's logits

    (val, val_y), (test, test_y) = split(2000), split(2000)
    T = fit_temperature(val, val_y)
    before = expected_calibration_error(softmax(test), test_y)
    after = expected_calibration_error(softmax(test, T), test_y)
    assert after < 0.5 * before and after < 0.03, (before, after)
    np.testing.assert_array_equal(softmax(test, T).argmax(1), softmax(test).argmax(1))   # predictions unchanged
