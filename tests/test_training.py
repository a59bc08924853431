"""training.py: the step, the loop, evaluation and its metrics, non-finite losses, checkpoints and exact resume.

Everything runs on a tiny model (d_model 16, one layer) over the first sentences of the shipped corpus, so the
whole file takes seconds. Metrics are checked against values worked out by hand in the comments.
"""
import math
import os
import pathlib
from types import SimpleNamespace

import numpy as np
import pytest

import minitransformer as mt
from minitransformer.checkpointing import load_checkpoint, save_checkpoint
from minitransformer.data import DataLoader, load_dataset, shipped_path
from minitransformer.metrics import accuracy, confusion_matrix, format_confusion_matrix, macro_f1
from minitransformer.models import TransformerClassifier
from minitransformer.autograd import Function
from minitransformer.optim import SGD, AdamW, LambdaLR, get_linear_schedule_with_warmup
from minitransformer.tokenizer import WordPieceTokenizer
from minitransformer.training import NonFiniteLossError, evaluate, fit, train_step

DATA = pathlib.Path(shipped_path("train")).parent


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(DATA / "train.tsv")[:96]


@pytest.fixture(scope="module")
def tokenizer(dataset):
    return WordPieceTokenizer.train(dataset.texts, vocab_size=200, show_progress=False)


def tiny_model(tokenizer, dropout=0.2, cls=TransformerClassifier):
    mt.manual_seed(0)
    return cls(tokenizer.vocab_size, 2, d_model=16, num_heads=2, num_layers=1, d_ff=32, max_len=64,
               dropout=dropout, pad_id=tokenizer.pad_token_id)


def loader(dataset, tokenizer, shuffle=True, batch_size=16):
    return DataLoader(dataset, tokenizer, batch_size=batch_size, shuffle=shuffle, seed=3, max_length=64)


def weights(model):
    return {k: v.copy() for k, v in model.state_dict().items()}


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for name in a:
        assert np.array_equal(a[name], b[name], equal_nan=True), (
            f"{name} differs (max |diff| {np.abs(a[name] - b[name]).max()})")


# ---------------------------------------------------------------- metrics against hand-computed values

def test_metrics_on_a_three_class_example():
    y_true = [0, 0, 1, 1, 2, 2, 2]
    y_pred = [0, 1, 1, 1, 2, 0, 1]
    # rows = true class, columns = predicted class
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred), [[1, 1, 0], [0, 2, 0], [1, 1, 1]])
    assert accuracy(y_true, y_pred) == pytest.approx(4 / 7)
    # F1 = 2TP / (2TP + FP + FN): class 0: 2/(2+1+1) = 1/2; class 1: 4/(4+2+0) = 2/3; class 2: 2/(2+0+2) = 1/2
    assert macro_f1(y_true, y_pred) == pytest.approx((1 / 2 + 2 / 3 + 1 / 2) / 3)


def test_macro_f1_counts_a_never_predicted_class_as_zero_and_ignores_unseen_ones():
    # class 1 occurs but is never predicted: F1_1 = 0; F1_0 = 2·2/(4+1+0) = 0.8  ->  macro 0.4 (accuracy 2/3)
    assert macro_f1([0, 0, 1], [0, 0, 0]) == pytest.approx(0.4)
    # class 2 is neither true nor predicted: scikit-learn leaves it out of the mean unless labels= names it
    assert macro_f1([0, 1], [0, 1]) == 1.0
    assert macro_f1([0, 1], [0, 1], labels=[0, 1, 2]) == pytest.approx(2 / 3)
    assert confusion_matrix([0, 1], [1, 1], num_classes=3).shape == (3, 3)


def test_metric_errors_and_text_layout():
    with pytest.raises(ValueError, match="3 labels but y_pred has 2"):
        accuracy([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="does not fit num_classes=2"):
        confusion_matrix([0, 2], [0, 1], num_classes=2)
    text = format_confusion_matrix([[5, 1], [2, 7]], ["negative", "positive"])
    assert text.splitlines()[1].split() == ["negative", "5", "1"]


# ---------------------------------------------------------------- the step (task t4.3)
#
# The step's tests use a model written here: bag-of-ids features, scores = features @ W + b and half the mean
# squared distance to the one-hot label, each a Function with its backward written out. So they need no
# tokenizer, attention, cross-entropy or schedule task, and the expected update is worked out in NumPy.

class Scores(Function):
    """y = x @ w + b;  dw = xᵀ dy, db = sum dy (x holds constant features)"""

    def forward(self, x, w, b):
        self.x = x
        return x @ w + b

    def backward(self, grad):
        return None, self.x.T @ grad, grad.sum(axis=0)


class HalfSquaredError(Function):
    """loss = ½ mean over rows of ‖y − target‖²;  dy = (y − target) / n"""

    def forward(self, y, target):
        self.diff = y - target
        return np.asarray(0.5 * (self.diff ** 2).sum() / len(y))

    def backward(self, grad):
        return grad * self.diff / len(self.diff), None


class BagOfIds(mt.nn.Module):
    """logits (B, C) from counts of each id among the kept positions: the interface fit() and train_step use."""

    def __init__(self, vocab=6, classes=2):
        super().__init__()
        rng = np.random.default_rng(5)
        self.weight = mt.nn.Parameter(rng.standard_normal((vocab, classes)), dtype="float64")
        self.bias = mt.nn.Parameter(rng.standard_normal(classes), dtype="float64")
        self.calls = []

    def features(self, input_ids, attention_mask):
        counts = np.zeros((len(input_ids), self.weight.shape[0]))
        for row, (ids, keep) in enumerate(zip(np.asarray(input_ids), np.asarray(attention_mask))):
            np.add.at(counts[row], ids[keep.astype(bool)], 1.0)
        return counts

    def forward(self, input_ids, attention_mask=None, labels=None):
        self.calls.append("forward")
        x = mt.tensor(self.features(input_ids, attention_mask), dtype="float64")
        logits = Scores.apply(x, self.weight, self.bias)
        target = mt.tensor(np.eye(self.weight.shape[1])[np.asarray(labels)], dtype="float64")
        return SimpleNamespace(loss=HalfSquaredError.apply(logits, target), logits=logits)


BATCH = {"input_ids": np.array([[1, 2, 2, 0], [3, 4, 5, 1], [5, 5, 0, 0]]),
         "attention_mask": np.array([[1, 1, 1, 0], [1, 1, 1, 1], [1, 1, 0, 0]]),
         "labels": np.array([0, 1, 1])}


def numpy_loss_and_grads(model):
    """The loss and d loss / d (W, b) of BagOfIds on BATCH, in NumPy."""
    x = model.features(BATCH["input_ids"], BATCH["attention_mask"])
    diff = x @ model.weight.numpy() + model.bias.numpy() - np.eye(2)[BATCH["labels"]]
    n = len(x)
    return 0.5 * (diff ** 2).sum() / n, {"weight": x.T @ diff / n, "bias": diff.sum(axis=0) / n}


@pytest.mark.t4_3
@pytest.mark.parametrize("clipped", [True, False], ids=["clip_and_schedule", "no_clip_no_schedule"])
def test_train_step_is_forward_backward_clip_step_schedule_zero_grad(clipped):
    model = BagOfIds()
    loss, grads = numpy_loss_and_grads(model)
    norm = math.sqrt(sum(float((g ** 2).sum()) for g in grads.values()))
    before = weights(model)
    lr = 0.5
    optimizer = SGD(model.parameters(), lr=lr)
    scheduler = LambdaLR(optimizer, lambda step: 1 / (1 + step)) if clipped else None
    clip = norm / 4 if clipped else 0                          # clipping must scale the gradient by 1/4
    got, logits = train_step(model, BATCH, optimizer, scheduler, clip_norm=clip)
    assert model.calls == ["forward"], "one forward pass per step"
    assert isinstance(got, float) and got == pytest.approx(loss, rel=1e-12), "the loss, as a Python float"
    assert logits.shape == (3, 2)
    scale = clip / (norm + 1e-6) if clipped else 1.0
    for name, p in model.named_parameters():                   # p ← p − lr · g · clip / norm  (SGD, clipped)
        np.testing.assert_allclose(p.numpy(), before[name] - lr * grads[name] * scale, rtol=1e-10, err_msg=name)
        assert p.grad is None, f"{name}: gradients must be cleared after the step"
    # the step used the lr of step 0; then the schedule moved one step (to lr / 2)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(lr / 2 if clipped else lr)


class Recorder(SGD):
    """SGD that writes down, at each call, what the step would see."""

    def __init__(self, params, log, **options):
        super().__init__(params, **options)
        self.log = log

    def step(self):
        grads = [p.grad.numpy() for group in self.param_groups for p in group["params"] if p.grad is not None]
        self.log.append(("step", math.sqrt(sum(float((g ** 2).sum()) for g in grads)) if grads else None,
                         self.param_groups[0]["lr"]))
        super().step()


@pytest.mark.t4_3
def test_train_step_steps_with_clipped_gradients_before_the_schedule_and_once():
    model, log = BagOfIds(), []
    optimizer = Recorder(model.parameters(), log, lr=0.1)
    scheduler = LambdaLR(optimizer, lambda step: 10.0 ** -step)
    original = scheduler.step
    scheduler.step = lambda: (log.append(("schedule",)), original())
    train_step(model, BATCH, optimizer, scheduler, clip_norm=0.25)
    # one optimizer step, on gradients clipped to norm 0.25 at the lr before the schedule moved, then the schedule
    assert log == [("step", pytest.approx(0.25, rel=1e-5), 0.1), ("schedule",)], log
    train_step(model, BATCH, optimizer, scheduler, clip_norm=0.25)
    # the second step: clipped again, at the lr the schedule set after the first
    assert log[2] == ("step", pytest.approx(0.25, rel=1e-5), pytest.approx(0.01)), log


@pytest.mark.t4_3
@pytest.mark.parametrize("bad", [np.inf, np.nan])
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_train_step_leaves_the_weights_alone_on_a_non_finite_loss(bad):
    model = BagOfIds()
    model.bias.data[...] = bad
    before = weights(model)
    optimizer = SGD(model.parameters(), lr=0.1)
    scheduler = LambdaLR(optimizer, lambda step: 1 / (1 + step))
    loss, _ = train_step(model, BATCH, optimizer, scheduler)
    assert not math.isfinite(loss)
    assert_same_weights(before, weights(model))
    assert all(p.grad is None for p in model.parameters()), "no backward on a non-finite loss"
    assert optimizer.param_groups[0]["lr"] == 0.1, "nor a schedule step"


# The same step on the real classifier (no task marker: it needs the whole model and tokenizer).

def test_train_step_on_the_classifier_matches_a_separately_taken_gradient(dataset, tokenizer):
    model = tiny_model(tokenizer, dropout=0.0)
    batch = next(iter(loader(dataset, tokenizer, shuffle=False)))
    before = weights(model)
    # the gradient, taken separately on a copy of the model
    twin = tiny_model(tokenizer, dropout=0.0)
    out = twin(batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"])
    out.loss.backward()
    grads = {name: p.grad.numpy() for name, p in twin.named_parameters()}
    norm = math.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in grads.values()))
    clip, lr = norm / 4, 0.5                                   # clipping must scale the gradient by 1/4
    optimizer = SGD(model.parameters(), lr=lr)
    scheduler = get_linear_schedule_with_warmup(optimizer, 0, 10)
    loss, logits = train_step(model, batch, optimizer, scheduler, clip_norm=clip)
    assert loss == pytest.approx(out.loss.item(), rel=1e-6)
    assert logits.shape == (16, 2)
    for name, p in model.named_parameters():
        expected = before[name] - lr * grads[name] * (clip / (norm + 1e-6))
        np.testing.assert_allclose(p.numpy(), expected, rtol=1e-5, atol=1e-6, err_msg=name)
        assert p.grad is None, f"{name}: gradients must be cleared after the step"
    assert optimizer.param_groups[0]["lr"] == pytest.approx(lr * 9 / 10)


# ---------------------------------------------------------------- evaluate and fit

def test_evaluate_matches_a_numpy_computation_from_the_logits(dataset, tokenizer):
    model = tiny_model(tokenizer).train()
    data = loader(dataset, tokenizer, shuffle=False, batch_size=40)   # batches of 40, 40, 16: unequal sizes
    result = evaluate(model, data)
    assert model.training, "evaluate must restore the model's mode"
    model.eval()
    logits = np.concatenate([model(b["input_ids"], attention_mask=b["attention_mask"]).logits.numpy()
                             for b in data]).astype(np.float64)
    y = np.array(dataset.labels)
    z = logits - logits.max(axis=1, keepdims=True)
    nll = -(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1)))   # per-example cross-entropy
    assert result["loss"] == pytest.approx(nll.mean(), rel=1e-5)
    pred = logits.argmax(axis=1)
    assert result["accuracy"] == pytest.approx(np.mean(pred == y))
    np.testing.assert_array_equal(result["predictions"], pred)
    np.testing.assert_array_equal(result["confusion_matrix"].sum(axis=1), np.bincount(y, minlength=2))


def test_fit_learns_the_training_batches_and_keeps_its_history(dataset, tokenizer):
    model = tiny_model(tokenizer, dropout=0.0)
    train = loader(dataset, tokenizer)
    lines = []
    history = fit(model, train, loader(dataset, tokenizer, shuffle=False), epochs=12, lr=1e-2, progress=False,
                  log=lines.append, log_every=None)
    steps = 12 * len(train)
    assert history["step"] == list(range(1, steps + 1)) and len(history["loss"]) == len(history["lr"]) == steps
    assert history["epoch"] == list(range(1, 13)) and len(history["val_macro_f1"]) == 12
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert history["val_accuracy"][-1] >= 0.9            # it can memorise 96 sentences
    # default schedule: 10% linear warmup from 0, then linear decay to 0 (lr recorded before each update)
    warmup = int(0.1 * steps)
    assert history["lr"][0] == 0.0 and history["lr"][warmup] == pytest.approx(1e-2)
    assert history["lr"][-1] == pytest.approx(1e-2 / (steps - warmup))
    assert len(lines) == 12 and lines[-1].startswith("epoch 12/12: train loss")
    assert not model.training


# ---------------------------------------------------------------- non-finite loss

class NanAfter(TransformerClassifier):
    """A classifier whose training loss turns nan at the `nan_at`-th training forward pass."""
    nan_at = 5

    def forward(self, *args, **kwargs):
        out = super().forward(*args, **kwargs)
        if self.training:
            self.calls = getattr(self, "calls", 0) + 1
            if self.calls == self.nan_at:
                out.loss = out.loss * float("nan")
        return out


def test_a_non_finite_loss_stops_training_naming_the_step_and_keeps_the_last_good_checkpoint(
        dataset, tokenizer, tmp_path):
    model = tiny_model(tokenizer, cls=NanAfter)
    with pytest.raises(NonFiniteLossError, match=r"loss is nan at step 5 \(epoch 1\).*checkpoint.*step 4"
                       ) as caught:
        fit(model, loader(dataset, tokenizer), epochs=2, checkpoint_dir=tmp_path, checkpoint_every=2,
            progress=False, log=None)
    assert caught.value.step == 5 and caught.value.checkpoint == os.path.join(tmp_path, "checkpoint.npz")
    arrays, meta = load_checkpoint(caught.value.checkpoint)
    assert meta["step"] == 4
    # the nan never reached the weights: the model is exactly the checkpointed step-4 model
    for name, value in model.state_dict().items():
        assert np.isfinite(value).all()
        assert np.array_equal(arrays[f"model/{name}"], value), name


# ---------------------------------------------------------------- checkpoints and exact resume

def test_resuming_after_one_epoch_gives_bit_identical_weights(dataset, tokenizer, tmp_path):
    def run(epochs, checkpoint_dir=None, resume_from=None):
        model = tiny_model(tokenizer, dropout=0.3)                # dropout > 0: the RNG state matters
        train = loader(dataset, tokenizer)
        optimizer = AdamW(model.parameters(), lr=3e-3)
        scheduler = get_linear_schedule_with_warmup(optimizer, 2, 2 * len(train))   # planned for 2 epochs
        history = fit(model, train, loader(dataset, tokenizer, shuffle=False), optimizer, scheduler, epochs=epochs,
                      checkpoint_dir=checkpoint_dir, resume_from=resume_from, progress=False, log=None)
        return model, history

    straight, straight_history = run(2)
    run(1, checkpoint_dir=tmp_path)                               # "interrupted" after epoch 1
    mt.manual_seed(123)                                           # the resumed run must not depend on this
    resumed, resumed_history = run(2, resume_from=tmp_path)
    assert_same_weights(weights(straight), weights(resumed))
    for key in ("loss", "lr", "train_loss", "val_loss", "val_accuracy"):
        assert resumed_history[key] == straight_history[key], key


def test_resuming_after_a_crash_mid_epoch_gives_bit_identical_weights(dataset, tokenizer, tmp_path):
    class CrashAt(TransformerClassifier):
        def forward(self, *args, **kwargs):
            self.calls = getattr(self, "calls", 0) + self.training
            if self.calls == 9:
                raise KeyboardInterrupt("simulated crash")
            return super().forward(*args, **kwargs)

    straight = tiny_model(tokenizer)
    fit(straight, loader(dataset, tokenizer), epochs=2, progress=False, log=None)   # default AdamW + warmup
    crashing = tiny_model(tokenizer, cls=CrashAt)
    with pytest.raises(KeyboardInterrupt):
        fit(crashing, loader(dataset, tokenizer), epochs=2, checkpoint_dir=tmp_path, checkpoint_every=4,
            progress=False, log=None)
    assert load_checkpoint(tmp_path / "checkpoint.npz")[1]["step"] == 8      # epoch 2, batch 2 of 6
    resumed = tiny_model(tokenizer)
    fit(resumed, loader(dataset, tokenizer), epochs=2, resume_from=tmp_path, progress=False, log=None)
    assert_same_weights(weights(straight), weights(resumed))


def test_checkpoint_holds_every_piece_of_state(dataset, tokenizer, tmp_path):
    model = tiny_model(tokenizer)
    train = loader(dataset, tokenizer)
    optimizer = AdamW(model.parameters(), lr=1e-3)
    for _ in zip(range(2), train):
        pass
    path = save_checkpoint(tmp_path / "c.npz", model, optimizer, loader=train, step=2, epoch=0)
    arrays, meta = load_checkpoint(path)
    assert meta["model_config"]["d_model"] == 16 and meta["loader"]["batch_index"] == 2
    assert set(meta["rng"]) == {"seed", "cpu"} and meta["optimizer"]["param_groups"][0]["lr"] == 1e-3
    assert {name[len("model/"):] for name in arrays if name.startswith("model/")} == set(model.state_dict())
    model.save(tmp_path / "model.npz")
    with pytest.raises(ValueError, match="not a training checkpoint"):
        load_checkpoint(tmp_path / "model.npz")
