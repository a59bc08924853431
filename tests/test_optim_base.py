"""The Optimizer base: param groups with their own hyperparameters, BERT-style groups, and input errors."""
import numpy as np
import pytest

import minitransformer as mt
from minitransformer.optim import SGD, AdamW, bert_param_groups
from minitransformer.optim.groups import decays


def param(*shape, value=1.0):
    return mt.tensor(np.full(shape, value), requires_grad=True)


def test_groups_use_their_own_lr_and_decay_and_inherit_the_rest():
    a, b = param(2), param(2)
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5, "weight_decay": 0.1}], lr=0.1, momentum=0.0)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["weight_decay"] == 0.0
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.0
    for p in (a, b):
        p.grad = mt.tensor([1.0, 1.0])
    opt.step()
    np.testing.assert_allclose(a.numpy(), 1.0 - 0.1 * 1.0, rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), 1.0 - 0.5 * (1.0 + 0.1 * 1.0), rtol=1e-6)


def test_adamw_groups_decay_only_where_asked():
    a, b = param(3, value=2.0), param(3, value=2.0)
    opt = AdamW([{"params": [a], "weight_decay": 0.5}, {"params": [b], "weight_decay": 0.0}], lr=0.1)
    a.grad, b.grad = mt.tensor(np.zeros(3)), mt.tensor(np.zeros(3))  # zero gradient: only the decay moves a
    opt.step()
    np.testing.assert_allclose(a.numpy(), 2.0 * (1 - 0.1 * 0.5), rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), 2.0, rtol=0)


def test_add_param_group_and_generators_are_accepted():
    a, b = param(2), param(2)
    opt = SGD((p for p in [a]), lr=0.1)
    opt.add_param_group({"params": b, "lr": 0.01})
    assert [len(g["params"]) for g in opt.param_groups] == [1, 1] and opt.param_groups[1]["lr"] == 0.01


@pytest.mark.parametrize("params, error, message", [
    ([], ValueError, "empty parameter list"),
    ([{"params": []}], ValueError, "empty parameter list"),
    ("not params", TypeError, "only optimize Tensors"),
    ([np.ones(3)], TypeError, "only optimize Tensors"),
    ([mt.tensor([1, 2])], TypeError, "floating-point"),
    ([{"lr": 0.1}], ValueError, "'params' key"),
    (5, TypeError, "iterable"),
])
def test_bad_params_are_explained(params, error, message):
    with pytest.raises(error, match=message):
        SGD(params, lr=0.1)


def test_a_single_tensor_or_dict_is_rejected_with_the_fix():
    with pytest.raises(TypeError, match="wrap it in a list"):
        SGD(param(2), lr=0.1)
    with pytest.raises(TypeError, match="wrap it in a list"):
        SGD({"params": [param(2)]}, lr=0.1)


def test_a_parameter_in_two_groups_or_twice_is_an_error_and_changes_nothing():
    a, b = param(2), param(2)
    with pytest.raises(ValueError, match="more than once"):
        SGD([{"params": [a]}, {"params": [b, a]}], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        SGD([a, a], lr=0.1)
    opt = SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        opt.add_param_group({"params": [b, a]})
    with pytest.raises(ValueError, match="learning rate"):
        opt.add_param_group({"params": [b], "lr": -1.0})
    assert len(opt.param_groups) == 1


def test_non_leaf_tensors_are_rejected():
    a = param(2)
    with pytest.raises(ValueError, match="leaf"):
        SGD([a * 2], lr=0.1)


def test_mixed_tensors_and_groups_are_rejected():
    with pytest.raises(TypeError, match="mixes"):
        SGD([param(2), {"params": [param(2)]}], lr=0.1)


# ---------------------------------------------------------------- BERT-style groups
NAMES = {
    "embeddings.word_embeddings.weight": (10, 4),
    "embeddings.LayerNorm.weight": (4,),
    "embeddings.LayerNorm.bias": (4,),
    "encoder.layer.0.attention.self.query.weight": (4, 4),
    "encoder.layer.0.attention.self.query.bias": (4,),
    "encoder.layers.0.layer_norm1.weight": (4,),
    "encoder.layers.0.norm2.weight": (4,),
    "encoder.layers.0.ffn.linear1.weight": (8, 4),
    "classifier.bias": (2,),
    "classifier.weight": (2, 4),
    "pooler.scale": (4,),  # 1-D under another name: not decayed either
    "final_norm.weight": (4, 4),  # "norm" in the name wins over the shape
}
DECAYED = {"embeddings.word_embeddings.weight", "encoder.layer.0.attention.self.query.weight",
           "encoder.layers.0.ffn.linear1.weight", "classifier.weight"}


def test_bert_param_groups_split_by_the_stated_rule():
    named = [(name, param(*shape)) for name, shape in NAMES.items()]
    decay, no_decay = bert_param_groups(named, weight_decay=0.05)
    assert decay["weight_decay"] == 0.05 and no_decay["weight_decay"] == 0.0
    by_id = {id(p): name for name, p in named}
    assert {by_id[id(p)] for p in decay["params"]} == DECAYED
    assert {by_id[id(p)] for p in no_decay["params"]} == set(NAMES) - DECAYED
    assert [by_id[id(p)] for p in decay["params"]] == [n for n in NAMES if n in DECAYED]  # order kept
    AdamW(bert_param_groups(named))  # and the optimizer takes them as they are


def test_bert_param_groups_accept_dicts_and_dedupe_tied_weights():
    shared, bias = param(10, 4), param(10)
    decay, no_decay = bert_param_groups({"embed.weight": shared, "head.weight": shared, "head.bias": bias})
    assert decay["params"] == [shared] and decay["params"][0] is shared  # once, though named twice
    assert len(no_decay["params"]) == 1 and no_decay["params"][0] is bias


def test_real_models_decay_their_matrices_and_not_their_biases_or_layer_norms():
    """Which parameters of a real BERT and of the lesson's classifier land in each group, by name: every weight
    matrix (embeddings included, as Hugging Face's recipe does) decays; biases and LayerNorm weights do not."""
    from minitransformer.models.bert import BertForSequenceClassification
    from minitransformer.models.bert_config import BertConfig
    from minitransformer.models.classifier import TransformerClassifier
    bert = BertForSequenceClassification(BertConfig.from_dict(dict(
        vocab_size=20, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=12,
        max_position_embeddings=10, num_labels=2)))
    classifier = TransformerClassifier(vocab_size=20, num_classes=2, d_model=8, num_heads=2, num_layers=1, d_ff=12)
    groups = {}
    for model in (bert, classifier):
        named = list(model.named_parameters())
        decay, no_decay = bert_param_groups(named, weight_decay=0.01)
        by_id = {id(p): name for name, p in named}
        decayed = {by_id[id(p)] for p in decay["params"]}
        kept = {by_id[id(p)] for p in no_decay["params"]}
        assert decayed | kept == {name for name, _ in named} and not decayed & kept
        assert decayed == {name for name, p in named if p.ndim >= 2 and "norm" not in name.lower()}, decayed
        assert all(name.endswith("bias") or "norm" in name.lower() for name in kept), kept
        groups[model] = decayed, kept
    decayed, kept = groups[bert]
    assert {"bert.embeddings.word_embeddings.weight", "classifier.weight",
            "bert.encoder.layer.0.attention.self.query.weight"} <= decayed
    assert {"bert.embeddings.LayerNorm.weight", "bert.embeddings.LayerNorm.bias", "classifier.bias",
            "bert.encoder.layer.0.output.LayerNorm.weight"} <= kept


def test_bert_rule_on_single_names():
    assert decays("dense.weight", param(3, 3)) and not decays("dense.bias", param(3, 3))
    assert not decays("LayerNorm.weight", param(3, 3)) and not decays("x.weight", param(3))


def test_bert_param_groups_errors():
    with pytest.raises(TypeError, match="name, tensor"):
        bert_param_groups([param(2)])
    with pytest.raises(ValueError, match="no parameters"):
        bert_param_groups([])
    with pytest.raises(ValueError, match="weight_decay"):
        bert_param_groups([("w", param(2, 2))], weight_decay=-1)
