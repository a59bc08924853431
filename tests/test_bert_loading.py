"""Loading rules as transformers 5 applies them (no torch needed; the expected reports were read once from
transformers 5.24 on the same checkpoints, and tests/test_bert_reference_heads.py re-checks them live): how
missing/unexpected keys are named, which `gamma`/`beta` are renamed, the tied MLM decoder present or absent."""
import warnings

import numpy as np

import minitransformer as mt
from minitransformer.io import save_file
from minitransformer.models.bert import BertForMaskedLM, BertForSequenceClassification, BertModel
from minitransformer.models.bert_config import BertConfig

IDS = np.array([[2, 7, 9, 11, 3, 0], [2, 5, 6, 3, 0, 0]])
MASK = (IDS != 0).astype(np.int64)


def tiny(**kw):
    return BertConfig.from_dict(dict(dict(vocab_size=30, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                                          intermediate_size=12, max_position_embeddings=10), **kw))


def checkpoint(tmp_path, tensors, config=None):
    """A model directory holding exactly `tensors` (a hand-made checkpoint, as other tools write them)."""
    (config or tiny()).save_pretrained(tmp_path)
    save_file(tensors, tmp_path / "model.safetensors", metadata={"format": "pt"})
    return tmp_path


def weights(model):
    return {k: p.numpy().copy() for k, p in model.named_parameters()}


def load(cls, path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model, info = cls.from_pretrained(path, output_loading_info=True)
    return model, info, " ".join(str(w.message) for w in caught)


def test_unexpected_keys_are_named_as_the_checkpoint_spells_them(tmp_path):
    mt.manual_seed(0)
    bare = weights(BertModel(tiny()))
    bare["extra.thing"] = np.zeros(2, np.float32)
    _, info, text = load(BertForMaskedLM, checkpoint(tmp_path / "a", bare))
    # transformers 5.24: unexpected ['extra.thing', 'pooler.dense.bias', 'pooler.dense.weight'] (no `bert.`)
    assert info["unexpected_keys"] == ["extra.thing", "pooler.dense.bias", "pooler.dense.weight"]
    assert "cls.predictions.transform.dense.weight" in info["missing_keys"] and "'extra.thing'" in text

    mlm = {f"bert.{k}" if not k.startswith("pooler") else None: v for k, v in bare.items()}
    mlm.pop(None)
    mlm["bert.more"] = np.zeros(1, np.float32)
    _, info, _ = load(BertModel, checkpoint(tmp_path / "b", mlm))
    assert info["unexpected_keys"] == ["bert.extra.thing", "bert.more"]  # the checkpoint's prefix kept
    assert info["missing_keys"] == ["pooler.dense.bias", "pooler.dense.weight"]  # the model's names


def test_only_layernorm_gamma_beta_are_renamed(tmp_path):
    mt.manual_seed(1)
    body = weights(BertModel(tiny()))
    old = {k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta"): v
           for k, v in body.items()}
    old["pooler.dense.gamma"] = np.zeros(8, np.float32)  # some other parameter called gamma: not LayerNorm's
    model, info, _ = load(BertModel, checkpoint(tmp_path, old))
    assert info == {"missing_keys": [], "unexpected_keys": ["pooler.dense.gamma"], "mismatched_keys": []}
    np.testing.assert_array_equal(model.encoder.layer[0].output.LayerNorm.bias.numpy(),
                                  body["encoder.layer.0.output.LayerNorm.bias"])


def mlm_checkpoint(seed=2):
    mt.manual_seed(seed)
    model = BertForMaskedLM(tiny()).eval()
    with mt.no_grad():
        logits = model(IDS, MASK).logits.numpy()
    return model, weights(model), logits


def test_tied_decoder_weight_absent_or_present_both_load(tmp_path):
    _, tensors, logits = mlm_checkpoint()
    emb = tensors["bert.embeddings.word_embeddings.weight"]
    variants = {  # how MLM checkpoints come: ours/transformers 5 (absent), torch state_dict/older files (present)
        "absent": tensors,
        "present": dict(tensors, **{"cls.predictions.decoder.weight": emb,
                                    "cls.predictions.decoder.bias": tensors["cls.predictions.bias"]}),
        # only the decoder's copy: transformers fills the tied embedding matrix from it
        "decoder only": {("cls.predictions.decoder.weight" if k == "bert.embeddings.word_embeddings.weight" else
                          "cls.predictions.decoder.bias" if k == "cls.predictions.bias" else k): v
                         for k, v in tensors.items()},
    }
    for name, variant in variants.items():
        model, info, text = load(BertForMaskedLM, checkpoint(tmp_path / name.replace(" ", "_"), variant))
        assert info == {"missing_keys": [], "unexpected_keys": [], "mismatched_keys": []}, name
        assert text == "", name
        with mt.no_grad():
            np.testing.assert_array_equal(model(IDS, MASK).logits.numpy(), logits, err_msg=name)
    # A decoder copy that disagrees with the embeddings loses to them (transformers keeps the embedding matrix).
    model, _, _ = load(BertForMaskedLM, checkpoint(tmp_path / "differs",
                                                   dict(tensors, **{"cls.predictions.decoder.weight": emb + 1})))
    np.testing.assert_array_equal(model.bert.embeddings.word_embeddings.weight.numpy(), emb)


def test_tied_aliases_are_unexpected_in_a_model_without_the_mlm_head(tmp_path):
    _, tensors, _ = mlm_checkpoint(3)
    tensors["cls.predictions.decoder.weight"] = tensors["bert.embeddings.word_embeddings.weight"]
    for cls in (BertModel, BertForSequenceClassification):
        _, info, _ = load(cls, checkpoint(tmp_path / cls.__name__, tensors))
        assert "cls.predictions.decoder.weight" in info["unexpected_keys"], cls.__name__  # as transformers
