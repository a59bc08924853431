"""The attention_mask every model takes: 1 (or True, or 1.0) on the tokens to attend to, 0 on padding.

Hugging Face's models take the same three forms (an int64 mask from the tokenizer, a bool mask, a float one) and
turn them into the additive (1 - m) * float32 min; any value other than 0 and 1 means something different there
(a partial bias, or masked outright), so it is refused here rather than read as "attend".
"""
from .. import backend
from ..tensor import Tensor


def keep_mask(attention_mask, input_ids, who, shape=None, shape_note="1 = real token, 0 = padding"):
    """(B, T) bool array on input_ids' device, True on the tokens to attend to.

    attention_mask: a Tensor, NumPy/CuPy array or nested list shaped like input_ids (B, T) (or `shape`, e.g. a
    decoder's (B, past + T)), of bools, 0/1 integers or 0.0/1.0 floats. Raises TypeError for other dtypes and
    ValueError for another shape or other values (an additive mask of 0 and -inf / -10000, say), naming `who`.
    """
    data = attention_mask.data if isinstance(attention_mask, Tensor) else attention_mask
    try:
        data = backend.asarray(data, device=input_ids.device)  # bools stay bool, ints int64, floats float32
    except (TypeError, ValueError) as e:
        raise TypeError(f"{who}: attention_mask must hold 1/0 as ints, bools or floats ({e})") from None
    expected = tuple(input_ids.shape) if shape is None else tuple(shape)
    if tuple(data.shape) != expected:
        what = "input_ids has shape" if shape is None else "expected"
        raise ValueError(f"{who}: attention_mask has shape {tuple(data.shape)} but {what} {expected}; they must "
                         f"match ({shape_note})")
    if data.dtype.kind == "b":
        return data
    keep = data != 0
    if data.size and bool((keep & (data != 1)).any()):
        odd = backend.to_numpy(data[keep & (data != 1)])[:3].tolist()
        raise ValueError(f"{who}: attention_mask must hold only 1 (attend) and 0 (padding), got values "
                         f"{', '.join(map(str, odd))}; pass the tokenizer's mask, not an additive one")
    return keep
