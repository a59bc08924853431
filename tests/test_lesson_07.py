"""Lesson 7 runs top to bottom in quick mode, prints every stage of the pipeline and saves its figures."""
import os
import pathlib
import re
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]
NAMES = ("07_loss.png", "07_accuracy.png", "07_confusion_matrix.png", "07_attention.png")


def test_lesson_07_train_classifier_runs_and_saves_figures():
    figures = [REPO / "lessons" / "figures" / name for name in NAMES]
    for f in figures:
        f.unlink(missing_ok=True)
    env = dict(os.environ, MT_LESSON_QUICK="1", MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, "lessons/07_train_classifier.py"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for stage in ("1. data: 800 training sentences", "2. tokenizer:", "3. one batch: input_ids (4,",
                  "4. model:", "5. one training step", "optimizer.step()", "6. test accuracy",
                  "7. attention of ", "8. predictions:"):
        assert stage in out, f"the lesson no longer prints {stage!r}"
    accuracy = float(re.search(r"test accuracy ([0-9.]+)", out).group(1))
    assert 0.0 <= accuracy <= 1.0
    # the five probe sentences each get a label and a probability
    assert len(re.findall(r"^\s+(negative|positive) [01]\.\d\d  ", out, flags=re.M)) == 5
    for f in figures:
        assert f.exists() and f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{f.name} was not written"
