"""Scaled dot-product attention, forward and backward: the reference kernels.

    p   = softmax(q kᵀ * scale, keys the mask drops set to the dtype's most negative number)   (..., Tq, Tk)
    out = (p ∘ drop) v                                                                           (..., Tq, dv)

Masking convention: `keep` is a boolean keep-mask broadcastable to (..., Tq, Tk), True where a query may look at a
key. Dropped scores become the dtype's most negative finite number (as Hugging Face does), never -inf, so every row
stays finite: a row whose keys are ALL dropped comes out as uniform weights 1/Tk (and gets no gradient through
them), instead of the NaN that -inf would give. `drop` is the dropout mask on the weights (0 or 1/(1-p)), or None.
"""
from .. import backend
from .dispatch import kernel
from .softmax import softmax_backward, softmax_forward


@kernel
def attention_weights(q, k, keep, scale):
    """p = softmax(q kᵀ * scale, with dropped keys at the dtype's min) over the last axis, (..., Tq, Tk)."""
    # BEGIN SOLUTION t2.5 scaled dot-product attention with masking
    xp = backend.array_module(q)
    scores = (q * scale) @ k.swapaxes(-1, -2)  # (B, H, Tq, Tk): q kᵀ / sqrt(d), scaling the smaller array
    if keep is not None:  # a Python float: a NumPy scalar would not mix with a GPU array here
        xp.copyto(scores, float(xp.finfo(scores.dtype).min), where=~keep)  # large finite negative, never -inf
    return softmax_forward(scores, axis=-1)  # each row sums to 1
    # END SOLUTION


@kernel
def attention_forward(q, k, v, keep, scale, drop=None):
    """(p, out): the weights p (..., Tq, Tk) before dropout, and out = (p ∘ drop) v (..., Tq, dv)."""
    p = attention_weights(q, k, keep, scale)
    return p, (p if drop is None else p * drop) @ v


@kernel
def attention_backward(q, k, v, p, keep, scale, dout, drop=None, need=(True, True, True)):
    """(dq, dk, dv), None where `need` says no: dv = (p ∘ drop)ᵀ dout, dp = dout vᵀ ∘ drop,
    ds = p * (dp - sum(dp * p)) (the softmax backward; 0 at dropped keys), dq = ds k * scale, dk = dsᵀ q * scale."""
    xp = backend.array_module(dout)
    need_q, need_k, need_v = need
    dv = (p if drop is None else p * drop).swapaxes(-1, -2) @ dout if need_v else None  # (..., Tk, dv)
    dp = dout @ v.swapaxes(-1, -2)  # (..., Tq, Tk)
    if drop is not None:
        dp *= drop
    ds = softmax_backward(p, dp, axis=-1)  # (..., Tq, Tk)
    if keep is not None:
        xp.copyto(ds, 0, where=~keep)  # dropped scores were constants: no gradient (matters for all-dropped rows)
    ds *= scale
    dq = ds @ k if need_q else None  # (..., Tq, d)
    dk = ds.swapaxes(-1, -2) @ q if need_k else None  # (..., Tk, d)
    return dq, dk, dv
