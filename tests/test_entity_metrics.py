"""Entity metrics as seqeval's default mode counts them: the tricky chunking cases and the scores, as fixed values
(computed with seqeval 1.2.2; the reference tier recomputes them live in test_token_classification_reference.py)."""
import math

import pytest

from minitransformer.entity_metrics import (accuracy_score, classification_report, entity_counts, f1_score,
                                            format_report, get_entities, precision_recall_f1, precision_score,
                                            recall_score)

# (tags, seqeval.metrics.sequence_labeling.get_entities(tags)), each a rule of the module docstring
CHUNKS = [
    (["B-PER", "I-PER", "O"], [("PER", 0, 1)]),
    (["I-PER", "I-PER", "O"], [("PER", 0, 1)]),                       # I- without B- starts an entity
    (["O", "I-LOC"], [("LOC", 1, 1)]),
    (["B-PER", "B-PER", "I-PER"], [("PER", 0, 0), ("PER", 1, 2)]),    # adjacent same-type entities
    (["B-PER", "I-LOC", "I-LOC"], [("PER", 0, 0), ("LOC", 1, 2)]),    # type change ends one, starts another
    (["B-ORG", "I-ORG", "B-LOC", "I-ORG"], [("ORG", 0, 1), ("LOC", 2, 2), ("ORG", 3, 3)]),  # B- inside another
    (["I-PER", "B-PER"], [("PER", 0, 0), ("PER", 1, 1)]),
    (["B-PER", "O", "I-PER"], [("PER", 0, 0), ("PER", 2, 2)]),
    (["B-MISC-X", "I-MISC-X"], [("MISC-X", 0, 1)]),                   # the type is everything after the first '-'
    (["B", "I", "O", "I"], [("_", 0, 1), ("_", 3, 3)]),               # no type: '_'
    (["S-LOC", "I-LOC", "B-PER", "E-PER", "E-PER"], [("LOC", 0, 0), ("LOC", 1, 1), ("PER", 2, 3), ("PER", 4, 4)]),
    (["O", "O"], []),
    ([], []),
]


@pytest.mark.parametrize("tags,expected", CHUNKS)
def test_get_entities_follows_seqeval_chunking(tags, expected):
    assert get_entities(tags) == expected


def test_sentences_are_joined_with_an_o_between():
    """An entity at the end of one sentence never continues into the next; positions count across sentences."""
    assert get_entities([["B-PER", "I-PER"], ["I-PER", "O"]]) == [("PER", 0, 1), ("PER", 3, 3)]


Y_TRUE = [["B-PER", "I-PER", "O", "B-LOC", "O"], ["B-ORG", "I-ORG", "I-ORG", "O", "B-PER"], ["O", "B-LOC", "B-LOC"]]
Y_PRED = [["B-PER", "I-PER", "O", "I-LOC", "O"], ["B-ORG", "I-ORG", "O", "O", "B-LOC"], ["O", "B-LOC", "I-LOC"]]
# seqeval 1.2.2 on Y_TRUE / Y_PRED: PER 1 of 1 predicted right, 1 of 2 true found; LOC 1 of 3 predicted, 1 of 3
# true (the "I-LOC" after O is LOC (1, 3): right; "B-LOC I-LOC" is one entity where two were true); ORG 0 of 1 (cut
# short), 0 of 1.
EXPECTED = {
    "LOC": {"precision": 1 / 3, "recall": 1 / 3, "f1-score": 1 / 3, "support": 3},
    "ORG": {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 1},
    "PER": {"precision": 1.0, "recall": 0.5, "f1-score": 2 / 3, "support": 2},
    "micro avg": {"precision": 0.4, "recall": 1 / 3, "f1-score": 4 / 11, "support": 6},
    "macro avg": {"precision": 4 / 9, "recall": 5 / 18, "f1-score": 1 / 3, "support": 6},
    "weighted avg": {"precision": 0.5, "recall": 1 / 3, "f1-score": 7 / 18, "support": 6},
}


def test_counts_and_scores_fixed_values():
    assert entity_counts(Y_TRUE, Y_PRED) == {"LOC": (1, 3, 3), "ORG": (0, 1, 1), "PER": (1, 1, 2)}
    report = classification_report(Y_TRUE, Y_PRED)
    assert list(report) == list(EXPECTED)
    for name, row in EXPECTED.items():
        assert report[name] == pytest.approx(row), name
    assert f1_score(Y_TRUE, Y_PRED) == pytest.approx(4 / 11)  # micro by default
    assert precision_score(Y_TRUE, Y_PRED) == pytest.approx(0.4)
    assert recall_score(Y_TRUE, Y_PRED, average="macro") == pytest.approx(5 / 18)
    assert accuracy_score(Y_TRUE, Y_PRED) == pytest.approx(9 / 13)
    assert precision_recall_f1(Y_TRUE, Y_PRED, None)["PER"] == pytest.approx((1.0, 0.5, 2 / 3, 2))


def test_token_accuracy_is_high_when_no_entity_is_found():
    y_true = [["O"] * 9 + ["B-PER"], ["O"] * 8 + ["B-LOC", "I-LOC"]]
    y_pred = [["O"] * 10, ["O"] * 10]
    assert accuracy_score(y_true, y_pred) == pytest.approx(0.85)
    assert f1_score(y_true, y_pred) == 0.0


def test_edge_cases_match_seqeval():
    nothing = [["O", "O"]]
    assert f1_score(nothing, nothing) == 0.0  # micro: 0/0 -> 0
    assert math.isnan(f1_score(nothing, nothing, average="macro"))  # the mean of no types, as seqeval
    assert f1_score(nothing, nothing, average="weighted") == 0.0
    assert precision_recall_f1(nothing, nothing, None) == {}
    assert f1_score([["O"]], [["B-PER"]], average="weighted") == 0.0  # no true entity: seqeval's special case
    assert f1_score([["B-PER"]], [["O"]], average="macro") == 0.0
    assert f1_score([["B-PER", "I-PER"]], [["B-PER", "I-PER"]]) == 1.0


def test_errors_name_the_sentence():
    with pytest.raises(ValueError, match="sentence 1: y_true has 2 tags but y_pred has 1"):
        f1_score([["O"], ["O", "O"]], [["O"], ["O"]])
    with pytest.raises(ValueError, match="2 sentences but y_pred has 1"):
        accuracy_score([["O"], ["O"]], [["O"]])
    with pytest.raises(TypeError, match="list of sentences"):
        f1_score(["B-PER", "O"], ["B-PER", "O"])
    with pytest.raises(ValueError, match="average must be one of"):
        f1_score(Y_TRUE, Y_PRED, average="samples")


def test_format_report_lists_every_row():
    text = format_report(classification_report(Y_TRUE, Y_PRED))
    assert text.splitlines()[0].split() == ["precision", "recall", "f1-score", "support"]
    assert "   micro avg      0.400      0.333      0.364          6" in text
    assert len(text.splitlines()) == 8
