"""Reference tier, token classification: our BertForTokenClassification against transformers' on the same weights,
both ways (their directory into ours, ours into theirs), logits, loss and every gradient; the golden fixture is what
its script writes today; entity metrics against seqeval live. Skips where torch/transformers/seqeval are absent:
    /work/refvenv/bin/python -m pytest -m reference tests/test_token_classification_reference.py"""
import importlib.util
import warnings

import numpy as np
import pytest

import minitransformer as mt
from minitransformer.io import load_npz
from minitransformer.models import BertConfig, BertForTokenClassification

from conftest import FIXTURES

pytestmark = pytest.mark.reference
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


def fixture_script():
    spec = importlib.util.spec_from_file_location("make_golden", FIXTURES / "make_token_classification_golden.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def hf_outputs(model, arrays, labels):
    batch = {k: torch.from_numpy(arrays[k]) for k in ("input_ids", "attention_mask", "token_type_ids")}
    return model(**batch, labels=torch.from_numpy(labels))


def test_transformers_directory_into_ours_logits_loss_and_gradients(tmp_path):
    script = fixture_script()
    hf, arrays = script.build()
    hf.save_pretrained(tmp_path)
    ours = BertForTokenClassification.from_pretrained(tmp_path)
    out = ours(arrays["input_ids"], arrays["attention_mask"], arrays["token_type_ids"], labels=arrays["labels"])
    np.testing.assert_allclose(out.logits.numpy(), arrays["logits"], rtol=0, atol=1e-5)
    assert out.loss.item() == pytest.approx(float(arrays["loss"]), abs=1e-5)
    out.loss.backward()
    hf.zero_grad()
    hf_outputs(hf, arrays, arrays["labels"]).loss.backward()
    theirs = {name: p.grad.numpy() for name, p in hf.named_parameters() if p.grad is not None}
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs[name], rtol=1e-4, atol=1e-6, err_msg=name)
    assert set(theirs) <= {name for name, _ in ours.named_parameters()}


def test_golden_fixture_is_current(tmp_path):
    """The stored npz and directory are what the script writes with today's torch/transformers."""
    script = fixture_script()
    hf, arrays = script.build()
    stored, _ = load_npz(FIXTURES / "token_classification_golden.npz")
    assert set(stored) == set(arrays)
    for key, value in arrays.items():
        np.testing.assert_allclose(stored[key], value, rtol=0, atol=1e-6, err_msg=key)
    stored_model = transformers.BertForTokenClassification.from_pretrained(FIXTURES / "bert_token_classification")
    for (name, a), (_, b) in zip(stored_model.state_dict().items(), hf.state_dict().items()):
        assert torch.equal(a, b), name


def test_ours_saved_loads_in_transformers(tmp_path):
    tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    mt.manual_seed(3)
    config = BertConfig.from_dict(dict(vocab_size=60, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                                       intermediate_size=24, max_position_embeddings=16, initializer_range=0.3,
                                       id2label=dict(enumerate(tags))))
    ours = BertForTokenClassification(config).eval()
    ours.save_pretrained(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing or unexpected key warns in transformers: none may appear
        hf, info = transformers.BertForTokenClassification.from_pretrained(tmp_path, output_loading_info=True)
    assert not any(info.values()), info
    assert hf.config.id2label == dict(enumerate(tags)) and hf.config.label2id["B-LOC"] == 3
    ids = np.array([[2, 7, 9, 11, 3, 0], [2, 5, 6, 3, 0, 0]])
    arrays = dict(input_ids=ids, attention_mask=(ids != 0).astype(np.int64), token_type_ids=np.zeros_like(ids))
    labels = np.array([[-100, 1, 2, 0, -100, -100], [-100, 3, 4, -100, -100, -100]])
    with torch.no_grad():
        theirs = hf_outputs(hf.eval(), arrays, labels)
    with mt.no_grad():
        mine = ours(ids, arrays["attention_mask"], labels=labels)
    np.testing.assert_allclose(mine.logits.numpy(), theirs.logits.numpy(), rtol=0, atol=1e-5)
    assert mine.loss.item() == pytest.approx(theirs.loss.item(), abs=1e-5)


# ------------------------------------------------------------------ entity metrics against seqeval, live

def _seqeval():
    pytest.importorskip("seqeval")
    from seqeval import metrics
    from seqeval.metrics.sequence_labeling import get_entities
    return metrics, get_entities


def _as_float(value):
    return float(value)


def test_entity_metrics_fixed_cases_match_seqeval():
    from test_entity_metrics import CHUNKS, EXPECTED, Y_PRED, Y_TRUE
    metrics, get_entities = _seqeval()
    for tags, expected in CHUNKS:
        assert [tuple(c) for c in get_entities(tags)] == expected, tags
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # seqeval warns about 0/0
        theirs = metrics.classification_report(Y_TRUE, Y_PRED, output_dict=True)
        assert metrics.accuracy_score(Y_TRUE, Y_PRED) == pytest.approx(9 / 13)
    assert list(theirs) == list(EXPECTED)
    for name, row in EXPECTED.items():
        assert {k: _as_float(v) for k, v in theirs[name].items()} == pytest.approx(row), name


def test_entity_metrics_random_sequences_match_seqeval():
    """Random tag sequences over an alphabet with every odd case (I- after O, E/S, untyped, dashes in the type)."""
    from minitransformer import entity_metrics as ours
    metrics, get_entities = _seqeval()
    alphabet = ["O", "O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "I-ORG", "B-ORG", "E-PER", "S-LOC", "B", "I",
                "B-A-B", "."]
    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for trial in range(300):
            lengths = rng.integers(0, 9, size=rng.integers(1, 5))
            y_true = [list(rng.choice(alphabet, n)) for n in lengths]
            y_pred = [list(rng.choice(alphabet, n)) for n in lengths]
            assert ours.get_entities(y_true) == [tuple(c) for c in get_entities(y_true)], y_true
            for average in ("micro", "macro", "weighted"):
                mine = ours.precision_recall_f1(y_true, y_pred, average)[:3]
                theirs = (metrics.precision_score(y_true, y_pred, average=average),
                          metrics.recall_score(y_true, y_pred, average=average),
                          metrics.f1_score(y_true, y_pred, average=average))
                np.testing.assert_allclose(mine, theirs, rtol=1e-12, err_msg=f"{average}: {y_true} {y_pred}")
            if sum(lengths):  # seqeval divides by zero on no tokens; ours says 0.0
                assert ours.accuracy_score(y_true, y_pred) == pytest.approx(metrics.accuracy_score(y_true, y_pred))


# ------------------------------------------------------------------ word ids against the fast tokenizer

WORD_CASES = [
    ["Jordan", "visited", "New", "York", "on", "3", "May", "2021", "."],
    ["Unbelievably", ",", "U.S.", "Steel", "'s", "CEO", "resigned", "!"],
    ["Müller", "and", "Ødegaard", "met", "in", "Zürich", "(", "Switzerland", ")"],
    ["東京", "is", "big", ";", "x@y.com", "--", "state-of-the-art", "😀", "ok"],
    ["hyper\u00adlink", "naïve", "café", "ﬁne", "Ångström"],  # case mapping (ΟΔΟΣ, İ) is issue 18
]


def test_word_ids_from_offsets_equal_fast_tokenizer_split_into_words(bert_dir):
    from minitransformer.data.tag_loader import encode_words
    from minitransformer.tokenizer import WordPieceTokenizer
    fast = transformers.BertTokenizerFast(str(bert_dir / "vocab.txt"), do_lower_case=True)
    ours = WordPieceTokenizer.from_pretrained(bert_dir)
    rows = encode_words(ours, WORD_CASES, max_length=64)
    through_words = encode_words(fast, WORD_CASES, max_length=64)  # the is_split_into_words path
    for words, row, other in zip(WORD_CASES, rows, through_words):
        theirs = fast(words, is_split_into_words=True)
        assert row["input_ids"] == theirs["input_ids"] == other["input_ids"], words
        assert row["word_ids"] == theirs.word_ids(0) == other["word_ids"], words


# ------------------------------------------------------------------ entities from text against the pipeline

PIPELINE_TEXTS = ["Jordan Smith flew from Amman to New York on 3 May 2021.",
                  "Unbelievably, U.S. Steel's CEO met Ødegaard in Zürich (Switzerland)!",
                  "hyperventilating penguins 😀 watched the state-of-the-art Wi-Fi installation in São Paulo.",
                  "a"]


@pytest.mark.parametrize("strategy", ["none", "simple", "first", "average", "max"])
def test_tag_texts_equals_transformers_token_classification_pipeline(bert_dir, tmp_path, strategy):
    import shutil
    from minitransformer.token_classification import tag_texts
    from minitransformer.tokenizer import WordPieceTokenizer
    tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-DATE", "I-DATE"]
    mt.manual_seed(7)
    config = BertConfig.from_dict(dict(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                       intermediate_size=48, initializer_range=0.5, id2label=dict(enumerate(tags))))
    ours = BertForTokenClassification(config).eval()
    ours.save_pretrained(tmp_path)
    shutil.copy(bert_dir / "vocab.txt", tmp_path / "vocab.txt")
    tokenizer = WordPieceTokenizer.from_pretrained(tmp_path)
    fast = transformers.BertTokenizerFast(str(tmp_path / "vocab.txt"), do_lower_case=True)
    pipe = transformers.pipeline("token-classification", model=str(tmp_path), tokenizer=fast,
                                 aggregation_strategy=strategy, framework="pt")
    mine = tag_texts(ours, tokenizer, PIPELINE_TEXTS, aggregation_strategy=strategy)
    theirs = pipe(PIPELINE_TEXTS)
    assert sum(len(x) for x in theirs) > 10  # the random model tags plenty
    for text, a, b in zip(PIPELINE_TEXTS, mine, theirs):
        assert len(a) == len(b), (text, a, b)
        for x, y in zip(a, b):
            assert set(x) == set(y)
            assert {k: v for k, v in x.items() if k != "score"} == {k: v for k, v in y.items() if k != "score"}
            assert x["score"] == pytest.approx(float(y["score"]), abs=1e-5)
