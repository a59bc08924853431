"""Lesson 9 runs in quick mode: masking shown, pretraining, fill-in, both fine-tunings, and the figure saved."""
import os
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]


def test_lesson_09_masked_lm_runs_and_saves_figure():
    figure = REPO / "lessons" / "figures" / "09_masked_lm.png"
    figure.unlink(missing_ok=True)
    env = dict(os.environ, MT_LESSON_QUICK="1", MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, "lessons/09_masked_lm.py"], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[MASK]" in out.split("corrupted:")[1].splitlines()[0]  # the recipe visibly masked something
    assert "accuracy on masked tokens" in out
    assert "pretrained" in out and "from scratch" in out
    assert figure.exists() and figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
