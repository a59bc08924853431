"""Lesson 2 runs top to bottom, quickly, and saves its two heatmaps."""
import os
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]


def test_lesson_02_attention_runs_and_saves_figures():
    figures = [REPO / "lessons" / "figures" / name for name in ("02_attention_weights.png", "02_attention_masks.png")]
    for f in figures:
        f.unlink(missing_ok=True)
    env = dict(os.environ, MT_LESSON_QUICK="1", MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, "lessons/02_attention.py"], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "With the padding mask the [PAD] columns get weight 0.0" in result.stdout
    assert "upper triangle is 0.0" in result.stdout
    for f in figures:
        assert f.exists() and f.stat().st_size > 10_000, f"{f.name} was not written"
        assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
