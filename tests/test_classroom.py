"""The classroom tools on the real source: check, the student copy, and the per-task grader."""
import os
import pathlib
import subprocess
import sys

import pytest

from minitransformer.classroom import TASKS, check, generate, grade
from minitransformer.classroom.blocks import find_blocks, replace_bodies
from minitransformer.classroom.tree import source_root

REFERENCE = source_root()
IMPORTS = ("import minitransformer, minitransformer.nn, minitransformer.optim, minitransformer.models, "
           "minitransformer.functional, minitransformer.tokenizer, minitransformer.training")


def run_python(tree, code):
    env = dict(os.environ, PYTHONPATH=str(tree))
    return subprocess.run([sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True)


def fill_back(copy, task_id):
    """Put the reference solution of one task back into a student copy, as a student who solved it would."""
    for path in pathlib.Path(copy).rglob("*.py"):
        relative = path.relative_to(copy).as_posix()
        reference = REFERENCE / relative
        if not reference.exists():
            continue
        original = reference.read_text(encoding="utf-8")
        for block in find_blocks(original, relative):
            if block.id == task_id:
                body = block.body(original.splitlines())
                path.write_text(replace_bodies(path.read_text(encoding="utf-8"), {task_id: body}), encoding="utf-8")
                return
    raise AssertionError(f"no block {task_id} found")


def test_markers_and_task_tests_agree_on_the_reference():
    assert check(REFERENCE) == []


def test_full_student_copy_imports_stubs_every_task_and_says_what_to_do(tmp_path):
    copy = tmp_path / "student"
    assert generate(copy) == sorted(TASKS)
    result = run_python(copy, IMPORTS)
    assert result.returncode == 0, result.stderr
    stubbed = "\n".join(p.read_text(encoding="utf-8") for p in copy.rglob("*.py"))
    for task in TASKS.values():
        assert f"NotImplementedError('{task.id}: " in stubbed, task.id
    readme = (copy / "README.md").read_text(encoding="utf-8")
    assert "student version" in readme and all(f"| {t} |" in readme for t in TASKS)


def test_student_refuses_unknown_tasks_and_a_non_empty_directory(tmp_path):
    with pytest.raises(ValueError, match="unknown task id"):
        generate(tmp_path / "a", ["t9.9"])
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty"):
        generate(tmp_path / "b", ["t4.2"])


def test_one_stubbed_task_fails_with_its_message_and_passes_once_filled_back(tmp_path):
    copy = tmp_path / "student"
    generate(copy, ["t4.2"])
    (failed,) = grade(copy, REFERENCE, ["t4.2"], timeout=240)
    assert not failed.passed and failed.score == 0 and failed.tests > 0
    assert "NotImplementedError" in failed.message or "t4.2" in failed.message
    fill_back(copy, "t4.2")
    (passed,) = grade(copy, REFERENCE, ["t4.2"], timeout=240)
    assert passed.passed and passed.score == TASKS["t4.2"].points


def test_a_hanging_solution_is_stopped_by_the_timeout(tmp_path):
    copy = tmp_path / "student"
    generate(copy, ["t4.2"])
    # Only the package holds real blocks; tests/ mention the marker text in strings.
    path, text, block = next((p, t, b) for p in sorted((copy / "minitransformer").rglob("*.py"))
                             for t in [p.read_text(encoding="utf-8")]
                             for b in find_blocks(t) if b.id == "t4.2")
    path.write_text(replace_bodies(text, {"t4.2": [block.indent + "while True: pass"]}), encoding="utf-8")
    (result,) = grade(copy, REFERENCE, ["t4.2"], timeout=20)
    assert not result.passed and "timed out" in result.message


@pytest.mark.slow
def test_grade_gives_full_marks_to_the_reference_and_zero_to_the_full_student_copy(tmp_path):
    reference = grade(REFERENCE, REFERENCE)
    assert all(r.passed for r in reference), [(r.id, r.message) for r in reference if not r.passed]
    copy = tmp_path / "student"
    generate(copy)
    student = grade(copy, REFERENCE)
    assert sum(r.score for r in student) == 0
    for r in student:
        assert "NotImplementedError" in r.message or r.id in r.message, (r.id, r.message)


@pytest.mark.slow
def test_stubbing_one_task_fails_exactly_that_tasks_tests(tmp_path):
    copy = tmp_path / "student"
    generate(copy, ["t5.1"])
    env = dict(os.environ, PYTHONPATH=str(copy), MT_LESSON_QUICK="1")

    def pytest_lines(*args):
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf", *args, "tests"]
        return subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True).stdout.splitlines()

    own = {line for line in pytest_lines("--collect-only", "-m", "t5_1") if "::" in line}
    every_task = " or ".join(t.marker for t in TASKS.values())
    failed = {line.split()[1] for line in pytest_lines("-m", f"({every_task}) and not slow")
              if line.startswith("FAILED")}
    assert own and failed == own
