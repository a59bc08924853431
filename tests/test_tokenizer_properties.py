"""Property tests: any Unicode tokenizes, the fast path equals the reference rules, round trips, padding invariants."""
import sys
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import FIXTURES, bert_reference_dir
from minitransformer.tokenizer import BasicTokenizer, WordPieceTokenizer
from minitransformer.tokenizer.basic import SEPARATORS, SPLIT_MISMATCH_RE, hf_basic_tokenize, is_whitespace

SETTINGS = [(lower, strip) for lower in (True, False) for strip in (None, False, True)]
CORPUS = (FIXTURES / "tokenizer_train_corpus.txt").read_text(encoding="utf-8").splitlines()
# text that stresses the rules: ASCII, accents, combining marks, CJK, controls, odd whitespace, emoji, specials
ODD = st.lists(st.sampled_from(list("aZ9 .,'!-#$\t\n\x00\x0b\x1c\x85\xa0\u2028\u200b\u0301\u00e9\u0130\u03a3"
                                     "\u4e2d\uac00\uff26\ufb01\ufffd\U0001f600") + ["[CLS]", "[MASK]", "[cls]"]),
               max_size=30).map("".join)
ANY = st.text(alphabet=st.characters(codec=None), max_size=40) | ODD


def test_separators_are_exactly_hf_whitespace_plus_what_str_split_adds():
    hf = {chr(c) for c in range(sys.maxunicode + 1) if is_whitespace(chr(c)) or
          (chr(c).isspace() and not unicodedata.category(chr(c)).startswith("C"))}
    listed = {ch for ch in (chr(c) for c in range(sys.maxunicode + 1)) if SPLIT_MISMATCH_RE.pattern and
              ch.isspace() and not SPLIT_MISMATCH_RE.match(ch)}
    assert hf == listed
    assert all(ch in hf for ch in SEPARATORS.replace("\u2000-\u200a", "\u2000\u200a"))


@settings(max_examples=300, deadline=None)
@given(ANY, st.sampled_from(SETTINGS))
def test_fast_basic_tokenizer_equals_the_reference_rules(text, setting):
    lower, strip = setting
    assert BasicTokenizer(lower, strip).tokenize(text) == hf_basic_tokenize(text, lower, strip)


@pytest.fixture(scope="module")
def small():
    """A small trained vocabulary, built on first use (so a stubbed classroom task breaks only its own tests)."""
    return WordPieceTokenizer.train(CORPUS[:200], vocab_size=200, algorithm="bpe")


@settings(max_examples=200, deadline=None)
@given(text=ANY)
def test_any_unicode_encodes_and_decodes_without_error(small, text):
    out = small(text, return_offsets_mapping=True)
    assert len(out["input_ids"]) == len(out["offset_mapping"]) >= 2
    assert all(0 <= s <= e <= len(text) for s, e in out["offset_mapping"])
    assert isinstance(small.decode(out["input_ids"]), str)
    assert small.tokenize(text) == small.convert_ids_to_tokens(out["input_ids"][1:-1])


@pytest.fixture(scope="module")
def bert():
    path = bert_reference_dir()
    if not (path / "vocab.txt").exists():
        pytest.skip(f"reference BERT vocab not found in {path}: run `bash .ci/fetch_reference`")
    return WordPieceTokenizer.from_pretrained(path)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 .,;:!?'\"()-\u00e9\u00e8\u00fc")),
               max_size=60))
def test_decode_of_encode_is_the_basic_tokenized_text(bert, text):
    # every character here is in BERT's vocabulary (also as ##x), so nothing becomes [UNK]
    ids = bert.encode(text, add_special_tokens=False)
    assert bert.decode(ids, clean_up_tokenization_spaces=False) == " ".join(bert.basic.tokenize(text))


TEXTS = st.lists(st.text(st.sampled_from(list("ab cd.!")), max_size=30), min_size=1, max_size=5)


@settings(max_examples=150, deadline=None)
@given(texts=TEXTS, pairs=st.one_of(st.none(), TEXTS), max_length=st.integers(3, 20),
       truncation=st.sampled_from([True, "longest_first", "only_first", "only_second"]),
       padding=st.sampled_from([True, "max_length"]))
def test_padding_and_truncation_invariants(small, texts, pairs, max_length, truncation, padding):
    if pairs is not None:
        pairs = (pairs * len(texts))[:len(texts)]
    elif truncation == "only_second":
        truncation = "only_first"  # HF ignores only_second without a pair (nothing is cut); test the cut instead
    try:
        out = small(texts, pairs, padding=padding, truncation=truncation, max_length=max_length)
    except ValueError as e:  # only_first / only_second may be unable to make room; the message says so
        assert "cannot truncate" in str(e) and truncation in ("only_first", "only_second")
        return
    plain = small(texts, pairs)
    width = {len(row) for row in out["input_ids"]}
    assert len(width) == 1 and width.pop() == (max_length if padding == "max_length" else
                                              max(map(sum, out["attention_mask"])))
    for ids, types, mask, full in zip(out["input_ids"], out["token_type_ids"], out["attention_mask"],
                                      plain["input_ids"]):
        n = sum(mask)
        assert mask == [1] * n + [0] * (len(ids) - n)
        assert n == min(len(full), max_length)
        assert ids[n:] == [small.pad_token_id] * (len(ids) - n) and types[n:] == [0] * (len(ids) - n)
        assert ids[0] == small.cls_token_id and ids[n - 1] == small.sep_token_id
        assert ids[:n].count(small.sep_token_id) == (2 if pairs is not None else 1)
        first_sep = ids.index(small.sep_token_id)
        assert types[:first_sep + 1] == [0] * (first_sep + 1) and types[first_sep + 1:n] == [1] * (n - first_sep - 1)
