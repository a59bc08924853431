"""Lesson 5 runs top to bottom in seconds, shows the worked example's merges, and saves its plot."""
import os
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]


def test_lesson_05_wordpiece_runs_and_saves_its_figure():
    figure = REPO / "lessons" / "figures" / "05_vocab_size_vs_length.png"
    figure.unlink(missing_ok=True)
    env = dict(os.environ, MT_LESSON_QUICK="1", MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, "lessons/05_wordpiece.py"], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "bpe: first merge ##u + ##g -> ##ug (pair count 20" in result.stdout
    assert "likelihood: first merge ##g + ##s -> ##gs (pair count 5, score 0.05)" in result.stdout
    assert "tokens per sentence" in result.stdout
    assert figure.exists() and figure.stat().st_size > 10_000
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
