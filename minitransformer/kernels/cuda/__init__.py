"""The GPU's fast kernels, for CuPy arrays: registered by name like the CPU's (kernels/cpu) and picked by the
dispatch only for CuPy arrays, each a few lines of CuPy's ElementwiseKernel / ReductionKernel beside the reference
kernel it must equal (tests/test_kernels_cuda.py, on a GPU). The package imports without CuPy: a kernel is
compiled at its first call (build.py).

softmax.py: softmax and log-softmax, forward and backward; loss.py: cross-entropy (ignore_index, smoothing, class
weights); norm.py: LayerNorm; activation.py: GELU (erf and tanh forms), dropout, erf and the normal CDF;
attention.py: the score path between the two matmuls; optim.py: AdamW over a group's flat arrays, the total norm.
"""
from . import activation, attention, loss, norm, optim, softmax

KERNELS = {
    "softmax_forward": softmax.softmax_forward,
    "softmax_backward": softmax.softmax_backward,
    "log_softmax_forward": softmax.log_softmax_forward,
    "log_softmax_backward": softmax.log_softmax_backward,
    "cross_entropy_forward": loss.cross_entropy_forward,
    "cross_entropy_backward": loss.cross_entropy_backward,
    "layer_norm_forward": norm.layer_norm_forward,
    "layer_norm_backward": norm.layer_norm_backward,
    "gelu_forward": activation.gelu_forward,
    "gelu_backward": activation.gelu_backward,
    "dropout_forward": activation.dropout_forward,
    "dropout_mask": activation.dropout_mask,
    "erf": activation.erf,
    "normal_cdf": activation.normal_cdf,
    "attention_weights": attention.attention_weights,
    "attention_backward": attention.attention_backward,
    "adamw_step": optim.adamw_step,
    "total_norm": optim.total_norm,
}
