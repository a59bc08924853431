"""Do the attributions mean something? On a small classifier trained on the shipped corpus
(tests/fixtures/explain_classifier, written by make_explain_classifier.py) and 300 sentences of that corpus's test
split kept beside it: completeness of integrated gradients, the deletion test against random deletions, and model
randomisation."""
import pathlib

import numpy as np
import pytest

from minitransformer import run_dir
from minitransformer.data import load_dataset
from minitransformer.explain import explain, integrated_gradients
from minitransformer.explain.checks import class_probabilities, deletion_curve, randomised, rank_correlation

HERE = pathlib.Path(__file__).resolve().parent
TEST = load_dataset(HERE / "fixtures" / "explain_classifier" / "test.tsv", label_names=["negative", "positive"])


@pytest.fixture(scope="module")
def trained():
    model, tokenizer, names, _ = run_dir.load(HERE / "fixtures" / "explain_classifier")
    return model, tokenizer, names


def test_the_fixture_model_has_learned_the_corpus(trained):
    model, tokenizer, names = trained
    probs = class_probabilities(model, tokenizer, TEST.texts[:300])
    accuracy = np.mean(probs.argmax(axis=1) == np.asarray(TEST.labels[:300]))
    assert accuracy >= 0.85, f"accuracy {accuracy:.3f}: regenerate it with tests/fixtures/make_explain_classifier.py"


def test_integrated_gradients_add_up_within_one_percent(trained):
    """Completeness at 64 trapezoid steps, sentence by sentence; tolerance=0.01 refines the sentences whose path
    turns too sharply for 64 points, until every one adds up to within 1% of F(x) - F(x')."""
    model, tokenizer, _ = trained
    special = (tokenizer.cls_token_id, tokenizer.sep_token_id)
    errors, refined = [], []
    for text in TEST.texts[:40]:
        ids = tokenizer.encode(text)
        a = integrated_gradients(model, ids, n_steps=64, special_ids=special)
        change = a.score - a.baseline_score
        errors.append(abs(a.delta) / abs(change))
        assert a.attributions.sum() - change == pytest.approx(a.delta, abs=1e-9)
        if errors[-1] > 0.01:
            b = integrated_gradients(model, ids, n_steps=64, special_ids=special, tolerance=0.01)
            refined.append(b.n_steps)
            assert abs(b.delta) <= 0.01 * abs(change) and b.n_steps > 64
    errors = np.array(errors)
    print(f"completeness error at 64 steps: median {np.median(errors):.1e}, {np.mean(errors > 0.01):.0%} over 1%; "
          f"refined to {refined} points")
    # measured on this model: median 2.2e-3, 80% within 1% at 64 steps; the rest within 1% at 127 or 253 points
    assert np.median(errors) < 0.01 and np.mean(errors <= 0.01) >= 0.7


@pytest.mark.parametrize("method", ["integrated_gradients", "gradient_x_input", "attention_rollout"])
def test_deleting_the_top_attributed_words_hurts_more_than_deleting_random_words(trained, method):
    """Over 100 test sentences: P(predicted class) after deleting the k most attributed words is below its value
    after deleting k random words (5 draws), for every k = 1..3, and by a clear margin on average."""
    model, tokenizer, _ = trained
    curve = deletion_curve(model, tokenizer, TEST.texts[:100], method=method, max_k=3, n_steps=16)
    print(method, "attributed", curve["attributed"].round(3), "random", curve["random"].round(3))
    assert curve["attributed"][0] == curve["random"][0]                     # k = 0: the sentences as they are
    assert np.all(curve["attributed"][1:] < curve["random"][1:])
    assert np.mean(curve["random"][1:] - curve["attributed"][1:]) > 0.1


def test_attributions_change_when_the_weights_are_reinitialised(trained):
    """Adebayo et al.'s sanity check: with the encoder and head re-initialised, the gradient methods rank the words
    of a sentence unlike the trained model does (rank correlation near 0, 1 for the model against itself).
    Rollout ignores the head by construction: re-initialising the head alone leaves it exactly as it was."""
    model, tokenizer, _ = trained
    scrambled = randomised(model, ["head", "encoder"], seed=1)
    head_only = randomised(model, ["head"], seed=1)
    for method in ("integrated_gradients", "gradient_x_input", "attention_rollout"):
        rho, same = [], []
        for text in TEST.texts[:20]:
            [e] = explain(model, tokenizer, text, method=method, n_steps=16)
            [again] = explain(model, tokenizer, text, method=method, n_steps=16, target=e.target)
            [r] = explain(scrambled, tokenizer, text, method=method, n_steps=16, target=e.target)
            rho.append(rank_correlation(e.word_attributions, r.word_attributions))
            same.append(rank_correlation(e.word_attributions, again.word_attributions))
        print(method, f"rank correlation with the re-initialised model {np.mean(rho):+.2f}")
        assert np.mean(same) == pytest.approx(1.0)
        if method != "attention_rollout":
            assert np.mean(rho) < 0.5
    [e] = explain(model, tokenizer, TEST.texts[0], method="rollout")
    [h] = explain(head_only, tokenizer, TEST.texts[0], method="rollout")
    np.testing.assert_array_equal(e.word_attributions, h.word_attributions)
