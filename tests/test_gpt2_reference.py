"""Reference tier: GPT-2 against a live transformers GPT2LMHeadModel (random init, small config, saved by
transformers and loaded here): logits, loss, gradients, the cache, left padding, greedy generation, checkpoints
both ways, and the sampling filters against transformers' logits warpers.
    /work/refvenv/bin/python -m pytest -m reference tests/test_gpt2_reference.py"""
import numpy as np
import pytest

import minitransformer as mt
from minitransformer.models import GPT2LMHeadModel
from minitransformer.models.generation import top_k_filter, top_p_filter

pytestmark = pytest.mark.reference
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

CONFIG = dict(vocab_size=120, n_positions=64, n_embd=48, n_layer=3, n_head=4)


def pair(tmp_path, **kw):
    """(transformers model, ours) with the same random weights."""
    torch.manual_seed(0)
    hf = transformers.GPT2LMHeadModel(transformers.GPT2Config(**{**CONFIG, **kw})).eval()
    hf.save_pretrained(tmp_path)
    return hf, GPT2LMHeadModel.from_pretrained(tmp_path)


def batch(B=3, T=20, seed=0):
    return np.random.default_rng(seed).integers(0, CONFIG["vocab_size"], size=(B, T))


@pytest.mark.parametrize("activation", ["gelu_new", "gelu", "relu"])
def test_logits_and_loss_float32(tmp_path, activation):
    hf, ours = pair(tmp_path, activation_function=activation)
    ids = batch()
    with torch.no_grad():
        ref = hf(torch.from_numpy(ids), labels=torch.from_numpy(ids))
    with mt.no_grad():
        out = ours(ids, labels=ids)
    assert np.abs(out.logits.numpy() - ref.logits.numpy()).max() < 1e-5
    assert abs(out.loss.item() - ref.loss.item()) < 1e-6


def test_logits_float64(tmp_path):
    hf, ours = pair(tmp_path, initializer_range=0.2)
    hf.double()
    ours.double()
    ids = batch()
    with torch.no_grad():
        ref = hf(torch.from_numpy(ids), labels=torch.from_numpy(ids))
    with mt.no_grad():
        out = ours(ids, labels=ids)
    assert out.logits.dtype == np.float64
    assert np.abs(out.logits.numpy() - ref.logits.numpy()).max() < 1e-10
    # transformers' loss casts the logits to float32 (ForCausalLMLoss); the float64 reference is torch's own
    # cross-entropy on the float64 logits, shifted as the model does
    loss = torch.nn.functional.cross_entropy(ref.logits[:, :-1].reshape(-1, CONFIG["vocab_size"]),
                                             torch.from_numpy(ids[:, 1:]).reshape(-1))
    assert abs(out.loss.item() - loss.item()) < 1e-12


def test_gradients_match_torch(tmp_path):
    hf, ours = pair(tmp_path, resid_pdrop=0, embd_pdrop=0, attn_pdrop=0)
    hf.train()
    ours.train()
    ids = batch(2, 12)
    labels = ids.copy()
    labels[:, :3] = -100
    hf(torch.from_numpy(ids), labels=torch.from_numpy(labels)).loss.backward()
    ours(ids, labels=labels).loss.backward()
    theirs = dict(hf.named_parameters())
    for name, p in ours.named_parameters():
        g = theirs[name].grad.numpy()
        assert np.abs(p.grad.numpy() - g).max() < 1e-5 * max(1.0, np.abs(g).max()), name


def test_cache_and_left_padding_match(tmp_path):
    hf, ours = pair(tmp_path, initializer_range=0.2)
    ids = batch(2, 12)
    mask = np.ones_like(ids)
    mask[1, :5] = 0  # row 1 is left-padded
    positions = np.maximum(mask.cumsum(-1) - 1, 0)
    with torch.no_grad():
        first = hf(torch.from_numpy(ids[:, :8]), attention_mask=torch.from_numpy(mask[:, :8]),
                   position_ids=torch.from_numpy(positions[:, :8]), use_cache=True)
        ref = hf(torch.from_numpy(ids[:, 8:]), attention_mask=torch.from_numpy(mask),
                 position_ids=torch.from_numpy(positions[:, 8:]), past_key_values=first.past_key_values).logits
    with mt.no_grad():
        mine = ours(ids[:, :8], attention_mask=mask[:, :8], position_ids=positions[:, :8], use_cache=True)
        second = ours(ids[:, 8:], attention_mask=mask, position_ids=positions[:, 8:],
                      past_key_values=mine.past_key_values)
    real = mask[:, :8].astype(bool)
    assert np.abs(mine.logits.numpy()[real] - first.logits.numpy()[real]).max() < 1e-5
    assert np.abs(second.logits.numpy() - ref.numpy()).max() < 1e-5
    cache = first.past_key_values  # transformers' cache grew in place to all 12 positions
    for layer in range(CONFIG["n_layer"]):
        theirs = (cache.layers[layer].keys, cache.layers[layer].values) if hasattr(cache, "layers") else cache[layer]
        for mine_kv, their_kv in zip(second.past_key_values[layer], theirs):
            assert mine_kv.shape == tuple(their_kv.shape) == (2, 4, 12, 12)  # (B, H, past, head_dim)
            diff = np.abs(mine_kv.numpy() - their_kv.numpy())
            assert max(diff[0].max(), diff[1, :, 5:].max()) < 1e-5  # real positions


@pytest.mark.parametrize("use_cache", [True, False])
def test_greedy_generation_equal_token_for_token(tmp_path, use_cache):
    hf, ours = pair(tmp_path, initializer_range=0.2)
    ids = batch(3, 9, seed=4)
    mask = np.ones_like(ids)
    mask[1, :3] = mask[2, :6] = 0  # prompts of 9, 6 and 3 tokens, left-padded
    ids[mask == 0] = 0
    with torch.no_grad():
        ref = hf.generate(torch.from_numpy(ids), attention_mask=torch.from_numpy(mask), max_new_tokens=20,
                          min_new_tokens=20, do_sample=False, use_cache=use_cache, pad_token_id=0).numpy()
    out = ours.generate(ids, attention_mask=mask, max_new_tokens=20, use_cache=use_cache).numpy()
    np.testing.assert_array_equal(out, ref)
    assert len(set(ref[0, 9:].tolist())) > 3  # a varied continuation, not one token repeated


def test_our_checkpoint_loads_in_transformers(tmp_path):
    mt.manual_seed(0)
    from minitransformer.models import GPT2Config
    ours = GPT2LMHeadModel(GPT2Config(**CONFIG)).eval()
    ours.save_pretrained(tmp_path)
    hf = transformers.GPT2LMHeadModel.from_pretrained(tmp_path).eval()
    ids = batch()
    with torch.no_grad():
        ref = hf(torch.from_numpy(ids)).logits.numpy()
    with mt.no_grad():
        assert np.abs(ours(ids).logits.numpy() - ref).max() < 1e-5


def test_sampling_filters_match_transformers_warpers():
    from transformers.generation.logits_process import TopKLogitsWarper, TopPLogitsWarper
    scores = np.random.default_rng(0).normal(size=(4, 50)) * 3
    scores[0, :5] = scores[0, 5]  # ties at the k-th value
    for k in (1, 5, 20):
        ref = TopKLogitsWarper(k)(None, torch.from_numpy(scores)).numpy()
        np.testing.assert_array_equal(top_k_filter(scores, k), ref)
    for p in (0.1, 0.5, 0.9, 0.99):
        ref = TopPLogitsWarper(p)(None, torch.from_numpy(scores)).numpy()
        np.testing.assert_array_equal(np.isfinite(top_p_filter(scores, p)), np.isfinite(ref))
