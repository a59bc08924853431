"""Entity-level precision, recall and F1 for tagged sequences, counted exactly as `seqeval` does by default (the
CoNLL evaluation, lenient chunking), plus token accuracy beside them.

    y_true = [["B-PER", "I-PER", "O", "B-LOC"]];  y_pred = [["B-PER", "O", "O", "B-LOC"]]
    get_entities(y_true)                    # [("PER", 0, 1), ("LOC", 3, 3)]   (type, first, last) inclusive
    f1_score(y_true, y_pred)                # 0.5   micro: ("LOC", 3, 3) found, ("PER", 0, 1) cut short
    classification_report(y_true, y_pred)   # per type + "micro avg" / "macro avg" / "weighted avg"
    accuracy_score(y_true, y_pred)          # 0.75  token accuracy: 3 of 4 tags right

Chunking rules (seqeval 1.2 `get_entities`, default mode; a tag is `<prefix>-<TYPE>`, its first character is the
prefix and the part after the first '-' the type, '_' when there is none, so "O" has type '_'):
- The sentences are joined into one sequence with an "O" between them (positions count across sentences, so a chunk
  never runs from one sentence into the next), and an "O" is added at the end.
- A chunk ENDS before tag t when the previous tag is E or S; or it is B or I and t is B, S or O; or the previous tag
  is not O (nor '.') and its type differs from t's.
- A chunk STARTS at t when t is B or S; or t is I or E after O, E or S; or t is not O (nor '.') and its type
  differs from the previous tag's.
So "I-PER" after "O" starts a PER entity (an I- without a B- is not dropped), "B-PER B-PER" is two adjacent PER
entities, "B-PER I-LOC" is a PER entity and then a LOC entity (the type change ends one and starts another), and
"B-PER I-PER" is one. IOBES tags (E-, S-) follow the same rules, as in seqeval.

Scores: an entity counts as correct only if its type, first and last position all match (a set of (type, start,
end) per type, so a chunk is counted once). Per type: precision = TP / predicted, recall = TP / true, F1 = 2PR /
(P + R), each 0 where its denominator is 0 (seqeval's zero_division default, without its warning). micro: the counts
summed over types first (the default for f1_score and the number usually reported); macro: the unweighted mean of
the per-type scores over every type seen in y_true or y_pred (nan when there is none, as seqeval); weighted: the mean
weighted by each type's true count. Token accuracy counts every position, "O" included, which is why it is high even
for a tagger that finds no entity at all. Not supported: seqeval's suffix tags (PER-B) and its strict mode.
"""
import math
from collections import defaultdict

AVERAGES = ("micro", "macro", "weighted", None)


def _parts(tag):
    """(prefix, type) of a tag, as seqeval splits it: 'B-PER' -> ('B', 'PER'), 'O' -> ('O', '_')."""
    return tag[:1], tag[1:].split("-", 1)[-1] or "_"


def _ends(prev_tag, tag, prev_type, type_):
    """True when the chunk that ends at the previous tag is closed by `tag` (see the module docstring)."""
    if prev_tag in ("E", "S") or (prev_tag in ("B", "I") and tag in ("B", "S", "O")):
        return True
    return prev_tag not in ("O", ".") and prev_type != type_


def _starts(prev_tag, tag, prev_type, type_):
    """True when a chunk starts at `tag` (see the module docstring)."""
    if tag in ("B", "S") or (prev_tag in ("E", "S") and tag in ("E", "I")) or (prev_tag == "O" and tag in ("E", "I")):
        return True
    return tag not in ("O", ".") and prev_type != type_


def _flatten(seq):
    """One list of tag strings: a list of sentences is joined with an "O" after each (seqeval's convention)."""
    if any(isinstance(s, (list, tuple)) for s in seq):
        return [tag for sentence in seq for tag in [*sentence, "O"]]
    return list(seq)


def get_entities(seq):
    """[(type, start, end)] with `end` inclusive, in order, for one tag sequence or a list of them (then positions
    count across the sentences joined by an "O" each, as seqeval)."""
    chunks, prev_tag, prev_type, begin = [], "O", "", 0
    for i, tag_string in enumerate(_flatten(seq) + ["O"]):
        if not isinstance(tag_string, str):
            raise TypeError(f"get_entities: tags must be strings like 'B-PER' or 'O', got {tag_string!r} at {i}")
        tag, type_ = _parts(tag_string)
        if _ends(prev_tag, tag, prev_type, type_):
            chunks.append((prev_type, begin, i - 1))
        if _starts(prev_tag, tag, prev_type, type_):
            begin = i
        prev_tag, prev_type = tag, type_
    return chunks


def _check(y_true, y_pred):
    """Both are lists of sentences (lists of tags) of equal lengths, or an error naming the first mismatch."""
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if not isinstance(y, (list, tuple)) or not all(isinstance(s, (list, tuple)) for s in y):
            raise TypeError(f"{name} must be a list of sentences, each a list of tags like ['B-PER', 'I-PER', 'O']")
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} sentences but y_pred has {len(y_pred)}; they must match")
    for i, (t, p) in enumerate(zip(y_true, y_pred)):
        if len(t) != len(p):
            raise ValueError(f"sentence {i}: y_true has {len(t)} tags but y_pred has {len(p)}; each sentence needs "
                             "one predicted tag per true tag")


def entity_counts(y_true, y_pred):
    """{type: (true positives, predicted, true)} over every type in y_true or y_pred, types sorted."""
    _check(y_true, y_pred)
    true, pred = defaultdict(set), defaultdict(set)
    for type_, start, end in get_entities(y_true):
        true[type_].add((start, end))
    for type_, start, end in get_entities(y_pred):
        pred[type_].add((start, end))
    return {t: (len(true[t] & pred[t]), len(pred[t]), len(true[t])) for t in sorted(set(true) | set(pred))}


def _divide(a, b):
    return a / b if b else 0.0


def _scores(tp, predicted, true):
    """(precision, recall, F1) from counts, 0 where a denominator is 0."""
    p, r = _divide(tp, predicted), _divide(tp, true)
    return p, r, _divide(2 * p * r, p + r)


def precision_recall_f1(y_true, y_pred, average="micro"):
    """(precision, recall, F1, support): floats for an average, or {type: (p, r, f1, support)} for average=None."""
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {AVERAGES}, got {average!r}")
    counts = entity_counts(y_true, y_pred)
    per_type = {t: (*_scores(*c), c[2]) for t, c in counts.items()}
    support = sum(c[2] for c in counts.values())
    if average is None:
        return per_type
    if average == "micro":
        tp, predicted, true = (sum(c[k] for c in counts.values()) for k in range(3))
        return (*_scores(tp, predicted, true), support)
    if not per_type:  # the mean of no types: nan, as seqeval (np.average of an empty array) for macro
        return (math.nan,) * 3 + (0,) if average == "macro" else (0.0, 0.0, 0.0, 0)
    weights = {t: 1 if average == "macro" else s[3] for t, s in per_type.items()}
    total = sum(weights.values())
    if total == 0:  # weighted, but no true entity at all: seqeval's special case (its zero_division value is 0)
        return 0.0, 0.0, 0.0, 0
    return tuple(sum(weights[t] * s[k] for t, s in per_type.items()) / total for k in range(3)) + (support,)


def precision_score(y_true, y_pred, average="micro"):
    """Entity precision: correct predicted entities / predicted entities (see the module docstring)."""
    return precision_recall_f1(y_true, y_pred, average)[0]


def recall_score(y_true, y_pred, average="micro"):
    """Entity recall: correct predicted entities / true entities."""
    return precision_recall_f1(y_true, y_pred, average)[1]


def f1_score(y_true, y_pred, average="micro"):
    """Entity F1 = 2PR / (P + R), micro-averaged by default (seqeval's default and CoNLL's reported number)."""
    return precision_recall_f1(y_true, y_pred, average)[2]


def accuracy_score(y_true, y_pred):
    """Token accuracy: the fraction of positions whose predicted tag equals the true one ("O" included)."""
    _check(y_true, y_pred)
    pairs = [(t, p) for ts, ps in zip(y_true, y_pred) for t, p in zip(ts, ps)]
    return _divide(sum(t == p for t, p in pairs), len(pairs))


def classification_report(y_true, y_pred):
    """{type: {"precision", "recall", "f1-score", "support"}, ..., "micro avg", "macro avg", "weighted avg"}: seqeval's
    classification_report(output_dict=True), with plain Python numbers."""
    keys = ("precision", "recall", "f1-score", "support")
    report = {t: dict(zip(keys, s)) for t, s in precision_recall_f1(y_true, y_pred, None).items()}
    for average in ("micro", "macro", "weighted"):
        report[f"{average} avg"] = dict(zip(keys, precision_recall_f1(y_true, y_pred, average)))
    return report


def format_report(report, digits=3):
    """classification_report() as aligned text, one row per type and average (seqeval's layout)."""
    width = max([len(name) for name in report] + [len("weighted avg")])
    lines = [" " * width + "".join(h.rjust(11) for h in ("precision", "recall", "f1-score", "support"))]
    for name, row in report.items():
        if name == "micro avg":
            lines.append("")
        lines.append(name.rjust(width) + "".join(f"{row[k]:11.{digits}f}" for k in ("precision", "recall",
                                                                                      "f1-score"))
                     + f"{row['support']:11d}")
    return "\n".join(lines)
