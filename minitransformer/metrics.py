"""Classification metrics in NumPy: accuracy, the confusion matrix, macro-F1 and the per-class report (as
scikit-learn defines them).

    cm = confusion_matrix(y_true, y_pred, num_classes=2)   # cm[i, j] = how many of class i were predicted j
    accuracy(y_true, y_pred);  macro_f1(y_true, y_pred)
    print(classification_report(y_true, y_pred, target_names=["neg", "pos"]))   # scikit-learn's text layout

Macro-F1 is the unweighted mean over classes of F1_c = 2·TP_c / (2·TP_c + FP_c + FN_c), which equals
2·P·R / (P + R) with P = TP / (TP + FP) and R = TP / (TP + FN), and is 0 when TP_c = 0. Like
`sklearn.metrics.f1_score(average="macro")`, the mean runs over the classes that occur in y_true or y_pred
(a class that is never seen nor predicted says nothing about the classifier), unless `labels` names them.
Unlike accuracy it does not reward a model for ignoring a rare class.
"""
import numpy as np


def _as_labels(y, name):
    """A 1-D int64 array of class ids, or an error naming the argument."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of class ids, got shape {y.shape}")
    if y.size and (y.dtype.kind not in "iub" or y.min() < 0):
        raise ValueError(f"{name} must hold class ids 0, 1, 2, ..., got {y[:5]}")
    return y.astype(np.int64)


def _pair(y_true, y_pred):
    y_true, y_pred = _as_labels(y_true, "y_true"), _as_labels(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} labels but y_pred has {y_pred.size}; they must match")
    return y_true, y_pred


def accuracy(y_true, y_pred):
    """Fraction of predictions equal to the label (0.0 for no examples)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred)) if y_true.size else 0.0


def confusion_matrix(y_true, y_pred, num_classes=None):
    """(C, C) int64 counts, rows = true class, columns = predicted class (scikit-learn's layout)."""
    y_true, y_pred = _pair(y_true, y_pred)
    seen = int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1
    C = seen if num_classes is None else int(num_classes)
    if seen > C:
        raise ValueError(f"class id {seen - 1} does not fit num_classes={C}")
    cm = np.zeros((C, C), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)                 # one count per (true, predicted) pair
    return cm


def f1_per_class(cm):
    """(C,) F1 of each class from a confusion matrix: 2·TP / (2·TP + FP + FN), 0 where that is 0/0."""
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diag(cm)                                   # (C,)
    fp = cm.sum(axis=0) - tp                           # predicted c, but was something else
    fn = cm.sum(axis=1) - tp                           # was c, predicted something else
    denominator = 2 * tp + fp + fn
    return np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)


def macro_f1(y_true, y_pred, labels=None):
    """Mean per-class F1 over `labels` (default: the classes present in y_true or y_pred)."""
    y_true, y_pred = _pair(y_true, y_pred)
    if labels is None:
        labels = np.union1d(y_true, y_pred)
    labels = np.asarray(labels, dtype=np.int64)
    if labels.size == 0:
        return 0.0
    C = int(max(labels.max(), y_true.max(initial=-1), y_pred.max(initial=-1))) + 1
    cm = confusion_matrix(y_true, y_pred, num_classes=C)
    return float(f1_per_class(cm)[labels].mean())


def precision_recall_fscore_support(y_true, y_pred, labels=None):
    """(precision, recall, f1, support), each a (K,) array over `labels` (default: the classes in y_true or y_pred).

    precision_c = TP / (TP + FP), recall_c = TP / (TP + FN), F1_c = 2 TP / (2 TP + FP + FN), support_c = TP + FN
    (examples of class c); 0 where a ratio is 0/0 (scikit-learn's zero_division=0, without its warning).
    """
    y_true, y_pred = _pair(y_true, y_pred)
    labels = np.union1d(y_true, y_pred) if labels is None else np.asarray(labels, dtype=np.int64)
    C = int(max(labels.max(initial=-1), y_true.max(initial=-1), y_pred.max(initial=-1))) + 1
    cm = confusion_matrix(y_true, y_pred, num_classes=C).astype(np.float64)  # (C, C)
    tp, predicted, support = np.diag(cm)[labels], cm.sum(axis=0)[labels], cm.sum(axis=1)[labels]  # (K,) each
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    return precision, recall, f1_per_class(cm)[labels], support.astype(np.int64)


def classification_report(y_true, y_pred, labels=None, target_names=None, digits=2, output_dict=False):
    """Per-class precision, recall, F1 and support, then accuracy, macro and weighted averages, as
    sklearn.metrics.classification_report: its text layout, or with output_dict=True its dict
    {name: {"precision", "recall", "f1-score", "support"}, "accuracy", "macro avg", "weighted avg"}.

    labels: the class ids to report (default: those in y_true or y_pred); target_names: their names, one per
    entry of `labels`, or one per class id (a list indexed by id, as a run's label_names).
    """
    y_true, y_pred = _pair(y_true, y_pred)
    labels = np.union1d(y_true, y_pred) if labels is None else np.asarray(labels, dtype=np.int64)
    if target_names is None:
        names = [str(int(c)) for c in labels]
    elif len(target_names) == len(labels):
        names = [str(n) for n in target_names]
    elif len(target_names) > labels.max(initial=-1):
        names = [str(target_names[int(c)]) for c in labels]
    else:
        raise ValueError(f"classification_report: {len(target_names)} target_names for {len(labels)} labels "
                         f"{labels.tolist()}; give one name per label, or one per class id")
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels)
    keys = ("precision", "recall", "f1-score", "support")
    report = {name: dict(zip(keys, (float(p), float(r), float(f), int(n))))
              for name, p, r, f, n in zip(names, precision, recall, f1, support)}
    total = int(support.sum())
    report["accuracy"] = accuracy(y_true, y_pred)
    mean = lambda v: float(v.mean()) if v.size else 0.0                     # noqa: E731
    weighted = lambda v: float((v * support).sum() / total) if total else 0.0  # noqa: E731
    report["macro avg"] = dict(zip(keys, (mean(precision), mean(recall), mean(f1), total)))
    report["weighted avg"] = dict(zip(keys, (weighted(precision), weighted(recall), weighted(f1), total)))
    return report if output_dict else format_classification_report(report, digits)


def format_classification_report(report, digits=2):
    """The text scikit-learn prints for a classification_report(..., output_dict=True) dict."""
    averages = ("accuracy", "macro avg", "weighted avg")
    names = [name for name in report if name not in averages]
    width = max([len(n) for n in names] + [len("weighted avg"), digits])
    row = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}\n"
    text = ("{:>{width}s} " + " {:>9}" * 4).format("", "precision", "recall", "f1-score", "support", width=width)
    text += "\n\n"
    for name in names:
        text += row.format(name, *report[name].values(), width=width, digits=digits)
    total = report["macro avg"]["support"]
    text += "\n" + ("{:>{width}s} " + " {:>9}" * 2 + " {:>9.{digits}f} {:>9}\n").format(
        "accuracy", "", "", report["accuracy"], total, width=width, digits=digits)
    for name in ("macro avg", "weighted avg"):
        text += row.format(name, *report[name].values(), width=width, digits=digits)
    return text


def format_confusion_matrix(cm, label_names=None):
    """The matrix as aligned text with row/column headers ("true \\ predicted")."""
    cm = np.asarray(cm)
    names = [str(n) for n in (label_names or range(len(cm)))]
    width = max([len(n) for n in names] + [len(str(int(cm.max(initial=0))))]) + 2
    corner = "true \\ predicted"
    lines = [corner.ljust(max(len(corner), width)) + "".join(n.rjust(width) for n in names)]
    for name, row in zip(names, cm):
        lines.append(name.ljust(max(len(corner), width)) + "".join(str(int(v)).rjust(width) for v in row))
    return "\n".join(lines)
