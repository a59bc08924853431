"""Lesson 5 runs top to bottom in seconds, shows the worked example's merges, and saves its plot."""
from conftest import run_lesson


def test_lesson_05_wordpiece_runs_and_saves_its_figure():
    out = run_lesson("05_wordpiece.py", figures=["05_vocab_size_vs_length.png"])
    assert "bpe: first merge ##u + ##g -> ##ug (pair count 20" in out
    assert "likelihood: first merge ##g + ##s -> ##gs (pair count 5, score 0.05)" in out
    assert "tokens per sentence" in out
