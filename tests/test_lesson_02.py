"""Lesson 2 runs top to bottom, quickly, and saves its two heatmaps."""
from conftest import run_lesson


def test_lesson_02_attention_runs_and_saves_figures():
    out = run_lesson("02_attention.py", figures=["02_attention_weights.png", "02_attention_masks.png"])
    assert "With the padding mask the [PAD] columns get weight 0.0" in out
    assert "upper triangle is 0.0" in out
