"""fit() on real-data concerns: class weights through loss_fn, keeping the best epoch and stopping early, checkpoints
by steps, by time and on SIGINT/SIGTERM with an exact mid-epoch resume, and keeping every checkpoint."""
import os
import signal

import numpy as np
import pytest

import minitransformer.functional as F
from minitransformer.checkpointing import Checkpoints, load_checkpoint
from minitransformer.interrupts import TrainingInterrupted, stop_signals
from minitransformer.models import TransformerClassifier
from minitransformer.selection import BestEpoch
from minitransformer.training import LossFrom, fit, train_step
from test_training import assert_same_weights, dataset, loader, tiny_model, tokenizer, weights  # noqa: F401


def run_fit(dataset, tokenizer, **kwargs):
    model = tiny_model(tokenizer, dropout=kwargs.pop("dropout", 0.2), cls=kwargs.pop("cls", TransformerClassifier))
    history = fit(model, loader(dataset, tokenizer), loader(dataset[:48], tokenizer, shuffle=False),
                  progress=False, log=kwargs.pop("log", None), **kwargs)
    return model, history


# ---------------------------------------------------------------- class weights

def test_loss_fn_trains_on_the_weighted_loss_and_leaves_the_model_loss_alone(dataset, tokenizer):
    batch = next(iter(loader(dataset, tokenizer)))
    w = np.array([0.25, 4.0])
    model = tiny_model(tokenizer, dropout=0.0)
    out = LossFrom(model, lambda z, y: F.cross_entropy(z, y, weight=w))(batch["input_ids"], batch["attention_mask"],
                                                                        batch["labels"])
    plain = model(batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"])
    y = batch["labels"]
    logp = np.log(np.exp(plain.logits.numpy()) / np.exp(plain.logits.numpy()).sum(1, keepdims=True))
    expected = -(w[y] * logp[np.arange(len(y)), y]).sum() / w[y].sum()
    assert out.loss.item() == pytest.approx(expected, rel=1e-5)
    # one step with the weighted loss moves the weights differently from the plain one
    a, b = tiny_model(tokenizer, dropout=0.0), tiny_model(tokenizer, dropout=0.0)
    from minitransformer.optim import SGD
    train_step(LossFrom(a, lambda z, y: F.cross_entropy(z, y, weight=w)), batch, SGD(a.parameters(), lr=0.1),
               params=list(a.parameters()))
    train_step(b, batch, SGD(b.parameters(), lr=0.1))
    assert not np.allclose(a.head.weight.numpy(), b.head.weight.numpy())


# ---------------------------------------------------------------- keeping the best epoch

def test_best_epoch_bookkeeping():
    class Model:
        def __init__(self):
            self.w = np.zeros(2)

        def state_dict(self):
            return {"w": self.w}

        def load_state_dict(self, state):
            self.w = state["w"].copy()

    model, best = Model(), BestEpoch("macro_f1", patience=2)
    for epoch, score in enumerate([0.5, 0.7, 0.7, 0.6], start=1):
        model.w = np.full(2, float(epoch))
        assert best.update(epoch, {"macro_f1": score}, model) == (epoch in (1, 2))  # a tie is not better
    assert best.epoch == 2 and best.should_stop and best.stopped_at == 4
    best.restore(model)
    assert model.w.tolist() == [2.0, 2.0]
    assert best.summary()["reason"].startswith("kept epoch 2: best validation macro-F1 (0.7000) of 4 epochs; stopped")
    lower = BestEpoch("loss")
    assert lower.update(1, {"loss": 0.5}, model) and lower.update(2, {"loss": 0.4}, model)
    assert not lower.update(3, {"loss": 0.45}, model) and not lower.should_stop   # no patience: never stops
    with pytest.raises(ValueError, match="select_by must be one of"):
        BestEpoch("f1")
    with pytest.raises(ValueError, match="reported only"):
        BestEpoch("macro_f1").update(1, {"loss": 1.0}, model)


def test_fit_keeps_the_best_validation_epoch_and_stops_early(dataset, tokenizer):
    _, full = run_fit(dataset, tokenizer, epochs=6, lr=3e-3)
    scores = full["val_macro_f1"]
    best_epoch = 1 + int(np.argmax(scores))                      # the first of equal scores
    model, history = run_fit(dataset, tokenizer, epochs=6, lr=3e-3, select_by="macro_f1")
    assert history["selection"]["best_epoch"] == best_epoch
    assert history["selection"]["best_score"] == scores[best_epoch - 1]
    # the model holds that epoch's weights: training exactly that many epochs gives them
    again, _ = run_fit(dataset, tokenizer, epochs=6, lr=3e-3, select_by="macro_f1")
    assert_same_weights(weights(model), weights(again))
    # patience: stops once `patience` epochs in a row did not beat the best (scripted validation losses)
    scripted = iter([0.9, 0.7, 0.8, 0.75, 0.6, 0.5])
    lines = []
    _, stopped = run_fit(dataset, tokenizer, epochs=6, select_by="loss", patience=2, log=lines.append,
                         evaluate_fn=lambda model, val: {"loss": next(scripted), "accuracy": 0.5})
    assert stopped["val_loss"] == [0.9, 0.7, 0.8, 0.75] and stopped["epoch"] == [1, 2, 3, 4]
    assert stopped["selection"]["best_epoch"] == 2 and stopped["selection"]["stopped_early"]
    assert lines[-1] == "keeping epoch 2 of 4: best validation loss 0.7000, stopped early at epoch 4 (patience 2)"


# ---------------------------------------------------------------- checkpoints and interruptions

class SignalAt(TransformerClassifier):
    """Sends itself `signal_number` during its `at`-th training forward pass (mid-step, as a real Ctrl-C would)."""
    at, signal_number = 9, signal.SIGINT

    def forward(self, *args, **kwargs):
        self.calls = getattr(self, "calls", 0) + self.training
        if self.calls == self.at:
            os.kill(os.getpid(), self.signal_number)
        return super().forward(*args, **kwargs)


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_epoch_saves_after_the_step_and_resume_finishes_the_same_run(dataset, tokenizer, tmp_path,
                                                                                 signal_number):
    options = dict(epochs=3, lr=3e-3, select_by="macro_f1", dropout=0.3)
    straight, straight_history = run_fit(dataset, tokenizer, **options)
    SignalAt.signal_number = signal_number
    with pytest.raises(TrainingInterrupted, match=r"stopped after step 9 \(epoch 2\)") as caught:
        run_fit(dataset, tokenizer, cls=SignalAt, checkpoint_dir=tmp_path, **options)
    assert caught.value.step == 9 and caught.value.signal_number == signal_number
    assert load_checkpoint(caught.value.checkpoint)[1]["step"] == 9          # the step during the signal finished
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler     # handlers given back
    resumed, resumed_history = run_fit(dataset, tokenizer, resume_from=tmp_path, checkpoint_dir=tmp_path, **options)
    assert_same_weights(weights(straight), weights(resumed))
    for key, value in straight_history.items():
        if key != "wall_time":
            assert resumed_history[key] == value, key


def test_checkpoints_by_steps_by_time_and_keeping_every_one(dataset, tokenizer, tmp_path, monkeypatch):
    run_fit(dataset, tokenizer, epochs=1, checkpoint_dir=tmp_path / "a", checkpoint_every=2, keep_checkpoints="every")
    kept = sorted(os.listdir(tmp_path / "a" / "checkpoints"))
    assert kept == [f"step-{s:08d}.npz" for s in (2, 4, 6)]                  # 6 batches: every 2 steps, epoch end
    assert load_checkpoint(tmp_path / "a" / "checkpoints" / kept[0])[1]["step"] == 2
    clock = iter(range(0, 10_000, 25))                                       # each reading 25 "seconds" later
    monkeypatch.setattr("minitransformer.checkpointing.time.perf_counter", lambda: next(clock))
    schedule = Checkpoints(tmp_path / "b", every_seconds=60)
    assert [schedule.due(step) for step in range(4)] == [False, False, True, True]  # 50, 75, 100 s after start
    with pytest.raises(ValueError, match="keep must be one of"):
        Checkpoints(tmp_path, keep="all")


def test_without_a_checkpoint_directory_a_signal_still_stops_after_a_whole_step(dataset, tokenizer):
    with pytest.raises(TrainingInterrupted, match="no checkpoint was written") as caught:
        run_fit(dataset, tokenizer, epochs=2, cls=SignalAt)
    assert caught.value.checkpoint is None


def test_stop_signals_second_ctrl_c_stops_at_once_and_handlers_come_back():
    with pytest.raises(KeyboardInterrupt):
        with stop_signals() as stop:
            os.kill(os.getpid(), signal.SIGINT)
            assert stop and stop.signal_number == signal.SIGINT
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    with stop_signals(enabled=False) as stop:
        assert not stop


def test_resuming_a_finished_run_that_kept_no_scores_keeps_its_weights(dataset, tokenizer, tmp_path):
    first, _ = run_fit(dataset, tokenizer, epochs=1, checkpoint_dir=tmp_path)          # no select_by
    lines = []
    again, history = run_fit(dataset, tokenizer, epochs=1, resume_from=tmp_path, select_by="macro_f1",
                             log=lines.append)
    assert_same_weights(weights(first), weights(again))
    assert history["selection"]["reason"] == "kept the last weights: no epoch was scored in this run"
    assert lines[-1].startswith("no validation score was recorded")
