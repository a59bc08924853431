"""The one dispatch point: fast kernels for NumPy arrays (when the package has them), the reference everywhere
under MT_KERNELS=reference or mt.use_reference_kernels(), and always on the strict stand-in device."""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import minitransformer as mt
import minitransformer.functional as F
from minitransformer import kernels
from minitransformer.kernels import dispatch

REPO = pathlib.Path(__file__).resolve().parents[1]


class Called(Exception):
    pass


@pytest.fixture
def fast_softmax_raises(monkeypatch):
    """A fast softmax for NumPy arrays that raises when called: shows which implementation ran."""
    def fast(x, axis=-1):
        raise Called("fast")
    table = dict(dispatch.fast_kernels(np.ndarray), softmax_forward=fast)
    monkeypatch.setitem(dispatch._tables, np.ndarray, table)


def test_numpy_arrays_get_the_fast_kernel_and_the_switch_forces_the_reference(fast_softmax_raises):
    x = np.random.default_rng(0).standard_normal((3, 4))
    with pytest.raises(Called):
        F.softmax(x)
    with mt.use_reference_kernels():
        assert kernels.reference_only()
        np.testing.assert_allclose(F.softmax(x).numpy().sum(-1), 1.0)
    assert not kernels.reference_only()  # the context manager restored the previous setting
    with pytest.raises(Called):
        F.softmax(x)


def test_use_reference_kernels_is_also_a_plain_switch(fast_softmax_raises):
    try:
        mt.use_reference_kernels()
        assert kernels.reference_only()
        F.softmax(np.ones((2, 2)))  # the reference: no raise
        mt.use_reference_kernels(False)
        assert not kernels.reference_only()
        with pytest.raises(Called):
            F.softmax(np.ones((2, 2)))
    finally:
        mt.use_reference_kernels(False)


def test_the_strict_device_runs_the_reference(fast_softmax_raises):
    x = mt.tensor(np.ones((2, 3)), device="strict")
    np.testing.assert_allclose(F.softmax(x).numpy(), np.full((2, 3), 1 / 3))


def test_a_kernel_keeps_its_reference_reachable():
    x = np.random.default_rng(1).standard_normal((2, 5))
    np.testing.assert_allclose(kernels.softmax_forward.reference(x), kernels.softmax_forward(x), rtol=1e-12)
    assert kernels.softmax_forward.__doc__ == kernels.softmax_forward.reference.__doc__


def python(code, **env):
    environment = {k: v for k, v in os.environ.items() if k != "MT_KERNELS"}
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env={**environment, **env}, capture_output=True,
                          text=True)


def test_mt_kernels_environment_variable():
    code = "import minitransformer.kernels as k; print(k.reference_only())"
    assert python(code).stdout.strip() == "False"
    assert python(code, MT_KERNELS="reference").stdout.strip() == "True"
    assert python(code, MT_KERNELS=" Reference ").stdout.strip() == "True"
    assert python(code, MT_KERNELS="auto").stdout.strip() == "False"
    bad = python(code, MT_KERNELS="fast")
    assert bad.returncode != 0 and "MT_KERNELS='fast' is not a kernel mode: expected one of auto, reference" \
        in bad.stderr


SPEED_WORDS = ("thread", "rowwise", "openblas", "blocked", "kernels.cpu", "kernels.cuda", "cupyx")


def test_ops_layers_models_and_optimizers_read_as_math():
    """Speed lives in kernels/ only: no op, layer, model or optimizer file mentions threads, blocks or a backend's
    fast kernels (they call the kernels, and dispatch.py picks the implementation)."""
    package = REPO / "minitransformer"
    found = [f"{path.relative_to(package)}: {word}" for folder in ("ops", "nn", "models", "optim")
             for path in sorted((package / folder).glob("*.py"))
             for word in SPEED_WORDS if word in path.read_text(encoding="utf-8").lower()]
    assert found == []
