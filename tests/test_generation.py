"""generate(): the sampling filters against their definitions, seeds, eos/pad, the cache changing nothing."""
import numpy as np
import pytest

import minitransformer as mt
from minitransformer.models import GPT2Config, GPT2LMHeadModel
from minitransformer.models.generation import next_token_scores, sample_from_scores, top_k_filter, top_p_filter


@pytest.fixture(scope="module")
def model():
    mt.manual_seed(0)
    return GPT2LMHeadModel(GPT2Config(vocab_size=40, n_positions=64, n_embd=16, n_layer=2, n_head=2,
                                      initializer_range=0.3, bos_token_id=None, eos_token_id=None)).eval()


def test_top_k_keeps_the_k_largest_and_ties():
    scores = np.array([[0.1, 3.0, 2.0, 2.0, -1.0], [5.0, 4.0, 3.0, 2.0, 1.0]])
    out = top_k_filter(scores, 2)
    np.testing.assert_array_equal(np.isfinite(out), [[0, 1, 1, 1, 0], [1, 1, 0, 0, 0]])  # ties at the k-th stay
    np.testing.assert_array_equal(out[np.isfinite(out)], scores[np.isfinite(out)])
    assert np.isfinite(top_k_filter(scores, 99)).all()


def test_top_p_keeps_the_smallest_set_reaching_p():
    probs = np.array([[0.5, 0.3, 0.15, 0.05]])
    scores = np.log(probs)
    for p, kept in ((0.49, 1), (0.51, 2), (0.79, 2), (0.81, 3), (0.96, 4), (1e-9, 1)):
        out = top_p_filter(scores, p)
        assert np.isfinite(out).sum() == kept, p
        assert np.isfinite(out[0, :kept]).all()  # the most likely ones


def test_sampling_follows_the_softmax():
    scores = np.log(np.array([[0.1, 0.6, 0.3]]).repeat(20000, axis=0))
    ids = sample_from_scores(scores, np.random.default_rng(0).random(20000))
    np.testing.assert_allclose(np.bincount(ids, minlength=3) / 20000, [0.1, 0.6, 0.3], atol=0.01)
    filtered = next_token_scores(np.log(np.array([[0.1, 0.6, 0.3]])), 1.0, 1, 1.0)
    assert (sample_from_scores(filtered, np.array([0.999])) == 1).all()


def test_temperature_divides_the_logits():
    logits = np.array([[1.0, 2.0, 4.0]], dtype=np.float32)
    np.testing.assert_allclose(next_token_scores(logits, 0.5, None, 1.0), [[2.0, 4.0, 8.0]])


def test_top_k_1_is_greedy_and_seeds_repeat(model):
    prompt = [[3, 7, 1]]
    greedy = model.generate(prompt, max_new_tokens=12).numpy()
    np.testing.assert_array_equal(model.generate(prompt, max_new_tokens=12, do_sample=True, top_k=1).numpy(), greedy)
    a = model.generate(prompt, max_new_tokens=12, do_sample=True, temperature=1.5, top_k=0, seed=5).numpy()
    b = model.generate(prompt, max_new_tokens=12, do_sample=True, temperature=1.5, top_k=0, seed=5).numpy()
    c = model.generate(prompt, max_new_tokens=12, do_sample=True, temperature=1.5, top_k=0, seed=6).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    cached = model.generate(prompt, max_new_tokens=12, do_sample=True, top_p=0.9, seed=1).numpy()
    uncached = model.generate(prompt, max_new_tokens=12, do_sample=True, top_p=0.9, seed=1, use_cache=False)
    np.testing.assert_array_equal(cached, uncached.numpy())


def test_eos_stops_a_row_and_pads_it(model):
    prompt = np.array([[3, 7, 1], [2, 2, 9], [5, 6, 8]])
    free = model.generate(prompt, max_new_tokens=10).numpy()
    eos = int(free[1, 4])  # row 1's second new token
    out = model.generate(prompt, max_new_tokens=10, eos_token_id=eos, pad_token_id=39).numpy()
    ends = [next((j for j in range(3, 13) if free[i, j] == eos), 12) for i in range(3)]
    assert len(set(ends)) > 1  # rows end at different steps, so padding after eos is exercised
    assert out.shape[1] == max(ends) + 1  # generation stops once every row has produced eos
    for i, end in enumerate(ends):
        np.testing.assert_array_equal(out[i, :end + 1], free[i, :end + 1])  # as without eos, up to its eos
        assert (out[i, end + 1:] == 39).all()  # then only pad
    single = model.generate(prompt[1:2], max_new_tokens=10, eos_token_id=eos).numpy()
    np.testing.assert_array_equal(single, free[1:2, :ends[1] + 1])


def test_generate_restores_training_mode_and_warns_on_right_padding(model):
    model.train()
    model.generate([[1, 2]], max_new_tokens=2)
    assert model.training
    model.eval()
    with pytest.warns(UserWarning, match="right padding"):
        model.generate([[1, 2, 0]], attention_mask=[[1, 1, 0]], max_new_tokens=1)


def test_generate_rejects_bad_input(model):
    with pytest.raises(ValueError, match="non-empty"):
        model.generate([[]])
    with pytest.raises(ValueError, match="max_new_tokens"):
        model.generate([[1]], max_new_tokens=-1)
    with pytest.raises(ValueError, match="top_p"):
        model.generate([[1]], do_sample=True, top_p=0)
    with pytest.raises(ValueError, match="attention_mask has shape"):
        model.generate([[1, 2]], attention_mask=[[1]])
