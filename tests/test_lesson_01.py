"""Lesson 1 runs quickly, its printed gradient table agrees with finite differences, and it saves its figure."""
import math
import re

from conftest import run_lesson


def test_lesson_01_autograd_runs_and_its_claims_hold():
    out = run_lesson("01_autograd.py", figures=["01_autograd_derivative.png"])
    # the table: one row per input, autograd and numeric columns agree, and the autograd values are the
    # closed-form derivatives of f = tanh(a b + c) a at (0.7, -1.3, 0.4), computed here independently
    a, b, c = 0.7, -1.3, 0.4
    w = math.tanh(a * b + c)
    expected = {"a": (1 - w * w) * a * b + w, "b": (1 - w * w) * a * a, "c": (1 - w * w) * a}
    for name, value in expected.items():
        row = re.search(rf"^\s+{name}\s+(\S+)\s+(\S+)\s+(\S+)$", out, re.M)
        assert row, f"no table row for {name}"
        grad, numeric, diff = map(float, row.groups())
        assert abs(grad - value) < 1e-7 and abs(numeric - value) < 1e-7 and diff < 1e-8
    assert float(re.search(r"largest difference: (\S+)", out).group(1)) < 1e-8
    assert "mt.gradcheck on the same function: True" in out
    assert "d(x + x)/dx = 2.0" in out
    assert "its gradient is [4. 4. 4.]" in out
    assert float(re.search(r"largest \|autograd - numeric\| = (\S+)", out).group(1)) < 1e-7
