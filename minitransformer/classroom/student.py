"""`student`: write a copy of the repository with the chosen solution blocks replaced by stubs."""
import pathlib

from .blocks import find_blocks, replace_bodies, stub_lines
from .tasks import TASKS
from .tree import block_files, copy_tree, list_files, source_root

STUDENT_README = """# minitransformer — student version

Some functions in this copy raise `NotImplementedError("<task>: <title> — see <lesson>")`. Each one is a task:
write the code between its `# BEGIN SOLUTION <task>` and `# END SOLUTION` lines (keep those two lines: the
grader finds your work by them), read the lesson it names, and run its tests until they pass.

| task | title | file | lesson | points | builds on |
|---|---|---|---|---|---|
{rows}

Set up, then test one task (`t3.2` becomes the marker `t3_2`) or grade them all:

```bash
python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[test]"
python -m pytest -m t3_2
python -m minitransformer.classroom grade .
```

Tests of a task that builds on another (see the table) also need that one done. Your instructor grades each
task on its own, with the reference version of everything else.

---

"""


def select(tasks):
    """Normalise a task selection (None = all) and reject unknown ids."""
    if tasks is None:
        return sorted(TASKS)
    unknown = sorted(set(tasks) - set(TASKS))
    if unknown:
        raise ValueError(f"unknown task id(s) {', '.join(unknown)}: expected some of {', '.join(sorted(TASKS))}")
    return sorted(set(tasks))


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
    copy_tree(source, out)
    removed, rows = {}, []
    for path in block_files(source):
        text = (source / path).read_text(encoding="utf-8")
        stubs = {}
        for block in find_blocks(text, path):
            if block.id in chosen:
                task = TASKS[block.id]
                stubs[block.id] = stub_lines(block, task.lesson)
                removed[block.id] = block.body(text.splitlines())
                rows.append(f"| {task.id} | {block.title} | `{path}` | `{task.lesson}` | {task.points} | "
                            f"{', '.join(task.prerequisites) or '—'} |")
        if stubs:
            (out / path).write_text(replace_bodies(text, stubs, path), encoding="utf-8")
    missing = sorted(set(chosen) - set(removed))
    if missing:
        raise ValueError(f"no solution block found for task(s) {', '.join(missing)} in {source}")
    readme = out / "README.md"
    original = readme.read_text(encoding="utf-8") if readme.exists() else ""
    readme.write_text(STUDENT_README.format(rows="\n".join(sorted(rows))) + original, encoding="utf-8")
    traces = leaks(out, removed)
    if traces:
        raise RuntimeError("the student copy still shows removed solutions:\n  " + "\n  ".join(traces))
    return chosen
