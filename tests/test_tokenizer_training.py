"""Vocabulary training: the worked example, parity with Hugging Face tokenizers (bpe), determinism, save/load."""
import json

import pytest

from conftest import FIXTURES
from minitransformer.tokenizer import WordPieceTokenizer
from minitransformer.tokenizer.trainer import DEFAULT_SPECIAL_TOKENS

# The Hugging Face course's WordPiece example (REFERENCE.md).
WORKED = ["hug"] * 10 + ["pug"] * 5 + ["pun"] * 12 + ["bun"] * 4 + ["hugs"] * 5
CORPUS = (FIXTURES / "tokenizer_train_corpus.txt").read_text(encoding="utf-8").splitlines()


@pytest.mark.t5_2
def test_worked_example_first_likelihood_merge_is_g_s():
    tok = WordPieceTokenizer.train(WORKED, vocab_size=100, algorithm="likelihood")
    left, right, new, count, score = tok.merges[0]
    assert (left, right, new, count) == ("##g", "##s", "##gs", 5)
    assert score == pytest.approx(5 / (20 * 5))  # count(##g ##s) / (count(##g) * count(##s))


@pytest.mark.t5_2
def test_worked_example_bpe_merges_most_frequent_pairs_first():
    # the order Hugging Face tokenizers' WordPieceTrainer produces on this corpus
    tok = WordPieceTokenizer.train(WORKED, vocab_size=100, algorithm="bpe")
    assert [m[2] for m in tok.merges] == ["##ug", "##un", "hug", "pun", "pug", "hugs", "bun"]
    assert [m[3] for m in tok.merges] == [20, 16, 15, 12, 5, 5, 4]


def test_default_algorithm_is_bpe():
    assert WordPieceTokenizer.train(WORKED, vocab_size=100).merges[0][:3] == ("##u", "##g", "##ug")


@pytest.mark.t5_2
def test_likelihood_ties_go_to_the_smaller_id_pair():
    # after ##g+##s every remaining pair scores 1/36 or its equal; b (id 5) + ##u beats h + ##u and p + ##u
    tok = WordPieceTokenizer.train(WORKED, vocab_size=100, algorithm="likelihood")
    assert tok.merges[1][:3] == ("b", "##u", "bu")


@pytest.mark.t5_2
def test_bpe_vocabulary_equals_hugging_face_tokenizers():
    expected = json.loads((FIXTURES / "hf_wordpiece_trainer_vocab.json").read_text(encoding="utf-8"))
    tok = WordPieceTokenizer.train(CORPUS, vocab_size=expected["vocab_size"], algorithm="bpe",
                                   min_frequency=expected["min_frequency"], limit_alphabet=expected["limit_alphabet"])
    assert sorted(tok.vocab) == expected["vocab_sorted"]


def test_vocabulary_layout_specials_then_alphabet_then_merges():
    tok = WordPieceTokenizer.train(WORKED, vocab_size=100, algorithm="bpe")
    tokens = sorted(tok.vocab, key=tok.vocab.get)
    assert tokens[:5] == list(DEFAULT_SPECIAL_TOKENS)
    assert tokens[5:16] == ["b", "g", "h", "n", "p", "s", "u", "##g", "##n", "##s", "##u"]
    assert (tok.pad_token_id, tok.unk_token_id, tok.cls_token_id, tok.sep_token_id) == (0, 1, 2, 3)


def test_min_frequency_and_vocab_size_stop_training():
    tok = WordPieceTokenizer.train(WORKED, vocab_size=100, algorithm="bpe", min_frequency=6)
    assert [m[2] for m in tok.merges] == ["##ug", "##un", "hug", "pun"]  # the next pair occurs only 5 times
    assert WordPieceTokenizer.train(WORKED, vocab_size=18, algorithm="bpe").vocab_size == 18


def test_limit_alphabet_keeps_the_most_frequent_characters():
    tok = WordPieceTokenizer.train(["aaa bb c"], vocab_size=50, limit_alphabet=2, min_frequency=1)
    assert "c" not in tok.vocab and {"a", "b", "##a", "##b"} <= set(tok.vocab)


@pytest.mark.parametrize("algorithm", ["likelihood", "bpe"])
def test_training_is_deterministic_and_order_free(algorithm):
    a = WordPieceTokenizer.train(CORPUS[:300], vocab_size=400, algorithm=algorithm)
    b = WordPieceTokenizer.train(CORPUS[:300], vocab_size=400, algorithm=algorithm)
    c = WordPieceTokenizer.train(list(reversed(CORPUS[:300])), vocab_size=400, algorithm=algorithm)
    assert a.vocab == b.vocab == c.vocab and a.merges == b.merges
    assert len(a.vocab) == 400


@pytest.mark.parametrize("algorithm", ["likelihood", "bpe"])
def test_train_save_load_round_trip_gives_the_same_ids(tmp_path, algorithm):
    tok = WordPieceTokenizer.train(CORPUS[:300], vocab_size=300, algorithm=algorithm)
    tok.save(tmp_path)
    again = WordPieceTokenizer.from_pretrained(tmp_path)
    texts = CORPUS[300:340]
    assert again.vocab == tok.vocab
    assert again(texts, padding=True)["input_ids"] == tok(texts, padding=True)["input_ids"]
    assert tok.unk_token_id not in tok.encode(CORPUS[0])  # trained on it: every character is known


def test_bad_training_arguments_are_explained():
    with pytest.raises(ValueError, match="algorithm='sentencepiece'"):
        WordPieceTokenizer.train(WORKED, algorithm="sentencepiece")
    with pytest.raises(TypeError, match=r"texts\[1\] must be a str, got int"):
        WordPieceTokenizer.train(["ok", 3])
    with pytest.raises(TypeError, match="single str"):
        WordPieceTokenizer.train("just one text")
    with pytest.raises(ValueError, match="vocab_size must be an int"):
        WordPieceTokenizer.train(WORKED, vocab_size=0)
