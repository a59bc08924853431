"""The Hugging Face-style call, `tokenizer(text, text_pair, padding=..., truncation=..., ...)`: texts in, model
inputs out, with the options of transformers' tokenizers (the fast tokenizer's fields and overflow windows)."""
import numbers
from functools import partial

from .encoding import PADDING, TRUNCATION, build_row, check_option, pad_rows, padded_length, to_batch_encoding
from .truncation import check_side, overflowing_pairs, truncate_pair


def call(tok, text, text_pair=None, padding=False, truncation=None, max_length=None, stride=0,
         is_split_into_words=False, pad_to_multiple_of=None, padding_side=None, truncation_side=None,
         return_tensors=None, return_token_type_ids=True, return_attention_mask=True, return_overflowing_tokens=False,
         return_special_tokens_mask=False, return_offsets_mapping=False, return_length=False,
         add_special_tokens=True):
    """Encode a text, a pair, or a batch of them (Hugging Face semantics; the returned BatchEncoding also answers
    `word_ids(i)` and `sequence_ids(i)`).

    padding: False | True / "longest" | "max_length", on `padding_side` ("right" or "left"; default the
    tokenizer's attribute), rounded up to `pad_to_multiple_of`. truncation: None (on when max_length is given
    without padding) | True / "longest_first" | "only_first" | "only_second" | False, from `truncation_side`.
    max_length counts the special tokens (default the tokenizer's model_max_length). return_overflowing_tokens:
    the tokens truncation removed come back as extra rows, windows that repeat `stride` tokens of the row before,
    with `overflow_to_sample_mapping` (the input each row came from). is_split_into_words: `text` is a list of
    words (a batch: a list of such lists), and word_ids() gives their indices. return_special_tokens_mask: 1 on
    [CLS], [SEP] and padding; return_length: each row's length; return_tensors: None (lists) or "np" (int64).
    """
    texts, pairs, single = as_batch(tok, text, text_pair, is_split_into_words)
    padding = check_option(padding, PADDING, "padding")
    if truncation is None:  # HF: max_length alone (without padding) means truncate longest_first
        truncation = max_length is not None and padding is None
    truncation = check_option(truncation, TRUNCATION, "truncation")
    padding_side = check_side(tok.padding_side if padding_side is None else padding_side, "padding_side")
    truncation_side = check_side(tok.truncation_side if truncation_side is None else truncation_side,
                                 "truncation_side")
    for name, value, low in (("stride", stride, 0), ("pad_to_multiple_of", pad_to_multiple_of, 1),
                             ("max_length", max_length, 0)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low):
            raise ValueError(f"{name}={value!r} must be an integer >= {low}")
    if (truncation or padding == "max_length") and max_length is None:
        max_length = tok.model_max_length
    num_special = (3 if pairs is not None else 2) if add_special_tokens else 0
    if truncation and max_length < num_special:
        raise ValueError(f"max_length={max_length} is smaller than the {num_special} special tokens "
                         f"{'[CLS] A [SEP] B [SEP]' if pairs is not None else '[CLS] A [SEP]'} need")
    if truncation and padding and pad_to_multiple_of and max_length % pad_to_multiple_of:
        raise ValueError(f"max_length={max_length} is not a multiple of pad_to_multiple_of={pad_to_multiple_of}, "
                         "but truncation and padding are both on (as Hugging Face, this is refused)")
    wanted = [("input_ids", True), ("token_type_ids", return_token_type_ids),
              ("attention_mask", return_attention_mask), ("special_tokens_mask", return_special_tokens_mask),
              ("offset_mapping", return_offsets_mapping), ("length", return_length)]
    options = dict(fields=[name for name, asked in wanted if asked], truncation=truncation, max_length=max_length,
                   num_special=num_special, stride=stride, truncation_side=truncation_side, padding=padding,
                   pad_to_multiple_of=pad_to_multiple_of, padding_side=padding_side,
                   add_special_tokens=add_special_tokens, split_into_words=is_split_into_words,
                   overflow=return_overflowing_tokens)
    rows, sample_mapping = encode_rows(tok, texts, pairs, options, words=False)

    def resolve():  # word_ids() asked: the same rows again, with word and sequence indices kept
        again, _ = encode_rows(tok, texts, pairs, options, words=True)
        return [row["words"] for row in again], [row["sequences"] for row in again]

    return to_batch_encoding(rows, single, return_tensors, options["fields"],
                             sample_mapping if return_overflowing_tokens else None, resolve)


def encode_rows(tok, texts, pairs, o, words):
    """(rows, the input each row came from): encode, truncate (or window), add special tokens, pad."""
    rows, sample_mapping = [], []
    fields, truncation, add_special = o["fields"], o["truncation"], o["add_special_tokens"]
    segment = partial(tok._segment, with_offsets="offset_mapping" in fields, split_into_words=o["split_into_words"],
                      words=words)
    cls_id, sep_id = tok.cls_token_id, tok.sep_token_id
    for i, t in enumerate(texts):
        a, b = segment(t), (segment(pairs[i]) if pairs is not None else None)
        if not truncation:
            rows.append(build_row(a, b, cls_id, sep_id, add_special, fields, words))
            sample_mapping.append(i)
            continue
        args = (a, b, o["max_length"], truncation, o["num_special"])
        if o["overflow"]:
            windows = overflowing_pairs(*args, o["stride"], o["truncation_side"])
        else:
            windows = [truncate_pair(*args, o["truncation_side"])]
        rows += [build_row(a, b, cls_id, sep_id, add_special, fields, words) for a, b in windows]
        sample_mapping += [i] * len(windows)
    if o["padding"]:
        length = padded_length(rows, o["padding"], o["max_length"], o["pad_to_multiple_of"])
        pad_rows(rows, length, tok.pad_token_id, o["padding_side"])
    return rows, sample_mapping


def as_batch(tok, text, text_pair, split_into_words=False):
    """(texts, pairs or None, single?) from the many shapes HF accepts, with a clear TypeError otherwise. With
    split_into_words, a text is a list of words."""
    one = (list, tuple) if split_into_words else str
    if isinstance(text, one) and (not split_into_words or all(isinstance(w, str) for w in text)):
        check_text(tok, text, None, "text", split_into_words)
        if text_pair is not None:
            check_text(tok, text_pair, None, "text_pair", split_into_words)
            return [text], [text_pair], True
        return [text], None, True
    if not isinstance(text, (list, tuple)):
        expected = "a list of words or a list of such lists" if split_into_words else "a str or a list of str"
        raise TypeError(f"text must be {expected}, got {type(text).__name__}")
    if text_pair is None and not split_into_words and text and \
            all(isinstance(t, (list, tuple)) and len(t) == 2 for t in text):
        text, text_pair = [t[0] for t in text], [t[1] for t in text]  # a batch of (a, b) pairs
    for i, t in enumerate(text):
        check_text(tok, t, i, "text", split_into_words)
    if text_pair is not None:
        if not isinstance(text_pair, (list, tuple)) or len(text_pair) != len(text):
            kind = "word lists" if split_into_words else "str"
            raise TypeError(f"text_pair must be a list of {len(text)} {kind} to go with the batch of texts, got "
                            f"{type(text_pair).__name__}")
        for i, t in enumerate(text_pair):
            check_text(tok, t, i, "text_pair", split_into_words)
    return list(text), (list(text_pair) if text_pair is not None else None), False


def check_text(tok, text, position, what, split_into_words):
    """A str, or with split_into_words a list of str; else a TypeError naming where."""
    where = f"{what}[{position}]" if position is not None else what
    if not split_into_words:
        tok._check_text(text, position, what)
    elif not isinstance(text, (list, tuple)) or not all(isinstance(w, str) for w in text):
        raise TypeError(f"{where} must be a list of str (is_split_into_words=True), got {text!r:.60}")
