"""Reference tier: what we save loads in Hugging Face transformers and computes the same numbers, and what
transformers saves loads here. Runs where torch + transformers are installed (the reference venv):
    /opt/refvenv/bin/python -m pytest -m reference tests/test_bert_reference.py"""
import numpy as np
import pytest

import minitransformer as mt
from minitransformer.models.bert import BertForMaskedLM, BertForSequenceClassification, BertModel
from minitransformer.models.bert_config import BertConfig

pytestmark = pytest.mark.reference
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

IDS = np.array([[101, 7, 9, 11, 102, 0, 0], [101, 5, 6, 102, 8, 12, 102], [101, 8, 13, 102, 0, 0, 0]])
MASK = (IDS != 0).astype(np.int64)
TYPES = np.array([[0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0]])


def config(**kw):
    sizes = dict(vocab_size=120, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48,
                 max_position_embeddings=16, num_labels=3)
    sizes.update(kw)
    return BertConfig.from_dict(sizes)


def hf_outputs(model, **kw):
    with torch.no_grad():
        return model(input_ids=torch.from_numpy(IDS), attention_mask=torch.from_numpy(MASK),
                     token_type_ids=torch.from_numpy(TYPES), **kw)


def ours(model, **kw):
    with mt.no_grad():
        return model(IDS, MASK, TYPES, **kw)


@pytest.mark.parametrize("act", ["gelu", "gelu_new"])
def test_our_classifier_loads_in_transformers(tmp_path, act):
    mt.manual_seed(0)
    model = BertForSequenceClassification(config(hidden_act=act)).eval()
    model.save_pretrained(tmp_path)
    hf, info = transformers.BertForSequenceClassification.from_pretrained(tmp_path, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    hf.eval()
    labels = np.array([2, 0, 1])
    out_hf = hf_outputs(hf, labels=torch.from_numpy(labels))
    out = ours(model, labels=labels)
    np.testing.assert_allclose(out.logits.numpy(), out_hf.logits.numpy(), atol=1e-5)
    assert out.loss.item() == pytest.approx(out_hf.loss.item(), abs=1e-5)


def test_transformers_masked_lm_loads_here_and_back(tmp_path):
    torch.manual_seed(0)
    hf_config = transformers.BertConfig(vocab_size=120, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                        intermediate_size=48, max_position_embeddings=16)
    hf = transformers.BertForMaskedLM(hf_config).eval()
    hf.save_pretrained(tmp_path / "hf")
    model, info = BertForMaskedLM.from_pretrained(tmp_path / "hf", output_loading_info=True)
    assert info == {"missing_keys": [], "unexpected_keys": [], "mismatched_keys": []}
    labels = np.full(IDS.shape, -100)
    labels[0, 2], labels[1, 5] = 9, 44
    out_hf = hf_outputs(hf, labels=torch.from_numpy(labels), output_hidden_states=True)
    out = ours(model, labels=labels, output_hidden_states=True)
    np.testing.assert_allclose(out.logits.numpy(), out_hf.logits.numpy(), atol=1e-5)
    assert out.loss.item() == pytest.approx(out_hf.loss.item(), abs=1e-5)
    for a, b in zip(out.hidden_states, out_hf.hidden_states):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5)

    model.save_pretrained(tmp_path / "ours")  # ... and back: transformers ties the decoder to our embeddings
    again, info = transformers.BertForMaskedLM.from_pretrained(tmp_path / "ours", output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    np.testing.assert_allclose(hf_outputs(again.eval()).logits.numpy(), out.logits.numpy(), atol=1e-5)


def test_bare_model_and_pooler_match_transformers(tmp_path):
    mt.manual_seed(1)
    model = BertModel(config()).eval()
    model.save_pretrained(tmp_path)
    hf = transformers.BertModel.from_pretrained(tmp_path, attn_implementation="eager").eval()
    out_hf = hf_outputs(hf, output_attentions=True)
    out = ours(model, output_attentions=True)
    np.testing.assert_allclose(out.last_hidden_state.numpy(), out_hf.last_hidden_state.numpy(), atol=1e-5)
    np.testing.assert_allclose(out.pooler_output.numpy(), out_hf.pooler_output.numpy(), atol=1e-5)
    for a, b in zip(out.attentions, out_hf.attentions):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)


def test_minilm_live_parity(bert_dir):
    tokenizer = transformers.AutoTokenizer.from_pretrained(bert_dir)
    batch = tokenizer(["A first sentence, rather long, with padding after the others.", "Short one.",
                       "Attention is all you need"], ["paired", "with a second segment", "!"], padding=True,
                      return_tensors="np")
    hf = transformers.AutoModel.from_pretrained(bert_dir).eval()
    with torch.no_grad():
        expected = hf(**{k: torch.from_numpy(v) for k, v in batch.items()}).last_hidden_state.numpy()
    model = BertModel.from_pretrained(bert_dir)
    with mt.no_grad():
        actual = model(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"]).last_hidden_state
    assert np.abs(actual.numpy() - expected).max() <= 1e-4


@pytest.mark.parametrize("dtype", [np.int64, np.bool_, np.float32, np.float64])
def test_bool_and_float_masks_give_what_transformers_gives(tmp_path, dtype):
    """transformers takes the mask as int, bool or float (its (1 - m) * min); so do we, with the same outputs."""
    mt.manual_seed(3)
    model = BertModel(config()).eval()
    model.save_pretrained(tmp_path)
    hf = transformers.BertModel.from_pretrained(tmp_path).eval()
    mask = MASK.astype(dtype)
    with torch.no_grad():
        want = hf(input_ids=torch.from_numpy(IDS), attention_mask=torch.from_numpy(mask),
                  token_type_ids=torch.from_numpy(TYPES)).last_hidden_state.numpy()
    with mt.no_grad():
        got = model(IDS, mask, TYPES).last_hidden_state.numpy()
    np.testing.assert_allclose(got, want, atol=2e-5)  # padded positions too: both compute them
