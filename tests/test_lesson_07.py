"""Lesson 7 runs top to bottom in quick mode, prints every stage of the pipeline and saves its figures."""
import re

from conftest import run_lesson

NAMES = ("07_loss.png", "07_accuracy.png", "07_confusion_matrix.png", "07_attention.png")


def test_lesson_07_train_classifier_runs_and_saves_figures():
    out = run_lesson("07_train_classifier.py", figures=NAMES, timeout=180)
    for stage in ("1. data: 800 training sentences", "2. tokenizer:", "3. one batch: input_ids (4,",
                  "4. model:", "5. one training step", "optimizer.step()", "6. test accuracy",
                  "7. attention of ", "8. predictions:"):
        assert stage in out, f"the lesson no longer prints {stage!r}"
    accuracy = float(re.search(r"test accuracy ([0-9.]+)", out).group(1))
    assert 0.0 <= accuracy <= 1.0
    # the five probe sentences each get a label and a probability
    assert len(re.findall(r"^\s+(negative|positive) [01]\.\d\d  ", out, flags=re.M)) == 5
