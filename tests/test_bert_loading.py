"""Loading rules as transformers 5 applies them (no torch needed; the expected reports were read once from
transformers 5.24 on the same checkpoints, and tests/test_bert_reference_heads.py re-checks them live): how
missing/unexpected keys are named, which `gamma`/`beta` are renamed, the tied MLM decoder present or absent,
sharded saves, the device argument, the tokenizer's save_pretrained."""
import json
import os
import warnings

import numpy as np
import pytest

import minitransformer as mt
from minitransformer.io import load_file, parse_size, read_header, save_file, save_sharded
from minitransformer.io.sharded import split_shards
from minitransformer.models.bert import BertForMaskedLM, BertForSequenceClassification, BertModel
from minitransformer.models.bert_config import BertConfig
from minitransformer.tokenizer import WordPieceTokenizer

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


def test_save_pretrained_shards_past_max_shard_size_and_cleans_up(tmp_path):
    mt.manual_seed(4)
    model = BertForSequenceClassification(tiny(num_labels=2)).eval()
    expected = weights(model)
    written = model.save_pretrained(tmp_path, max_shard_size="1KB")
    assert written == tmp_path
    files = sorted(os.listdir(tmp_path))
    shards = [f for f in files if f.startswith("model-")]
    assert len(shards) > 2 and "model.safetensors" not in files and shards[-1].endswith(f"-of-{len(shards):05d}"
                                                                                        ".safetensors")
    index = json.loads((tmp_path / "model.safetensors.index.json").read_text())
    assert sorted(index["weight_map"]) == sorted(expected)
    assert index["metadata"]["total_size"] == sum(v.nbytes for v in expected.values())
    for shard in shards:  # every shard within the limit unless it holds one tensor that alone exceeds it
        size = sum(v.nbytes for v in load_file(tmp_path / shard).values())
        assert size <= 1000 or len(load_file(tmp_path / shard)) == 1
    again, info, text = load(BertForSequenceClassification, tmp_path)
    assert text == "" and not any(info.values())
    for k, v in weights(again).items():
        np.testing.assert_array_equal(v, expected[k], err_msg=k)
    model.save_pretrained(tmp_path)  # unsharded into the same directory: the old shards and index go
    assert sorted(os.listdir(tmp_path)) == ["config.json", "model.safetensors"]


def test_bf16_checkpoint_loads_widened_and_saves_as_float32(tmp_path):
    mt.manual_seed(7)
    model = BertForMaskedLM(tiny()).eval()
    tensors = weights(model)
    config = tiny()
    config.extra["dtype"] = "bfloat16"  # what transformers writes next to bf16 weights
    checkpoint(tmp_path / "bf16", {}, config)
    save_file(tensors, tmp_path / "bf16" / "model.safetensors", metadata={"format": "pt"}, dtype="BF16")
    loaded, _, text = load(BertForMaskedLM, tmp_path / "bf16")
    assert text == ""
    for name, value in weights(loaded).items():  # float32 holding the bf16 values: within bf16's 2**-8 rounding
        assert value.dtype == np.float32, name
        np.testing.assert_allclose(value, tensors[name], rtol=2 ** -8, atol=1e-30, err_msg=name)
    loaded.save_pretrained(tmp_path / "out")
    # transformers 5 builds the model in config.json's dtype: it must say what the file holds
    assert json.loads((tmp_path / "out" / "config.json").read_text())["dtype"] == "float32"
    assert {v["dtype"] for v in read_header(tmp_path / "out" / "model.safetensors").values()} == {"F32"}


def test_split_shards_and_parse_size():
    # huggingface_hub's greedy rule: a new shard when the next tensor would not fit; an oversized tensor goes
    # alone into a shard at once, ahead of the one being filled (its split_state_dict_into_shards_factory).
    assert split_shards({"a": 4, "b": 4, "c": 9, "d": 1, "e": 3, "f": 2}, 8) == [["c"], ["a", "b"], ["d", "e", "f"]]
    assert split_shards({}, 8) == [[]]
    assert [parse_size(s) for s in ("50GB", "20KB", "2GiB", " 1.5 mb", 123)] == [
        50 * 10 ** 9, 20_000, 2 * 2 ** 30, 1_500_000, 123]
    for bad in ("5 parsecs", "-1KB", 0, True):
        with pytest.raises(ValueError, match="max_shard_size"):
            parse_size(bad)


def test_save_sharded_keeps_unrelated_files(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "model-00001-of-00009.bin").write_text("not ours either")
    save_sharded({"a": np.zeros(300, np.float32), "b": np.ones(300, np.float32)}, tmp_path, max_shard_size=2000)
    save_sharded({"a": np.zeros(3, np.float32)}, tmp_path, max_shard_size=2000)
    assert sorted(os.listdir(tmp_path)) == ["model-00001-of-00009.bin", "model.safetensors", "notes.txt"]


def test_from_pretrained_device_argument(tmp_path):
    mt.manual_seed(5)
    BertModel(tiny()).save_pretrained(tmp_path)
    model = BertModel.from_pretrained(tmp_path, device="cpu")
    assert model.device == "cpu" and all(p.device == "cpu" for p in model.parameters())
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        BertModel.from_pretrained(tmp_path, device="tpu")


@pytest.mark.gpu
def test_from_pretrained_onto_cuda(tmp_path):
    from conftest import CUDA
    if not CUDA:
        pytest.skip("CuPy with a CUDA device is not available")
    mt.manual_seed(6)
    cpu = BertForMaskedLM(tiny()).eval()
    cpu.save_pretrained(tmp_path)
    gpu = BertForMaskedLM.from_pretrained(tmp_path, device="cuda")
    assert all(p.device.startswith("cuda") for p in gpu.parameters())
    with mt.no_grad():
        np.testing.assert_allclose(gpu(IDS, MASK).logits.numpy(), cpu(IDS, MASK).logits.numpy(), atol=1e-5)


def test_tokenizer_save_pretrained_round_trip(tmp_path):
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s", "e-mail"]
    tok = WordPieceTokenizer({t: i for i, t in enumerate(vocab)}, never_split=["e-mail"], model_max_length=64)
    tok.save_pretrained(tmp_path)
    assert {"vocab.txt", "tokenizer_config.json", "special_tokens_map.json"} <= set(os.listdir(tmp_path))
    again = WordPieceTokenizer.from_pretrained(tmp_path)
    assert again.vocab == tok.vocab and again.model_max_length == 64
    assert again("Hello worlds E-MAIL")["input_ids"] == tok("Hello worlds E-MAIL")["input_ids"] == [2, 5, 6, 7, 8, 3]


def test_gelu_new_is_the_tanh_form():
    """hidden_act picks the formula: gelu_new = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), gelu = x Phi(x)."""
    from math import erf
    x = np.linspace(-4, 4, 17).reshape(1, 1, 17).astype(np.float32)
    for act, fn in [("gelu_new", lambda v: 0.5 * v * (1 + np.tanh(np.sqrt(2 / np.pi) * (v + 0.044715 * v ** 3)))),
                    ("gelu", np.vectorize(lambda v: 0.5 * v * (1 + erf(v / np.sqrt(2)))))]:
        layer = BertModel(tiny(hidden_act=act, intermediate_size=17, hidden_size=17, num_attention_heads=1)) \
            .encoder.layer[0].intermediate
        layer.dense.weight.data = np.eye(17, dtype=np.float32)
        layer.dense.bias.data = np.zeros(17, np.float32)
        np.testing.assert_allclose(layer(mt.tensor(x)).numpy(), fn(x.astype(np.float64)), atol=1e-6, err_msg=act)


@pytest.mark.parametrize("text, message", [("{not json", "not valid JSON"),
                                           ("[1, 2]", "expected a JSON object, got list")])
def test_a_config_json_that_is_not_an_object_is_named(tmp_path, text, message):
    """BERT's and GPT-2's configs read config.json through one reader: a list was read as a config before."""
    from minitransformer.models import GPT2Config
    path = tmp_path / "config.json"
    path.write_text(text, encoding="utf-8")
    for config in (BertConfig, GPT2Config):
        with pytest.raises(ValueError, match=f"config.json: {message}"):
            config.from_json_file(path)
