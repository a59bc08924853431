"""The files of a source tree (what git tracks, or a walk that skips caches) and the solution blocks in them."""
import os
import pathlib
import re
import shutil
import subprocess

from .blocks import find_blocks

SKIP_DIRS = {".git", ".cache", ".hypothesis", ".pytest_cache", "__pycache__", "runs", "build", "dist", "figures"}
BLOCK_DIRS = ("minitransformer", "lessons")  # where solution blocks may live

# What a student copy, and the tree a task is graded in, is made of: the project's own source files and nothing
# else that lies in the checkout (grade reports, scratch files, runs, caches, virtual environments). Patterns in
# order, the last match wins: "*" stays within a directory, "**/" spans any number of them, and a leading "!"
# takes files back out, so "minitransformer/**/*.py" then "!minitransformer/kernels/fast/**" would keep only
# the reference kernels. tests/test_classroom.py checks that every file git tracks is matched or listed in
# NOT_FOR_STUDENTS, so a new kind of file has to be placed on one side or the other.
STUDENT_FILES = (
    "README.md", "pyproject.toml", "setup.cfg", ".gitignore",
    "minitransformer/**/*.py", "minitransformer/data/shipped/**",
    "lessons/*.py", "lessons/*.md",
    "tests/*.py", "tests/fixtures/**",
    "data/README.md", "data/*.tsv", "data/*.txt",
    "bench/*.py", ".ci/*",
    "!minitransformer/kernels/cpu/**", "!minitransformer/kernels/cuda/**",
)
# Tracked files deliberately left out of student copies (patterns as above). The fast kernels: in a student copy
# every kernel runs its reference (kernels/dispatch.py), the code the student writes, so a stubbed task fails at
# every input size and no other code path holds its logic.
NOT_FOR_STUDENTS = ("minitransformer/kernels/cpu/**", "minitransformer/kernels/cuda/**",
                    "bench/results.json")  # bench/results.py's measurements: the README's table holds them


def source_root():
    """The repository this package was imported from (the reference, with solutions)."""
    return pathlib.Path(__file__).resolve().parents[2]


def list_files(root):
    """Relative paths of the tree's files: git's tracked + untracked-not-ignored files, else a filtered walk."""
    root = pathlib.Path(root)
    if (root / ".git").exists():
        try:
            out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                                 cwd=root, capture_output=True, check=True).stdout.decode()
            return sorted(p for p in out.split("\0") if p and (root / p).is_file())
        except (OSError, subprocess.CalledProcessError):
            pass
    files = []
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = [d for d in subdirs if d not in SKIP_DIRS and not d.startswith(".venv")
                      and not d.endswith(".egg-info")]
        files += [os.path.relpath(os.path.join(directory, n), root) for n in names if not n.endswith(".pyc")]
    return sorted(files)


def pattern_regex(pattern):
    """A compiled regex for one path pattern of STUDENT_FILES (without its "!")."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def matches(path, patterns):
    """Whether the relative path is in: the last pattern that matches decides ("!" = out); none = out."""
    chosen = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if pattern_regex(pattern[1:] if negated else pattern).match(path):
            chosen = not negated
    return chosen


def student_files(root):
    """The files of the tree at `root` that a student copy (or a grading tree) holds: list_files by STUDENT_FILES."""
    return [p for p in list_files(root) if matches(p, STUDENT_FILES)]


def block_files(root):
    """The Python files that may hold solution blocks."""
    return [p for p in list_files(root) if p.endswith(".py") and p.split("/")[0] in BLOCK_DIRS]


def all_blocks(root):
    """Every solution block in the tree, as (relative path, Block)."""
    root = pathlib.Path(root)
    return [block for path in block_files(root)
            for block in find_blocks((root / path).read_text(encoding="utf-8"), path)]


def copy_tree(source, destination, files=None):
    """Copy the listed files (default: all of list_files) into a fresh destination directory."""
    source, destination = pathlib.Path(source), pathlib.Path(destination)
    for relative in files if files is not None else list_files(source):
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / relative, target)
    return destination
