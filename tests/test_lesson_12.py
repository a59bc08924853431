"""Lesson 12 runs in quick mode: the three methods, completeness, the side-by-side, deletion and randomisation."""
import re

from conftest import run_lesson

NAMES = ("12_methods.png", "12_deletion.png", "12_highlight.png")


def test_lesson_12_explaining_predictions_runs_and_saves_figures():
    out = run_lesson("12_explaining_predictions.py", figures=NAMES, timeout=240)
    for stage in ("1. model:", "2. gradient x input", "3. integrated gradients", "4. attention rollout",
                  "5. the three methods", "6. deletion over", "7. rank correlation"):
        assert stage in out, f"the lesson no longer prints {stage!r}"
    # completeness is printed as the sum next to F(x) - F(x'), and the two agree to the printed digits
    total, change = re.search(r"sum ([+-][0-9.]+) = F\(x\) - F\(x'\) = .* = ([+-][0-9.]+)", out).groups()
    assert abs(float(total) - float(change)) <= 2e-4
    # the path walked by hand starts at the blank sentence's F(x') and ends at the sentence's F(x), as IG's
    score, base = map(float, re.search(r"= F\(x\) - F\(x'\) = ([0-9.]+) - ([0-9.]+)", out).groups())
    path = [float(point.split(": ")[1]) for point in re.search(r"F along the path: (.*)", out).group(1).split(", ")]
    assert len(path) == 9 and abs(path[0] - base) <= 1e-3 and abs(path[-1] - score) <= 1e-3, (path, base, score)
    assert "Quick mode" in out                      # quick numbers are not presented as results
