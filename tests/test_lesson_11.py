"""Lesson 11 runs in quick mode, offline (the shipped first act, with its notice): the causal-mask equivalence,
causality, the hand-written loss, training, sampling, the cache, and the figure."""
import re

from conftest import run_lesson


def test_lesson_11_tiny_gpt_runs_and_saves_figure(tmp_path):
    out = run_lesson("11_tiny_gpt.py", figures=("11_tiny_gpt.png",), timeout=180, MT_OFFLINE="1",
                     MT_CACHE_DIR=str(tmp_path))  # an empty cache: the fallback path, whatever this machine holds
    assert "notice:" in out and "hamlet_act1.txt" in out  # offline: the shipped excerpt, and it says so
    gap = float(re.search(r"with F.causal_mask: max difference ([0-9.e+-]+)", out).group(1))
    assert gap < 1e-5  # the GPT-2 block is the pre-LN encoder layer with the causal mask
    assert "changes the predictions at positions [6, 7, 8, 9, 10, 11]" in out
    model, by_hand = map(float, re.search(r"next-token loss: model ([0-9.]+), by hand ([0-9.]+)", out).groups())
    assert abs(model - by_hand) < 1e-3
    assert "held-out loss" in out and "temperature 1.5" in out
    assert "same tokens: True" in out
