"""mt.explain on small random models: each method against an independent computation (finite differences, the
completeness and dummy axioms, a hand-worked rollout), words from offsets, the models' inputs_embeds path, and
the renderings. Checks on a trained model are in test_explain_checks.py."""
import numpy as np
import pytest

import minitransformer as mt
from minitransformer import explain as ex
from minitransformer.explain.integrated import gauss_legendre, trapezoid
from minitransformer.explain.rollout import rollout
from minitransformer.models import TransformerClassifier, TransformerTokenClassifier
from minitransformer.models.bert import BertForSequenceClassification, BertForTokenClassification
from minitransformer.models.bert_config import BertConfig
from minitransformer.tokenizer import WordPieceTokenizer

TEXTS = ["The plot was not good, but the acting was superb.", "never boring", "I hated the unwatchable ending!"]


@pytest.fixture(scope="module")
def tokenizer():
    corpus = TEXTS * 3 + ["the plot the acting was good not bad watch able un end ing"] * 3
    return WordPieceTokenizer.train(corpus, vocab_size=120, show_progress=False)


def classifier(tokenizer, pooling="mean", seed=0, dtype="float32"):
    mt.manual_seed(seed)
    model = TransformerClassifier(tokenizer.vocab_size, 3, d_model=16, num_heads=2, num_layers=2, d_ff=32,
                                  max_len=64, pad_id=tokenizer.pad_token_id, pooling=pooling).eval()
    return model.double() if dtype == "float64" else model


def bert(tokenizer, seed=0):
    mt.manual_seed(seed)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64)
    return BertForSequenceClassification(config).eval()


def ids_of(tokenizer, text):
    return np.array(tokenizer.encode(text))


# ---------------------------------------------------------------- the models' inputs_embeds and attentions

@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_classifier_inputs_embeds_give_the_ids_logits(tokenizer, pooling):
    model = classifier(tokenizer, pooling)
    enc = tokenizer(TEXTS, padding=True, return_tensors="np")
    ids, mask = enc["input_ids"], enc["attention_mask"]
    expected = model(ids, attention_mask=mask).logits.numpy()
    embeds = model.get_input_embeddings()(mt.tensor(ids))
    got = model(inputs_embeds=embeds, attention_mask=mask, output_attentions=True)
    np.testing.assert_array_equal(got.logits.numpy(), expected)
    assert len(got.attentions) == 2 and got.attentions[0].shape == (3, 2, ids.shape[1], ids.shape[1])
    assert model(ids, return_attentions=True).attentions is not None          # the older name still works


def test_bert_inputs_embeds_give_the_ids_logits(tokenizer):
    model = bert(tokenizer)
    enc = tokenizer(TEXTS, padding=True, return_tensors="np")
    expected = model(enc["input_ids"], attention_mask=enc["attention_mask"]).logits.numpy()
    embeds = model.get_input_embeddings()(mt.tensor(enc["input_ids"]))
    got = model(inputs_embeds=embeds, attention_mask=enc["attention_mask"]).logits.numpy()
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("make", [classifier, bert])
def test_inputs_embeds_mistakes_are_clear_errors(tokenizer, make):
    model = make(tokenizer)
    ids = ids_of(tokenizer, "never boring")[None]
    with pytest.raises(ValueError, match="exactly one of input_ids and inputs_embeds"):
        model(ids, inputs_embeds=np.zeros((1, ids.shape[1], 16), dtype="float32"))
    with pytest.raises(ValueError, match="exactly one of input_ids and inputs_embeds"):
        model()
    with pytest.raises(ValueError, match="inputs_embeds must be floating"):
        model(inputs_embeds=np.zeros((1, 4, 8), dtype="float32"))


# ---------------------------------------------------------------- gradient x input

def test_gradient_x_input_is_the_derivative_of_scaling_each_token(tokenizer):
    """a_t = sum_d x_td dF/dx_td = d/de F(x with row t scaled by 1 + e) at e = 0: central differences, float64."""
    model = classifier(tokenizer, dtype="float64")
    ids = ids_of(tokenizer, TEXTS[0])
    a = ex.gradient_x_input(model, ids, target=1)
    x = model.get_input_embeddings()(mt.tensor(ids[None])).numpy()          # (1, T, D)

    def F(embeds):
        logits = model(inputs_embeds=embeds).logits.numpy()[0]
        p = np.exp(logits - logits.max())
        return p[1] / p.sum()

    eps = 1e-6
    for t in range(len(ids)):
        up, down = x.copy(), x.copy()
        up[0, t] *= 1 + eps
        down[0, t] *= 1 - eps
        assert a.attributions[t] == pytest.approx((F(up) - F(down)) / (2 * eps), rel=1e-5, abs=1e-9)
    assert a.score == pytest.approx(F(x), rel=1e-12) and a.target == 1


def test_explaining_leaves_the_model_as_it_was(tokenizer):
    model = classifier(tokenizer).train()
    ex.explain(model, tokenizer, TEXTS[:1], method="ig", n_steps=4)
    assert model.training and all(p.grad is None and p.requires_grad for p in model.parameters())


# ---------------------------------------------------------------- integrated gradients

def test_trapezoid_weights_integrate_a_line_exactly_and_converge_quadratically():
    alphas, w = trapezoid(5)
    assert alphas.tolist() == [0, 0.25, 0.5, 0.75, 1] and w.sum() == pytest.approx(1)
    assert (w * (3 * alphas + 1)).sum() == pytest.approx(2.5)                          # int_0^1 3a + 1 = 2.5
    errors = [abs((w * alphas ** 2).sum() - 1 / 3) for alphas, w in (trapezoid(9), trapezoid(17))]
    assert errors[0] / errors[1] == pytest.approx(4, rel=1e-9)                       # h^2: half h, quarter error


@pytest.mark.parametrize("make", [classifier, bert])
def test_integrated_gradients_are_complete_and_converge(tokenizer, make):
    """sum a = F(x) - F(x') (Sundararajan et al.'s completeness); the delta shrinks ~ 1/n^2 with the steps."""
    model = make(tokenizer)
    ids = ids_of(tokenizer, TEXTS[0])
    special = (tokenizer.cls_token_id, tokenizer.sep_token_id)
    coarse = ex.integrated_gradients(model.double(), ids, target=0, n_steps=8, special_ids=special)
    fine = ex.integrated_gradients(model, ids, target=0, n_steps=64, special_ids=special)
    change = fine.score - fine.baseline_score
    assert fine.attributions.sum() == pytest.approx(change, rel=1e-3)
    assert fine.delta == pytest.approx(fine.attributions.sum() - change, abs=1e-12)
    assert abs(fine.delta) < abs(coarse.delta) / 10
    assert fine.attributions[0] == 0 and fine.attributions[-1] == 0                 # [CLS], [SEP] kept in x'


def test_integrated_gradients_of_one_changed_token_is_the_whole_change(tokenizer):
    """A baseline equal to x except at token t: t gets F(x) - F(x') and every other token exactly 0 (the
    dummy axiom), which checks each token's value, not only the sum."""
    model = classifier(tokenizer, dtype="float64")
    ids = ids_of(tokenizer, TEXTS[2])
    x = model.get_input_embeddings()(mt.tensor(ids[None])).numpy()
    base = x.copy()
    base[0, 3] = 0.0
    a = ex.integrated_gradients(model, ids, target=2, baseline=base, n_steps=128)
    others = np.delete(a.attributions, 3)
    assert np.all(others == 0)
    assert a.attributions[3] == pytest.approx(a.score - a.baseline_score, rel=1e-4)


def test_integrated_gradients_in_batches_equal_one_batch(tokenizer):
    model = classifier(tokenizer, dtype="float64")
    ids = ids_of(tokenizer, TEXTS[1])
    whole = ex.integrated_gradients(model, ids, n_steps=10, baseline="zero")
    parts = ex.integrated_gradients(model, ids, n_steps=10, baseline="zero", internal_batch_size=3)
    np.testing.assert_allclose(parts.attributions, whole.attributions, rtol=1e-12, atol=1e-15)
    assert parts.delta == pytest.approx(whole.delta, abs=1e-12)


def test_integrated_gradients_mistakes_are_clear_errors(tokenizer):
    model = classifier(tokenizer)
    ids = ids_of(tokenizer, TEXTS[1])
    with pytest.raises(ValueError, match="n_steps must be at least 2"):
        ex.integrated_gradients(model, ids, n_steps=1)
    with pytest.raises(ValueError, match="baseline must be 'pad', 'zero'"):
        ex.integrated_gradients(model, ids, baseline="mask")
    with pytest.raises(ValueError, match="one non-empty sequence"):
        ex.integrated_gradients(model, np.zeros((2, 3), dtype=int))
    with pytest.raises(ValueError, match="output must be one of"):
        ex.gradient_x_input(model, ids, output="odds")
    with pytest.raises(ValueError, match="target class 3 is out of range for 3 classes"):
        ex.integrated_gradients(model, ids, target=3)
    with pytest.raises(ValueError, match="unknown method 'shap'"):
        ex.explain(model, tokenizer, "x", method="shap")
    with pytest.raises(TypeError, match="cannot be explained"):
        ex.gradient_x_input(mt.nn.Linear(3, 2), ids)


# ---------------------------------------------------------------- attention rollout

def test_rollout_of_one_uniform_layer_by_hand():
    """One layer, every query attending uniformly over 4 tokens: r = v (0.5 I + 0.5 U) = 0.5 v + 0.125."""
    attentions = [np.full((1, 2, 4, 4), 0.25)]
    r = rollout(attentions, np.array([1.0, 0, 0, 0]))
    np.testing.assert_allclose(r, [0.625, 0.125, 0.125, 0.125])
    chained = rollout(attentions * 2, np.array([1.0, 0, 0, 0]))                     # (0.5 I + 0.5 U)^2
    np.testing.assert_allclose(chained, 0.25 * np.eye(4)[0] + 0.75 * 0.25)


@pytest.mark.parametrize("make", [classifier, bert])
def test_rollout_is_a_share_of_the_readout_and_zero_on_padding(tokenizer, make):
    model = make(tokenizer)
    ids = ids_of(tokenizer, TEXTS[0])
    padded = np.concatenate([ids, [tokenizer.pad_token_id] * 3])
    mask = np.r_[np.ones(len(ids)), np.zeros(3)].astype(int)
    a = ex.attention_rollout(model, padded, attention_mask=mask)
    assert a.attributions.sum() == pytest.approx(1) and np.all(a.attributions >= 0)
    assert np.all(a.attributions[len(ids):] == 0)
    np.testing.assert_allclose(a.attributions[:len(ids)], ex.attention_rollout(model, ids).attributions, atol=1e-6)


# ---------------------------------------------------------------- words

def test_pieces_are_merged_into_words_at_their_character_spans():
    text = "I hated the unwatchable ending!"
    tokens = ["[CLS]", "i", "hated", "the", "un", "##watch", "##able", "ending", "!", "[SEP]"]
    offsets = [(0, 0), (0, 1), (2, 7), (8, 11), (12, 14), (14, 19), (19, 23), (24, 30), (30, 31), (0, 0)]
    words = ex.group_words(text, tokens, offsets)
    assert words.texts == ["I", "hated", "the", "unwatchable", "ending", "!"]
    assert words.pieces[3] == [4, 5, 6] and words.spans[3] == (12, 23)
    np.testing.assert_array_equal(words.sum(np.arange(10.0)), [1, 2, 3, 15, 7, 8])
    assert ex.without_words(text, [words.spans[3], words.spans[5]]) == "I hated the ending"


def test_explain_returns_words_whose_attributions_add_up(tokenizer):
    model = classifier(tokenizer)
    [e] = ex.explain(model, tokenizer, "I hated the unwatchable ending!", method="gxi", target=2)
    assert e.words == ["I", "hated", "the", "unwatchable", "ending", "!"]
    assert [e.text[s:t] for s, t in e.word_spans] == e.words
    inner = e.token_attributions[1:-1].sum()                                          # without [CLS], [SEP]
    assert e.word_attributions.sum() == pytest.approx(inner) and e.target == 2


# ---------------------------------------------------------------- token classifiers plug in

def tagger(tokenizer, kind):
    mt.manual_seed(0)
    if kind == "bert":
        config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=16, num_hidden_layers=2,
                            num_attention_heads=2, intermediate_size=32, max_position_embeddings=64,
                            id2label={0: "O", 1: "B-PER", 2: "I-PER"})
        return BertForTokenClassification(config).double().eval()
    return TransformerTokenClassifier(tokenizer.vocab_size, 3, d_model=16, num_heads=2, num_layers=2, d_ff=32,
                                      max_len=64, pad_id=tokenizer.pad_token_id).double().eval()


@pytest.mark.parametrize("kind", ["scratch", "bert"])
def test_a_token_classifier_is_explained_at_a_position(tokenizer, kind):
    model = tagger(tokenizer, kind)
    ids = ids_of(tokenizer, TEXTS[0])
    embeds = model.get_input_embeddings()(mt.tensor(ids[None]))
    np.testing.assert_array_equal(model(inputs_embeds=embeds, output_attentions=True).logits.numpy(),
                                  model(ids[None]).logits.numpy())
    a = ex.integrated_gradients(model, ids, position=3, target=1, n_steps=64, baseline="zero")
    assert abs(a.delta) < 1e-3 * abs(a.score - a.baseline_score)
    logits = model(ids[None]).logits.numpy()[0, 3]
    assert a.score == pytest.approx(np.exp(logits[1]) / np.exp(logits).sum(), rel=1e-9)
    r = ex.attention_rollout(model, ids, position=3)
    assert r.attributions.sum() == pytest.approx(1) and r.attributions.argmax() == 3  # the residual keeps it home
    [e] = ex.explain(model, tokenizer, TEXTS[0], method="gxi", position=3, target="B-PER" if kind == "bert" else 1)
    assert e.target == 1 and len(e.words) == len(e.word_attributions)
    with pytest.raises(ValueError, match="pass position="):
        ex.gradient_x_input(model, ids)


# ---------------------------------------------------------------- rendering

def test_renderings_shade_the_words(tokenizer, tmp_path):
    model = classifier(tokenizer)
    [e] = ex.explain(model, tokenizer, "never <b>boring</b>", method="ig", n_steps=8, label_names=["a", "b", "c"])
    plain, color = e.format(), e.format(color=True)
    assert plain.startswith(f"{e.label} {e.score:.4f} (integrated_gradients") and "[" in plain
    assert "\x1b[30;48;5;" in color and "\x1b[" not in plain
    page = e.to_html()
    assert "&lt;b&gt;" in page and "<b>boring</b>" not in page and page.count("<span") == len(e.words)
    assert e.save_png(tmp_path / "e.png").read_bytes()[:4] == b"\x89PNG"
    assert ex.explain(model, tokenizer, "never", target="c", label_names=["a", "b", "c"])[0].target == 2


@pytest.mark.parametrize("make", [classifier, bert])
def test_an_inputs_embeds_array_takes_the_models_dtype(tokenizer, make):
    """A float64 array must not become float32 on its way into a float64 model (Tensor() alone would do that)."""
    model = make(tokenizer)
    x = np.random.default_rng(0).standard_normal((1, 5, 16))                                 # float64
    assert model(inputs_embeds=x).logits.dtype == np.float32
    assert model.double()(inputs_embeds=x).logits.dtype == np.float64


def test_gauss_legendre_is_exact_for_polynomials_and_keeps_both_ends():
    alphas, w = gauss_legendre(4)                                         # exact up to degree 7
    assert alphas[0] == 0 and alphas[-1] == 1 and w[0] == w[-1] == 0
    for degree in range(8):
        assert (w * alphas ** degree).sum() == pytest.approx(1 / (degree + 1), rel=1e-12)


def test_refining_to_a_tolerance_equals_running_the_finer_grid(tokenizer):
    """tolerance halves the step reusing the old points: 9 points refined twice must equal 33 points directly."""
    model = classifier(tokenizer, dtype="float64")
    ids = ids_of(tokenizer, TEXTS[0])
    refined = ex.integrated_gradients(model, ids, target=1, n_steps=9, tolerance=1e-12, max_steps=33)
    direct = ex.integrated_gradients(model, ids, target=1, n_steps=33)
    assert refined.n_steps == direct.n_steps == 33
    np.testing.assert_allclose(refined.attributions, direct.attributions, rtol=1e-10, atol=1e-14)
    assert refined.delta == pytest.approx(direct.delta, abs=1e-13)
    loose = ex.integrated_gradients(model, ids, target=1, n_steps=9, tolerance=0.5)
    assert loose.n_steps == 9                                                # already within: no extra points
    with pytest.raises(ValueError, match="tolerance must be positive and needs rule='trapezoid'"):
        ex.integrated_gradients(model, ids, tolerance=0.01, rule="gauss_legendre")


# ---------------------------------------------------------------- the checks' own pieces

def test_deletion_curve_deletes_the_top_words_and_averages_random_draws(tokenizer):
    from minitransformer.explain.checks import class_probabilities, deletion_curve
    model = classifier(tokenizer)
    [e] = ex.explain(model, tokenizer, "I hated the unwatchable ending!", method="gxi")
    order = np.argsort(-e.word_attributions, kind="stable")
    curve = deletion_curve(model, tokenizer, [e.text], explanations=[e], max_k=2, random_draws=3, seed=4)
    expected = [ex.without_words(e.text, [e.word_spans[j] for j in order[:k]]) for k in range(3)]
    probs = class_probabilities(model, tokenizer, expected)[:, e.target]
    np.testing.assert_allclose(curve["attributed"], probs, rtol=1e-6)
    assert curve["random"][0] == pytest.approx(probs[0]) and curve["per_text_random"].shape == (1, 3)


def test_rank_correlation_and_randomised_copies():
    from minitransformer.explain.checks import randomised, rank_correlation
    assert rank_correlation([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(0.9486832980505138)   # scipy's spearmanr
    assert rank_correlation([3, 2, 1], [1, 2, 3]) == pytest.approx(-1)
    mt.manual_seed(0)
    model = TransformerClassifier(50, 2, d_model=16, num_heads=2, num_layers=2, d_ff=32)
    copy = randomised(model, ["encoder.layers.1"], seed=3)
    for (name, p), (_, q) in zip(model.named_parameters(), copy.named_parameters()):
        changed = not np.array_equal(p.numpy(), q.numpy())
        fresh_norm = ".norm" in name                    # LayerNorm starts at ones and zeros in every model
        assert changed == (name.startswith("encoder.layers.1.") and not fresh_norm), name
    with pytest.raises(ValueError, match="no parameter name starts with"):
        randomised(model, ["decoder"])


def test_a_temperature_explains_the_calibrated_probability(tokenizer):
    """softmax(logits / T) is the probability of the same model with its head divided by T."""
    model = classifier(tokenizer, dtype="float64")
    ids = ids_of(tokenizer, TEXTS[0])
    hot = ex.integrated_gradients(model, ids, target=1, n_steps=16, temperature=2.5)
    model.head.weight.data = model.head.weight.data / 2.5
    model.head.bias.data = model.head.bias.data / 2.5
    plain = ex.integrated_gradients(model, ids, target=1, n_steps=16)
    np.testing.assert_allclose(hot.attributions, plain.attributions, rtol=1e-9, atol=1e-15)
    assert hot.score == pytest.approx(plain.score, rel=1e-12)
    assert ex.attention_rollout(model, ids, target=1).score == pytest.approx(plain.score, rel=1e-12)
