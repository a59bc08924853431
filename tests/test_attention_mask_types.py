"""Every model takes the attention_mask as Hugging Face's do: 0/1 ints, bools or 0.0/1.0 floats (arrays, lists or
Tensors), all giving the same outputs; other values and shapes are refused by name. (Reference tier:
tests/test_bert_reference.py feeds transformers the same bool and float masks.)"""
import numpy as np
import pytest

import minitransformer as mt
from minitransformer.models.bert import (BertForMaskedLM, BertForSequenceClassification, BertForTokenClassification,
                                         BertModel)
from minitransformer.models.bert_config import BertConfig
from minitransformer.models.classifier import TransformerClassifier
from minitransformer.models.gpt2 import GPT2LMHeadModel
from minitransformer.models.gpt2_config import GPT2Config
from minitransformer.models.token_classifier import TransformerTokenClassifier
from minitransformer.pretraining import ChosenPositionsLM

IDS = np.array([[2, 7, 9, 11, 3, 0], [2, 5, 6, 3, 0, 0], [2, 8, 8, 8, 12, 3]])
INT_MASK = (IDS != 0).astype(np.int64)
FORMS = {
    "int64": INT_MASK, "int32": INT_MASK.astype(np.int32), "uint8": INT_MASK.astype(np.uint8),
    "bool": INT_MASK.astype(bool), "float32": INT_MASK.astype(np.float32), "float64": INT_MASK.astype(np.float64),
    "list": INT_MASK.tolist(), "bool list": INT_MASK.astype(bool).tolist(),
    "Tensor int": mt.tensor(INT_MASK), "Tensor bool": mt.tensor(INT_MASK.astype(bool)),
    "Tensor float": mt.tensor(INT_MASK.astype(np.float32)),
}


def bert_config():
    return BertConfig.from_dict(dict(vocab_size=30, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=12, max_position_embeddings=10, num_labels=3))


MODELS = ["TransformerClassifier", "TransformerTokenClassifier", "BertModel", "BertForSequenceClassification",
          "BertForMaskedLM", "BertForTokenClassification", "ChosenPositionsLM", "GPT2LMHeadModel"]


def models():  # built inside the tests, not at collection: a student copy's stubs must not break collecting
    mt.manual_seed(0)
    labels = np.where(INT_MASK == 1, IDS, -100)
    labels[:, 0] = -100
    mlm = BertForMaskedLM(bert_config()).eval()
    return {
        "TransformerClassifier": (TransformerClassifier(vocab_size=30, num_classes=2, d_model=8, num_heads=2,
                                                        num_layers=1, d_ff=12, max_len=10).eval(),
                                  lambda m, mask: m(IDS, attention_mask=mask).logits),
        "BertModel": (BertModel(bert_config()).eval(), lambda m, mask: m(IDS, mask).last_hidden_state),
        "BertForSequenceClassification": (BertForSequenceClassification(bert_config()).eval(),
                                          lambda m, mask: m(IDS, mask, labels=np.array([0, 1, 2])).loss),
        "BertForMaskedLM": (mlm, lambda m, mask: m(IDS, mask, labels=labels).logits),
        "ChosenPositionsLM": (ChosenPositionsLM(mlm), lambda m, mask: m(IDS, mask, labels=labels).loss),
        "TransformerTokenClassifier": (TransformerTokenClassifier(vocab_size=30, num_labels=3, d_model=8, num_heads=2,
                                                                  num_layers=1, d_ff=12, max_len=10).eval(),
                                       lambda m, mask: m(IDS, mask).logits),
        "BertForTokenClassification": (BertForTokenClassification(bert_config()).eval(),
                                       lambda m, mask: m(IDS, mask).logits),
        "GPT2LMHeadModel": (GPT2LMHeadModel(GPT2Config(vocab_size=30, n_positions=10, n_embd=8, n_layer=1,
                                                       n_head=2)).eval(),
                            lambda m, mask: m(IDS, attention_mask=mask).logits),
    }


def test_every_model_is_covered():
    assert sorted(models()) == sorted(MODELS)


@pytest.mark.parametrize("name", MODELS)
def test_every_mask_form_gives_the_same_outputs(name):
    model, run = models()[name]
    with mt.no_grad():
        want = run(model, INT_MASK).numpy()
        for form, mask in FORMS.items():
            np.testing.assert_array_equal(run(model, mask).numpy(), want, err_msg=f"{name}, {form} mask")
        ones = run(model, np.ones_like(INT_MASK, dtype=bool)).numpy()
    assert not np.array_equal(ones, want)  # the mask is used: attending to the padding changes the outputs


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("mask, error, message", [
    (INT_MASK * 0.5, ValueError, "only 1 \\(attend\\) and 0 \\(padding\\), got values 0.5"),
    (np.where(INT_MASK == 1, 0.0, -np.inf), ValueError, "got values -inf.*not an additive one"),
    (INT_MASK * 2, ValueError, "got values 2"),
    (INT_MASK[:, :5], ValueError, r"attention_mask has shape \(3, 5\) but (input_ids has shape|expected) \(3, 6\)"),
    (np.full(IDS.shape, "1"), TypeError, "attention_mask must hold 1/0 as ints, bools or floats"),
])
def test_other_masks_are_refused_by_name(name, mask, error, message):
    model, run = models()[name]
    who = {"TransformerClassifier": name, "TransformerTokenClassifier": name, "GPT2LMHeadModel": "GPT2Model"}.get(
        name, "BertModel")
    with pytest.raises(error, match=f"{who}: .*{message}"):
        run(model, mask)
