"""Byte-level BPE (GPT-2's tokenizer): the byte table, the pre-tokeniser against GPT-2's regex (cases computed by the
`regex` package), training and ids against Hugging Face tokenizers (fixtures from tests/fixtures/make_bpe_fixture.py),
round trips over every byte string, files, batches. Live comparisons are in tests/test_tokenizer_bpe_reference.py."""
import json
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minitransformer.tokenizer import ByteLevelBPETokenizer
from minitransformer.tokenizer.bpe import bpe_merge, load_merges_txt
from minitransformer.tokenizer.byte_level import SCANNED, bytes_to_unicode, pretokenize, to_byte_symbols
from tests.conftest import FIXTURES

HF_DIR = FIXTURES / "hf_bytelevel_bpe"
CORPUS = [FIXTURES / "tokenizer_train_corpus.txt", FIXTURES / "bpe_train_unicode.txt"]


@pytest.fixture(scope="module")
def hf_tok():
    return ByteLevelBPETokenizer.from_files(HF_DIR / "vocab.json", HF_DIR / "merges.txt",
                                            special_tokens=["<|endoftext|>"], eos_token="<|endoftext|>")


def test_bytes_to_unicode_is_gpt2s_table():
    table = bytes_to_unicode()
    assert len(set(table.values())) == 256
    assert all(c.isprintable() and not c.isspace() for c in table.values())
    assert table[ord(" ")] == "Ġ" and table[ord("\n")] == "Ċ" and table[0] == "Ā" and table[ord("A")] == "A"
    assert to_byte_symbols(" héllo") == "ĠhÃ©llo"  # é is two UTF-8 bytes, each its own character


def test_pretokenize_matches_gpt2_regex_cases():
    cases = json.loads((FIXTURES / "gpt2_pretokenize_cases.json").read_text(encoding="utf-8"))
    wrong = [(c["text"], pretokenize(c["text"]), c["pieces"]) for c in cases if pretokenize(c["text"]) != c["pieces"]]
    assert not wrong, wrong[:3]
    assert len(cases) > 400


def test_letters_and_numbers_live_in_the_scanned_planes():
    import sys
    import unicodedata
    beyond = [cp for cp in range(SCANNED.stop, sys.maxunicode + 1) if unicodedata.category(chr(cp))[0] in "LN"]
    assert beyond == []  # the class building skips planes 4-16: true of this Python's Unicode tables


@given(st.text())
@settings(max_examples=200, deadline=None)
def test_pieces_concatenate_back(text):
    assert "".join(pretokenize(text)) == text


def test_trained_vocabulary_and_merges_equal_tokenizers():
    ours = ByteLevelBPETokenizer.train_from_files(CORPUS, vocab_size=800, min_frequency=2,
                                                  special_tokens=["<|endoftext|>"])
    hf_vocab = json.loads((HF_DIR / "vocab.json").read_text(encoding="utf-8"))
    assert ours.vocab == hf_vocab
    assert ours.merges == load_merges_txt(HF_DIR / "merges.txt")


def test_ids_equal_tokenizers(hf_tok):
    cases = json.loads((HF_DIR / "cases.json").read_text(encoding="utf-8"))
    for case in cases:
        tok = hf_tok
        if case["add_prefix_space"]:
            tok = ByteLevelBPETokenizer(hf_tok.vocab, hf_tok.merges, special_tokens=["<|endoftext|>"],
                                        add_prefix_space=True)
        assert tok.encode(case["text"]) == case["ids"], case["text"]


@given(st.binary(max_size=60))
@settings(max_examples=300, deadline=None)
def test_every_byte_string_round_trips(data):
    tok = _small_tok()
    assert tok.decode_bytes(tok.encode(data)) == data


@given(st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_every_text_round_trips(text):
    tok = _small_tok()
    assert tok.decode(tok.encode(text)) == text


_SMALL = []


def _small_tok():
    if not _SMALL:
        _SMALL.append(ByteLevelBPETokenizer.train_from_files(CORPUS, vocab_size=400,
                                                             special_tokens=["<|endoftext|>"]))
    return _SMALL[0]


def test_special_tokens_stay_whole_and_decode(hf_tok):
    eos = hf_tok.vocab["<|endoftext|>"]
    ids = hf_tok.encode("hi<|endoftext|>there")
    assert eos in ids and hf_tok.decode(ids) == "hi<|endoftext|>there"
    assert hf_tok.decode(ids, skip_special_tokens=True) == "hithere"
    assert hf_tok.tokenize(" there")[0].startswith("Ġ")


def test_bpe_merge_applies_lowest_rank_first_leftmost_on_ties():
    ranks = {("a", "b"): 0, ("b", "c"): 1, ("ab", "c"): 2, ("a", "a"): 3}
    assert bpe_merge("abc", ranks) == ["abc"]
    assert bpe_merge("bcab", ranks) == ["bc", "ab"]
    assert bpe_merge("aaa", ranks) == ["aa", "a"]
    assert bpe_merge("xyz", ranks) == ["x", "y", "z"]


def test_save_and_load_round_trip(tmp_path, hf_tok):
    hf_tok.pad_token = "<|endoftext|>"
    try:
        hf_tok.save(tmp_path)
    finally:
        hf_tok.pad_token = None
    again = ByteLevelBPETokenizer.from_pretrained(tmp_path)
    assert again.vocab == hf_tok.vocab and again.merges == hf_tok.merges
    assert again.pad_token == again.eos_token == "<|endoftext|>"
    text = "Où est la bibliothèque ? 😀"
    assert again.encode(text) == hf_tok.encode(text)
    assert (tmp_path / "merges.txt").read_text(encoding="utf-8").startswith("#version: 0.2\n")


def test_batch_call_pads_left_or_right(hf_tok):
    with pytest.raises(ValueError, match="pad token"):
        hf_tok(["a", "bb cc"], padding=True)
    tok = ByteLevelBPETokenizer(hf_tok.vocab, hf_tok.merges, eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    enc = tok(["Hello", "Hello world, again"], padding=True, padding_side="left", return_tensors="np")
    short = tok.encode("Hello")
    pad = tok.pad_token_id
    assert enc["input_ids"].shape[0] == 2 and list(enc["input_ids"][0, -len(short):]) == short
    assert (enc["input_ids"][0, :-len(short)] == pad).all() and enc["attention_mask"][0, :-len(short)].sum() == 0
    right = tok(["Hello", "Hello world, again"], padding=True)
    assert right["input_ids"][0][:len(short)] == short and right["attention_mask"][0][-1] == 0
    assert tok("Hello world, again", truncation=True, max_length=2)["input_ids"] == tok.encode("Hello world")[:2]


def test_train_rejects_bad_input_and_files_check():
    with pytest.raises(TypeError, match="single str"):
        ByteLevelBPETokenizer.train("some text")
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        ByteLevelBPETokenizer.train(["ok", 3])
    with pytest.raises(ValueError, match="not in the vocabulary"):
        ByteLevelBPETokenizer({"a": 0, "b": 1}, [("a", "b")])
    with pytest.raises(ValueError, match="special tokens"):
        ByteLevelBPETokenizer({"a": 0}, [], special_tokens=["<s>"])


def test_min_frequency_and_vocab_size_bound_the_merges():
    texts = ["ab ab ab cd"] * 3 + [string.ascii_lowercase]
    tok = ByteLevelBPETokenizer.train(texts, vocab_size=1000, min_frequency=3)
    learned = set(tok.vocab) - set(bytes_to_unicode().values())
    assert learned == {"ab", "Ġab", "cd", "Ġcd"}  # counts 10, 6, 4, 3; then every pair is below 3
    assert len(ByteLevelBPETokenizer.train(texts, vocab_size=258, min_frequency=1).vocab) == 258
