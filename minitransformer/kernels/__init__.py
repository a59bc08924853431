"""Kernels: the array math of every fused op, written once as a reference and, apart, made fast per backend.

The modules here are the reference kernels, plain array code through `xp` (the math a student reads, derives and,
in a student copy, writes): softmax.py, loss.py, norm.py, activation.py, dropout.py, special.py, attention.py,
reduce.py, optim.py.
The fast ones live per backend in cpu/ (threads and blocking) and cuda/ (the GPU's), and dispatch.py chooses
between them at one point. Ops (ops/) and optimizers (optim/) call the names below.
"""
from .activation import gelu_backward, gelu_forward  # noqa: F401
from .attention import attention_backward, attention_forward, attention_weights  # noqa: F401
from .dispatch import reference_only, use_reference_kernels  # noqa: F401
from .dropout import dropout_forward, dropout_mask  # noqa: F401
from .loss import cross_entropy_backward, cross_entropy_forward  # noqa: F401
from .norm import layer_norm_backward, layer_norm_forward  # noqa: F401
from .optim import adamw_step, sgd_step, total_norm  # noqa: F401
from .reduce import mean_over, sum_over  # noqa: F401
from .softmax import log_softmax_backward, log_softmax_forward, softmax_backward, softmax_forward  # noqa: F401
from .special import erf, normal_cdf  # noqa: F401
