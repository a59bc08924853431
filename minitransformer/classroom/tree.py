"""The files of a source tree (what git tracks, or a walk that skips caches) and the solution blocks in them."""
import os
import pathlib
import shutil
import subprocess

from .blocks import find_blocks

SKIP_DIRS = {".git", ".cache", ".hypothesis", ".pytest_cache", "__pycache__", "runs", "build", "dist", "figures"}
BLOCK_DIRS = ("minitransformer", "lessons")  # where solution blocks may live


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
