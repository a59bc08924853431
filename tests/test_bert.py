"""BERT on tiny configs (always run, no checkpoint needed): parameter names, loading rules (prefix, gamma/beta,
position_ids, missing/unexpected reporting), save/load round trip, the loss Hugging Face picks, the tied MLM
decoder, padding invariance, and a float64 gradient check of a whole 1-layer classifier."""
import warnings

import numpy as np
import pytest

import minitransformer as mt
from minitransformer.io.safetensors import load_file, save_file
from minitransformer.models.bert import BertForMaskedLM, BertForSequenceClassification, BertModel
from minitransformer.models.bert_config import BertConfig

LAYER_KEYS = ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
              "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"]
EMBED_KEYS = ["embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
              "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"]


def tiny(**kw):
    sizes = dict(vocab_size=40, hidden_size=16, num_hidden_layers=2, num_attention_heads=4, intermediate_size=24,
                 max_position_embeddings=20)
    sizes.update(kw)
    if "id2label" not in sizes:
        sizes.setdefault("num_labels", 3)
    return BertConfig.from_dict(sizes)


def batch(B=3, T=7, vocab=40, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, vocab, (B, T))
    mask = np.ones((B, T), dtype=np.int64)
    mask[1, 4:] = 0
    ids[mask == 0] = 0
    types = np.zeros_like(ids)
    types[:, T // 2:] = 1
    return ids, mask, types


def hf_names(layers, prefix=""):
    """The Hugging Face state_dict names of a BertModel, written out from REFERENCE.md (not from our code)."""
    names = [prefix + k for k in EMBED_KEYS]
    for i in range(layers):
        for k in LAYER_KEYS:
            names += [f"{prefix}encoder.layer.{i}.{k}.weight", f"{prefix}encoder.layer.{i}.{k}.bias"]
    return names


def test_parameter_names_are_hugging_faces():
    mt.manual_seed(0)
    assert sorted(dict(BertModel(tiny()).named_parameters())) == \
        sorted(hf_names(2) + ["pooler.dense.weight", "pooler.dense.bias"])
    assert sorted(dict(BertForSequenceClassification(tiny()).named_parameters())) == sorted(
        hf_names(2, "bert.") + ["bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight",
                                "classifier.bias"])
    mlm = sorted(dict(BertForMaskedLM(tiny()).named_parameters()))
    assert mlm == sorted(hf_names(2, "bert.") + [  # no pooler; decoder weight = word embeddings (not repeated)
        "cls.predictions.bias", "cls.predictions.transform.dense.weight", "cls.predictions.transform.dense.bias",
        "cls.predictions.transform.LayerNorm.weight", "cls.predictions.transform.LayerNorm.bias"])


def test_init_follows_hugging_face():
    mt.manual_seed(0)
    config = tiny(hidden_size=64, intermediate_size=128, vocab_size=500, initializer_range=0.05)
    model = BertForSequenceClassification(config)
    params = {k: p.numpy() for k, p in model.named_parameters()}
    assert all(p.dtype == np.float32 for p in params.values())
    word = params["bert.embeddings.word_embeddings.weight"]
    assert np.all(word[config.pad_token_id] == 0)  # padding row zero
    assert abs(word[1:].std() - 0.05) < 0.005
    assert np.all(params["bert.encoder.layer.0.attention.output.LayerNorm.weight"] == 1)
    assert np.all(params["bert.encoder.layer.0.attention.self.query.bias"] == 0)


def test_config_round_trip_and_label_maps(tmp_path):
    config = tiny(hidden_act="gelu_new", id2label={"0": "neg", "1": "pos"}, use_cache=True)
    assert config.num_labels == 2 and config.label2id == {"neg": 0, "pos": 1}
    config.save_pretrained(tmp_path)
    again = BertConfig.from_pretrained(tmp_path)
    assert again == config and again.extra["use_cache"] is True
    with pytest.raises(ValueError, match="not a multiple"):
        tiny(hidden_size=18)
    with pytest.raises(ValueError, match="hidden_act 'swish'"):
        tiny(hidden_act="swish")


def outputs(model, *args, **kw):
    with mt.no_grad():
        return model(*args, **kw)


@pytest.mark.parametrize("cls", [BertModel, BertForSequenceClassification, BertForMaskedLM])
def test_save_pretrained_round_trip_gives_identical_outputs(cls, tmp_path):
    mt.manual_seed(1)
    model = cls(tiny()).eval()
    ids, mask, types = batch()
    model.save_pretrained(tmp_path)
    assert load_file(tmp_path / "model.safetensors")  # readable by the plain reader
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = cls.from_pretrained(tmp_path)
    a, b = outputs(model, ids, mask, types), outputs(again, ids, mask, types)
    key = "last_hidden_state" if cls is BertModel else "logits"
    np.testing.assert_array_equal(a[key].numpy(), b[key].numpy())
    assert BertConfig.from_pretrained(tmp_path).architectures == [cls.__name__]


def test_bare_checkpoint_with_gamma_beta_and_position_ids_loads_into_classifier(tmp_path):
    mt.manual_seed(2)
    body = BertModel(tiny()).eval()
    tensors = {}
    for name, p in body.named_parameters():  # an old TF-converted checkpoint: gamma/beta, no prefix, a buffer
        name = name.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        tensors[name] = p.numpy()
    tensors["embeddings.position_ids"] = np.arange(20, dtype=np.int64)[None]
    save_file(tensors, tmp_path / "model.safetensors", metadata={"format": "pt"})
    body.config.save_pretrained(tmp_path)
    with pytest.warns(UserWarning, match="classifier") as record:
        model, info = BertForSequenceClassification.from_pretrained(tmp_path, output_loading_info=True)
    assert info == {"missing_keys": ["classifier.bias", "classifier.weight"], "unexpected_keys": [],
                    "mismatched_keys": []}
    assert len(record) == 1  # position_ids is not reported
    ids, mask, types = batch()
    np.testing.assert_array_equal(outputs(model.bert, ids, mask, types).pooler_output.numpy(),
                                  outputs(body, ids, mask, types).pooler_output.numpy())


def test_prefixed_checkpoint_into_bare_model_and_unexpected_keys(tmp_path):
    mt.manual_seed(3)
    clf = BertForSequenceClassification(tiny())
    tensors = {name: p.numpy() for name, p in clf.named_parameters()}
    tensors["some.extra.weight"] = np.zeros(3, np.float32)
    save_file(tensors, tmp_path / "model.safetensors", metadata={"format": "pt"})
    clf.config.save_pretrained(tmp_path)
    with pytest.warns(UserWarning, match=r"not used when initializing BertModel.*some\.extra\.weight"):
        model, info = BertModel.from_pretrained(tmp_path, output_loading_info=True)
    assert info == {"missing_keys": [], "unexpected_keys": ["classifier.bias", "classifier.weight",
                                                            "some.extra.weight"], "mismatched_keys": []}
    np.testing.assert_array_equal(model.encoder.layer[1].output.dense.weight.numpy(),
                                  clf.bert.encoder.layer[1].output.dense.weight.numpy())


def test_shape_mismatch_names_the_key(tmp_path):
    mt.manual_seed(4)
    BertModel(tiny()).save_pretrained(tmp_path)
    tiny(intermediate_size=32).save_pretrained(tmp_path)  # config no longer matches the weights
    with pytest.raises(ValueError, match=r"encoder\.layer\.0\.intermediate\.dense\.weight has shape \(24, 16\), "
                                         r"the model expects \(32, 16\)"):
        BertModel.from_pretrained(tmp_path)


def test_num_labels_override_needs_ignore_mismatched_sizes(tmp_path):
    mt.manual_seed(5)
    old = BertForSequenceClassification(tiny(num_labels=3))
    old.save_pretrained(tmp_path)
    with pytest.raises(ValueError, match=r"classifier\.weight has shape \(3, 16\), the model expects \(5, 16\)"):
        BertForSequenceClassification.from_pretrained(tmp_path, num_labels=5)
    with pytest.warns(UserWarning, match=r"newly initialized.*classifier\.weight \(checkpoint \(3, 16\)"):
        new, info = BertForSequenceClassification.from_pretrained(tmp_path, num_labels=5, output_loading_info=True,
                                                                  ignore_mismatched_sizes=True)
    assert info["mismatched_keys"] == [("classifier.bias", (3,), (5,)), ("classifier.weight", (3, 16), (5, 16))]
    assert new.config.id2label == {i: f"LABEL_{i}" for i in range(5)}
    np.testing.assert_array_equal(new.bert.pooler.dense.weight.numpy(), old.bert.pooler.dense.weight.numpy())
