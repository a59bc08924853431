"""Per-class precision, recall, F1 and support, and scikit-learn's classification_report layout.

The golden text below is what scikit-learn 1.9 printed for these labels; the reference tier (`-m reference`) checks
random cases against live scikit-learn."""
import numpy as np
import pytest

from minitransformer.metrics import classification_report, macro_f1, precision_recall_fscore_support

Y_TRUE = [0, 0, 0, 1, 1, 2, 2, 2, 2, 0]
Y_PRED = [0, 0, 1, 1, 0, 2, 2, 0, 2, 0]
SKLEARN_TEXT = (
    "                        precision    recall  f1-score   support\n\n"
    "              negative       0.60      0.75      0.67         4\n"
    "              positive       0.50      0.50      0.50         2\n"
    "a-very-long-label-name       1.00      0.75      0.86         4\n\n"
    "              accuracy                           0.70        10\n"
    "             macro avg       0.70      0.67      0.67        10\n"
    "          weighted avg       0.74      0.70      0.71        10\n")


def test_per_class_scores_by_hand():
    precision, recall, f1, support = precision_recall_fscore_support(Y_TRUE, Y_PRED)
    # class 0: predicted 5 times, 3 right, 4 examples; class 1: 2 predicted, 1 right, 2 examples; class 2: 3/3, 3 of 4
    np.testing.assert_allclose(precision, [3 / 5, 1 / 2, 1.0])
    np.testing.assert_allclose(recall, [3 / 4, 1 / 2, 3 / 4])
    np.testing.assert_allclose(f1, [2 * 3 / (6 + 2 + 1), 2 / 4, 6 / 7])
    np.testing.assert_array_equal(support, [4, 2, 4])


def test_text_layout_is_scikit_learns():
    assert classification_report(Y_TRUE, Y_PRED, target_names=["negative", "positive", "a-very-long-label-name"]) \
        == SKLEARN_TEXT


def test_dict_form_and_macro_average_agree_with_macro_f1():
    report = classification_report([0, 0, 1], [0, 0, 0], target_names=["a", "b"], output_dict=True)
    assert report["b"] == {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 1}  # never predicted: 0
    assert report["macro avg"]["f1-score"] == pytest.approx(macro_f1([0, 0, 1], [0, 0, 0]))
    assert report["accuracy"] == pytest.approx(2 / 3)
    assert report["weighted avg"]["recall"] == pytest.approx(2 / 3)     # weighted recall is accuracy


def test_names_per_class_id_pick_the_labels_reported_and_a_wrong_count_is_named():
    # a run's label_names hold every class; only the classes seen or predicted are reported, as scikit-learn does
    report = classification_report([0, 2], [0, 2], target_names=["x", "y", "z"], output_dict=True)
    assert list(report) == ["x", "z", "accuracy", "macro avg", "weighted avg"]
    with pytest.raises(ValueError, match="2 target_names for 4 labels"):
        classification_report([0, 1, 2], [0, 1, 3], target_names=["a", "b"])


@pytest.mark.reference
def test_matches_live_scikit_learn():
    sklearn = pytest.importorskip("sklearn.metrics")
    import warnings
    rng = np.random.default_rng(0)
    for case in range(20):
        classes = int(rng.integers(2, 6))
        y_true = rng.integers(0, classes, 40)
        y_pred = np.where(rng.random(40) < 0.6, y_true, rng.integers(0, classes, 40))
        if case % 3 == 0:
            y_pred[:] = 0                                            # a majority-only model: zero divisions
        names = [f"class-{c}" * (1 + c % 3) for c in np.union1d(y_true, y_pred)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")                          # zero_division warnings
            expected = sklearn.classification_report(y_true, y_pred, target_names=names, digits=2 + case % 3)
            expected_dict = sklearn.classification_report(y_true, y_pred, output_dict=True)
        assert classification_report(y_true, y_pred, target_names=names, digits=2 + case % 3) == expected
        ours = classification_report(y_true, y_pred, output_dict=True)
        for key, value in expected_dict.items():
            if isinstance(value, dict):
                for metric, number in value.items():
                    assert ours[key][metric] == pytest.approx(number, abs=1e-12), (case, key, metric)
            else:
                assert ours[key] == pytest.approx(value, abs=1e-12)
