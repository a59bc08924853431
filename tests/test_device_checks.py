"""No host synchronisation inside a training step (minitransformer/device_checks.py): on the strict stand-in
device, which counts every read back to the host, a TransformerClassifier step reads only the logged loss.
Host inputs (a loader's batch) are checked before they move; inputs already on the device are checked there and
read at the next flush, which names the same bad value the immediate check names."""
import inspect
import re

import numpy as np
import pytest

import minitransformer as mt
import minitransformer.functional as F
from minitransformer import device_checks, strict, training
from minitransformer.models import TransformerClassifier
from minitransformer.optim import AdamW
from minitransformer.training import train_step

VOCAB, CLASSES, T = 50, 3, 12


def model_and_batch(device="strict"):
    mt.manual_seed(0)
    model = TransformerClassifier(VOCAB, CLASSES, d_model=16, num_heads=2, num_layers=2, d_ff=32, max_len=T,
                                  dropout=0.1).to(device)
    rng = np.random.default_rng(0)
    mask = np.ones((4, T), dtype=np.int64)
    mask[1, 7:] = 0
    batch = {"input_ids": rng.integers(1, VOCAB, (4, T)), "attention_mask": mask,
             "labels": rng.integers(0, CLASSES, 4)}
    return model, AdamW(model.parameters(), lr=1e-3), batch


def loss_read_line():
    """The line of train_step that reads the loss for the log: the one transfer a step may make."""
    lines, first = inspect.getsourcelines(training.train_step)
    number = next(first + i for i, line in enumerate(lines) if "out.loss.item()" in line)
    return f".item() at training.py:{number}"


@pytest.mark.parametrize("where", ["host batch", "device batch"])
def test_a_training_step_reads_only_the_logged_loss(where):
    """forward (ids, mask and labels checked), loss, backward, clip_grad_norm, AdamW (multi-tensor), zero_grad."""
    model, opt, batch = model_and_batch()
    if where == "device batch":  # already on the device: checked there, read at the next flush
        batch = {k: mt.tensor(v, device="strict") for k, v in batch.items()}
    train_step(model, batch, opt)  # the first step builds the optimizer's flat arrays
    device_checks.flush()
    with strict.count_transfers() as counted:
        loss, _ = train_step(model, batch, opt, clip_norm=1.0)
    assert counted.events == [loss_read_line()], counted.events
    assert np.isfinite(loss)
    assert device_checks.pending() == (0 if where == "host batch" else 4)  # ids (classifier, embedding), mask, labels
    with strict.count_transfers() as counted:
        device_checks.flush()  # every queued check in one read
    assert counted.count == (0 if where == "host batch" else 1) and device_checks.pending() == 0


def test_bad_host_input_raises_before_anything_changes():
    model, opt, batch = model_and_batch()
    before = [p.numpy().copy() for p in model.parameters()]
    for key, value, message in [("input_ids", VOCAB, f"token id {VOCAB} is out of range for vocab_size={VOCAB}"),
                                ("labels", CLASSES, f"label {CLASSES} is out of range for {CLASSES} classes"),
                                ("attention_mask", 2, "attention_mask must hold only 1")]:
        bad = {k: v.copy() for k, v in batch.items()}
        bad[key][(0,) * bad[key].ndim] = value
        with pytest.raises((IndexError, ValueError), match=message):
            train_step(model, bad, opt)
        assert device_checks.pending() == 0
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.numpy(), b)


@pytest.mark.parametrize("key, value, error, message", [
    ("input_ids", -1, IndexError, "TransformerClassifier: token id -1 is out of range for vocab_size=50"),
    ("input_ids", VOCAB + 3, IndexError, f"token id {VOCAB + 3} is out of range"),
    ("labels", CLASSES, IndexError, f"cross_entropy: label {CLASSES} is out of range for {CLASSES} classes"),
    ("attention_mask", 5, ValueError, "attention_mask must hold only 1 \\(attend\\) and 0 \\(padding\\), got values 5"),
])
def test_bad_device_input_raises_at_the_flush_with_the_same_message(key, value, error, message):
    model, opt, batch = model_and_batch()
    batch = {k: v.copy() for k, v in batch.items()}
    batch[key][(2,) * batch[key].ndim] = value
    batch = {k: mt.tensor(v, device="strict") for k, v in batch.items()}
    with strict.count_transfers() as counted:
        out = model(batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"])
    assert counted.count == 0 and out.loss.shape == ()  # computed (CuPy wraps bad indices around) and not read
    with pytest.raises(error, match=message):
        device_checks.flush()
    assert device_checks.pending() == 0
    device_checks.flush()  # the queue is empty after a failure


def test_functional_checks_on_the_device():
    logits = mt.tensor(np.zeros((3, 4), dtype=np.float32), device="strict")
    F.cross_entropy(logits, mt.tensor([0, -100, 3], device="strict"))  # ignore_index is not out of range
    F.embedding(mt.tensor([[0, 9]], device="strict"), mt.tensor(np.zeros((10, 2), np.float32), device="strict"))
    device_checks.flush()
    F.nll_loss(logits, mt.tensor([0, 7, -5], device="strict"))
    with pytest.raises(IndexError, match="nll_loss: label 7 is out of range for 4 classes"):
        device_checks.flush()
    F.embedding(mt.tensor([[0, 10]], device="strict"), mt.tensor(np.zeros((10, 2), np.float32), device="strict"))
    with pytest.raises(IndexError, match="embedding: token id 10 is out of range for a vocabulary of size 10"):
        device_checks.flush()


def test_a_full_queue_flushes_itself():
    ids = mt.tensor([[0, 1]], device="strict")
    weight = mt.tensor(np.zeros((10, 2), np.float32), device="strict")
    with strict.count_transfers() as counted:
        for _ in range(device_checks.MAX_PENDING):
            F.embedding(ids, weight)
    assert counted.count == 1 and device_checks.pending() == 0
    assert re.fullmatch(r"\.get\(\) at device_checks\.py:\d+", counted.events[0])


@pytest.mark.parametrize("progress", [False, True])
def test_fit_reads_each_step_s_loss_and_the_running_accuracy_only_when_shown(progress):
    """fit() on the device: one read per step (its loss); the correct count stays on the device until the bar
    shows it (every DEVICE_POSTFIX_EVERY = 10 steps), a log line or the epoch's summary needs it."""
    model, _, batch = model_and_batch()
    loader = [batch] * 12
    with strict.count_transfers() as counted:
        history = training.fit(model, loader, epochs=1, progress=progress, log_every=0, log=lambda line: None)
    reads = [e for e in counted.events if not e.startswith(".item() at training.py:")]
    assert len(counted.events) - len(reads) == 12, counted.events  # the 12 losses
    assert len(reads) == 1 + progress and all("progress.py" in r for r in reads), reads  # bar at step 10, epoch
    np.testing.assert_allclose(history["train_accuracy"][0] * 48, round(history["train_accuracy"][0] * 48))
