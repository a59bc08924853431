"""Lesson 6 runs top to bottom, quickly, saves its three figures, and its printed claims hold."""
import re

from conftest import run_lesson

NAMES = ("06_weight_decay.png", "06_unused_weight.png", "06_lr_schedule.png")


def number_after(text, label):
    match = re.search(re.escape(label) + r"\s*([-+0-9.e]+)", text)
    assert match, f"the lesson no longer prints {label!r}"
    return float(match.group(1).rstrip("."))


def test_lesson_06_adamw_runs_and_saves_figures():
    out = run_lesson("06_adamw.py", figures=NAMES)
    # Adam + L2 really ends at the closed-form ridge solution, and AdamW really follows (1 - lr·wd)^t
    assert number_after(out, "ridge solution: largest difference") < 1e-4
    assert number_after(out, "follows (1 − lr·wd)ᵗ: largest difference") < 1e-4
    # the table: Adam + L2 keeps ~9% of the small-unit weights, AdamW keeps most of them
    l2_row = re.search(r"Adam \+ L2\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)", out)
    adamw_row = re.search(r"AdamW\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)", out)
    assert float(l2_row.group(1)) < 0.15 and float(adamw_row.group(1)) > 0.5
    assert "step 100 → 5.00e-04, step 1000 → 0.0" in out
