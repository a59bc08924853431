"""The call options users bring from Hugging Face, equal to its fast tokenizer: padding_side / truncation_side
(attribute and call argument), pad_to_multiple_of, return_special_tokens_mask, return_length,
return_overflowing_tokens with stride (+ overflow_to_sample_mapping), is_split_into_words, and word_ids(i) /
sequence_ids(i) on the result. Values: tests/fixtures/make_call_options.py (transformers 4.57 BertTokenizerFast);
tests/test_tokenizer_hf.py compares random calls live."""
import itertools
import json

import numpy as np
import pytest

from conftest import FIXTURES
from minitransformer.tokenizer import BatchEncoding, WordPieceTokenizer
from minitransformer.tokenizer.truncation import Segment, kept_lengths, windows

CALLS = [json.loads(line) for line in open(FIXTURES / "bert_uncased_call_options.jsonl", encoding="utf-8")]
VOCAB = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list("abcdefghij"))}


@pytest.fixture
def bert(bert_dir):
    return WordPieceTokenizer.from_pretrained(bert_dir)


def plain(value):
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def check_call(tok, case, kwargs):
    out = tok(*case["args"], **kwargs)
    assert {k: plain(v) for k, v in out.items()} == case["expected"]
    if kwargs.get("return_tensors") == "np":
        assert all(isinstance(v, np.ndarray) and v.dtype == np.int64 for v in out.values())
    for i, (words, sequences) in enumerate(zip(case["word_ids"], case["sequence_ids"])):
        assert out.word_ids(i) == words, f"word_ids({i})"
        assert out.sequence_ids(i) == sequences, f"sequence_ids({i})"
    with pytest.raises(IndexError, match="row"):
        out.word_ids(len(case["word_ids"]))


@pytest.mark.parametrize("case", CALLS, ids=lambda c: ",".join(f"{k}={v}" for k, v in
                                                               {**c["kwargs"], **c["attributes"]}.items())[:90])
def test_each_call_equals_the_fast_hugging_face_tokenizer(bert, case):
    for name, value in case["attributes"].items():  # as attributes, the way the fixture was made
        setattr(bert, name, value)
    check_call(bert, case, case["kwargs"])
    if case["attributes"]:  # the same values as call arguments, on a tokenizer with the default attributes
        bert.padding_side = bert.truncation_side = "right"
        check_call(bert, case, {**case["kwargs"], **case["attributes"]})


def test_the_fixture_exercises_every_option():
    used = {k for c in CALLS for k in {**c["kwargs"], **c["attributes"]}}
    assert {"padding_side", "truncation_side", "pad_to_multiple_of", "return_special_tokens_mask", "return_length",
            "return_overflowing_tokens", "stride", "is_split_into_words", "return_offsets_mapping"} <= used
    assert any("overflow_to_sample_mapping" in c["expected"] and max(c["expected"]["overflow_to_sample_mapping"]) > 0
               for c in CALLS)


def test_left_padding_puts_pad_before_cls():
    tok = WordPieceTokenizer(VOCAB, padding_side="left")
    out = tok(["a b c", "d"], padding=True, return_special_tokens_mask=True, return_length=True)
    assert out["input_ids"] == [[2, 5, 6, 7, 3], [0, 0, 2, 8, 3]]
    assert out["attention_mask"] == [[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]]
    assert out["special_tokens_mask"] == [[1, 0, 0, 0, 1], [1, 1, 1, 0, 1]]
    assert out["length"] == [5, 5]
    assert out.word_ids(1) == [None, None, None, 0, None] and out.sequence_ids(1) == [None, None, None, 0, None]
    assert tok(["d"], padding="max_length", max_length=5, padding_side="right")["input_ids"] == [[2, 8, 3, 0, 0]]


def test_word_ids_follow_the_basic_tokenizer_words_and_restart_in_the_pair():
    tok = WordPieceTokenizer({**VOCAB, "##b": 15, "ab": 16})
    out = tok("ab,c [MASK] abb", "d a")
    # words: ab , c [MASK] abb | d a     (ab b: one word in two pieces)
    assert tok.convert_ids_to_tokens(out["input_ids"]) == \
        ["[CLS]", "ab", "[UNK]", "c", "[MASK]", "ab", "##b", "[SEP]", "d", "a", "[SEP]"]
    assert out.word_ids() == [None, 0, 1, 2, 3, 4, 4, None, 0, 1, None]
    assert out.sequence_ids() == [None, 0, 0, 0, 0, 0, 0, None, 1, 1, None]
    split = tok(["ab,c", "abb"], is_split_into_words=True)
    assert split.word_ids() == [None, 0, 0, 0, 1, 1, None]  # the caller's words, punctuation inside included


def test_overflow_windows_repeat_stride_tokens_and_map_to_their_sample():
    tok = WordPieceTokenizer(VOCAB)
    out = tok(["a b c d e f g", "h"], max_length=5, truncation=True, stride=1, return_overflowing_tokens=True)
    # 3 tokens a window, each starting with the last token of the one before
    assert out["input_ids"] == [[2, 5, 6, 7, 3], [2, 7, 8, 9, 3], [2, 9, 10, 11, 3], [2, 12, 3]]
    assert out["overflow_to_sample_mapping"] == [0, 0, 0, 1]
    assert out.word_ids(2) == [None, 4, 5, 6, None]
    left = tok("a b c d e f g", max_length=5, truncation=True, stride=1, return_overflowing_tokens=True,
               truncation_side="left")
    assert left["input_ids"] == [[2, 9, 10, 11, 3], [2, 7, 8, 9, 3], [2, 5, 6, 7, 3]]
    single = tok("a b", max_length=5, truncation=True, return_overflowing_tokens=True)  # stays batched, as HF
    assert single["input_ids"] == [[2, 5, 6, 3]] and single["overflow_to_sample_mapping"] == [0]


def test_windows_cover_every_token_with_stride_overlap():
    for length, n, stride, side in itertools.product(range(0, 12), range(1, 6), range(0, 5), ["right", "left"]):
        if stride >= n:
            continue
        seg = Segment(list(range(length)), None, list(range(length)))
        parts = windows(seg, n, stride, side)
        assert all(len(p) <= n for p in parts) and parts[0].ids == seg.keep(min(n, length), side).ids
        assert sorted(set(i for p in parts for i in p.ids)) == list(range(length))
        for before, after in zip(parts, parts[1:]):  # consecutive windows share exactly `stride` tokens; only
            assert len(set(before.ids) & set(after.ids)) == stride and len(before) == n  # the last is shorter


def test_longest_first_closed_form_equals_one_token_at_a_time():
    for la, lb, max_length in itertools.product(range(0, 9), range(0, 9), range(3, 16)):
        a, b = la, lb  # Hugging Face's slow loop: drop from the longer, from the second on a tie
        for _ in range(la + lb + 3 - max_length):
            if a > b:
                a -= 1
            else:
                b -= 1
        assert kept_lengths(la, lb, max_length, "longest_first", 3) == (a, b), (la, lb, max_length)


def test_pad_to_multiple_of_rounds_up_the_padded_length():
    tok = WordPieceTokenizer(VOCAB)
    assert [len(r) for r in tok(["a b c", "d"], padding=True, pad_to_multiple_of=4)["input_ids"]] == [8, 8]
    assert [len(r) for r in tok(["a b c", "d"], padding=False, pad_to_multiple_of=4)["input_ids"]] == [5, 3]
    assert len(tok("a", padding="max_length", max_length=6, pad_to_multiple_of=4)["input_ids"]) == 8


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(padding_side="top"), ValueError, "padding_side='top'.*'right' or 'left'"),
    (dict(truncation_side="middle"), ValueError, "truncation_side='middle'"),
    (dict(pad_to_multiple_of=0, padding=True), ValueError, "pad_to_multiple_of=0 must be an integer >= 1"),
    (dict(stride=-1), ValueError, "stride=-1"),
    (dict(max_length=5, truncation=True, stride=3, return_overflowing_tokens=True), ValueError,
     "stride=3 must be smaller than the 3 tokens of the first sequence that fit in each window"),
    (dict(max_length=6, truncation=True, padding=True, pad_to_multiple_of=4), ValueError,
     "max_length=6 is not a multiple of pad_to_multiple_of=4"),
    (dict(text_pair="a b c d e f", max_length=6, truncation=True, return_overflowing_tokens=True), ValueError,
     "would cut both sequences.*only_second"),
    (dict(is_split_into_words=True), TypeError, "list of words"),
])
def test_bad_options_are_named(kwargs, error, message):
    tok = WordPieceTokenizer(VOCAB)
    with pytest.raises(error, match=message):
        tok("a b c d e f g", **kwargs)


def test_sides_are_checked_attributes_saved_and_loaded(tmp_path):
    tok = WordPieceTokenizer(VOCAB)
    with pytest.raises(ValueError, match="padding_side='Left'"):
        tok.padding_side = "Left"
    assert tok.padding_side == "right"  # unchanged by the rejected value
    tok.padding_side, tok.truncation_side = "left", "left"
    tok.save(tmp_path)
    again = WordPieceTokenizer.from_pretrained(tmp_path)
    assert (again.padding_side, again.truncation_side) == ("left", "left")
    with pytest.raises(ValueError, match="truncation_side"):
        WordPieceTokenizer(VOCAB, truncation_side="both")


def test_word_ids_on_an_encoding_the_tokenizer_did_not_make():
    with pytest.raises(ValueError, match="needs an encoding returned by calling the tokenizer"):
        BatchEncoding({"input_ids": [[1, 2]]}).word_ids(0)


def test_word_ids_are_worked_out_only_when_asked():
    tok = WordPieceTokenizer(VOCAB)
    out = tok(["a b", "c"], padding=True)
    assert out._word_ids is None  # nothing spent on them yet
    assert out.word_ids(1) == [None, 0, None, None] and out.word_ids(-2) == [None, 0, 1, None]
