"""The shipped NER corpus: regenerates byte for byte, valid IOB2, no sentence in two splits, and the hard cases it
promises (ambiguous names, month names, multi-word entities, lower case, names held out of training)."""
import collections

import pytest

from minitransformer.data import ner_corpus, ner_lexicon
from minitransformer.data.conll import load_tagged
from minitransformer.entity_metrics import get_entities

SPLITS = ("train", "validation", "test")


@pytest.fixture(scope="module")
def splits():
    train = ner_corpus.load_shipped("train")
    return {name: ner_corpus.load_shipped(name, label_names=train.label_names) for name in SPLITS}


def entities(ds):
    """[(type, words)] of every entity in a split."""
    return [(t, tuple(words[a:b + 1])) for words, tags in zip(ds.words, ds.tags)
            for t, a, b in get_entities(tags)]


def test_regenerating_gives_the_committed_files_byte_for_byte(tmp_path):
    ner_corpus.main(["--out", str(tmp_path)])
    for name in SPLITS:
        assert (tmp_path / f"{name}.conll").read_bytes() == open(ner_corpus.shipped_path(name), "rb").read(), \
            f"shipped/ner/{name}.conll differs from the generator's output: rerun python -m " \
            "minitransformer.data.ner_corpus"


def test_seeded():
    a = ner_corpus.generate(seed=0, sizes={"train": 30})["train"]
    assert a == ner_corpus.generate(seed=0, sizes={"train": 30})["train"]
    assert a != ner_corpus.generate(seed=1, sizes={"train": 30})["train"]


def test_sizes_tags_and_no_sentence_in_two_splits(splits):
    assert {k: len(v) for k, v in splits.items()} == ner_corpus.SPLIT_SIZES
    assert splits["train"].label_names == ["O", "B-DATE", "I-DATE", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER",
                                           "I-PER"]
    seen = [" ".join(w).lower() for ds in splits.values() for w in ds.words]
    assert len(seen) == len(set(seen))
    for ds in splits.values():  # load_tagged checked IOB2 already; every type occurs in every split
        assert {t for t, _ in entities(ds)} == set(ner_corpus.TYPES)


def test_hard_cases_are_there(splits):
    train = entities(splits["train"])
    types_of = collections.defaultdict(set)
    for t, words in train:
        for w in words:
            types_of[w].add(t)
    for word in ("Jordan", "Georgia", "Washington"):
        assert {"PER", "LOC"} <= types_of[word], word
    assert {"PER", "LOC", "ORG"} <= types_of["Chelsea"]
    assert {"PER", "DATE"} <= types_of["May"]
    assert sum(len(words) >= 3 for _, words in train) > 500  # multi-word entities
    lowered = sum(all(w.islower() for w in words) and any(c.isalpha() for c in "".join(words)) for _, words in train)
    assert 0.05 < lowered / len(train) < 0.2
    assert sum(t == "ORG" and "of" in words for t, words in train) > 50  # "Bank of France", "University of Oslo"


def test_held_out_names_occur_only_outside_training(splits):
    lists = (ner_lexicon.FIRST_NAMES, ner_lexicon.LAST_NAMES)
    trainable = {n for names in lists for n in ner_corpus._names(names, "train")}
    held = {n for names in lists for n in names} - trainable  # (a name in both lists is held only if held in both)
    assert len(held) > 20
    train_words = {w for words in splits["train"].words for w in words}
    assert not held & train_words
    test_person_words = {w for t, words in entities(splits["test"]) if t == "PER" for w in words}
    assert len(held & test_person_words) > 20


def test_the_files_read_as_conll():
    ds = load_tagged(ner_corpus.shipped_path("validation"))
    assert ds.words[0] and len(ds) == ner_corpus.SPLIT_SIZES["validation"]
