"""minitransformer: a Transformer text classifier from first principles in NumPy (CuPy on a GPU)."""
import os as _os
import sys as _sys

if "numpy" not in _sys.modules:  # the one environment setting: why, in kernels/cpu/threads.py (OpenBLAS's spin)
    _os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "22")
from .autograd import Function, enable_grad, is_grad_enabled, no_grad  # noqa: F401
from .backend import cuda_available, get_rng_state, manual_seed, set_rng_state  # noqa: F401
from .creation import arange, cat, ones, rand, randn, stack, tensor, where, zeros  # noqa: F401
from .gradcheck import gradcheck  # noqa: F401
from .kernels import use_reference_kernels  # noqa: F401
from .tensor import Tensor  # noqa: F401
from . import data, explain, functional, io, kernels, models, nn, optim, tokenizer  # noqa: F401,E402  (mt.optim, ...)
from .pipelines import pipeline  # noqa: F401,E402

__version__ = "0.1.0"
