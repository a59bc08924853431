"""Reference tier, heads and files: the classifier's loss for every problem type, `attentions` of the heads, the
loading report, bf16 and sharded checkpoints, and raw safetensors of every dtype, against torch + transformers
(+ the safetensors package) on the same weights. Skips where they are not installed:
    /opt/refvenv/bin/python -m pytest -m reference tests/test_bert_reference_heads.py"""
import warnings

import numpy as np
import pytest

import minitransformer as mt
from minitransformer.io import load_file, save_file
from minitransformer.models.bert import BertForMaskedLM, BertForSequenceClassification, BertModel
from minitransformer.models.bert_config import BertConfig

pytestmark = pytest.mark.reference
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

IDS = np.array([[101, 7, 9, 11, 102, 0, 0], [101, 5, 6, 102, 8, 12, 102], [101, 8, 13, 102, 0, 0, 0]])
MASK = (IDS != 0).astype(np.int64)  # rows 0 and 2 padded
TYPES = np.array([[0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0]])
SIZES = dict(vocab_size=120, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48,
             max_position_embeddings=16)


def hf_run(model, **kw):
    with torch.no_grad():
        return model(input_ids=torch.from_numpy(IDS), attention_mask=torch.from_numpy(MASK),
                     token_type_ids=torch.from_numpy(TYPES), **kw)


def our_run(model, **kw):
    with mt.no_grad():
        return model(IDS, MASK, TYPES, **kw)


def hf_load(cls, path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls.from_pretrained(path, attn_implementation="eager", **kw).eval()


LABELS = {  # (num_labels, explicit problem_type, labels): each loss transformers can pick
    "regression": (1, None, np.array([0.5, -1.0, 2.0], np.float32)),
    "single_label": (2, None, np.array([1, 0, 1])),
    "multi_label": (3, None, np.array([[1, 0, 1], [0, 0, 1], [1, 1, 0]], np.float32)),
    "multi_output_regression": (3, "regression", np.linspace(-1, 1, 9, dtype=np.float32).reshape(3, 3)),
}


@pytest.mark.parametrize("case", list(LABELS))
def test_classifier_loss_matches_transformers(tmp_path, case):
    num_labels, problem_type, labels = LABELS[case]
    mt.manual_seed(0)
    model = BertForSequenceClassification(BertConfig.from_dict(dict(SIZES, num_labels=num_labels,
                                                                    problem_type=problem_type))).eval()
    model.save_pretrained(tmp_path)
    hf = hf_load(transformers.BertForSequenceClassification, tmp_path)
    out, out_hf = our_run(model, labels=labels), hf_run(hf, labels=torch.from_numpy(labels))
    np.testing.assert_allclose(out.logits.numpy(), out_hf.logits.numpy(), atol=1e-5)
    assert out.loss.item() == pytest.approx(out_hf.loss.item(), abs=1e-5)
    assert model.config.problem_type == hf.config.problem_type  # both record the loss they chose


@pytest.mark.parametrize("cls", ["BertForSequenceClassification", "BertForMaskedLM"])
def test_head_attentions_match_output_attentions(tmp_path, cls):
    mt.manual_seed(1)
    model = globals()[cls](BertConfig.from_dict(dict(SIZES, num_labels=2))).eval()
    model.save_pretrained(tmp_path)
    out = our_run(model, output_attentions=True)
    out_hf = hf_run(hf_load(getattr(transformers, cls), tmp_path), output_attentions=True)
    assert len(out.attentions) == len(out_hf.attentions) == 2
    for a, b in zip(out.attentions, out_hf.attentions):
        assert a.shape == (3, 4, 7, 7)
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
    assert our_run(model).attentions is None and hf_run(hf_load(getattr(transformers, cls), tmp_path)).attentions \
        is None  # only on request


def state(cls):
    torch.manual_seed(0)
    return {k: v.detach().numpy().copy() for k, v in cls(transformers.BertConfig(**SIZES)).state_dict().items()}


def rename_ln(tensors):
    return {k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta"): v
            for k, v in tensors.items()}


def checkpoints():
    """(name, tensors, model class): checkpoints as they come, each loaded by both libraries."""
    bare, mlm = state(transformers.BertModel), state(transformers.BertForMaskedLM)  # mlm holds decoder.* too
    clf = state(transformers.BertForSequenceClassification)
    no_emb = {k: v for k, v in mlm.items() if k != "bert.embeddings.word_embeddings.weight"}
    odd = dict(rename_ln(bare), **{"embeddings.position_ids": np.arange(16)[None], "extra.thing": np.zeros(2),
                                   "pooler.dense.gamma": np.zeros(2, np.float32)})
    return [("bare->classifier", bare, "BertForSequenceClassification"), ("bare->mlm", bare, "BertForMaskedLM"),
            ("mlm->classifier", mlm, "BertForSequenceClassification"), ("mlm->bare", mlm, "BertModel"),
            ("clf->bare", clf, "BertModel"), ("mlm->mlm", mlm, "BertForMaskedLM"),
            ("decoder only->mlm", no_emb, "BertForMaskedLM"), ("old names->classifier", odd,
                                                                 "BertForSequenceClassification"),
            ("old names->mlm", odd, "BertForMaskedLM"),
            ("mlm missing a bias->bare", {k: v for k, v in mlm.items() if not k.endswith("1.output.dense.bias")},
             "BertModel")]


@pytest.mark.parametrize("case", range(10))
def test_loading_report_matches_transformers(tmp_path, case):
    name, tensors, cls = checkpoints()[case]
    transformers.BertConfig(**SIZES).save_pretrained(tmp_path)
    save_file(tensors, tmp_path / "model.safetensors", metadata={"format": "pt"})
    _, info_hf = getattr(transformers, cls).from_pretrained(tmp_path, output_loading_info=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model, info = globals()[cls].from_pretrained(tmp_path, output_loading_info=True)
    # transformers 5 also lists the tied alias cls.predictions.decoder.bias as missing when cls.predictions.bias
    # is; the parameter itself is already reported, so we leave the alias out.
    hf_missing = set(info_hf["missing_keys"]) - {"cls.predictions.decoder.bias"}
    assert set(info["missing_keys"]) == hf_missing, name
    assert set(info["unexpected_keys"]) == set(info_hf["unexpected_keys"]), name
    if name == "decoder only->mlm":
        np.testing.assert_array_equal(model.bert.embeddings.word_embeddings.weight.numpy(),
                                      tensors["cls.predictions.decoder.weight"])


def test_bf16_and_sharded_checkpoints_from_transformers_load_here_and_ours_load_there(tmp_path):
    torch.manual_seed(2)
    hf = transformers.BertForMaskedLM(transformers.BertConfig(**SIZES)).eval()
    hf.to(torch.bfloat16).save_pretrained(tmp_path / "bf16")
    hf.float()  # the bf16 values, widened: what a float32 model holds after loading the bf16 file
    expected = hf_run(hf).logits.numpy()
    ours = BertForMaskedLM.from_pretrained(tmp_path / "bf16")
    np.testing.assert_array_equal(ours.bert.embeddings.word_embeddings.weight.numpy(),
                                  hf.bert.embeddings.word_embeddings.weight.detach().numpy())
    np.testing.assert_allclose(our_run(ours).logits.numpy(), expected, atol=1e-5)

    hf.save_pretrained(tmp_path / "hf_shards", max_shard_size="20KB")
    assert (tmp_path / "hf_shards" / "model.safetensors.index.json").exists()
    np.testing.assert_allclose(our_run(BertForMaskedLM.from_pretrained(tmp_path / "hf_shards")).logits.numpy(),
                               expected, atol=1e-5)
    ours.save_pretrained(tmp_path / "our_shards", max_shard_size="20KB")
    again, info = transformers.BertForMaskedLM.from_pretrained(tmp_path / "our_shards", output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    np.testing.assert_allclose(hf_run(again.eval()).logits.numpy(), expected, atol=1e-5)


def test_safetensors_every_dtype_both_ways(tmp_path):
    st_torch = pytest.importorskip("safetensors.torch")
    torch.manual_seed(3)
    theirs = {"f64": torch.randn(3, dtype=torch.float64), "f32": torch.randn(2, 3), "f16": torch.randn(4).half(),
              "bf16": torch.randn(2, 2).bfloat16(), "i64": torch.tensor([-(2 ** 62), 3]),
              "i32": torch.tensor([-7, 2 ** 31 - 1], dtype=torch.int32), "i16": torch.tensor([-5], dtype=torch.int16),
              "i8": torch.tensor([-128, 127], dtype=torch.int8), "u8": torch.tensor([0, 255], dtype=torch.uint8),
              "bool": torch.tensor([True, False]), "scalar": torch.tensor(1.5), "empty": torch.zeros(0, 3)}
    st_torch.save_file(theirs, tmp_path / "torch.safetensors", metadata={"format": "pt", "note": "é"})
    read = load_file(tmp_path / "torch.safetensors")
    for name, t in theirs.items():
        want = t.float().numpy() if name == "bf16" else t.numpy()  # BF16 widened to float32, exactly
        assert read[name].dtype == want.dtype and read[name].shape == want.shape, name
        np.testing.assert_array_equal(read[name], want, err_msg=name)

    save_file(read, tmp_path / "ours.safetensors", metadata={"format": "pt"})
    save_file({k: v for k, v in read.items() if v.dtype.kind == "f"}, tmp_path / "bf16.safetensors", dtype="BF16")
    back = st_torch.load_file(tmp_path / "ours.safetensors")
    for name, arr in read.items():
        np.testing.assert_array_equal(back[name].numpy(), arr, err_msg=name)
    for name, t in st_torch.load_file(tmp_path / "bf16.safetensors").items():
        assert t.dtype == torch.bfloat16, name  # our rounding is torch's: float32 -> bf16 gives the same bits
        assert torch.equal(t, torch.from_numpy(np.array(read[name])).bfloat16()), name
