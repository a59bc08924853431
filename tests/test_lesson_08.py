"""Lesson 8 runs in quick mode: with the MiniLM checkpoint it reports parity with the fixture and saves its figures;
without it, it says how to fetch the checkpoint and exits cleanly."""
import re

from conftest import run_lesson

LESSON = "08_pretrained_bert.py"


def test_lesson_08_without_checkpoint_explains_how_to_get_it(tmp_path):
    out = run_lesson(LESSON, timeout=180, MT_REFERENCE_DIR=str(tmp_path))
    assert "bash .ci/fetch_reference" in out


def test_lesson_08_with_minilm(bert_dir):
    out = run_lesson(LESSON, timeout=180, figures=["08_minilm_attention.png", "08_finetune.png"],
                     MT_REFERENCE_DIR=str(bert_dir))
    errors = [float(e) for e in re.findall(r"after layer \d\s+([0-9.e+-]+)", out)]
    assert len(errors) == 6 and max(errors) <= 1e-4  # parity with Hugging Face, as the lesson prints it
    assert out.count("validation accuracy") >= 2
