"""The classroom tools on the real source: check, the task table and guide, the student copy, the grader.

The slow tests are issue 7's promises, run for real: the full student copy fails every task's tests with a
stub's NotImplementedError and nothing else; one stubbed task fails its own tests and only those of the tasks
that build on it (so the table's "builds on" column is true), and filling it back makes them pass; `grade`
gives the reference full marks and the full student copy zero.
"""
import importlib
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

from minitransformer.classroom import TASKS, check, generate, grade
from minitransformer.classroom import tasks as tasks_module
from minitransformer.classroom.__main__ import main
from minitransformer.classroom.blocks import find_blocks, replace_bodies
from minitransformer.classroom.table import GUIDE_BEGIN, GUIDE_END, guide_section
from minitransformer.classroom.tasks import closure, task_key
from minitransformer.classroom.tree import block_files, source_root

REFERENCE = source_root()
IMPORTS = ("import minitransformer, minitransformer.nn, minitransformer.optim, minitransformer.models, "
           "minitransformer.functional, minitransformer.tokenizer, minitransformer.training")
STUB = re.compile(r"(t\d+\.\d+): [^\n]*? — see lessons/")
WAITS = re.compile(r"needs task (t\d+\.\d+) \(")  # the reason of a skip in the student copy
EVERY_TASK = " or ".join(t.marker for t in TASKS.values())
check_module = importlib.import_module("minitransformer.classroom.check")  # the package exports check()
grade_module = importlib.import_module("minitransformer.classroom.grade")
student_module = importlib.import_module("minitransformer.classroom.student")

# Runs pytest inside a tree and writes, per test, its outcome, its task markers and the failure text as JSON:
# the plugin sees the final report, after the student copy's conftest has turned stub failures into skips.
RECORDER = r'''
import json, re, sys, pytest

class Recorder:
    def __init__(self):
        self.tests, self.collect_errors, self.markers = {}, [], {}
    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append(f"{report.nodeid}: {report.longreprtext[-800:]}")
    def pytest_collection_modifyitems(self, items):  # markers, not keywords: those hold directory names too
        for item in items:
            self.markers[item.nodeid] = sorted({m.name for m in item.iter_markers()
                                                if re.fullmatch(r"t\d+_\d+", m.name)})
    def pytest_runtest_logreport(self, report):
        tasks = self.markers.get(report.nodeid, [])
        entry = self.tests.setdefault(report.nodeid, {"outcome": "passed", "tasks": tasks, "text": ""})
        if report.outcome != "passed" and entry["outcome"] == "passed":  # the first phase that did not pass
            entry["outcome"], entry["text"] = report.outcome, report.longreprtext[-4000:]

recorder = Recorder()
code = pytest.main(sys.argv[2:], plugins=[recorder])
with open(sys.argv[1], "w") as out:
    json.dump({"exit": int(code), "collect_errors": recorder.collect_errors, "tests": recorder.tests}, out)
'''


def run_tests(tree, *args, paths=("tests",)):
    """pytest in `tree` (its own package on the path) -> {"exit", "collect_errors", "tests": {nodeid: ...}}."""
    report = pathlib.Path(tree) / ".classroom-report.json"
    env = dict(os.environ, PYTHONPATH=str(tree), MT_LESSON_QUICK="1", MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1")
    command = [sys.executable, "-c", RECORDER, str(report), "-q", "-p", "no:cacheprovider", *args, *paths]
    subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, timeout=1200)
    result = json.loads(report.read_text(encoding="utf-8"))
    report.unlink()
    return result


def stubs_in(entry):
    """The task ids whose stub message appears in a test's failure text."""
    return set(STUB.findall(entry["text"]))


def task_of(marker):
    return marker.replace("_", ".", 1)


def run_python(tree, code):
    env = dict(os.environ, PYTHONPATH=str(tree))
    return subprocess.run([sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True)


def fill_back(copy, task_id):
    """Put the reference solution of one task back into a student copy, as a student who solved it would;
    returns the file's relative path. Only the package and lessons hold blocks (tests quote marker text)."""
    for relative in block_files(REFERENCE):
        original = (REFERENCE / relative).read_text(encoding="utf-8")
        for block in find_blocks(original, relative):
            if block.id == task_id:
                target = pathlib.Path(copy) / relative
                body = block.body(original.splitlines())
                target.write_text(replace_bodies(target.read_text(encoding="utf-8"), {task_id: body}, relative),
                                  encoding="utf-8")
                return relative
    raise AssertionError(f"no block {task_id} in {REFERENCE}")


# ---------------------------------------------------------------- fast: the source, the table, the copy

def test_markers_and_task_tests_agree_on_the_reference():
    assert check(REFERENCE) == []


def test_the_guide_holds_the_generated_task_table():
    guide = (REFERENCE / "lessons" / "ASSIGNMENTS.md").read_text(encoding="utf-8")
    assert GUIDE_BEGIN in guide and GUIDE_END in guide
    section = guide[guide.index(GUIDE_BEGIN):guide.index(GUIDE_END) + len(GUIDE_END)]
    assert section == guide_section(REFERENCE), (
        "lessons/ASSIGNMENTS.md disagrees with classroom/tasks.py or the solution blocks: run "
        "`python -m minitransformer.classroom tasks --guide lessons/ASSIGNMENTS.md`")


def test_tasks_command_prints_every_task_with_its_points(capsys):
    assert main(["tasks"]) == 0
    out = capsys.readouterr().out
    for task in TASKS.values():
        assert re.search(rf"^\| {re.escape(task.id)} \| .* \| {task.points} \| ", out, re.M), task.id
    assert f"| all | {len(TASKS)} tasks | {sum(t.points for t in TASKS.values())} |" in out


def test_check_rejects_a_prerequisite_cycle_and_a_week_order_that_puts_a_task_first(monkeypatch):
    tasks = dict(TASKS, **{"t1.1": tasks_module.Task("t1.1", 5, "lessons/01_autograd.py", ("t1.2",))})
    monkeypatch.setattr(tasks_module, "TASKS", tasks)
    monkeypatch.setattr(check_module, "TASKS", tasks)
    problems = "\n".join(check(REFERENCE))
    assert "task t1.1 builds on itself" in problems and "t1.1 comes before t1.2" in problems


def test_full_student_copy_imports_stubs_every_task_and_says_what_to_do(tmp_path):
    copy = tmp_path / "student"
    assert generate(copy) == sorted(TASKS, key=task_key)
    result = run_python(copy, IMPORTS)
    assert result.returncode == 0, result.stderr
    stubbed = "\n".join((copy / p).read_text(encoding="utf-8") for p in block_files(copy))
    for task in TASKS.values():
        assert f"NotImplementedError('{task.id}: " in stubbed, task.id
    readme = (copy / "README.md").read_text(encoding="utf-8")
    assert "student version" in readme and "python -m pytest -m t1_1" in readme and "grade ." in readme
    assert all(f"| {t} |" in readme for t in TASKS)
    assert run_python(copy, "from minitransformer.classroom import check; import sys; "
                            "sys.exit(len(check('.')))").returncode == 0


def test_task_ids_sort_by_their_numbers(monkeypatch):
    assert sorted(["t1.10", "t2.1", "t1.2", "t10.1", "t1.1"], key=task_key) == ["t1.1", "t1.2", "t1.10", "t2.1",
                                                                               "t10.1"]
    tasks = dict(TASKS, **{"t1.10": tasks_module.Task("t1.10", 5, "lessons/01_autograd.py")})
    monkeypatch.setattr(student_module, "TASKS", tasks)
    assert student_module.select(["t1.10", "t1.2", "t1.1"]) == ["t1.1", "t1.2", "t1.10"]
    assert student_module.select(None)[:5] == ["t1.1", "t1.2", "t1.3", "t1.4", "t1.10"]


def test_grade_does_not_pass_a_task_whose_tests_wait_for_another(tmp_path):
    report = tmp_path / "report.xml"
    report.write_text(
        '<testsuites><testsuite tests="3" skipped="1" failures="0" errors="0">'
        '<testcase name="test_direct"/><testcase name="test_gpu"><skipped message="no GPU"/></testcase>'
        '<testcase name="test_gradcheck"><skipped message="needs task t1.3 (backward engine) first: see '
        'lessons/01_autograd.py"/></testcase></testsuite></testsuites>', encoding="utf-8")
    tests, failures, message = grade_module.first_failure(report)
    assert (tests, failures) == (2, 0)
    assert message.startswith("1 test(s) skipped until task(s) t1.3 are written: needs task t1.3 (backward engine)")


def test_student_refuses_unknown_tasks_and_a_non_empty_directory(tmp_path):
    with pytest.raises(ValueError, match="unknown task id"):
        generate(tmp_path / "a", ["t9.9"])
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty"):
        generate(tmp_path / "b", ["t4.2"])


def test_in_the_copy_a_test_without_a_task_marker_that_meets_a_stub_is_skipped_naming_the_task(tmp_path):
    copy = tmp_path / "student"
    generate(copy, ["t1.3"])
    tests = run_tests(copy, paths=["tests/test_engine.py"])["tests"]
    graded = [v for v in tests.values() if v["tasks"] == ["t1_3"] and "CUDA" not in v["text"]]
    assert graded and all(v["outcome"] == "failed" and stubs_in(v) == {"t1.3"} for v in graded)
    others = [v for v in tests.values() if not v["tasks"]]
    assert not [v for v in others if v["outcome"] == "failed"]
    reason = r"needs task t1\.3 \(backward engine\) first: see lessons/01_autograd\.py'\)$"
    assert any(v["outcome"] == "skipped" and re.search(reason, v["text"]) for v in others)  # (path, line, reason)


def test_one_stubbed_task_fails_with_its_message_and_passes_once_filled_back(tmp_path):
    copy = tmp_path / "student"
    generate(copy, ["t4.2"])
    (failed,) = grade(copy, REFERENCE, ["t4.2"], timeout=240)
    assert not failed.passed and failed.score == 0 and failed.tests > 0
    assert "NotImplementedError: t4.2: " in failed.message
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
    assert not result.passed and result.score == 0 and result.tests == 0 and "timed out after 20 s" in result.message


# ---------------------------------------------------------------- slow: issue 7's promises, run for real

def waits_for(entry):
    """The task a skipped test waits for ("needs task t1.3 (...) first: see ..."), or None (e.g. no GPU)."""
    match = WAITS.search(entry["text"]) if entry["outcome"] == "skipped" else None
    return match[1] if match else None


@pytest.mark.slow
def test_full_student_copy_fails_every_task_with_its_own_stub_and_nothing_else_fails(tmp_path):
    copy = tmp_path / "student"
    generate(copy)
    run = run_tests(copy)  # the default tier, as a student runs it
    assert run["exit"] in (0, 1) and not run["collect_errors"], run["collect_errors"] or run["exit"]
    own_failures, problems = set(), []
    for nodeid, entry in run["tests"].items():
        outcome, stubs, tasks = entry["outcome"], stubs_in(entry), {task_of(m) for m in entry["tasks"]}
        if not tasks:  # not graded: passes, or waits (skipped) on a named task
            if outcome == "failed":
                problems.append(f"{nodeid}: a test without a task marker failed: {entry['text'][-300:]}")
            continue
        if outcome == "skipped":  # waits for a task it builds on, or for a GPU
            needed = waits_for(entry)
            if needed and not any(needed in closure(t) for t in tasks):
                problems.append(f"{nodeid} ({', '.join(sorted(tasks))}) waits for {needed}, not a prerequisite")
            continue
        if outcome != "failed" or not stubs or not stubs <= tasks:  # a failure is the task's own stub
            problems.append(f"{nodeid} ({', '.join(sorted(tasks))}): {outcome}, stubs met {sorted(stubs)}: "
                            f"{entry['text'][-300:]}")
            continue
        own_failures |= stubs
    assert not problems, "\n".join(problems)
    missing = sorted(set(TASKS) - own_failures, key=task_key)
    assert not missing, f"tasks without a test failing with their own NotImplementedError: {missing}"


@pytest.mark.slow
def test_stubbing_one_task_fails_its_tests_and_only_those(tmp_path):
    problems = []
    for task in TASKS.values():
        copy = tmp_path / f"one-{task.id}"
        generate(copy, [task.id])
        tests = run_tests(copy, "-m", f"({EVERY_TASK}) and not slow")["tests"]
        own = {k: v for k, v in tests.items() if task.marker in v["tasks"] and v["outcome"] != "skipped"}
        if not own:
            problems.append(f"{task.id}: no test of its own ran")
        for nodeid, entry in own.items():  # a test that passes with the block stubbed does not grade it
            if entry["outcome"] != "failed" or stubs_in(entry) != {task.id}:
                problems.append(f"{task.id}: {nodeid} {entry['outcome']} with only {task.id} stubbed")
        for nodeid, entry in tests.items():  # the words: only that task's tests fail
            if entry["outcome"] == "failed" and task.marker not in entry["tasks"]:
                problems.append(f"{nodeid} ({', '.join(entry['tasks'])}) fails while only {task.id} is stubbed: "
                                f"{entry['text'][-300:]}")
        # the others' tests that need it are skipped naming it; the "builds on" column says which those are
        waiting = {task_of(m) for v in tests.values() if waits_for(v) == task.id for m in v["tasks"]} - {task.id}
        for other in sorted(waiting, key=task_key):
            if task.id not in closure(other):
                problems.append(f"{other}'s tests wait for {task.id}: add {task.id} to its prerequisites")
        for other in sorted((t.id for t in TASKS.values() if task.id in t.prerequisites and t.id not in waiting),
                            key=task_key):
            problems.append(f"{other} lists {task.id} as a prerequisite, but its tests run with {task.id} stubbed")
        # the round trip: the reference body back in makes the file the reference's again, and its tests pass
        relative = fill_back(copy, task.id)
        if (copy / relative).read_bytes() != (REFERENCE / relative).read_bytes():
            problems.append(f"{task.id}: {relative} differs from the reference after filling the stub back")
        back = run_tests(copy, "-m", f"{task.marker} and not slow")["tests"]
        not_passing = sorted(k for k, v in back.items() if v["outcome"] not in ("passed", "skipped"))
        if not_passing or not any(v["outcome"] == "passed" for v in back.values()):
            problems.append(f"{task.id}: filled back, still failing: {not_passing or 'no test passed'}")
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_grade_gives_full_marks_to_the_reference_and_zero_to_the_full_student_copy(tmp_path, capsys):
    most = sum(t.points for t in TASKS.values())
    assert main(["grade", str(REFERENCE), "--json", str(tmp_path / "reference.json")]) == 0
    out = capsys.readouterr().out
    assert f"total: {most}/{most} points, {len(TASKS)}/{len(TASKS)} tasks" in out, out
    copy = tmp_path / "student"
    generate(copy)
    assert main(["grade", str(copy), "--reference", str(REFERENCE), "--json", str(tmp_path / "student.json")]) == 0
    out = capsys.readouterr().out
    assert f"total: 0/{most} points, 0/{len(TASKS)} tasks" in out, out
    for task in TASKS.values():  # one row per task, failed with its own stub's message
        assert re.search(rf"^{re.escape(task.id)} .* 0/{task.points} +FAILED .*NotImplementedError: "
                         rf"{re.escape(task.id)}: ", out, re.M), (task.id, out)
    scores = json.loads((tmp_path / "student.json").read_text(encoding="utf-8"))
    assert scores["total"] == 0 and scores["max_total"] == most and len(scores["tasks"]) == len(TASKS)
