"""Tagged data for token classification: IOB2 checks and repair, the tag set, CoNLL and JSONL readers, word ids from
offsets, tags aligned to WordPiece pieces, and the loader's batches."""
import json

import numpy as np
import pytest

from minitransformer.data.conll import load_tagged, read_conll, read_tagged_jsonl, write_conll
from minitransformer.data.tag_loader import TaggedDataLoader, encode_words
from minitransformer.data.tagging import (TaggedDataset, align_labels, check_bio, tag_names,
                                          word_ids_from_offsets)
from minitransformer.tokenizer import WordPieceTokenizer

from conftest import FIXTURES


# ------------------------------------------------------------------ IOB2

def test_check_bio_accepts_iob2_and_names_the_illegal_tag():
    good = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "B-ORG", "I-ORG"]]
    assert check_bio(good) == good
    with pytest.raises(ValueError, match=r"<list>: sentence 1, position 2: I-LOC follows O; in IOB2 an entity "
                                         r"starts with B-LOC .*on_invalid='repair'"):
        check_bio([["O"], ["B-PER", "O", "I-LOC"]])
    with pytest.raises(ValueError, match="sentence 0, position 1: I-LOC follows B-PER"):
        check_bio([["B-PER", "I-LOC"]])  # B- of another type does not license I-LOC
    with pytest.raises(ValueError, match=r"sentence 0, position 0 \(line 7\): I-PER follows O"):
        check_bio([["I-PER"]], lines=[[7]])
    for bad in ("PER", "B-", "E-PER", "b-per", 3):
        with pytest.raises(ValueError, match="is not BIO; expected 'O', 'B-TYPE' or 'I-TYPE'"):
            check_bio([["O", bad]])


def test_repair_turns_iob1_into_iob2():
    iob1 = [["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-ORG"], ["B-PER", "I-LOC", "I-LOC"]]
    assert check_bio(iob1, on_invalid="repair") == [["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "B-ORG"],
                                                    ["B-PER", "B-LOC", "I-LOC"]]
    assert iob1[0][0] == "I-PER"  # the input is not changed
    with pytest.raises(ValueError, match="on_invalid must be one of"):
        check_bio(iob1, on_invalid="drop")


def test_tag_names_order_and_types_seen_only_as_i():
    assert tag_names([["B-PER", "O", "I-PER"], ["B-LOC"]]) == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    assert tag_names([["O"]]) == ["O"]


def test_tagged_dataset_ids_names_and_errors():
    ds = TaggedDataset.from_lists([["Ann", "left"], ["Paris"]], [["B-PER", "O"], ["B-LOC"]])
    assert ds.label_names == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"] and ds.labels == [[3, 0], [1]]
    assert ds.tags == [["B-PER", "O"], ["B-LOC"]] and ds.texts == ["Ann left", "Paris"] and len(ds[:1]) == 1
    with pytest.raises(ValueError, match="sentence 0 has 2 words but 1 tags"):
        TaggedDataset.from_lists([["Ann", "left"]], [["B-PER"]])
    with pytest.raises(ValueError, match=r"sentence 0, position 0: tag 'B-ORG' is not among the label names"):
        TaggedDataset.from_lists([["IBM"]], [["B-ORG"]], label_names=ds.label_names)
    with pytest.raises(ValueError, match="sentence 0 is empty"):
        TaggedDataset([[]], [[]], ["O"])


# ------------------------------------------------------------------ readers

CONLL = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German\tJJ\tB-NP\tB-MISC

Peter\tB-PER
Blackburn\tI-PER


New York\tB-LOC
"""


def test_read_conll_columns_docstart_and_blank_lines():
    words, tags, lines = read_conll(CONLL)
    assert words == [["EU", "rejects", "German"], ["Peter", "Blackburn"], ["New York"]]  # a tab keeps spaces
    assert tags == [["B-ORG", "O", "B-MISC"], ["B-PER", "I-PER"], ["B-LOC"]]
    assert lines == [[3, 4, 5], [7, 8], [11]]


def test_read_conll_error_names_the_line():
    with pytest.raises(ValueError, match=r"<text>: line 2: expected a word and its tag separated by a tab or "
                                         r"spaces, found 'lonely'"):
        read_conll("EU B-ORG\nlonely\n")


def test_read_jsonl_names_and_ids():
    text = "\n".join([json.dumps({"tokens": ["EU", "rejects"], "tags": ["B-ORG", "O"]}),
                      "", json.dumps({"words": ["Paris"], "ner_tags": [1]})])
    words, tags, lines = read_tagged_jsonl(text, label_names=["O", "B-LOC"])
    assert words == [["EU", "rejects"], ["Paris"]] and tags == [["B-ORG", "O"], ["B-LOC"]] and lines == [[1, 1], [3]]
    with pytest.raises(ValueError, match="line 1: tags are integers; pass label_names"):
        read_tagged_jsonl(json.dumps({"tokens": ["a"], "tags": [0]}))
    with pytest.raises(ValueError, match="line 1: 'tags' must be a list of 2 tags"):
        read_tagged_jsonl(json.dumps({"tokens": ["a", "b"], "tags": ["O"]}))
    with pytest.raises(ValueError, match="line 1: expected keys 'tokens' and 'tags'"):
        read_tagged_jsonl(json.dumps({"text": "a"}))
    with pytest.raises(ValueError, match="line 1: bad JSON"):
        read_tagged_jsonl("{")


def test_load_tagged_checks_repairs_and_round_trips(tmp_path):
    path = tmp_path / "iob1.conll"
    path.write_text("Peter I-PER\nsaw O\nRome I-LOC\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"iob1.conll: sentence 0, position 0 \(line 1\): I-PER follows O"):
        load_tagged(path)
    ds = load_tagged(path, on_invalid="repair")
    assert ds.tags == [["B-PER", "O", "B-LOC"]]
    write_conll(tmp_path / "out.conll", ds)
    assert (tmp_path / "out.conll").read_text() == "Peter\tB-PER\nsaw\tO\nRome\tB-LOC\n\n"
    again = load_tagged(tmp_path / "out.conll", label_names=ds.label_names)
    assert again.words == ds.words and again.labels == ds.labels
    jsonl = tmp_path / "x.jsonl"
    jsonl.write_text(json.dumps({"tokens": ["Rome"], "tags": ["B-LOC"]}) + "\n")
    assert load_tagged(jsonl).tags == [["B-LOC"]]
    with pytest.raises(ValueError, match="cannot tell the format"):
        load_tagged(tmp_path / "x.parquet")
    with pytest.raises(FileNotFoundError):
        load_tagged(tmp_path / "missing.conll")
    (tmp_path / "empty.conll").write_text("-DOCSTART- O\n\n")
    with pytest.raises(ValueError, match="no sentences found"):
        load_tagged(tmp_path / "empty.conll")


# ------------------------------------------------------------------ pieces

def test_word_ids_from_offsets_and_alignment():
    words = ["Unbelievably", "U.S.", "Steel", "fell"]
    #          [CLS]   un ##bel ##ie ##va ##bly    u       .       s       .       steel     fell     [SEP]
    offsets = [(0, 0), (0, 2), (2, 5), (5, 7), (7, 9), (9, 12), (13, 14), (14, 15), (15, 16), (16, 17), (18, 23),
               (24, 28), (0, 0)]
    word_ids = word_ids_from_offsets(offsets, words)
    assert word_ids == [None, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 3, None]
    names = ["O", "B-ORG", "I-ORG"]
    tags = [0, 1, 2, 0]
    assert align_labels(word_ids, tags) == [-100, 0, -100, -100, -100, -100, 1, -100, -100, -100, 2, 0, -100]
    assert align_labels(word_ids, tags, label_all_tokens=True, label_names=names) == \
        [-100, 0, 0, 0, 0, 0, 1, 2, 2, 2, 2, 0, -100]  # later pieces of a B-ORG word continue as I-ORG
    with pytest.raises(ValueError, match="needs label_names"):
        align_labels(word_ids, tags, label_all_tokens=True)


@pytest.fixture(scope="module")
def tokenizer():
    words = "jordan visited new york steel fell un ##bel ##ie ##va ##bly u s . paris".split()
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
    return WordPieceTokenizer({t: i for i, t in enumerate(vocab)})


def test_encode_words_with_a_real_tokenizer(tokenizer):
    rows = encode_words(tokenizer, [["Jordan", "visited", "New", "York"], ["Unbelievably", "U.S.", "Steel", "fell"]])
    assert rows[0]["word_ids"] == [None, 0, 1, 2, 3, None]
    assert tokenizer.convert_ids_to_tokens(rows[1]["input_ids"]) == \
        ["[CLS]", "un", "##bel", "##ie", "##va", "##bly", "u", ".", "s", ".", "steel", "fell", "[SEP]"]
    assert rows[1]["word_ids"] == [None, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 3, None]
    assert encode_words(tokenizer, [["Jordan", "visited", "Paris"]], max_length=4)[0]["word_ids"] == \
        [None, 0, 1, None]  # truncation drops the last word's pieces


class WordsTokenizer:
    """A stand-in for a tokenizer that takes pre-split words (is_split_into_words) and answers word_ids(i)."""

    def __init__(self, inner):
        self.inner, self.calls = inner, []

    def __call__(self, text, is_split_into_words=False, truncation=None, max_length=None):
        assert is_split_into_words
        self.calls.append(text)
        rows = [encode_words(self.inner, [words], max_length)[0] for words in text]

        class Encoding(dict):
            def word_ids(self, i):
                return rows[i]["word_ids"]
        return Encoding(input_ids=[r["input_ids"] for r in rows])


def test_encode_words_uses_the_tokenizers_own_word_ids_when_it_takes_words(tokenizer):
    words = [["Jordan", "visited", "New", "York"], ["Unbelievably", "U.S.", "Steel", "fell"]]
    wrapped = WordsTokenizer(tokenizer)
    assert encode_words(wrapped, words) == encode_words(tokenizer, words)
    assert wrapped.calls == [words]  # one call with the words themselves


def test_loader_batches_pad_and_align(tokenizer):
    ds = TaggedDataset.from_lists([["Jordan", "visited", "New", "York"], ["Unbelievably", "U.S.", "Steel", "fell"],
                                   ["Paris"]],
                                  [["B-PER", "O", "B-LOC", "I-LOC"], ["O", "B-ORG", "I-ORG", "O"], ["B-LOC"]])
    loader = TaggedDataLoader(ds, tokenizer, batch_size=2)
    first, second = list(loader)
    assert first["input_ids"].shape == first["labels"].shape == first["attention_mask"].shape == (2, 13)
    L = {name: i for i, name in enumerate(ds.label_names)}
    np.testing.assert_array_equal(first["labels"][0], [-100, L["B-PER"], 0, L["B-LOC"], L["I-LOC"], -100]
                                  + [-100] * 7)
    np.testing.assert_array_equal(first["attention_mask"].sum(1), [6, 13])
    assert first["input_ids"][0, 6:].tolist() == [tokenizer.pad_token_id] * 7
    assert second["labels"].tolist() == [[-100, L["B-LOC"], -100]]
    bucketed = TaggedDataLoader(ds, tokenizer, batch_size=2, bucket_by_length=True)
    assert bucketed._lengths.tolist() == [6, 13, 3]
    assert len(loader) == 2 and loader.state_dict()["epoch"] == 1


def test_real_conll_file_fixture():
    """A file in CoNLL-2003's layout (IOB1, four columns, -DOCSTART-; sentences of our own) reads after repair."""
    ds = load_tagged(FIXTURES / "conll2003_sample.conll", on_invalid="repair")
    assert len(ds) == 4 and ds.words[0][:3] == ["UNESCO", "praises", "Dutch"]
    assert ds.tags[2] == ["B-LOC", "O"]  # IOB1's I-LOC at the start became B-LOC
