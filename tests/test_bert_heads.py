"""BERT heads and the whole-model backward: the loss Hugging Face picks from num_labels, the tied MLM decoder,
padding invariance, and a float64 finite-difference check of every parameter of a 1-layer classifier."""
import numpy as np
import pytest

import minitransformer as mt
from minitransformer.models.bert import BertForMaskedLM, BertForSequenceClassification, BertModel
from minitransformer.models.bert_config import BertConfig


def tiny(**kw):
    sizes = dict(vocab_size=30, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=12,
                 max_position_embeddings=10)
    sizes.update(kw)
    return BertConfig.from_dict(sizes)


IDS = np.array([[2, 7, 9, 11, 3, 0], [2, 5, 6, 3, 0, 0], [2, 8, 8, 8, 12, 3]])
MASK = (IDS != 0).astype(np.int64)
TYPES = np.array([[0, 0, 0, 1, 1, 0], [0, 0, 1, 1, 0, 0], [0, 0, 0, 0, 1, 1]])


def float64(model):
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    return model


def test_gradcheck_whole_classifier_float64():
    mt.manual_seed(0)
    model = float64(BertForSequenceClassification(tiny(num_labels=3, hidden_act="gelu"))).eval()  # eval: no dropout
    labels = np.array([0, 2, 1])

    def loss():
        return model(IDS, MASK, TYPES, labels=labels).loss

    for p in model.parameters():
        p.grad = None
    out = loss()
    assert out.dtype == np.float64
    out.backward()
    rng = np.random.default_rng(0)
    eps = 1e-6
    for name, p in model.named_parameters():
        grad = np.zeros(p.shape) if p.grad is None else p.grad.numpy()
        flat = [np.unravel_index(i, p.shape) for i in rng.choice(p.size, size=min(p.size, 6), replace=False)]
        if name.endswith("word_embeddings.weight"):
            flat.append((7, 0))  # a row that is used (random picks mostly hit unused rows, gradient 0)
        for index in flat:
            original = p.data[index].item()
            with mt.no_grad():
                p.data[index] = original + eps
                plus = loss().item()
                p.data[index] = original - eps
                minus = loss().item()
            p.data[index] = original
            numeric = (plus - minus) / (2 * eps)
            assert abs(numeric - grad[index]) <= 1e-7 + 1e-5 * abs(numeric), \
                f"{name}{index}: finite differences {numeric:.8g}, backward {grad[index]:.8g}"


def test_loss_is_chosen_by_num_labels_and_label_dtype():
    mt.manual_seed(1)
    clf = BertForSequenceClassification(tiny(num_labels=3)).eval()
    out = clf(IDS, MASK, labels=np.array([0, 2, 1]))
    z = out.logits.numpy().astype(np.float64)
    log_p = z - np.log(np.exp(z).sum(-1, keepdims=True))
    assert out.loss.item() == pytest.approx(-log_p[[0, 1, 2], [0, 2, 1]].mean(), rel=1e-5)
    assert clf.config.problem_type == "single_label_classification"  # kept, as transformers keeps it

    clf.config.problem_type = None  # let the next labels choose again
    y = np.array([[1, 0, 1], [0, 0, 1], [1, 1, 0]], dtype=np.float32)  # float (B, C) labels: multi-label BCE
    bce = np.mean(np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0) - z * y)
    assert clf(IDS, MASK, labels=y).loss.item() == pytest.approx(bce, rel=1e-5)
    assert clf.config.problem_type == "multi_label_classification"

    reg = BertForSequenceClassification(tiny(num_labels=1)).eval()  # one label: regression, mean squared error
    target = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    out = reg(IDS, MASK, labels=target)
    assert out.logits.shape == (3, 1)
    assert out.loss.item() == pytest.approx(np.mean((out.logits.numpy()[:, 0] - target) ** 2), rel=1e-5)
    assert reg.config.problem_type == "regression"


def test_problem_type_is_fixed_by_the_first_labels_and_saved(tmp_path):
    """transformers writes the chosen problem_type into the config: later labels of another kind are an error
    (it fails in torch too), and the saved config.json tells both libraries which loss the head was trained for."""
    mt.manual_seed(5)
    clf = BertForSequenceClassification(tiny(num_labels=3)).eval()
    assert clf.config.problem_type is None
    clf(IDS, MASK, labels=np.array([[1, 0, 1], [0, 0, 1], [1, 1, 0]], np.float32))
    assert clf.config.problem_type == "multi_label_classification"
    hot = np.array([[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    z = clf(IDS, MASK).logits.numpy().astype(np.float64)
    bce = np.mean(np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0) - z * hot)
    assert clf(IDS, MASK, labels=hot).loss.item() == pytest.approx(bce, rel=1e-5)  # integer targets: still BCE
    with pytest.raises(ValueError, match=r"must have the logits' shape \(3, 3\).*got \(3,\)"):
        clf(IDS, MASK, labels=np.array([0, 2, 1]))
    clf.save_pretrained(tmp_path)
    assert BertForSequenceClassification.from_pretrained(tmp_path).config.problem_type == \
        "multi_label_classification"
    single = BertForSequenceClassification(tiny(num_labels=3, problem_type="single_label_classification"))
    with pytest.raises(TypeError, match=r"problem_type is 'single_label_classification'.*float32 of shape "
                                        r"\(3, 3\).*integer class ids"):
        single(IDS, MASK, labels=np.ones((3, 3), np.float32))


def test_masked_lm_decoder_is_tied_to_word_embeddings():
    mt.manual_seed(2)
    model = BertForMaskedLM(tiny()).eval()
    out = model(IDS, MASK, TYPES, output_hidden_states=True)
    assert out.logits.shape == (3, 6, 30) and out.hidden_states is not None
    # logits = transform(h) Eᵀ + bias, recomputed with NumPy from the parameters.
    p = {k: v.numpy().astype(np.float64) for k, v in model.named_parameters()}
    h = out.hidden_states[-1].numpy().astype(np.float64) @ p["cls.predictions.transform.dense.weight"].T \
        + p["cls.predictions.transform.dense.bias"]
    from math import erf
    h = h * 0.5 * (1 + np.vectorize(erf)(h / np.sqrt(2)))
    h = (h - h.mean(-1, keepdims=True)) / np.sqrt(h.var(-1, keepdims=True) + 1e-12)
    h = h * p["cls.predictions.transform.LayerNorm.weight"] + p["cls.predictions.transform.LayerNorm.bias"]
    logits = h @ p["bert.embeddings.word_embeddings.weight"].T + p["cls.predictions.bias"]
    np.testing.assert_allclose(out.logits.numpy(), logits, atol=1e-5)

    # The loss counts only positions whose label is not -100, and the decoder's gradient reaches E.
    labels = np.full(IDS.shape, -100)
    labels[0, 2], labels[2, 3] = 9, 8
    loss = model(IDS, MASK, TYPES, labels=labels).loss
    z = out.logits.numpy().astype(np.float64)
    log_p = z - np.log(np.exp(z).sum(-1, keepdims=True))
    assert loss.item() == pytest.approx(-(log_p[0, 2, 9] + log_p[2, 3, 8]) / 2, rel=1e-5)
    loss.backward()
    grad_e = model.bert.embeddings.word_embeddings.weight.grad.numpy()
    assert np.abs(grad_e[20:]).max() > 0  # ids 20.. never appear in the input: only the decoder reaches them


def test_padding_does_not_change_real_positions():
    mt.manual_seed(3)
    model = BertModel(tiny(num_hidden_layers=2)).eval()
    with mt.no_grad():
        batch = model(IDS, MASK, TYPES).last_hidden_state.numpy()
        alone = model(IDS[1:2, :4], MASK[1:2, :4], TYPES[1:2, :4]).last_hidden_state.numpy()
        no_mask = model(IDS[2:], None, TYPES[2:]).last_hidden_state.numpy()
        ones = model(IDS[2:], np.ones((1, 6), np.int64), TYPES[2:]).last_hidden_state.numpy()
    np.testing.assert_allclose(batch[1, :4], alone[0], atol=1e-6)
    np.testing.assert_array_equal(no_mask, ones)


def test_gelu_new_differs_from_gelu():
    """hidden_act selects the activation: the tanh form must not silently fall back to erf (or back)."""
    mt.manual_seed(4)
    erf_model = BertModel(tiny(hidden_act="gelu")).eval()
    tanh_model = BertModel(tiny(hidden_act="gelu_new")).eval()
    for (_, a), (_, b) in zip(erf_model.named_parameters(), tanh_model.named_parameters()):
        b.data = a.data.copy()
    with mt.no_grad():
        x = erf_model(IDS, MASK).last_hidden_state.numpy()
        y = tanh_model(IDS, MASK).last_hidden_state.numpy()
    assert 0 < np.abs(x - y).max() < 1e-2


def test_input_errors_are_explained():
    model = BertModel(tiny())
    with pytest.raises(ValueError, match="exceeds max_position_embeddings 10"):
        model(np.ones((1, 11), np.int64))
    with pytest.raises(TypeError, match="token ids must be integers"):
        model(np.ones((1, 4), np.float32))
    with pytest.raises(ValueError, match=r"attention_mask has shape \(1, 3\)"):
        model(np.ones((1, 4), np.int64), np.ones((1, 3), np.int64))
