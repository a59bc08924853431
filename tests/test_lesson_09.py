"""Lesson 9 runs in quick mode: masking shown, pretraining, fill-in, both fine-tunings, and the figure saved."""
from conftest import run_lesson


def test_lesson_09_masked_lm_runs_and_saves_figure():
    out = run_lesson("09_masked_lm.py", figures=("09_masked_lm.png",), timeout=180)
    assert "[MASK]" in out.split("corrupted:")[1].splitlines()[0]  # the recipe visibly masked something
    assert "accuracy on masked tokens" in out
    assert "fine-tuning pretrained" in out and "fine-tuning from scratch" in out
    assert "pretrained minus from scratch:" in out and "Quick mode" in out  # quick numbers are not presented as results
