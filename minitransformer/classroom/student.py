"""`student`: write a copy of the repository with the chosen solution blocks replaced by stubs."""
import pathlib

from .blocks import find_blocks, replace_bodies, stub_lines
from .tasks import TASKS, task_key
from .table import course_order, task_table
from .tree import block_files, copy_tree, list_files, source_root, student_files

STUDENT_README = """# minitransformer — student version

Some functions in this copy raise `NotImplementedError("<task>: <title> — see <lesson>")`. Each one is a task:
write the code between its `# BEGIN SOLUTION <task>` and `# END SOLUTION` lines (keep those two lines: the
grader finds your work by them), read the lesson it names and the function's docstring, and run the task's
tests until they pass.

{table}

Set up, then test one task (`{example}` becomes the marker `{marker}`), and grade all of yours:

```bash
python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[test]"
python -m pytest -m {marker}
python -m minitransformer.classroom grade .{grade_tasks}
```

Some of a task's tests also need the tasks in its "builds on" column done (a gradient check runs the backward
engine, t1.3): until then they are skipped with a reason that names the task they wait for, and the task's
other tests already check your code. So a failing test is always about the task it is marked with. Work
through the table top to bottom and you never wait on a later task. The other tests of the project
(`python -m pytest`) pass, or are skipped naming the unwritten task they need. Your instructor grades each task
on its own, with the reference version of everything else.

---

"""

# Appended to the copy's tests/conftest.py. A test that runs into the stub of a task it does not grade would
# fail with a NotImplementedError the student cannot act on from that test: it is reported as skipped, naming
# the task it waits for. That covers the tests without a task marker and a task's tests that need another task
# first (t1.2's tests run the backward engine, t1.3). So the failures left are each task's own, the ones to
# work on: a task's test fails only with its own stub's message (or its own mistake).
CONFTEST_HOOK = '''

# ---- added by `python -m minitransformer.classroom student` ----
import re as _re

_STUB = _re.compile(r"(t\\d+\\.\\d+): ([^\\n]+?) — see (lessons/[\\w./-]*\\w)")  # not the quote after it
_TASK_MARKER = _re.compile(r"t\\d+_\\d+")


def _stub_met(call, report):
    """(task, title, lesson) of the stub this test ran into, or None. The exception itself when it is a stub's
    NotImplementedError (or caused by one); else the first stub message in the failure text."""
    error, seen = (call.excinfo.value if call.excinfo else None), set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, NotImplementedError):
            stub = _STUB.search(str(error))
            if stub:
                return stub.groups()
        error = error.__cause__ or error.__context__
    stub = _STUB.search(str(report.longrepr))
    return stub.groups() if stub else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if report.failed:
        stub = _stub_met(call, report)
        graded = {m.name.replace("_", ".", 1) for m in item.iter_markers() if _TASK_MARKER.fullmatch(m.name)}
        if stub and stub[0] not in graded:
            report.outcome = "skipped"
            report.longrepr = (str(item.path), (item.location[1] or 0) + 1,
                               f"needs task {stub[0]} ({stub[1]}) first: see {stub[2]}")
'''


def select(tasks):
    """Normalise a task selection (None = all) and reject unknown ids."""
    if tasks is None:
        return sorted(TASKS, key=task_key)
    unknown = sorted(set(tasks) - set(TASKS), key=task_key)
    if unknown:
        raise ValueError(f"unknown task id(s) {', '.join(unknown)}: "
                         f"expected some of {', '.join(sorted(TASKS, key=task_key))}")
    return sorted(set(tasks), key=task_key)


def leaks(out, removed):
    """Places where two consecutive lines of a removed solution still stand in the copy (a trace of it)."""
    out, found = pathlib.Path(out), []
    pairs = {}
    for task, lines in removed.items():
        code = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
        for first, second in zip(code, code[1:]):
            pairs[(first, second)] = task
    for path in list_files(out):
        try:
            text = (out / path).read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        stripped = [line.strip() for line in text.splitlines()]
        for number, pair in enumerate(zip(stripped, stripped[1:])):
            if pair in pairs:
                found.append(f"{path}:{number + 1}: lines of the {pairs[pair]} solution: {pair[0]!r}")
    return found


def generate(outdir, tasks=None, source=None):
    """Write the student copy into `outdir` (which must not exist yet); return the list of stubbed task ids."""
    source = pathlib.Path(source or source_root())
    out = pathlib.Path(outdir)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} exists and is not empty: choose a new directory for the student copy")
    chosen = select(tasks)
    copy_tree(source, out, student_files(source))  # the project's own files only, no fast kernels (tree.py)
    removed = {}
    for path in block_files(source):
        text = (source / path).read_text(encoding="utf-8")
        stubs = {}
        for block in find_blocks(text, path):
            if block.id in chosen:
                task = TASKS[block.id]
                stubs[block.id] = stub_lines(block, task.lesson)
                removed[block.id] = block.body(text.splitlines())
        if stubs:
            (out / path).write_text(replace_bodies(text, stubs, path), encoding="utf-8")
    missing = sorted(set(chosen) - set(removed), key=task_key)
    if missing:
        raise ValueError(f"no solution block found for task(s) {', '.join(missing)} in {source}")
    readme = out / "README.md"
    original = readme.read_text(encoding="utf-8") if readme.exists() else ""
    ordered = [t for t in course_order() if t in chosen]  # ordered[0]: the first task to work on
    grade_tasks = "" if set(chosen) == set(TASKS) else f" --tasks {','.join(ordered)}"
    readme.write_text(STUDENT_README.format(table=task_table(source, chosen), example=ordered[0],
                                            marker=TASKS[ordered[0]].marker, grade_tasks=grade_tasks)
                      + original, encoding="utf-8")
    conftest = out / "tests" / "conftest.py"
    if conftest.parent.is_dir():
        existing = conftest.read_text(encoding="utf-8") if conftest.exists() else "import pytest\n"
        conftest.write_text(existing + CONFTEST_HOOK, encoding="utf-8")
    traces = leaks(out, removed)
    if traces:
        raise RuntimeError("the student copy still shows removed solutions:\n  " + "\n  ".join(traces))
    return chosen
