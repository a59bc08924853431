"""TransformerClassifier: its wiring against NumPy, padding invisibility, gradients, learning, checkpoints, errors."""
import math

import numpy as np
import pytest

import minitransformer as mt
import minitransformer.functional as F
from minitransformer.models import ClassifierOutput, TransformerClassifier, TransformerClassifierConfig

from conftest import gradcheck_module

TINY = dict(vocab_size=11, num_classes=3, d_model=8, num_heads=2, num_layers=2, d_ff=16, max_len=12, dropout=0.0)


def tiny(**overrides):
    mt.manual_seed(0)
    return TransformerClassifier(**{**TINY, **overrides})


IDS = np.array([[1, 5, 7, 2, 0, 0], [1, 3, 3, 9, 10, 2]])  # pad_id 0


def test_forward_wiring_matches_numpy(device):
    """embedding * sqrt(d) + sinusoids -> encoder -> pool -> head, recomputed outside the model."""
    for pooling in ("cls", "mean"):
        model = tiny(pooling=pooling).to(device)
        out = model(IDS)
        assert isinstance(out, ClassifierOutput) and out.logits.shape == (2, 3) and out.loss is None
        E = model.embedding.weight.numpy()
        d = np.arange(8)
        angle = np.arange(6)[:, None] / 10000 ** ((d - d % 2) / 8)
        pe = np.where(d % 2 == 0, np.sin(angle), np.cos(angle))
        x = E[IDS] * math.sqrt(8) + pe
        keep = IDS != 0
        h = model.encoder(mt.tensor(x.astype(np.float32), device=device), F.padding_mask(keep).to(device)).numpy()
        pooled = h[:, 0] if pooling == "cls" else (h * keep[..., None]).sum(1) / keep.sum(1, keepdims=True)
        logits = pooled @ model.head.weight.numpy().T + model.head.bias.numpy()
        np.testing.assert_allclose(out.logits.numpy(), logits, rtol=1e-4, atol=1e-5)


def test_embedding_init_is_scaled_so_tokens_and_positions_are_comparable():
    mt.manual_seed(0)
    model = TransformerClassifier(2000, 2, d_model=64)
    E = model.embedding.weight.numpy()
    assert np.all(E[0] == 0)  # pad row
    assert abs(E[1:].std() * math.sqrt(64) - 1) < 0.02  # N(0, 1/d): unit scale after the sqrt(d) factor


@pytest.mark.parametrize("pooling", ["cls", "mean"])
@pytest.mark.parametrize("norm_first", [False, True], ids=["post_ln", "pre_ln"])
def test_padding_is_invisible(pooling, norm_first, device):
    model = tiny(pooling=pooling, norm_first=norm_first).to(device).eval()
    sentence = np.array([[1, 4, 6, 2]])
    alone = model(sentence).logits.numpy()
    padded = np.array([[1, 4, 6, 2, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6, 7, 8]])
    in_batch = model(padded).logits.numpy()
    np.testing.assert_allclose(in_batch[:1], alone, rtol=1e-5, atol=1e-6)
    explicit = model(padded, attention_mask=(padded != 0).astype(np.int64)).logits.numpy()
    np.testing.assert_array_equal(explicit, in_batch)  # the default mask is ids != pad_id


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_attention_mask_hides_whatever_ids_it_covers(pooling):
    """The attention_mask, not the pad id, decides what is hidden: real token ids under a 0 change nothing. (The
    test above cannot tell, since its explicit mask marks the same positions as the default ids != pad_id.)"""
    model = tiny(pooling=pooling).eval()
    alone = model(np.array([[1, 4, 6, 2]])).logits.numpy()
    ids = np.array([[1, 4, 6, 2, 7, 9, 3]])  # ordinary tokens after the sentence
    for mask in (np.array([[1, 1, 1, 1, 0, 0, 0]]), np.array([[True] * 4 + [False] * 3])):  # 0/1 or bool
        np.testing.assert_allclose(model(ids, attention_mask=mask).logits.numpy(), alone, rtol=1e-5, atol=1e-6)
    assert not np.allclose(model(ids).logits.numpy(), alone, atol=1e-4)  # unmasked, the extra tokens are read


def test_loss_is_mean_cross_entropy_and_attentions_on_request(device):
    model = tiny().to(device)
    labels = np.array([2, 0])
    out = model(mt.tensor(IDS, device=device), labels=labels, return_attentions=True)
    logits = out.logits.numpy().astype(np.float64)
    logp = logits - logits.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    assert out.loss.item() == pytest.approx(-logp[[0, 1], labels].mean(), rel=1e-5)
    assert len(out.attentions) == 2 and all(a.shape == (2, 2, 6, 6) for a in out.attentions)
    assert np.all(out.attentions[0].numpy()[0, :, :, 4:] == 0)  # padded keys
    assert model(IDS).attentions is None


def test_gradcheck_whole_tiny_classifier_float64():
    model = tiny(vocab_size=6, num_classes=2, d_model=4, d_ff=6, num_layers=1, max_len=4, pooling="mean").eval()
    ids = np.array([[1, 3, 5, 0], [2, 2, 4, 1]])
    assert gradcheck_module(model, call=lambda: model(ids, labels=np.array([1, 0])).loss)


def test_learns_a_small_batch_to_near_zero_loss():
    mt.manual_seed(0)
    model = TransformerClassifier(vocab_size=20, num_classes=2, d_model=16, num_heads=2, num_layers=1, d_ff=32,
                                  max_len=8, dropout=0.0)
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 20, size=(8, 6))
    labels = rng.integers(0, 2, size=8)
    first = None
    m = {id(p): 0 for p in model.parameters()}
    v = {id(p): 0 for p in model.parameters()}
    for step in range(1, 151):  # Adam, written out: the optimizer package is tested on its own
        model.zero_grad()
        loss = model(ids, labels=labels).loss
        loss.backward()
        first = loss.item() if first is None else first
        for p in model.parameters():
            g = p.grad.numpy()
            m[id(p)] = 0.9 * m[id(p)] + 0.1 * g
            v[id(p)] = 0.999 * v[id(p)] + 0.001 * g * g
            p.data -= (0.01 * (m[id(p)] / (1 - 0.9 ** step)) / (np.sqrt(v[id(p)] / (1 - 0.999 ** step)) + 1e-8)
                       ).astype(np.float32)
    assert first > 0.5 and loss.item() < 0.01


def test_state_dict_round_trip_and_npz_save_load_give_identical_logits(tmp_path, device):
    model = tiny(pooling="mean", norm_first=True).to(device).eval()
    expected = model(IDS).logits.numpy()
    mt.manual_seed(99)
    other = TransformerClassifier.from_config(model.config).to(device).eval()
    assert not np.allclose(other(IDS).logits.numpy(), expected)
    other.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(other(IDS).logits.numpy(), expected)
    path = model.save(tmp_path / "clf.npz")
    loaded = TransformerClassifier.load(path, device=device)
    assert loaded.config == model.config and not loaded.training
    assert loaded.device == mt.backend.parse_device(device)
    np.testing.assert_array_equal(loaded(IDS).logits.numpy(), expected)
    assert "positional.pe" not in model.state_dict()  # recomputed from the config, not saved


def test_config_round_trip_and_from_config():
    cfg = TransformerClassifierConfig(vocab_size=50, num_classes=4, d_model=16, num_heads=4, pooling="mean")
    model = TransformerClassifier.from_config(cfg)
    assert model.config == cfg
    assert TransformerClassifier.from_config(vars(cfg)).config == cfg
    names = [n for n, _ in model.named_parameters()]
    assert names[0] == "embedding.weight" and names[-2:] == ["head.weight", "head.bias"]
    assert "encoder.layers.1.feed_forward.linear2.weight" in names
    assert "# " in repr(model) and f"{model.num_parameters():,} params" in repr(model)


def test_errors_name_the_values(tmp_path):
    with pytest.raises(ValueError, match="d_model=10 is not divisible by num_heads=4"):
        TransformerClassifier(10, 2, d_model=10, num_heads=4)
    with pytest.raises(ValueError, match="unknown pooling 'max'"):
        TransformerClassifier(10, 2, pooling="max")
    model = tiny()
    with pytest.raises(IndexError, match="token id 11 is out of range for vocab_size=11"):
        model(np.array([[1, 11]]))
    with pytest.raises(IndexError, match="token id -1 is out of range"):
        model(np.array([[1, -1]]))
    with pytest.raises(ValueError, match="sequence length 13 exceeds max_len=12"):
        model(np.ones((1, 13), dtype=np.int64))
    with pytest.raises(ValueError, match=r"attention_mask has shape \(2, 5\) but input_ids has shape \(2, 6\)"):
        model(IDS, attention_mask=np.ones((2, 5)))
    with pytest.raises(TypeError, match="input_ids must be integer token ids, got dtype float32"):
        model(np.ones((1, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"labels must be \(2,\)"):
        model(IDS, labels=np.array([0, 1, 2]))
    np.savez(tmp_path / "other.npz", x=np.zeros(2))
    with pytest.raises(ValueError, match="is not a TransformerClassifier checkpoint"):
        TransformerClassifier.load(tmp_path / "other.npz")
