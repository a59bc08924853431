"""Lesson 8 runs in quick mode: with the MiniLM checkpoint it reports parity with the fixture and saves its figures;
without it, it says how to fetch the checkpoint and exits cleanly."""
import os
import pathlib
import re
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]
LESSON = "lessons/08_pretrained_bert.py"


def run(**env):
    env = dict(os.environ, MT_LESSON_QUICK="1", MPLBACKEND="Agg", **env)
    return subprocess.run([sys.executable, LESSON], cwd=REPO, env=env, capture_output=True, text=True, timeout=180)


def test_lesson_08_without_checkpoint_explains_how_to_get_it(tmp_path):
    result = run(MT_REFERENCE_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "bash .ci/fetch_reference" in result.stdout


def test_lesson_08_with_minilm(bert_dir):
    figures = [REPO / "lessons" / "figures" / n for n in ("08_minilm_attention.png", "08_finetune.png")]
    for f in figures:
        f.unlink(missing_ok=True)
    result = run(MT_REFERENCE_DIR=str(bert_dir))
    assert result.returncode == 0, result.stderr
    errors = [float(e) for e in re.findall(r"after layer \d\s+([0-9.e+-]+)", result.stdout)]
    assert len(errors) == 6 and max(errors) <= 1e-4  # parity with Hugging Face, as the lesson prints it
    assert result.stdout.count("validation accuracy") >= 2
    for f in figures:
        assert f.exists() and f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{f.name} was not written"
