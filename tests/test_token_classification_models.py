"""Token classification models: BertForTokenClassification against transformers' stored outputs (golden fixture,
no torch needed), the loss over labels != -100 against NumPy, checkpoints, gradients; TransformerTokenClassifier's
wiring, padding invisibility, gradients, checkpoints and errors."""
import math

import numpy as np
import pytest

import minitransformer as mt
import minitransformer.functional as F
from minitransformer.io import load_npz
from minitransformer.models import BertConfig, BertForTokenClassification, TransformerTokenClassifier
from minitransformer.models.token_classifier import TokenClassifierOutput

from conftest import FIXTURES, gradcheck_module

TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]


def golden():
    return load_npz(FIXTURES / "token_classification_golden.npz")


def numpy_cross_entropy(logits, labels):
    """Mean of -log softmax(logits)[label] over the positions whose label != -100 (float64)."""
    logits = logits.astype(np.float64)
    logp = logits - logits.max(-1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(-1, keepdims=True))
    keep = labels != -100
    return -logp[keep, labels[keep]].mean()


# ------------------------------------------------------------------ BertForTokenClassification

def test_bert_token_classifier_matches_transformers_golden():
    arrays, meta = golden()
    model, info = BertForTokenClassification.from_pretrained(FIXTURES / "bert_token_classification",
                                                             output_loading_info=True)
    assert info == {"missing_keys": [], "unexpected_keys": [], "mismatched_keys": []}
    assert model.config.id2label == dict(enumerate(meta["tags"])) and model.config.num_labels == 7
    assert not model.training  # from_pretrained gives eval mode, as transformers
    batch = arrays["input_ids"], arrays["attention_mask"], arrays["token_type_ids"]
    with mt.no_grad():
        out = model(*batch, labels=arrays["labels"])
        out_all = model(*batch, labels=arrays["labels_all_counted"])
    assert out.logits.shape == (3, 9, 7) and out.logits.dtype == np.float32
    assert np.abs(arrays["logits"]).max() > 2  # logits of order 1: 1e-5 is a tight tolerance here
    np.testing.assert_allclose(out.logits.numpy(), arrays["logits"], rtol=0, atol=1e-5)
    assert out.loss.item() == pytest.approx(float(arrays["loss"]), abs=1e-5)
    assert out_all.loss.item() == pytest.approx(float(arrays["loss_all_counted"]), abs=1e-5)
    assert out.loss.item() != pytest.approx(out_all.loss.item(), abs=1e-2)  # -100 really removes positions


def tiny_bert(**kw):
    sizes = dict(vocab_size=30, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=12,
                 max_position_embeddings=10, num_labels=5)
    sizes.update(kw)
    mt.manual_seed(0)
    return BertForTokenClassification(BertConfig.from_dict(sizes))


IDS = np.array([[2, 7, 9, 11, 3, 0], [2, 5, 6, 3, 0, 0], [2, 8, 8, 8, 12, 3]])
MASK = (IDS != 0).astype(np.int64)
LABELS = np.array([[-100, 1, 2, 0, -100, -100], [-100, 3, -100, -100, -100, -100], [-100, 0, 4, 4, 0, -100]])


def test_bert_loss_is_cross_entropy_over_counted_positions():
    model = tiny_bert().eval()
    out = model(IDS, MASK, labels=LABELS)
    assert out.loss.item() == pytest.approx(numpy_cross_entropy(out.logits.numpy(), LABELS), rel=1e-6)
    assert out.hidden_states is None and out.pooler_output is None
    assert "bert.pooler.dense.weight" not in dict(model.named_parameters())  # no pooler, as transformers


def test_bert_dropout_and_classifier_dropout():
    assert tiny_bert().dropout.p == 0.1  # hidden_dropout_prob when classifier_dropout is None
    assert tiny_bert(classifier_dropout=0.3).dropout.p == 0.3
    model = tiny_bert().train()
    mt.manual_seed(1)
    a = model(IDS, MASK).logits.numpy()
    b = model(IDS, MASK).logits.numpy()
    assert not np.allclose(a, b)  # dropout is on in train mode
    model.eval()
    np.testing.assert_array_equal(model(IDS, MASK).logits.numpy(), model(IDS, MASK).logits.numpy())


def test_bert_save_pretrained_round_trip(tmp_path):
    model = tiny_bert(id2label=dict(enumerate(TAGS[:5]))).eval()
    model.save_pretrained(tmp_path)
    again = BertForTokenClassification.from_pretrained(tmp_path)
    assert again.config.id2label == dict(enumerate(TAGS[:5])) and again.config.label2id["B-PER"] == 1
    assert again.config.architectures == ["BertForTokenClassification"]
    np.testing.assert_array_equal(again(IDS, MASK).logits.numpy(), model(IDS, MASK).logits.numpy())


def test_bert_new_head_on_a_bare_encoder_checkpoint(tmp_path):
    """A BertModel checkpoint (no head) gives a fresh classifier, reported missing, and the encoder's weights."""
    body = tiny_bert().bert
    body_dir = tmp_path / "body"
    from minitransformer.models import BertModel
    bare = BertModel(body.config, add_pooling_layer=False)
    bare.load_state_dict(body.state_dict())
    bare.save_pretrained(body_dir)
    with pytest.warns(UserWarning, match="newly initialized"):
        model, info = BertForTokenClassification.from_pretrained(body_dir, num_labels=3, output_loading_info=True)
    assert info["missing_keys"] == ["classifier.bias", "classifier.weight"]
    assert model.classifier.weight.shape == (3, 8)
    np.testing.assert_array_equal(model.bert.embeddings.word_embeddings.weight.numpy(),
                                  body.embeddings.word_embeddings.weight.numpy())


def test_bert_gradcheck_float64():
    model = tiny_bert(num_labels=3, vocab_size=14, max_position_embeddings=6).eval()
    labels = np.array([[-100, 1, 2, 0, -100, -100], [-100, 0, -100, -100, -100, -100], [-100, 0, 2, 1, 0, -100]])
    assert gradcheck_module(model, call=lambda: model(IDS, MASK, labels=labels).loss)


def test_bert_label_errors():
    model = tiny_bert()
    with pytest.raises(ValueError, match=r"labels must be \(batch, seq_len\) = \(3, 6\)"):
        model(IDS, MASK, labels=LABELS[:, :4])
    with pytest.raises(TypeError, match="integers"):
        model(IDS, MASK, labels=LABELS.astype(np.float32))


# ------------------------------------------------------------------ TransformerTokenClassifier

TINY = dict(vocab_size=13, num_labels=5, d_model=8, num_heads=2, num_layers=2, d_ff=16, max_len=12, dropout=0.0)


def tiny(**overrides):
    mt.manual_seed(0)
    return TransformerTokenClassifier(**{**TINY, **overrides})


def test_forward_wiring_matches_numpy(device):
    """embedding * sqrt(d) + sinusoids -> encoder -> head on every position, recomputed outside the model."""
    model = tiny().to(device)
    out = model(IDS)
    assert isinstance(out, TokenClassifierOutput) and out.logits.shape == (3, 6, 5) and out.loss is None
    E = model.embedding.weight.numpy()
    d = np.arange(8)
    angle = np.arange(6)[:, None] / 10000 ** ((d - d % 2) / 8)
    x = E[IDS] * math.sqrt(8) + np.where(d % 2 == 0, np.sin(angle), np.cos(angle))
    keep = IDS != 0
    h = model.encoder(mt.tensor(x.astype(np.float32), device=device), F.padding_mask(keep).to(device)).numpy()
    logits = h @ model.head.weight.numpy().T + model.head.bias.numpy()
    np.testing.assert_allclose(out.logits.numpy(), logits, rtol=1e-4, atol=1e-5)


def test_loss_counts_only_labels_not_minus_100():
    model = tiny()
    out = model(IDS, labels=LABELS)
    assert out.loss.item() == pytest.approx(numpy_cross_entropy(out.logits.numpy(), LABELS), rel=1e-6)
    changed = LABELS.copy()
    changed[0, 4] = 3  # one more counted position changes the loss
    assert model(IDS, labels=changed).loss.item() != pytest.approx(out.loss.item(), rel=1e-4)


def test_padding_does_not_change_real_positions():
    model = tiny().eval()
    short = model(IDS[1:2, :4]).logits.numpy()  # [2, 5, 6, 3] without padding
    padded = model(IDS[1:2]).logits.numpy()[:, :4]
    np.testing.assert_allclose(padded, short, rtol=1e-5, atol=1e-6)


def test_gradcheck_float64():
    model = tiny(vocab_size=6, num_labels=3, d_model=4, d_ff=6, num_layers=1, max_len=4).eval()
    ids = np.array([[1, 3, 5, 0], [2, 2, 4, 1]])
    labels = np.array([[-100, 2, 0, -100], [1, -100, 0, 2]])
    assert gradcheck_module(model, call=lambda: model(ids, labels=labels).loss)


def test_learns_a_tagging_rule():
    """Tag = whether the previous token is 1: a rule only attention can see. A few hundred steps learn it."""
    mt.manual_seed(0)
    model = TransformerTokenClassifier(vocab_size=6, num_labels=2, d_model=16, num_heads=2, num_layers=1,
                                       d_ff=32, max_len=8, dropout=0.0)
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 6, size=(32, 8))
    labels = np.zeros_like(ids)
    labels[:, 1:] = ids[:, :-1] == 1
    optimizer = mt.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)
    for _ in range(150):
        loss = model(ids, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    predicted = model(ids).logits.numpy().argmax(-1)
    assert (predicted == labels).mean() > 0.97


def test_save_load_round_trip(tmp_path):
    model = tiny(id2label=dict(enumerate(TAGS[:5])), dropout=0.1).eval()
    path = model.save(tmp_path / "tagger.npz")
    again = TransformerTokenClassifier.load(path)
    assert again.config == model.config and again.config.id2label[1] == "B-PER" and not again.training
    assert again.config.label2id == {t: i for i, t in enumerate(TAGS[:5])}
    np.testing.assert_array_equal(again(IDS).logits.numpy(), model(IDS).logits.numpy())
    mt.models.TransformerClassifier(vocab_size=13, num_classes=5).save(tmp_path / "clf.npz")
    with pytest.raises(ValueError, match="not a TransformerTokenClassifier checkpoint"):
        TransformerTokenClassifier.load(tmp_path / "clf.npz")


def test_errors_name_the_problem():
    model = tiny()
    with pytest.raises(ValueError, match=r"TransformerTokenClassifier: labels must be \(batch, seq_len\)"):
        model(IDS, labels=LABELS[:, 0])
    with pytest.raises(TypeError, match="TransformerTokenClassifier: input_ids must be integer"):
        model(IDS.astype(np.float32))
    with pytest.raises(IndexError, match="TransformerTokenClassifier: token id 14 is out of range"):
        model(IDS + 2)
    with pytest.raises(ValueError, match="id2label must name each of the 3 labels"):
        TransformerTokenClassifier(vocab_size=5, num_labels=3, id2label={0: "O", 1: "B-X"})
    with pytest.raises(ValueError, match="num_labels must be positive"):
        TransformerTokenClassifier(vocab_size=5, num_labels=0)
