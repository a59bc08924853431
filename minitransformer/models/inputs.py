"""The attention_mask every model takes: 1 (or True, or 1.0) on the tokens to attend to, 0 on padding.

Hugging Face's models take the same three forms (an int64 mask from the tokenizer, a bool mask, a float one) and
turn them into the additive (1 - m) * float32 min; any value other than 0 and 1 means something different there
(a partial bias, or masked outright), so it is refused here rather than read as "attend".
"""
from .. import backend, device_checks
from ..tensor import Tensor


def keep_mask(attention_mask, input_ids, who, shape=None, shape_note="1 = real token, 0 = padding"):
    """(B, T) bool array on input_ids' device, True on the tokens to attend to.

    attention_mask: a Tensor, NumPy/CuPy array or nested list shaped like input_ids (B, T) (or `shape`, e.g. a
    decoder's (B, past + T)), of bools, 0/1 integers or 0.0/1.0 floats. Raises TypeError for other dtypes and
    ValueError for another shape or other values (an additive mask of 0 and -inf / -10000, say), naming `who`.
    """
    data = attention_mask.data if isinstance(attention_mask, Tensor) else attention_mask
    where = backend.device_of(data) if hasattr(data, "dtype") else "cpu"  # checked there: free on the host
    try:
        data = backend.asarray(data, device=where)  # bools stay bool, ints int64, floats float32
    except (TypeError, ValueError) as e:
        raise TypeError(f"{who}: attention_mask must hold 1/0 as ints, bools or floats ({e})") from None
    expected = tuple(input_ids.shape) if shape is None else tuple(shape)
    if tuple(data.shape) != expected:
        what = "input_ids has shape" if shape is None else "expected"
        raise ValueError(f"{who}: attention_mask has shape {tuple(data.shape)} but {what} {expected}; they must "
                         f"match ({shape_note})")
    keep = data if data.dtype.kind == "b" else data != 0
    if data.dtype.kind != "b" and data.size:
        _check_values(data, keep, who, where)
    return backend.to_device(keep, input_ids.device)


def _check_values(data, keep, who, where):
    """Only 0s and 1s: at once on the host (naming up to three odd values); on a device at the next
    device_checks.flush() (naming the first, picked on the device: no host read inside a step)."""
    odd = keep & (data != 1)
    if where == "cpu":
        if odd.any():
            raise _odd_values(who, data[odd][:3].tolist())
        return
    xp, flat, integer = backend.array_module(data), odd.reshape(-1), data.dtype.kind in "iu"
    device_checks.require((flat.any(), xp.take(data.reshape(-1), xp.argmax(flat))),
                          lambda any_odd, first: _odd_values(who, [int(first) if integer else first]) if any_odd
                          else None)


def _odd_values(who, odd):
    return ValueError(f"{who}: attention_mask must hold only 1 (attend) and 0 (padding), got values "
                      f"{', '.join(str(v) for v in odd)}; pass the tokenizer's mask, not an additive one")
