"""Reading a tagger back per word, entity-level evaluation, and text -> entities as transformers' pipeline groups
them (fixed cases here; the reference tier compares with the pipeline itself)."""
import numpy as np
import pytest

import minitransformer as mt
import minitransformer.functional as F
from minitransformer.data.tag_loader import TaggedDataLoader
from minitransformer.data.tagging import TaggedDataset
from minitransformer.token_classification import (aggregate, evaluate_tagger, first_piece_tags, group_entities,
                                                  tag_texts, tokens_to_string)
from minitransformer.tokenizer import WordPieceTokenizer

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "jordan", "smith", "visited", "new", "york", "on", "may",
         "3", "amman", "un", "##bel", "##ie", "##va", "##bly", ".", ",", "u", "s", "steel"]
NAMES = ["O", "B-DATE", "I-DATE", "B-LOC", "I-LOC", "B-PER", "I-PER"]


@pytest.fixture(scope="module")
def tokenizer():
    return WordPieceTokenizer({t: i for i, t in enumerate(VOCAB)})


class Config:
    id2label = dict(enumerate(NAMES))


class LookupTagger:
    """A stand-in model whose logits put `confidence` on a tag chosen per token id (the rest share what is left)."""

    def __init__(self, tag_of_id, confidence=3.0):
        self.tag_of_id, self.confidence, self.training, self.config = tag_of_id, confidence, True, Config()

    def eval(self):
        self.training = False
        return self

    def train(self, mode=True):
        self.training = mode
        return self

    def __call__(self, input_ids, attention_mask=None, labels=None):
        ids = np.asarray(input_ids)
        logits = np.zeros(ids.shape + (len(NAMES),), dtype=np.float32)
        for token_id, tag in self.tag_of_id.items():
            logits[ids == token_id, NAMES.index(tag)] = self.confidence
        logits = mt.tensor(logits)
        loss = None if labels is None else F.cross_entropy(logits, np.asarray(labels), ignore_index=-100)

        class Out:
            pass
        out = Out()
        out.logits, out.loss = logits, loss
        return out


def test_first_piece_tags():
    #              [CLS] un ##bel  u    .   s    .  steel [SEP]
    word_ids = [None, 0, 0, 1, 1, 1, 1, 2, None]
    predicted = [9, 5, 6, 3, 4, 4, 4, 4, 9]
    assert first_piece_tags(predicted, word_ids, 3) == [5, 3, 4]
    assert first_piece_tags(predicted[:4], word_ids[:4], 4, outside=0) == [5, 3, 0, 0]  # truncated words are O


def test_evaluate_tagger_scores_words_by_their_first_piece(tokenizer):
    ds = TaggedDataset.from_lists([["Jordan", "Smith", "visited", "Amman", "on", "May", "3"],
                                   ["Unbelievably", ",", "Jordan", "visited", "New", "York"]],
                                  [["B-PER", "I-PER", "O", "B-LOC", "O", "B-DATE", "I-DATE"],
                                   ["O", "O", "B-LOC", "O", "B-LOC", "I-LOC"]], label_names=NAMES)
    ids = {t: i for i, t in enumerate(VOCAB)}
    # jordan is always a person, so "Jordan visited" in the second sentence is wrong (true LOC); "##bel" says
    # B-PER but it is not a first piece, so it cannot count
    model = LookupTagger({ids["jordan"]: "B-PER", ids["smith"]: "I-PER", ids["amman"]: "B-LOC", ids["may"]: "B-DATE",
                          ids["3"]: "I-DATE", ids["new"]: "B-LOC", ids["york"]: "I-LOC", ids["##bel"]: "B-PER"})
    result = evaluate_tagger(model, TaggedDataLoader(ds, tokenizer, batch_size=1))
    assert result["predictions"][1] == ["O", "O", "B-PER", "O", "B-LOC", "I-LOC"]
    assert result["precision"] == pytest.approx(4 / 5) and result["recall"] == pytest.approx(4 / 5)
    assert result["f1"] == pytest.approx(0.8) and result["accuracy"] == pytest.approx(12 / 13)
    assert result["report"]["PER"]["precision"] == pytest.approx(0.5)
    assert model.training  # the mode is restored


def test_tokens_to_string_is_the_fast_decoder():
    assert tokens_to_string(["un", "##bel", "##ie"]) == "unbelie"
    assert tokens_to_string(["u", ".", "s", "."]) == "u. s."
    assert tokens_to_string(["new", "york", ",", "ny", "!"]) == "new york, ny!"


def entity(tag, score, word, start, index=0):
    return {"entity": tag, "score": score, "word": word, "start": start, "end": start + len(word), "index": index}


def test_group_entities_as_transformers():
    entities = [entity("B-PER", 0.9, "jordan", 0), entity("I-PER", 0.7, "smith", 7),  # one PER
                entity("B-PER", 0.8, "ann", 13),                                        # B- starts another
                entity("I-LOC", 0.6, "amman", 17),                                      # type change: new group
                entity("O", 0.99, "on", 23),
                entity("I-DATE", 0.5, "may", 26), entity("I-DATE", 0.7, "3", 30)]      # I- after O: a group
    groups = group_entities(entities)
    assert [(g["entity_group"], g["word"], g["start"], g["end"]) for g in groups] == \
        [("PER", "jordan smith", 0, 12), ("PER", "ann", 13, 16), ("LOC", "amman", 17, 22), ("O", "on", 23, 25),
         ("DATE", "may 3", 26, 31)]
    assert groups[0]["score"] == pytest.approx(0.8) and groups[4]["score"] == pytest.approx(0.6)


def piece(word, start, end, tag, score, subword):
    scores = np.full(len(NAMES), (1 - score) / (len(NAMES) - 1))
    scores[NAMES.index(tag)] = score
    return {"word": word, "scores": scores, "start": start, "end": end, "index": start, "is_subword": subword}


def test_aggregation_strategies_on_one_word_of_three_pieces():
    pieces = [piece("un", 0, 2, "B-PER", 0.9, False), piece("##bel", 2, 5, "B-LOC", 0.95, True),
              piece("##ie", 5, 7, "B-LOC", 0.6, True)]
    id2label = dict(enumerate(NAMES))
    assert [e["entity"] for e in aggregate(pieces, id2label, "none")] == ["B-PER", "B-LOC", "B-LOC"]
    assert [(g["entity_group"], g["word"]) for g in aggregate(pieces, id2label, "simple")] == \
        [("PER", "un"), ("LOC", "##bel"), ("LOC", "##ie")]  # B- pieces do not merge: transformers' behaviour too
    first = aggregate(pieces, id2label, "first")
    assert [(g["entity_group"], g["word"], g["start"], g["end"]) for g in first] == [("PER", "unbelie", 0, 7)]
    assert first[0]["score"] == pytest.approx(0.9)
    assert aggregate(pieces, id2label, "max")[0]["entity_group"] == "LOC"
    assert aggregate(pieces, id2label, "average")[0]["entity_group"] == "LOC"  # mean of LOC: (0.95+0.6+0.017)/3
    with pytest.raises(ValueError, match="aggregation_strategy must be one of"):
        aggregate(pieces, id2label, "longest")


def test_tag_texts_gives_character_spans(tokenizer):
    ids = {t: i for i, t in enumerate(VOCAB)}
    model = LookupTagger({ids["jordan"]: "B-PER", ids["smith"]: "I-PER", ids["new"]: "B-LOC", ids["york"]: "I-LOC",
                          ids["may"]: "B-DATE", ids["3"]: "I-DATE"})
    texts = ["Jordan Smith visited New  York on May 3.", "Unbelievably, nothing."]
    out = tag_texts(model, tokenizer, texts)
    assert [(g["entity_group"], g["word"], texts[0][g["start"]:g["end"]]) for g in out[0]] == \
        [("PER", "jordan smith", "Jordan Smith"), ("LOC", "new york", "New  York"), ("DATE", "may 3", "May 3")]
    assert out[1] == []  # [UNK] for 'nothing' is tagged O and dropped
    assert out[0][0]["score"] == pytest.approx(np.exp(3) / (np.exp(3) + 6))
    none = tag_texts(model, tokenizer, texts[:1], aggregation_strategy="none")[0]
    assert [(e["entity"], e["word"], e["index"]) for e in none][:2] == [("B-PER", "jordan", 1), ("I-PER", "smith", 2)]


def test_pipeline_class_on_a_run_directory_and_on_objects(tokenizer, tmp_path):
    from minitransformer.models import TransformerTokenClassifier
    from minitransformer.token_pipeline import TokenClassificationPipeline
    mt.manual_seed(0)
    model = TransformerTokenClassifier(len(VOCAB), len(NAMES), d_model=8, num_heads=2, num_layers=1, d_ff=16,
                                       max_len=32, id2label=dict(enumerate(NAMES)))
    model.save(tmp_path / "model.npz")
    tokenizer.save(tmp_path)
    from_dir = TokenClassificationPipeline(str(tmp_path), aggregation_strategy="none")
    from_objects = TokenClassificationPipeline(model, tokenizer=tokenizer, aggregation_strategy="none")
    text = "Jordan Smith visited New York on May 3."
    assert from_dir(text) == from_objects(text) == tag_texts(model, tokenizer, [text], aggregation_strategy="none")[0]
    assert from_dir([text, "may"]) == [from_dir(text), from_dir("may")]
    assert from_dir(text, aggregation_strategy="simple") == tag_texts(model, tokenizer, [text])[0]
    with pytest.raises(ValueError, match="needs its tokenizer"):
        TokenClassificationPipeline(model)
    with pytest.raises(ValueError, match="aggregation_strategy must be one of"):
        from_dir(text, aggregation_strategy="longest")
    with pytest.raises(TypeError, match="input 1 is a int"):
        from_dir([text, 3])
