"""Lesson 3 runs quickly, its printed claims hold, and it saves its two figures."""
import os
import pathlib
import re
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]


def run_lesson(name):
    env = dict(os.environ, MT_LESSON_QUICK="1", MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, f"lessons/{name}"], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def number(pattern, text):
    match = re.search(pattern, text)
    assert match, f"lesson output lacks {pattern!r}"
    return float(match.group(1))


def test_lesson_03_positional_encoding_runs_and_its_claims_hold():
    figures = [REPO / "lessons" / "figures" / n for n in ("03_positional_encoding.png", "03_pe_dot_products.png")]
    for f in figures:
        f.unlink(missing_ok=True)
    out = run_lesson("03_positional_encoding.py")
    assert number(r"reversed back, differs from the original output by (\S+)", out) < 1e-5
    assert "PE[1, 0] = 0.841471  (sin 1 = 0.841471);  PE[1, 1] = 0.540302  (cos 1 = 0.540302)" in out
    assert number(r"largest difference over k < 64: (\S+)", out) < 1e-10
    assert number(r"both equal sum_i cos\(w_i k\) to (\S+)", out) < 1e-10
    assert "k = 0: 32.0 (= d/2)" in out
    assert number(r"max \|PE\[p\] M_k - PE\[p \+ k\]\| over all p: (\S+)", out) < 1e-10
    assert number(r"with sines alone the best linear map misses by (\S+):", out) > 0.1
    assert abs(number(r"token part std (\S+),", out) - 1) < 0.05
    assert "not a parameter: False in named_parameters" in out
    for f in figures:
        assert f.exists() and f.stat().st_size > 10_000, f"{f.name} was not written"
        assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
