"""Every Hugging Face vector in tests/fixtures comes out exactly: basic tokens, WordPiece, ids, calls, decode, spans."""
import json

import numpy as np
import pytest

from conftest import FIXTURES
from minitransformer.tokenizer import BasicTokenizer, WordPieceTokenizer
from minitransformer.tokenizer.basic import hf_basic_tokenize

CASES = [json.loads(line) for line in open(FIXTURES / "bert_uncased_tokenizer_cases.jsonl", encoding="utf-8")]
TEXT_CASES = [c for c in CASES if isinstance(c.get("text"), str)]
CALLS = [c for c in CASES if "batch_pair_call" in c or "batch_call" in c]
DECODES = [c for c in CASES if "decode" in c]
OFFSETS = [json.loads(line) for line in open(FIXTURES / "bert_uncased_offsets.jsonl", encoding="utf-8")]
SETTINGS = [(lower, strip) for lower in (True, False) for strip in (None, False, True)]


@pytest.fixture
def tok(bert_dir):
    return WordPieceTokenizer.from_pretrained(bert_dir)


def test_fixture_has_the_expected_cases():
    assert len(TEXT_CASES) >= 50 and len(CALLS) == 2 and len(DECODES) == 1 and len(OFFSETS) >= len(TEXT_CASES)


@pytest.mark.parametrize("lower,strip", SETTINGS)
def test_basic_tokenizer_matches_hf_for_every_setting(lower, strip):
    basic = BasicTokenizer(do_lower_case=lower, strip_accents=strip)
    for case in TEXT_CASES:
        expected = case[f"basic_lower={lower}_strip={strip}"]
        assert basic.tokenize(case["text"]) == expected, f"fast path, text {case['text']!r}"
        assert hf_basic_tokenize(case["text"], lower, strip) == expected, f"reference rules, text {case['text']!r}"


def test_wordpiece_tokens_and_ids_match_hf(tok):
    for case in TEXT_CASES:
        assert tok.tokenize(case["text"]) == case["tokens"], repr(case["text"])
        assert tok.encode(case["text"]) == case["input_ids"], repr(case["text"])
        assert tok(case["text"])["input_ids"] == case["input_ids"]


def test_second_pass_from_the_word_cache_gives_the_same_ids(tok):
    first = [tok.encode(c["text"]) for c in TEXT_CASES]
    assert len(tok._cache) > 0
    assert [tok.encode(c["text"]) for c in TEXT_CASES] == first == [c["input_ids"] for c in TEXT_CASES]


@pytest.mark.parametrize("case", CALLS, ids=lambda c: next(iter(c)))
def test_batch_calls_match_hf(tok, case):
    kwargs = case.get("batch_pair_call") or case.get("batch_call")
    out = tok(**kwargs)
    assert dict(out) == case["expected"]
    arrays = tok(**kwargs, return_tensors="np")
    for key, value in case["expected"].items():
        assert arrays[key].dtype == np.int64
        np.testing.assert_array_equal(arrays[key], np.array(value))


def test_batch_of_tuples_is_a_batch_of_pairs(tok):
    kwargs = CALLS[0]["batch_pair_call"]
    pairs = list(zip(kwargs["text"], kwargs["text_pair"]))
    out = tok(pairs, padding=True, truncation=True, max_length=kwargs["max_length"])
    assert dict(out) == CALLS[0]["expected"]


def test_decode_matches_hf(tok):
    case = DECODES[0]
    assert tok.decode(case["decode"]) == case["expected"]
    assert tok.decode(case["decode"], skip_special_tokens=True) == case["expected_skip_special"]
    assert tok.decode(np.array(case["decode"])) == case["expected"]
    assert tok.batch_decode([case["decode"]]) == [case["expected"]]


def test_offsets_match_hf_rust_tokenizer(tok):
    for case in OFFSETS:
        out = tok(case["text"], return_offsets_mapping=True)
        assert out["input_ids"] == case["input_ids"], repr(case["text"])
        assert [list(span) for span in out["offset_mapping"]] == case["offsets"], repr(case["text"])


def test_offsets_in_a_padded_pair_batch(tok):
    out = tok(["Hello world", "a"], ["x", "yes no"], padding=True, return_offsets_mapping=True, return_tensors="np")
    assert out["offset_mapping"].shape == out["input_ids"].shape + (2,)
    assert out["offset_mapping"][0].tolist() == [[0, 0], [0, 5], [6, 11], [0, 0], [0, 1], [0, 0]]
    assert out["offset_mapping"][1].tolist() == [[0, 0], [0, 1], [0, 0], [0, 3], [4, 6], [0, 0]]


def test_from_pretrained_reads_the_hf_config(tok, bert_dir):
    assert tok.vocab_size == 30522 and len(tok) == 30522
    assert (tok.cls_token_id, tok.sep_token_id, tok.pad_token_id, tok.unk_token_id, tok.mask_token_id) == \
        (101, 102, 0, 100, 103)
    assert tok.model_max_length == 512 and tok.basic.do_lower_case is True
    cased = WordPieceTokenizer.from_pretrained(bert_dir, do_lower_case=False)
    assert cased.tokenize("Hello") == ["[UNK]"]  # the uncased vocabulary has no capital letters


def test_save_and_reload_gives_identical_ids(tok, tmp_path):
    tok.save(tmp_path)
    again = WordPieceTokenizer.from_pretrained(tmp_path)
    assert again.vocab == tok.vocab
    for case in TEXT_CASES:
        assert again.encode(case["text"]) == case["input_ids"]
