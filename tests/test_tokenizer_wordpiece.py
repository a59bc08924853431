"""WordPiece greedy longest-match-first, on a hand-made vocabulary and on BERT's."""
import pytest

from minitransformer.tokenizer import WordPieceTokenizer, wordpiece_split

VOCAB = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "una", "##aff", "##ffa",
                                     "##able", "##ble", "##b", "##l", "##e", "a", "##a", "runn", "##ing", "run"])}


@pytest.mark.t5_1
@pytest.mark.parametrize("word,pieces", [
    ("unaffable", ["una", "##ffa", "##ble"]),  # longest first: 'una' beats 'un', then '##ffa' (no '##f')
    ("running", ["runn", "##ing"]),
    ("run", ["run"]),
    ("a", ["a"]),
    ("aaa", ["a", "##a", "##a"]),
    ("unx", ["[UNK]"]),  # one unmatched piece makes the whole word unknown, not 'un' + [UNK]
    ("xun", ["[UNK]"]),
    ("", []),
])
def test_greedy_longest_match_first(word, pieces):
    assert wordpiece_split(word, VOCAB, "[UNK]") == pieces
    assert wordpiece_split(word, VOCAB, "[UNK]", max_piece_chars=6) == pieces  # the length bound changes nothing


@pytest.mark.t5_1
def test_words_over_the_length_limit_are_unknown():
    assert wordpiece_split("a" * 100, VOCAB, "[UNK]") == ["a"] + ["##a"] * 99
    assert wordpiece_split("a" * 101, VOCAB, "[UNK]") == ["[UNK]"]
    assert wordpiece_split("aaa", VOCAB, "[UNK]", max_input_chars_per_word=2) == ["[UNK]"]


@pytest.mark.t5_1
def test_tokenizer_applies_wordpiece_to_each_basic_token():
    tok = WordPieceTokenizer(VOCAB)
    assert tok.tokenize("UNAFFABLE, running!") == ["una", "##ffa", "##ble", "[UNK]", "runn", "##ing", "[UNK]"]
    assert tok.encode("run a") == [2, 18, 14, 3]


def test_real_vocab_splits_rare_words(bert_dir):
    tok = WordPieceTokenizer.from_pretrained(bert_dir)
    # values from Hugging Face's BertTokenizer on bert-base-uncased
    assert tok.tokenize("unaffable") == ["una", "##ffa", "##ble"]
    assert tok.tokenize("antidisestablishmentarianism") == ["anti", "##dis", "##est", "##ab", "##lish", "##ment",
                                                            "##arian", "##ism"]


def test_never_split_tokens_stay_whole_and_as_written():
    # Hugging Face's slow BertTokenizer (transformers 4.57, these exact outputs): the text is lower-cased before the
    # basic tokenizer compares words with never_split, so with lower-casing only lower-case entries can match:
    # 'Run' and '[FOO]' never do ('[foo]' splits at its brackets), 'unaffable' does, also when lower-casing made it
    # ('UNAFFABLE'). A matching token skips accent and punctuation splitting, and WordPiece too; tokenize() returns
    # it as written, and its id is [UNK] when the vocabulary lacks it.
    tok = WordPieceTokenizer(VOCAB, never_split=["[FOO]", "Run", "unaffable"])
    assert tok.tokenize("[FOO] Run run! unaffable UNAFFABLE") == \
        ["[UNK]", "[UNK]", "[UNK]", "run", "run", "[UNK]", "unaffable", "unaffable"]
    assert tok.encode("[FOO] Run run unaffable") == [2, 1, 1, 1, 18, 18, 1, 3]
    assert tok("[FOO] Run run unaffable", return_offsets_mapping=True)["offset_mapping"] == \
        [(0, 0), (0, 1), (1, 4), (4, 5), (6, 9), (10, 13), (14, 23), (0, 0)]
    tok = WordPieceTokenizer(VOCAB, never_split=["[FOO]", "Run"], do_lower_case=False)  # without lower-casing
    assert tok.tokenize("[FOO] Run run") == ["[FOO]", "Run", "run"]
    # asked again after lower-casing: 'RUN-A' becomes 'run-a', which then escapes the punctuation split
    tok = WordPieceTokenizer(VOCAB, never_split=["run-a"])
    assert tok.tokenize("RUN-A run-a Run-A, run-ab") == \
        ["run-a", "run-a", "run", "[UNK]", "a", "[UNK]", "run", "[UNK]", "a", "##b"]
    assert tok.encode("RUN-A run-a") == [2, 1, 1, 3]
