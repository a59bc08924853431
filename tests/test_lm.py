"""Language-model training helpers (minitransformer.lm): the split, the windows, perplexity, the loop."""
import math

import numpy as np
import pytest

import minitransformer as mt
from minitransformer.lm import perplexity, random_windows, split_stream, train_lm
from minitransformer.models import GPT2Config, GPT2LMHeadModel


def tiny(vocab=12, positions=16):
    mt.manual_seed(0)
    return GPT2LMHeadModel(GPT2Config(vocab_size=vocab, n_positions=positions, n_embd=16, n_layer=1, n_head=2,
                                      bos_token_id=None, eos_token_id=None))


def test_split_keeps_the_end_in_one_piece():
    ids = np.arange(100)
    train, val = split_stream(ids, 0.1)
    assert train.tolist() == list(range(90)) and val.tolist() == list(range(90, 100))
    with pytest.raises(ValueError, match="val_fraction"):
        split_stream(ids, 1.0)


def test_random_windows_are_slices_of_the_stream():
    ids = np.arange(50) * 3
    batch = random_windows(ids, 8, 5, np.random.default_rng(0))
    assert batch["input_ids"].shape == (5, 8) and batch["labels"] is batch["input_ids"]
    assert (np.diff(batch["input_ids"], axis=1) == 3).all()  # consecutive tokens of the stream


def test_perplexity_is_exp_of_the_mean_loss_over_every_prediction():
    model = tiny().eval()
    ids = np.random.default_rng(1).integers(0, 12, size=23)  # windows of 8: 8, 8, 7 tokens -> 7 + 7 + 6 targets
    loss, ppl = perplexity(model, ids, block_size=8, batch_size=2)
    with mt.no_grad():
        total = sum(model(w[None], labels=w[None]).loss.item() * (len(w) - 1)
                    for w in (ids[0:8], ids[8:16], ids[16:23]))
    assert abs(loss - total / 20) < 1e-6 and abs(ppl - math.exp(loss)) < 1e-9
    assert model.training is False


def test_training_lowers_held_out_perplexity_on_a_pattern():
    ids = np.tile(np.arange(12), 60)  # 0 1 2 ... 11 0 1 2 ...: fully predictable after one token
    train, val = split_stream(ids, 0.2)
    model = tiny()
    history = train_lm(model, train, val, steps=60, block_size=12, batch_size=8, lr=1e-2, eval_every=30,
                       progress=False, log=lambda s: None)
    assert history["eval_step"] == [0, 30, 60] and len(history["loss"]) == 60
    assert history["val_perplexity"][0] > 8 and history["val_perplexity"][-1] < 1.5
    assert not model.training


def test_too_little_text_is_a_clear_error():
    with pytest.raises(ValueError, match="fewer than block_size"):
        train_lm(tiny(), np.arange(5), steps=1, block_size=8, progress=False)
