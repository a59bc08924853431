"""The instructor's workflow around the grader: scores that only a real pass earns, failure lines that show the
values, grade files that never land in the source tree unasked nor travel into a student copy, and a student
copy made of the project's own files only (an allow list)."""
import importlib
import json
import pathlib
import subprocess

import pytest

from minitransformer.classroom import TASKS, generate, grade
from minitransformer.classroom.__main__ import main
from minitransformer.classroom.blocks import find_blocks, replace_bodies
from minitransformer.classroom.tree import (NOT_FOR_STUDENTS, STUDENT_FILES, copy_tree, matches, source_root,
                                            student_files)

REFERENCE = source_root()
grade_module = importlib.import_module("minitransformer.classroom.grade")
GRADE_FILES = ["grades.json", "week4/grades.json", "week2/grades/alice.json", "grades/bob.json"]
CLUTTER = GRADE_FILES + ["notes.txt", "scratch.py", "runs/latest/model.npz", ".venv-x/lib/site.py",
                         "lessons/figures/loss.png", "tests/grades.json", "data/alice.json", "bench/out.json"]


def reference_copy(tmp_path):
    """A copy of the reference's own files (no .git: the generator walks it), to scribble in."""
    return copy_tree(REFERENCE, tmp_path / "reference", student_files(REFERENCE))


def write(root, relative, text="{}"):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_student_copy_holds_the_allow_listed_files_and_nothing_else(tmp_path):
    reference = reference_copy(tmp_path)
    for relative in CLUTTER:
        write(reference, relative)
    copy = tmp_path / "student"
    generate(copy, ["t4.2"], source=reference)
    copied = {str(p.relative_to(copy)) for p in copy.rglob("*") if p.is_file()}
    assert not copied & set(CLUTTER)
    assert not [p for p in copied if p.endswith(".json") and not p.startswith(("tests/fixtures/",
                                                                                 "minitransformer/data/shipped/"))]
    wanted = {p for p in student_files(reference)}
    assert wanted <= copied and {"README.md", "setup.cfg", "minitransformer/classroom/grade.py",
                                 "tests/conftest.py", "minitransformer/data/shipped/train.tsv",
                                 "lessons/ASSIGNMENTS.md", "minitransformer/kernels/softmax.py"} <= copied
    assert not [p for p in copied if p.startswith(("minitransformer/kernels/cpu/", "minitransformer/kernels/cuda/"))]


def test_patterns_stay_in_their_directory_and_a_later_exclusion_wins():
    assert matches("lessons/07_train_classifier.py", STUDENT_FILES)
    assert not matches("lessons/figures/plot.py", STUDENT_FILES)  # "*" does not cross a "/"
    assert matches("minitransformer/a/b/c.py", STUDENT_FILES) and not matches("minitransformer/a.json", STUDENT_FILES)
    only_reference = STUDENT_FILES + ("!minitransformer/kernels/fast/**",)
    assert matches("minitransformer/kernels/reference/softmax.py", only_reference)
    assert not matches("minitransformer/kernels/fast/softmax.py", only_reference)


def test_every_file_git_tracks_is_for_students_or_deliberately_left_out():
    if not (REFERENCE / ".git").exists():
        pytest.skip("the reference is not a git checkout")
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REFERENCE, capture_output=True, check=True)
    files = [p for p in tracked.stdout.decode().split("\0") if p]
    unplaced = [p for p in files if not matches(p, STUDENT_FILES) and not matches(p, NOT_FOR_STUDENTS)]
    assert not unplaced, f"add these to tree.STUDENT_FILES or tree.NOT_FOR_STUDENTS: {unplaced}"


def test_grading_writes_json_where_asked_with_its_directories_and_no_grade_file_reaches_a_student_copy(
        tmp_path, capsys, monkeypatch):
    """As lessons/ASSIGNMENTS.md says: grade from the reference checkout with --json grades/alice.json (a
    directory that does not exist yet), then make next week's student copy from that same checkout."""
    reference = reference_copy(tmp_path)
    submission = tmp_path / "alice"
    generate(submission, ["t4.2"], source=reference)
    path = next(p for p in sorted((submission / "minitransformer").rglob("*.py"))
                if any(b.id == "t4.2" for b in find_blocks(p.read_text(encoding="utf-8"))))
    text = path.read_text(encoding="utf-8")
    block = next(b for b in find_blocks(text) if b.id == "t4.2")
    path.write_text(replace_bodies(text, {"t4.2": [block.indent + "return 1.0"]}), encoding="utf-8")  # wrong
    monkeypatch.chdir(reference)
    assert main(["grade", str(submission), "--reference", str(reference), "--tasks", "t4.2",
                 "--json", "grades/alice.json"]) == 0
    out = capsys.readouterr().out
    # the row shows pytest's message with the values compared, not a bare "AssertionError:"
    assert "0/5  FAILED" in out and "assert 1.0 == 0.0" in out, out
    scores = json.loads((reference / "grades" / "alice.json").read_text(encoding="utf-8"))
    assert scores["total"] == 0 and "assert 1.0 == 0.0" in scores["tasks"][0]["message"]
    write(reference, "week4/grades.json")  # and one more an instructor left lying around
    copy = tmp_path / "week5"
    generate(copy, ["t4.1"], source=reference)
    assert not [p for p in copy.rglob("*.json") if "fixtures" not in p.parts]


def test_without_json_nothing_is_written(tmp_path, capsys, monkeypatch):
    result = grade_module.Result("t4.2", "linear warmup schedule", 5, 5, True, 3, 0, "")
    monkeypatch.setattr(importlib.import_module("minitransformer.classroom.__main__"), "grade",
                        lambda *args: [result])
    monkeypatch.chdir(tmp_path)
    assert main(["grade", ".", "--tasks", "t4.2"]) == 0
    assert "total: 5/5 points" in capsys.readouterr().out and not list(tmp_path.iterdir())


OUTCOMES = {  # task -> what running its tests gave (tests that ran, failures, message)
    "t1.1": (0, 0, "timed out after 20 s (an endless loop?)"),
    "t1.2": (3, 0, "2 test(s) skipped until task(s) t1.3 are written: needs task t1.3 (backward engine) first"),
    "t1.3": (0, 0, "pytest wrote no report (did the tests fail to import?)"),
    "t1.4": (0, 1, "tests/test_autograd_ops.py: ImportError: cannot import name 'matmul'"),
    "t2.1": (0, 0, ""),  # every test skipped (say, no GPU): nothing was shown to work
    "t2.2": (6, 0, ""),
    "t2.3": (6, 1, "test_layer_norm_backward: assert 0.5 == 0.25"),
}


def test_only_tests_that_ran_and_passed_earn_points(tmp_path, monkeypatch):
    """A timed-out task, one whose tests wait for another, one whose tests crash or cannot import, and one whose
    tests were all skipped score 0 like a failing one; only a task whose tests ran and passed scores."""
    monkeypatch.setattr(grade_module, "run_task", lambda tree, task, timeout: OUTCOMES[task.id])
    results = {r.id: r for r in grade(REFERENCE, REFERENCE, list(OUTCOMES))}
    assert {t: r.score for t, r in results.items()} == {t: TASKS[t].points if t == "t2.2" else 0 for t in OUTCOMES}
    assert [t for t, r in results.items() if r.passed] == ["t2.2"]
    assert results["t2.1"].message == "no test ran for marker t2_1"
    assert results["t1.1"].message.startswith("timed out") and results["t1.2"].message.startswith("2 test(s)")


def test_a_crashed_run_and_the_failure_messages_read_from_pytests_report(tmp_path):
    assert grade_module.first_failure(tmp_path / "missing.xml") == \
        (0, 0, "pytest wrote no report (did the tests fail to import?)")
    numpy_message = ("AssertionError: \nNot equal to tolerance rtol=1e-07, atol=0\n\nMismatched elements: 1 / 2 "
                     "(50%)\nMismatch at index:\n [1]: 2.0 (ACTUAL), 2.5 (DESIRED)")
    report = tmp_path / "report.xml"
    report.write_text(
        '<testsuites><testsuite tests="3" skipped="0" failures="2" errors="0"><testcase name="test_ok"/>'
        f'<testcase name="test_np"><failure message="{numpy_message.replace(chr(10), "&#10;")}"/></testcase>'
        '<testcase name="test_plain"><failure message="assert 3 == 4&#10; +  where 3 = f(2)"/></testcase>'
        '</testsuite></testsuites>', encoding="utf-8")
    tests, failures, message = grade_module.first_failure(report)
    assert (tests, failures) == (3, 2)
    assert message == ("test_np: AssertionError: Not equal to tolerance rtol=1e-07, atol=0; Mismatched elements: "
                       "1 / 2 (50%); Mismatch at index: [1]: 2.0 (ACTUAL), 2.5 (DESIRED)")
    assert grade_module.short_message("assert 3 == 4\n +  where 3 = f(2)") == "assert 3 == 4; + where 3 = f(2)"
