"""`check`: the solution markers and the task tests agree — so every block can be stubbed and graded."""
import configparser
import pathlib
import re

from .blocks import WELL_FORMED_ID, MarkerError, find_blocks
from .tasks import TASKS, WEEKS, closure, task_key
from .tree import block_files, list_files

TEST_MARKER = re.compile(r"pytest\.mark\.(t\d+_\d+)\b")


def test_markers(root):
    """marker -> list of test files that use it (decorators and `pytestmark = ...` alike)."""
    root = pathlib.Path(root)
    found = {}
    for path in list_files(root):
        if path.startswith("tests/") and path.endswith(".py"):
            for marker in TEST_MARKER.findall((root / path).read_text(encoding="utf-8")):
                found.setdefault(marker, []).append(path)
    return found


def registered_markers(root):
    """Marker names registered in setup.cfg's [tool:pytest] markers list."""
    parser = configparser.ConfigParser()
    parser.read(pathlib.Path(root) / "setup.cfg", encoding="utf-8")
    text = parser.get("tool:pytest", "markers", fallback="")
    return {line.split(":")[0].strip() for line in text.splitlines() if line.strip()}


def check(root):
    """A list of problems (empty when all is well)."""
    root = pathlib.Path(root)
    problems, seen = [], {}
    for path in block_files(root):
        try:
            blocks = find_blocks((root / path).read_text(encoding="utf-8"), path)
        except MarkerError as exc:
            problems.append(str(exc))
            continue
        for block in blocks:
            where = f"{path}:{block.begin + 1}"
            if not WELL_FORMED_ID.match(block.id):
                problems.append(f"{where}: id {block.id!r} is not of the form t<unit>.<n> (e.g. t3.2)")
            elif block.id in seen:
                problems.append(f"{where}: id {block.id} is used again (first at {seen[block.id]})")
            elif block.id not in TASKS:
                problems.append(f"{where}: id {block.id} is not in the task table (classroom/tasks.py)")
            if not block.title:
                problems.append(f"{where}: BEGIN SOLUTION {block.id} has no title")
            if block.end == block.begin + 1:
                problems.append(f"{where}: block {block.id} is empty")
            seen.setdefault(block.id, where)
    markers, registered = test_markers(root), registered_markers(root)
    for task in TASKS.values():
        if task.id not in seen:
            problems.append(f"task {task.id} is in the table but no source file has its BEGIN SOLUTION block")
        if task.marker not in markers:
            problems.append(f"task {task.id} has no test marked @pytest.mark.{task.marker}")
        if task.marker not in registered:
            problems.append(f"marker {task.marker} is not registered in setup.cfg [tool:pytest] markers")
        for prerequisite in task.prerequisites:
            if prerequisite not in TASKS:
                problems.append(f"task {task.id} names an unknown prerequisite {prerequisite}")
        if task.id in closure(task.id):  # a cycle: no student could pass either task first
            problems.append(f"task {task.id} builds on itself through its prerequisites "
                            f"({', '.join(sorted(closure(task.id), key=task_key))})")
    problems += check_weeks()
    for marker, files in sorted(markers.items()):
        if marker.replace("_", ".", 1) not in TASKS:
            problems.append(f"{files[0]}: marker {marker} names no task in the table")
    return problems


def check_weeks():
    """The suggested groupings (tasks.WEEKS) name every task once, each after the tasks it builds on."""
    problems, done = [], []
    for week, ids in WEEKS:
        for task_id in ids:
            if task_id not in TASKS:
                problems.append(f"{week}: {task_id} is not in the task table")
                continue
            if task_id in done:
                problems.append(f"{week}: {task_id} is suggested twice")
            missing = [p for p in TASKS[task_id].prerequisites if p not in done]
            if missing:
                problems.append(f"{week}: {task_id} comes before {', '.join(missing)}, which it builds on")
            done.append(task_id)
    for task_id in sorted(set(TASKS) - set(done), key=task_key):
        problems.append(f"task {task_id} is in no week of tasks.WEEKS")
    return problems
