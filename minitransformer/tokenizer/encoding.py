"""Turn token ids into model inputs as Hugging Face does: [CLS] A [SEP] (B [SEP]), padding, the returned fields."""
import numpy as np

PADDING = {False: None, "do_not_pad": None, True: "longest", "longest": "longest", "max_length": "max_length"}
TRUNCATION = {False: None, "do_not_truncate": None, True: "longest_first", "longest_first": "longest_first",
              "only_first": "only_first", "only_second": "only_second"}
# the value a padded position gets in each field; words and sequences are None there, as in HF
PAD_VALUES = {"token_type_ids": 0, "attention_mask": 0, "special_tokens_mask": 1, "offset_mapping": (0, 0),
              "words": None, "sequences": None}


class BatchEncoding(dict):
    """A dict of model inputs (input_ids, token_type_ids, attention_mask, ...) that also reads as attributes, and
    says which word and which sequence each token came from (`word_ids(i)`, `sequence_ids(i)`), as the fast Hugging
    Face tokenizer's BatchEncoding does. Those are worked out on the first call to either (by encoding the same
    input again with word indices kept), so an encoding that never asks costs nothing for them."""

    def __init__(self, data=None, word_ids=None, sequence_ids=None, resolve=None):
        super().__init__(data or {})
        self._word_ids, self._sequence_ids, self._resolve = word_ids, sequence_ids, resolve

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"BatchEncoding has no field {name!r}; fields: {', '.join(self)}") from None

    def word_ids(self, batch_index=0):
        """The word index of each token of row `batch_index` (a list of int, None for special tokens and padding).

        Words are the basic tokenizer's (a run of letters and digits, or one punctuation mark, or one CJK
        character, or a special token typed in the text), counted from 0 in each sequence of a pair; with
        is_split_into_words=True they are the caller's words. Overflow windows keep the words' original indices.
        """
        return list(self._row("_word_ids", batch_index, "word_ids"))

    def sequence_ids(self, batch_index=0):
        """Which sequence each token of row `batch_index` belongs to: 0 (the text), 1 (the pair), None (special
        tokens and padding)."""
        return list(self._row("_sequence_ids", batch_index, "sequence_ids"))

    def _row(self, attribute, batch_index, name):
        if self._word_ids is None and self._resolve is not None:
            self._word_ids, self._sequence_ids = self._resolve()
            self._resolve = None
        rows = getattr(self, attribute)
        if rows is None:
            raise ValueError(f"{name}() needs an encoding returned by calling the tokenizer (this one holds only "
                             f"the fields {', '.join(self) or 'none'})")
        if not -len(rows) <= batch_index < len(rows):
            raise IndexError(f"{name}({batch_index}): the encoding has {len(rows)} row(s)")
        return rows[batch_index]


def check_option(value, table, name):
    """Map a padding/truncation argument to its canonical strategy, or say which values exist."""
    try:
        return table[value]
    except (KeyError, TypeError):
        choices = ", ".join(repr(k) for k in table)
        raise ValueError(f"{name}={value!r} is not understood; use one of {choices}") from None


def build_row(a, b, cls_id, sep_id, add_special_tokens, fields, words=False):
    """The fields of one row from segments a (and b): [CLS] A [SEP] with token types 0, then B [SEP] with token
    types 1; special_tokens_mask 1 on the tokens added here (not on special tokens typed in the text); with
    `words`, the word and sequence index of each token ("words", "sequences": None on the added tokens)."""
    k = 1 if add_special_tokens else 0  # one [CLS] before, one [SEP] after each sequence
    cls, sep = [cls_id] * k, [sep_id] * k
    n_a, n_b = k + len(a) + k, (0 if b is None else len(b) + k)
    row = {"input_ids": [*cls, *a.ids, *sep] if b is None else [*cls, *a.ids, *sep, *b.ids, *sep]}
    if "token_type_ids" in fields:
        row["token_type_ids"] = [0] * n_a + [1] * n_b if n_b else [0] * n_a
    if "attention_mask" in fields:
        row["attention_mask"] = [1] * (n_a + n_b)
    if "special_tokens_mask" in fields:
        mark = [1] * k
        row["special_tokens_mask"] = [*mark, *[0] * len(a), *mark, *([0] * len(b) + mark if b is not None else [])]
    if "offset_mapping" in fields:
        span = [(0, 0)] * k
        row["offset_mapping"] = [*span, *a.offsets, *span, *(b.offsets + span if b is not None else [])]
    if words:
        edge = [None] * k
        row["words"] = [*edge, *a.words, *edge, *(b.words + edge if b is not None else [])]
        row["sequences"] = [*edge, *[0] * len(a), *edge, *([1] * len(b) + edge if b is not None else [])]
    return row


def padded_length(rows, strategy, max_length, multiple):
    """The length every row is padded to: the longest row or max_length, rounded up to a multiple."""
    length = max_length if strategy == "max_length" else max((len(r["input_ids"]) for r in rows), default=0)
    if multiple and length % multiple:
        length += multiple - length % multiple
    return length


def pad_rows(rows, length, pad_id, side):
    """Pad every field of every row to `length` on the given side (rows longer than that stay as they are)."""
    for row in rows:
        missing = length - len(row["input_ids"])
        if missing > 0:
            for key, value in row.items():
                fill = [pad_id if key == "input_ids" else PAD_VALUES[key]] * missing
                row[key] = value + fill if side == "right" else fill + value
    return rows


def to_batch_encoding(rows, single, return_tensors, fields=None, sample_mapping=None, resolve=None, dtype=np.int64):
    """Collect rows into one BatchEncoding holding `fields` (default: the rows' keys; + length /
    overflow_to_sample_mapping when asked): lists, or arrays for return_tensors='np'; a single text without
    overflow windows gives its row unbatched. `resolve` (no arguments) returns the rows' word and sequence
    indices when they were not kept here."""
    if fields is None:
        fields = [k for k in (rows[0] if rows else ("input_ids", "token_type_ids", "attention_mask"))
                  if k not in ("words", "sequences")]
    data = {k: [row[k] for row in rows] for k in fields if k != "length"}
    if "length" in fields:
        data["length"] = [len(row["input_ids"]) for row in rows]
    if sample_mapping is not None:
        data["overflow_to_sample_mapping"] = list(sample_mapping)
    words = [row["words"] for row in rows] if rows and "words" in rows[0] else None
    sequences = [row["sequences"] for row in rows] if words is not None else None
    if return_tensors is None:
        if single and sample_mapping is None:  # HF keeps `length` a list here
            data = {k: (v if k == "length" else v[0]) for k, v in data.items()}
        return BatchEncoding(data, words, sequences, resolve)
    if return_tensors != "np":
        raise ValueError(f"return_tensors={return_tensors!r} is not supported; use None or 'np'")
    lengths = {len(row["input_ids"]) for row in rows}
    if len(lengths) > 1:
        raise ValueError(f"return_tensors='np' needs equal lengths but the batch has lengths {sorted(lengths)}; "
                         "pass padding=True (and truncation=True for texts longer than max_length)")
    out = {}
    for k, v in data.items():
        shape = (len(rows),) if k in ("length", "overflow_to_sample_mapping") else \
            (len(rows), -1, 2) if k == "offset_mapping" else (len(rows), -1)
        out[k] = np.array(v, dtype=dtype).reshape(shape)
    return BatchEncoding(out, words, sequences, resolve)
