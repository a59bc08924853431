"""memory.py: the step estimate against tracemalloc's measured peak on a shape its coefficients were not fitted to,
and the refusal naming what would fit."""
import tracemalloc

import numpy as np
import pytest

import minitransformer as mt
from minitransformer.memory import MemoryEstimateError, check_fits, encoder_dims, step_bytes
from minitransformer.models import TransformerClassifier
from minitransformer.models.bert import BertConfig


def measured_peak(model, B, T, train):
    ids = np.random.default_rng(0).integers(5, model.config.vocab_size, (B, T))
    mask, labels = np.ones((B, T), dtype=np.int64), np.zeros(B, dtype=np.int64)
    model.train(train)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    try:
        if train:
            model(ids, attention_mask=mask, labels=labels).loss.backward()
        else:
            with mt.no_grad():
                model(ids, attention_mask=mask)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("train", [True, False])
def test_estimate_is_close_to_the_measured_peak_on_an_unseen_shape(train):
    mt.manual_seed(0)
    model = TransformerClassifier(500, 3, d_model=96, num_heads=3, num_layers=3, d_ff=384, max_len=160)
    estimate = step_bytes(encoder_dims(model), 6, 160, train=train)
    measured = measured_peak(model, 6, 160, train) - (sum(p.data.nbytes for p in model.parameters()) if train else 0)
    assert 0.7 < estimate / measured < 1.3, (estimate, measured)


def test_bert_sizes_are_read_from_its_config():
    class Bert:
        config = BertConfig(hidden_size=32, intermediate_size=64, num_attention_heads=2, num_hidden_layers=3)
    assert encoder_dims(Bert()) == {"d_model": 32, "d_ff": 64, "heads": 2, "layers": 3}


def test_a_step_that_does_not_fit_is_refused_naming_the_batch_and_length_that_would():
    model = TransformerClassifier(100, 2, d_model=64, num_heads=4, num_layers=2, d_ff=256, max_len=4000)
    dims = encoder_dims(model)
    assert step_bytes(dims, 32, 4000) > 40 * 2**30         # the issue's --max-length 4000: tens of GiB
    with pytest.raises(MemoryEstimateError) as caught:
        check_fits(model, 32, 4000, available=8 * 2**30)
    message = str(caught.value)
    assert "a training step of 32 texts x 4000 tokens would need about" in message and "8.0 GiB is available" in message
    batch = int(message.split("What fits: --batch-size ")[1].split()[0])
    length = int(message.split(" or --max-length ")[1].split()[0])
    assert message.endswith(f"What fits: --batch-size {batch} or --max-length {length} (at --batch-size 32).")
    assert check_fits(model, batch, 4000, available=8 * 2**30) <= 8 * 2**30
    with pytest.raises(MemoryEstimateError):
        check_fits(model, batch + 1, 4000, available=8 * 2**30)
    assert check_fits(model, 32, length, available=8 * 2**30) <= 8 * 2**30
    assert check_fits(model, 32, 64, available=8 * 2**30) < 2**30   # the defaults fit easily
