"""mt.explain against torch: on a tiny transformers BERT through the golden fixture (make_explain_golden.py: torch's
autograd through transformers' own inputs_embeds), and live (reference tier) on the from-scratch classifier, whose
torch twin is bench/explain_ig.py's."""
import importlib.util
import pathlib

import numpy as np
import pytest

import minitransformer as mt
from minitransformer import explain as ex
from minitransformer.models.bert import BertForSequenceClassification

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
REPO = FIXTURES.parents[1]


@pytest.fixture(scope="module")
def tiny_bert():
    return BertForSequenceClassification.from_pretrained(FIXTURES / "explain_tiny_bert").double().eval()


@pytest.fixture(scope="module")
def golden():
    return np.load(FIXTURES / "explain_golden.npz")


def test_bert_gradient_x_input_equals_torch_through_transformers(tiny_bert, golden):
    a = ex.gradient_x_input(tiny_bert, golden["input_ids"], target=1)
    np.testing.assert_allclose(a.attributions, golden["gradient_x_input"], rtol=1e-9, atol=1e-12)
    assert a.score == pytest.approx(float(golden["score"]), rel=1e-12)


def test_bert_integrated_gradients_equal_torch_through_transformers(tiny_bert, golden):
    a = ex.integrated_gradients(tiny_bert, golden["input_ids"], target=1, n_steps=16, special_ids=(2, 3))
    np.testing.assert_allclose(a.attributions, golden["integrated_gradients"], rtol=1e-9, atol=1e-12)
    assert a.delta == pytest.approx(float(golden["ig_delta"]), rel=1e-6, abs=1e-12)
    assert (a.score, a.baseline_score) == pytest.approx((float(golden["ig_score"]),
                                                         float(golden["ig_baseline_score"])), rel=1e-12)


def test_bert_attention_rollout_equals_the_formula_on_transformers_attentions(tiny_bert, golden):
    a = ex.attention_rollout(tiny_bert, golden["input_ids"])
    np.testing.assert_allclose(a.attributions, golden["rollout"], rtol=1e-9, atol=1e-12)


@pytest.mark.reference
def test_classifier_integrated_gradients_equal_torch_live():
    torch = pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location("explain_ig", REPO / "bench" / "explain_ig.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    mt.manual_seed(0)
    model = mt.models.TransformerClassifier(50, 2, d_model=16, num_heads=4, num_layers=2, d_ff=32, max_len=64,
                                            pooling="mean").eval()
    ids = np.array([2, 11, 7, 30, 41, 5, 3])
    ours = ex.integrated_gradients(model, ids, target=1, n_steps=bench.STEPS, baseline="zero", special_ids=(2, 3))
    x = torch.tensor(model.get_input_embeddings().weight.numpy()[ids])
    theirs = bench.torch_ig(bench.torch_twin(model), x, 1).detach().numpy()
    np.testing.assert_allclose(ours.attributions, theirs, rtol=1e-4, atol=1e-7)  # float32 on both sides
