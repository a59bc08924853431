"""Lower-casing is per character, as BERT does it, for every code point; spans stay per character.

Hugging Face's slow BertTokenizer lower-cases the text one character at a time and the Rust normalizer maps each
char alone; str.lower() on a word applies Final_Sigma (a word-final 'Σ' becomes 'ς', another vocabulary entry).
The values are Hugging Face's (transformers 4.57 slow and fast, bert-base-uncased vocabulary):
tests/fixtures/make_lowercase_cases.py stores them for every code point whose lower-casing does anything, and
tests/test_tokenizer_hf.py (reference tier) checks the lower-casing step alone against both over every code point.
"""
import json
import unicodedata

import pytest

from conftest import FIXTURES
from minitransformer.tokenizer import BasicTokenizer, WordPieceTokenizer
from minitransformer.tokenizer.basic import hf_basic_tokenize, lower_case

LOWERCASE = json.loads((FIXTURES / "bert_uncased_lowercase_cases.json").read_text(encoding="utf-8"))


@pytest.fixture
def tok(bert_dir):
    return WordPieceTokenizer.from_pretrained(bert_dir)


@pytest.mark.parametrize("text, ids, spans", [
    # the case: ο ##δ ##ο ##σ, each piece spanning its own character (we gave ο ##δ ##ος over the word)
    ("ΟΔΟΣ", [101, 1169, 29722, 29730, 29733, 102], [(0, 0), (0, 1), (1, 2), (2, 3), (3, 4), (0, 0)]),
    ("ΟΔΟΣ ΣΑΣ σας", [101, 1169, 29722, 29730, 29733, 1173, 14608, 29733, 1173, 14608, 19579, 102],
     [(0, 0), (0, 1), (1, 2), (2, 3), (3, 4), (5, 6), (6, 7), (7, 8), (9, 10), (10, 11), (11, 12), (0, 0)]),
    ("ΑΣ.", [101, 1155, 29733, 1012, 102], [(0, 0), (0, 1), (1, 2), (2, 3), (0, 0)]),
    ("İSTANBUL", [101, 9960, 102], [(0, 0), (0, 8), (0, 0)]),  # İ -> i + U+0307, the accent then stripped
    ("STRAẞE", [101, 2358, 27807, 102], [(0, 0), (0, 2), (2, 6), (0, 0)]),  # ẞ -> ß, which keeps its shape
])
def test_case_mapping_examples_equal_hugging_face(tok, text, ids, spans):
    out = tok(text, return_offsets_mapping=True)
    assert out["input_ids"] == ids
    assert out["offset_mapping"] == spans


def test_lower_case_maps_each_character_alone():
    assert lower_case("ΟΔΟΣ") == "οδοσ" != "ΟΔΟΣ".lower()  # str.lower: 'οδος'
    assert lower_case("İ") == "i\u0307" and lower_case("ẞ") == "ß" and lower_case("ǅ") == "ǆ"
    assert lower_case("ΣΑΣ σας") == "σασ σας"  # an 'ς' typed in the text stays one
    word = "".join(chr(c) for c in range(0x370, 0x400))
    assert lower_case(word) == "".join(ch.lower() for ch in word)
    for lower in (True, False):
        assert BasicTokenizer(do_lower_case=lower, strip_accents=False).tokenize("ΟΔΟΣ") == \
            (["οδοσ"] if lower else ["ΟΔΟΣ"])
    assert hf_basic_tokenize("ΟΔΟΣ, ΣΑΣ") == ["οδοσ", ",", "σασ"]


def test_the_fixture_covers_every_code_point_that_lower_casing_changes():
    cps = {case["cp"] for case in LOWERCASE["cases"]}
    changed = {c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and chr(c).lower() != chr(c)}
    assert changed <= cps or unicodedata.unidata_version != LOWERCASE["meta"]["unicodedata"]
    assert {0x3A3, 0x130, 0x1E9E, 0x1C5, 0x212A} <= cps  # Σ, İ, ẞ, ǅ, the Kelvin sign


def test_every_lower_casing_code_point_gives_the_ids_and_spans_of_hugging_face(tok):
    """Ids equal the slow tokenizer's for every case; spans equal the Rust tokenizer's wherever its ids agree.
    Where they do not, it is a code point that is unassigned in Python's Unicode tables (the slow tokenizer, and we,
    delete it as category Cn) but lower-cased by the newer tables of the Rust library."""
    template, checked, differ = LOWERCASE["meta"]["template"], 0, 0
    for case in LOWERCASE["cases"]:
        ch = chr(case["cp"])
        if unicodedata.category(ch) != case["category"]:
            continue  # this Python's Unicode tables are not those the fixture was made with
        text = template.format(ch)
        out = tok(text, return_offsets_mapping=True)
        assert out["input_ids"] == case["input_ids"], f"U+{case['cp']:04X} {text!r}"
        if case["offsets"] is None:
            assert case["category"] == "Cn"
            differ += 1
        else:
            assert out["offset_mapping"] == [tuple(span) for span in case["offsets"]], f"U+{case['cp']:04X} {text!r}"
        checked += 1
    assert checked > 1400 and differ < 100
