"""Lesson 3 runs quickly, its printed claims hold, and it saves its two figures."""
import re

from conftest import run_lesson


def number(pattern, text):
    match = re.search(pattern, text)
    assert match, f"lesson output lacks {pattern!r}"
    return float(match.group(1))


def test_lesson_03_positional_encoding_runs_and_its_claims_hold():
    out = run_lesson("03_positional_encoding.py", figures=["03_positional_encoding.png", "03_pe_dot_products.png"])
    assert number(r"reversed back, differs from the original output by (\S+)", out) < 1e-5
    assert "PE[1, 0] = 0.841471  (sin 1 = 0.841471);  PE[1, 1] = 0.540302  (cos 1 = 0.540302)" in out
    assert number(r"largest difference over k < 64: (\S+)", out) < 1e-10
    assert number(r"both equal sum_i cos\(w_i k\) to (\S+)", out) < 1e-10
    assert "k = 0: 32.0 (= d/2)" in out
    assert number(r"max \|PE\[p\] M_k - PE\[p \+ k\]\| over all p: (\S+)", out) < 1e-10
    assert number(r"with sines alone the best linear map misses by (\S+):", out) > 0.1
    assert abs(number(r"token part std (\S+),", out) - 1) < 0.05
    assert "not a parameter: False in named_parameters" in out
