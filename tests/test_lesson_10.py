"""Lesson 10 runs top to bottom in quick mode, shows tags on pieces, trains, compares entity F1 with token
accuracy, and saves its figures."""
import re

from conftest import run_lesson

NAMES = ("10_f1_vs_accuracy.png", "10_entity_spans.png")


def test_lesson_10_token_classification_runs_and_saves_figures():
    out = run_lesson("10_token_classification.py", figures=NAMES, timeout=240)
    for stage in ("1. data: 600 training sentences", "2. 8 words ->", "3. model:", "4. epoch 1:", "5. test:",
                  "6. figure of 6 test sentences", "7. Jordan Smith flew to Jordan", "What to notice"):
        assert stage in out, f"the lesson no longer prints {stage!r}"
    # -100 really leaves the loss alone: the two printed losses are equal
    before, after = re.search(r"loss ([0-9.]+); with the -100 positions' logits scrambled: ([0-9.]+)", out).groups()
    assert before == after
    # the all-O tagger: token accuracy well above 0, entity F1 exactly 0
    accuracy, f1 = re.search(r"says O everywhere: token accuracy ([0-9.]+), entity F1 ([0-9.]+)", out).groups()
    assert float(accuracy) > 0.5 and float(f1) == 0.0
    assert "'Bank of England' found as 'Bank of': token accuracy 0.75, entity F1 0.00" in out
