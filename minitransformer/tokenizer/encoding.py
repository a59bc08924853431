"""Turn token ids into model inputs as Hugging Face does: [CLS] A [SEP] (B [SEP]), truncation, right padding."""
import numpy as np

PADDING = {False: None, "do_not_pad": None, True: "longest", "longest": "longest", "max_length": "max_length"}
TRUNCATION = {False: None, "do_not_truncate": None, True: "longest_first", "longest_first": "longest_first",
              "only_first": "only_first", "only_second": "only_second"}


class BatchEncoding(dict):
    """A dict of model inputs (input_ids, token_type_ids, attention_mask, ...) that also reads as attributes."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"BatchEncoding has no field {name!r}; fields: {', '.join(self)}") from None


def check_option(value, table, name):
    """Map a padding/truncation argument to its canonical strategy, or say which values exist."""
    try:
        return table[value]
    except (KeyError, TypeError):
        choices = ", ".join(repr(k) for k in table)
        raise ValueError(f"{name}={value!r} is not understood; use one of {choices}") from None


def truncate_pair(a, b, max_length, strategy, num_special):
    """Remove tokens from the ends of a (and b) so that len(a) + len(b) + num_special <= max_length.

    longest_first drops one token at a time from the longer sequence (from the second on a tie), as Hugging Face.
    """
    excess = len(a) + (len(b) if b is not None else 0) + num_special - max_length
    if excess <= 0:
        return a, b
    if strategy == "longest_first" and b is not None:
        # closed form of HF's one-at-a-time loop: first even the lengths out, then alternate, second first
        la, lb = len(a), len(b)
        for _ in range(excess):
            if la > lb:
                la -= 1
            else:
                lb -= 1
        return a[:la], b[:lb]
    if strategy == "only_second" and b is None:
        return a, b  # HF ignores only_second for a single sequence
    which = "second" if strategy == "only_second" else "first"
    seq = b if which == "second" else a
    if len(seq) <= excess:
        raise ValueError(f"cannot truncate to max_length={max_length}: {excess} tokens must go but the {which} "
                         f"sequence has only {len(seq)} (and {num_special} special tokens are needed); use a larger "
                         f"max_length or truncation='longest_first'")
    seq = seq[:len(seq) - excess]
    return (a, seq) if which == "second" else (seq, b)


def with_special_tokens(a, b, cls_id, sep_id):
    """[CLS] A [SEP] with token types 0, then B [SEP] with token types 1 for a pair."""
    ids = [cls_id, *a, sep_id]
    types = [0] * len(ids)
    if b is not None:
        ids += [*b, sep_id]
        types += [1] * (len(b) + 1)
    return ids, types


def pad_batch(rows, pad_values, length):
    """Right-pad each field of each row to ``length`` (rows longer than that stay as they are, as in HF)."""
    for row in rows:
        missing = length - len(row["input_ids"])
        if missing > 0:
            for key, value in row.items():
                row[key] = value + [pad_values[key]] * missing
    return rows


def to_batch_encoding(rows, single, return_tensors, dtype=np.int64):
    """Collect per-text rows into one BatchEncoding: lists, or 2-D arrays for return_tensors='np'."""
    keys = list(rows[0]) if rows else ["input_ids", "token_type_ids", "attention_mask"]
    if return_tensors is None:
        if single:
            return BatchEncoding({k: rows[0][k] for k in keys})
        return BatchEncoding({k: [row[k] for row in rows] for k in keys})
    if return_tensors != "np":
        raise ValueError(f"return_tensors={return_tensors!r} is not supported; use None or 'np'")
    lengths = {len(row["input_ids"]) for row in rows}
    if len(lengths) > 1:
        raise ValueError(f"return_tensors='np' needs equal lengths but the batch has lengths {sorted(lengths)}; "
                         "pass padding=True (and truncation=True for texts longer than max_length)")
    out = BatchEncoding()
    for k in keys:
        if k == "offset_mapping":
            out[k] = np.array([row[k] for row in rows], dtype=dtype).reshape(len(rows), -1, 2)
        else:
            out[k] = np.array([row[k] for row in rows], dtype=dtype).reshape(len(rows), -1)
    return out
