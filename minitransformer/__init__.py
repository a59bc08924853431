"""minitransformer: a Transformer text classifier from first principles in NumPy (CuPy on a GPU)."""
import os as _os
import sys as _sys

# OpenBLAS's worker threads spin for 2^28 TSC cycles (~0.1 s) after each multithreaded GEMM before they sleep. Our
# fused ops then run their row blocks on our own threads (ops/parallel.py) beside that spinning thread: three busy
# threads on two cores. 2^22 cycles (~1.6 ms) ends that (MiniLM forward 0.87 -> 0.74 s, round-robin against 2^28)
# and still bridges the gaps between the small GEMMs of a training step (lesson config: 92 ms either way; 2^20
# made it 100 ms, waking the worker too often). OpenBLAS reads the variable once, when NumPy loads it: this only
# takes effect when minitransformer is imported before NumPy (the CLI, the benches); a value already in the
# environment wins. Child processes inherit it; torch's BLAS (MKL, OpenMP) ignores it.
if "numpy" not in _sys.modules:
    _os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "22")

from .autograd import Function, enable_grad, is_grad_enabled, no_grad  # noqa: F401
from .backend import cuda_available, get_rng_state, manual_seed, set_rng_state  # noqa: F401
from .creation import arange, cat, ones, rand, randn, stack, tensor, where, zeros  # noqa: F401
from .gradcheck import gradcheck  # noqa: F401
from .tensor import Tensor  # noqa: F401
from . import data, explain, functional, io, models, nn, optim, tokenizer  # noqa: F401,E402  (mt.optim, mt.nn, ...)
from .pipelines import pipeline  # noqa: F401,E402

__version__ = "0.1.0"
