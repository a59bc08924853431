"""GPT-2 without torch: parity with transformers through the golden fixture (tests/fixtures/make_gpt2_golden.py),
the KV cache, left padding, the shifted loss, gradients, checkpoints and errors."""
import json

import numpy as np
import pytest

import minitransformer as mt
from minitransformer.io import load_npz
from minitransformer.models import GPT2Config, GPT2LMHeadModel, GPT2Model
from tests.conftest import FIXTURES, gradcheck_module

TINY_DIR = FIXTURES / "gpt2_tiny"


@pytest.fixture(scope="module")
def golden():
    arrays, _ = load_npz(FIXTURES / "gpt2_golden.npz")
    return arrays


@pytest.fixture(scope="module")
def tiny():
    return GPT2LMHeadModel.from_pretrained(TINY_DIR)


def small(**kw):
    mt.manual_seed(0)
    sizes = dict(vocab_size=50, n_positions=32, n_embd=16, n_layer=2, n_head=2, initializer_range=0.3)
    sizes.update(kw)
    return GPT2LMHeadModel(GPT2Config(**sizes)).eval()


def test_golden_logits_and_loss(tiny, golden):
    with mt.no_grad():
        out = tiny(golden["ids"], labels=golden["ids"])
        masked = tiny(golden["ids"], labels=golden["labels_masked"])
    assert np.abs(out.logits.numpy() - golden["logits"]).max() < 1e-5
    assert abs(out.loss.item() - float(golden["loss"])) < 1e-6
    assert abs(masked.loss.item() - float(golden["loss_masked"])) < 1e-6


def test_golden_left_padded_logits(tiny, golden):
    with mt.no_grad():
        logits = tiny(golden["padded_ids"], attention_mask=golden["padded_mask"]).logits.numpy()
    real = golden["padded_mask"].astype(bool)  # pad positions' outputs are never used, and HF's differ
    assert np.abs(logits[real] - golden["padded_logits"][real]).max() < 1e-5


def test_golden_greedy_generation(tiny, golden):
    prompt = golden["ids"][:1, :6]
    for cache in (True, False):
        out = tiny.generate(prompt, max_new_tokens=20, use_cache=cache).numpy()
        np.testing.assert_array_equal(out, golden["greedy"])
    out = tiny.generate(golden["padded_ids"], attention_mask=golden["padded_mask"], max_new_tokens=20)
    np.testing.assert_array_equal(out.numpy(), golden["padded_greedy"])


def test_checkpoint_names_and_conv1d_layout(tiny):
    names = dict(tiny.named_parameters())
    assert "transformer.h.1.attn.c_attn.weight" in names and "lm_head.weight" not in names
    assert names["transformer.h.0.attn.c_attn.weight"].shape == (32, 96)  # (in, out): Conv1D, not Linear
    assert names["transformer.h.0.mlp.c_fc.weight"].shape == (32, 128)
    config = json.loads((TINY_DIR / "config.json").read_text())
    assert tiny.config.n_embd == config["n_embd"] == tiny.config.hidden_size


def test_cache_gives_the_same_logits_as_the_whole_sequence():
    model = small()
    ids = np.random.default_rng(1).integers(0, 50, size=(2, 9))
    with mt.no_grad():
        full = model(ids).logits.numpy()
        first = model(ids[:, :5], use_cache=True)
        k, v = first.past_key_values[0]
        assert k.shape == v.shape == (2, 2, 5, 8)  # (B, H, past, head_dim)
        rest = model(ids[:, 5:], past_key_values=first.past_key_values).logits.numpy()
        step = model(ids[:, 5:6], past_key_values=first.past_key_values).logits.numpy()
    np.testing.assert_allclose(np.concatenate([first.logits.numpy(), rest], axis=1), full, atol=1e-5)
    np.testing.assert_allclose(step[:, 0], full[:, 5], atol=1e-5)


def test_left_padded_rows_continue_as_they_would_alone():
    model = small()
    rng = np.random.default_rng(2)
    rows = [rng.integers(1, 50, size=n) for n in (7, 3, 5)]
    ids = np.zeros((3, 7), dtype=np.int64)
    mask = np.zeros((3, 7), dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, 7 - len(row):], mask[i, 7 - len(row):] = row, 1
    batched = model.generate(ids, attention_mask=mask, max_new_tokens=8).numpy()
    for i, row in enumerate(rows):
        alone = model.generate(row[None], max_new_tokens=8).numpy()
        np.testing.assert_array_equal(batched[i, 7 - len(row):], alone[0])
    positions = np.maximum(np.cumsum(mask, axis=1) - 1, 0)
    with mt.no_grad():
        logits = model(ids, attention_mask=mask, position_ids=positions).logits.numpy()
        alone = model(rows[1][None]).logits.numpy()
    np.testing.assert_allclose(logits[1, 4:], alone[0], atol=1e-5)


def test_loss_is_next_token_cross_entropy():
    model = small()
    ids = np.random.default_rng(3).integers(0, 50, size=(2, 6))
    out = model(ids, labels=ids)
    logits = out.logits.numpy().astype(np.float64)[:, :-1]  # position t predicts token t + 1
    logp = logits - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1, keepdims=True)) \
        - logits.max(-1, keepdims=True)
    expected = -np.take_along_axis(logp, ids[:, 1:, None], axis=-1).mean()
    assert abs(out.loss.item() - expected) < 1e-6


def test_gradients_of_the_loss_match_finite_differences():
    model = small(vocab_size=11, n_positions=8, n_embd=4, n_inner=8, n_head=2, resid_pdrop=0, embd_pdrop=0,
                  attn_pdrop=0)
    ids = np.array([[1, 4, 2, 7, 3], [5, 5, 0, 9, 10]])
    mask = np.array([[1, 1, 1, 1, 1], [0, 1, 1, 1, 1]])
    assert gradcheck_module(model, call=lambda: model(ids, attention_mask=mask, labels=ids).loss)


def test_save_and_load_round_trip(tmp_path, tiny, golden):
    tiny.save_pretrained(tmp_path)
    again = GPT2LMHeadModel.from_pretrained(tmp_path)
    with mt.no_grad():
        a, b = tiny(golden["ids"]).logits.numpy(), again(golden["ids"]).logits.numpy()
    np.testing.assert_array_equal(a, b)
    assert json.loads((tmp_path / "config.json").read_text())["architectures"] == ["GPT2LMHeadModel"]


def test_bare_model_loads_an_lm_checkpoint_and_back(tmp_path, tiny):
    body, info = GPT2Model.from_pretrained(TINY_DIR, output_loading_info=True)
    assert info["missing_keys"] == [] and info["unexpected_keys"] == []
    body.save_pretrained(tmp_path)  # keys without the transformer. prefix, as OpenAI's gpt2 checkpoint
    lm, info = GPT2LMHeadModel.from_pretrained(tmp_path, output_loading_info=True)
    assert info["missing_keys"] == []
    np.testing.assert_array_equal(lm.transformer.wte.weight.numpy(), tiny.transformer.wte.weight.numpy())


def test_init_follows_hugging_face():
    model = small(n_layer=4, n_embd=64, n_head=4, vocab_size=500, n_positions=64, initializer_range=0.02)
    p = dict(model.named_parameters())
    assert abs(p["transformer.wte.weight"].numpy().std() - 0.02) < 2e-3
    assert abs(p["transformer.h.0.attn.c_proj.weight"].numpy().std() - 0.02 / np.sqrt(8)) < 1e-3
    assert (p["transformer.h.0.ln_1.weight"].numpy() == 1).all() and (p["transformer.ln_f.bias"].numpy() == 0).all()
    assert (p["transformer.h.3.mlp.c_fc.bias"].numpy() == 0).all()


def test_errors_name_the_problem():
    model = small()
    with pytest.raises(ValueError, match="n_positions"):
        model(np.zeros((1, 33), dtype=np.int64))
    with pytest.raises(ValueError, match="attention_mask has shape"):
        model(np.zeros((1, 4), dtype=np.int64), attention_mask=np.ones((1, 3)))
    with pytest.raises(TypeError, match="integers"):
        model(np.zeros((1, 4)))
    with pytest.raises(ValueError, match="past_key_values has 1 layers"):
        model(np.zeros((1, 4), dtype=np.int64), past_key_values=[(None, None)])
    with pytest.raises(ValueError, match="exceed the model's n_positions"):
        model.generate([[1, 2, 3]], max_new_tokens=30)
    with pytest.raises(ValueError, match="temperature must be > 0"):
        model.generate([[1, 2]], do_sample=True, temperature=0)
    with pytest.raises(ValueError, match="n_embd 30 is not a multiple of n_head 4"):
        GPT2Config(n_embd=30, n_head=4)
    with pytest.raises(ValueError, match="model_type 'bert'"):
        GPT2Config.from_dict({"model_type": "bert"})
