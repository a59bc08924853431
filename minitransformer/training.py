"""The training loop, written the way a reader expects it: for each batch, forward → loss → backward → clip →
step → schedule → zero_grad; after each epoch, evaluate on the validation set and remember everything.

    model = TransformerClassifier(tokenizer.vocab_size, num_classes=2, d_model=64)
    history = fit(model, train_loader, val_loader, epochs=10, checkpoint_dir="runs/x")   # AdamW + warmup by default
    evaluate(model, test_loader)       # {"loss", "accuracy", "macro_f1", "confusion_matrix"}
    fit(model, train_loader, val_loader, epochs=10, resume_from="runs/x")     # continues exactly where it stopped
    fit(..., select_by="macro_f1", patience=3)   # keep the best validation epoch, stop after 3 without a better one
    fit(..., loss_fn=lambda logits, y: F.cross_entropy(logits, y, weight=w))  # class weights in training

Any model works whose call `model(input_ids, attention_mask=..., labels=...)` returns an object with `.loss`
(a scalar Tensor) and `.logits` (B, C); loaders yield dicts of NumPy arrays input_ids, attention_mask, labels.
Token-level tasks fit too: logits (B, T, V) with labels (B, T), where -100 marks the positions that do not count
(masked-LM pretraining: pretraining.py passes its own evaluate_fn, the loop is this one).
"""
import math
import os
import time

import numpy as np

from . import backend, device_checks
from .autograd import no_grad
from .checkpointing import CHECKPOINT_NAME, Checkpoints, restore_checkpoint
from .interrupts import TrainingInterrupted, stop_signals
from .metrics import accuracy, confusion_matrix, macro_f1
from .optim import AdamW, bert_param_groups, clip_grad_norm, get_linear_schedule_with_warmup
from .progress import EpochTotals, new_history, progress_bar, record_epoch, selection_line
from .selection import BestEpoch


DEVICE_POSTFIX_EVERY = 10  # steps between two reads of the running accuracy for the bar, on a device


class NonFiniteLossError(FloatingPointError):
    """The loss became nan or inf; `.step` is the update that would have used it, `.checkpoint` the last good one."""

    def __init__(self, message, step, checkpoint=None):
        super().__init__(message)
        self.step = step
        self.checkpoint = checkpoint


def train_step(model, batch, optimizer, scheduler=None, clip_norm=1.0, params=None):
    """One update on one batch; returns (loss as a float, logits Tensor (B, C)).

    A non-finite loss returns before backward(): a nan gradient would reach every weight through the optimizer,
    so the weights stay as they were and the caller decides what to do (fit() stops with an error).
    """
    params = list(model.parameters()) if params is None else params
    # BEGIN SOLUTION t4.3 training step
    out = model(batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"])  # forward
    loss = out.loss.item()                          # mean cross-entropy over the batch, as a Python float
    if not math.isfinite(loss):
        return loss, out.logits                     # nothing was changed
    out.loss.backward()                             # d loss / d parameter into every p.grad
    if clip_norm:
        clip_grad_norm(params, clip_norm)           # one global scale: the direction of the step is kept
    optimizer.step()                                # p ← p − lr · update(grad)
    if scheduler is not None:
        scheduler.step()                            # the lr for the next update
    optimizer.zero_grad()                           # gradients accumulate: clear them for the next batch
    # END SOLUTION
    return loss, out.logits


def count_correct(logits, labels, ignore_index=-100, read=True):
    """(correct, counted): argmax predictions equal to the label, over the labels that are not ignore_index.

    One rule for (B, C) logits with (B,) labels (every sentence counts) and (B, T, V) with (B, T) (only the
    positions a masked-LM chose count): accuracy = correct / counted either way. A model that decodes only the
    n counted positions may return their (n, V) logits instead, in row-major order of the (B, T) labels.
    labels are host data (a loader's batch). With read=False and logits on a device, `correct` is a 0-d array
    there (compared on the device: nothing is read back, so the training step does not wait for it).
    """
    labels = np.asarray(labels)
    counted = labels != ignore_index                 # (B,) or (B, T)
    n = int(counted.sum())
    on_device = not read and logits.device != "cpu"
    predicted = logits.data.argmax(axis=-1) if on_device else logits.numpy().argmax(axis=-1)  # (B,) / (B, T) / (n,)
    if predicted.ndim == labels.ndim:
        wanted, where = labels, counted
    elif predicted.shape == (n,):
        wanted, where = labels[counted], None
    else:
        raise ValueError(f"count_correct: logits {tuple(logits.shape)} fit neither labels {labels.shape} nor their "
                         f"{n} counted positions (expected (..., V) with the labels' leading shape, or (n, V) for "
                         "the n counted positions)")
    if on_device:
        hits = predicted == backend.to_device(wanted, logits.device)  # uploads only
        if where is not None:
            hits &= backend.to_device(where, logits.device)
        return hits.sum(), n
    hits = predicted == wanted
    return int((hits[where] if where is not None else hits).sum()), n


def evaluate(model, loader):
    """{"loss", "accuracy", "macro_f1", "confusion_matrix" (C, C), "predictions" (N,), "logits" (N, C), "labels"
    (N,)} over one pass, NumPy arrays on the host.

    Runs in eval mode (no dropout) without building a graph; the model's previous mode is restored.
    The loss is the mean per-example cross-entropy (each batch's mean weighted by its size).
    """
    was_training = model.training
    model.eval()
    total_loss, labels, all_logits = 0.0, [], []
    try:
        with no_grad():
            for batch in loader:
                out = model(batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"])
                logits = out.logits.numpy()                                 # (B, C)
                total_loss += out.loss.item() * len(logits)
                all_logits.append(logits)
                labels.append(np.asarray(batch["labels"]))
        device_checks.flush()
    finally:
        model.train(was_training)
    if not labels:
        raise ValueError("evaluate: the loader yielded no batches")
    logits, y_true = np.concatenate(all_logits), np.concatenate(labels)                # (N, C), (N,)
    y_pred = logits.argmax(axis=-1)
    return {"loss": total_loss / len(y_true), "accuracy": accuracy(y_true, y_pred),
            "macro_f1": macro_f1(y_true, y_pred),
            "confusion_matrix": confusion_matrix(y_true, y_pred, logits.shape[-1]), "predictions": y_pred,
            "logits": logits, "labels": y_true}


DEVICE_POSTFIX_EVERY = 10  # steps between two reads of the running accuracy for the bar, on a device


class NonFiniteLossError(FloatingPointError):
    """The loss became nan or inf; `.step` is the update that would have used it, `.checkpoint` the last good one."""

    def __init__(self, message, step, checkpoint=None):
        super().__init__(message)
        self.step = step
        self.checkpoint = checkpoint


def default_optimizer(model, num_training_steps, lr=1e-3, weight_decay=0.01, warmup_ratio=0.1):
    """AdamW without decay on biases and LayerNorm weights, linear warmup over the first 10% then linear decay."""
    optimizer = AdamW(bert_param_groups(model, weight_decay), lr=lr)
    warmup = int(warmup_ratio * num_training_steps)
    return optimizer, get_linear_schedule_with_warmup(optimizer, warmup, num_training_steps)


def checkpoint_path(location):
    """A checkpoint file from a directory (its checkpoint.npz) or a file path."""
    location = os.fspath(location)
    return os.path.join(location, CHECKPOINT_NAME) if os.path.isdir(location) else location


class LossFrom:
    """Calls the model without labels and scores its logits with loss_fn(logits, labels) instead of its own loss
    (class weights, label smoothing, ...); train_step sees an ordinary model."""

    def __init__(self, model, loss_fn):
        self.model, self.loss_fn = model, loss_fn

    def __call__(self, input_ids, attention_mask=None, labels=None):
        out = self.model(input_ids, attention_mask=attention_mask)
        out.loss = self.loss_fn(out.logits, labels)
        return out


def fit(model, train_loader, val_loader=None, optimizer=None, scheduler=None, epochs=1, clip_norm=1.0,
        device=None, checkpoint_dir=None, checkpoint_every=None, checkpoint_seconds=None, keep_checkpoints="last",
        log_every=50, progress=True, resume_from=None, log=print, lr=1e-3, weight_decay=0.01, warmup_ratio=0.1,
        evaluate_fn=evaluate, loss_fn=None, select_by=None, patience=None, handle_signals=True,
        on_epoch_end=None):
    """Train for `epochs` epochs in total and return the history (see progress.new_history()).

    optimizer=None builds AdamW(lr, weight_decay) with BERT groups and a linear warmup/decay schedule over all
    `epochs` (`scheduler` is then ignored); a given optimizer is used with the given scheduler (or none).
    loss_fn(logits, labels) -> scalar Tensor replaces the model's loss in training (validation keeps the model's).
    select_by "macro_f1" | "accuracy" | "loss": after training the model holds the weights of the epoch with the
    best validation score (None: the last epoch's); patience=N stops after N epochs without a better one; the
    history's "selection" says which epoch was kept and why (selection.BestEpoch).
    checkpoint_dir: write checkpoint.npz there at the end of every epoch, every `checkpoint_every` steps and every
    `checkpoint_seconds` of training; keep_checkpoints="every" also keeps each in checkpoints/step-N.npz.
    handle_signals: SIGINT (Ctrl-C) or SIGTERM finishes the update in progress, writes the checkpoint and raises
    interrupts.TrainingInterrupted (a KeyboardInterrupt) naming it.
    resume_from: a checkpoint file or directory; the model, optimizer and scheduler must be built as for the
    original run, and training continues from the saved step exactly as if it had never stopped.
    `epochs` counts from the start of the run, so a resumed run with the same `epochs` finishes the same run.
    Exactness needs a loader with state_dict()/load_state_dict() (data.DataLoader) to resume mid-epoch, and on
    CUDA it is only as exact as backend.get_rng_state(), which holds the CPU generator that dropout uses on CPU.
    log(text) receives a summary line per epoch (and a step line every `log_every` steps when progress=False).
    evaluate_fn(model, val_loader) -> {"loss", "accuracy", optionally "macro_f1"}: evaluate() by default; masked-LM
    pretraining passes one that scores the masked tokens. Training loss and accuracy count what count_correct counts.
    on_epoch_end(epoch, history), if given, is called after each epoch's summary (epoch counts from 1).
    """
    if device is not None:
        model.to(device)
    if optimizer is None:
        optimizer, scheduler = default_optimizer(model, epochs * len(train_loader), lr, weight_decay, warmup_ratio)
    if select_by is not None and val_loader is None:
        raise ValueError(f"fit: select_by={select_by!r} needs a val_loader to score the epochs")
    params = list(model.parameters())               # a list: a generator would be spent after one use
    forward = model if loss_fn is None else LossFrom(model, loss_fn)
    log = log or (lambda text: None)
    history, step, epoch, totals = new_history(), 0, 0, EpochTotals()
    best = BestEpoch(select_by, patience) if select_by is not None else None
    checkpoints = None if checkpoint_dir is None else Checkpoints(checkpoint_dir, checkpoint_every,
                                                                  checkpoint_seconds, keep_checkpoints)
    if resume_from is not None:
        step, epoch, history, totals = _resume(resume_from, model, optimizer, scheduler, train_loader, best,
                                               checkpoints, log)

    def save(epoch_in_progress):
        if checkpoints is not None:
            history["wall_time"] = time.perf_counter() - started
            state, arrays = best.state_dict() if best is not None else (None, {})
            checkpoints.save(model, optimizer, scheduler, train_loader, step, epoch_in_progress,
                             {"history": history, "epoch_totals": totals.state(), "selection": state}, arrays)

    started = time.perf_counter() - history["wall_time"]
    model.train()
    with stop_signals(handle_signals) as stop:
        for epoch in range(epoch, epochs):
            if best is not None and best.should_stop:
                break                                # a resumed run that had already stopped early
            if hasattr(train_loader, "set_epoch"):
                train_loader.set_epoch(epoch)        # a no-op when resuming into the middle of this epoch
            done = getattr(train_loader, "state_dict", lambda: {"batch_index": 0})()["batch_index"]
            bar = progress_bar(progress, len(train_loader), done, f"epoch {epoch + 1}/{epochs}")
            for batch in train_loader:
                lr_now = optimizer.param_groups[0]["lr"]   # the lr this update uses (the scheduler moves it after)
                loss, logits = train_step(forward, batch, optimizer, scheduler, clip_norm, params)
                if not math.isfinite(loss):
                    bar.close()
                    raise _non_finite(loss, step, epoch, checkpoints)
                step += 1
                totals.add(loss, *count_correct(logits, batch["labels"], read=False))  # n: sentences or masked tokens
                _record_step(history, step, loss, lr_now, totals, bar, log if not progress else None, log_every)
                if log_every and step % log_every == 0:
                    device_checks.flush()            # input checks queued on a device (device_checks.py)
                if stop or (checkpoints is not None and checkpoints.due(step)):
                    save(epoch)
                if stop:
                    bar.close()
                    raise _interrupted(stop, step, epoch, checkpoints)
            bar.close()
            device_checks.flush()
            result = evaluate_fn(model, val_loader) if val_loader is not None else None
            improved = best is not None and best.update(epoch + 1, result, model)
            log(record_epoch(history, epoch, epochs, totals, result, improved))
            totals = EpochTotals()
            save(epoch + 1)                          # epoch + 1: the next one is the epoch in progress
            if on_epoch_end is not None:
                on_epoch_end(epoch + 1, history)
            if stop:
                raise _interrupted(stop, step, epoch + 1, checkpoints)
    history["wall_time"] = time.perf_counter() - started
    if best is not None:
        best.restore(model)
        history["selection"] = best.summary()
        log(selection_line(best))
    model.eval()
    return history


def _record_step(history, step, loss, lr_now, totals, bar, log, log_every):
    """The per-step history, the bar's postfix, and a log line every `log_every` steps when there is no bar.

    On a device the running accuracy is a count there: it is read (a wait for the device) only for the bar, every
    DEVICE_POSTFIX_EVERY steps, and for a log line, so the other steps read nothing but their loss."""
    history["step"].append(step)
    history["loss"].append(loss)
    history["lr"].append(lr_now)
    bar.update(1)
    logging = log is not None and log_every and step % log_every == 0
    showing = not bar.disable and (totals.on_host() or step % DEVICE_POSTFIX_EVERY == 0)
    if not (logging or showing):
        return
    mean_loss, running_accuracy = totals.means()
    if showing:
        bar.set_postfix(loss=f"{mean_loss:.4f}", acc=f"{running_accuracy:.3f}", refresh=False)
    if logging:
        log(f"  step {step}: loss {loss:.4f}, running accuracy {running_accuracy:.3f}, lr {lr_now:.2e}")


def _resume(location, model, optimizer, scheduler, train_loader, best, checkpoints, log):
    """Load a checkpoint into everything; returns (step, epoch, history, epoch totals)."""
    path = checkpoint_path(location)
    meta = restore_checkpoint(path, model, optimizer, scheduler, train_loader)
    extra = meta["extra"]
    if best is not None and extra.get("selection"):
        best.load_state_dict(extra["selection"], meta["extra_arrays"])
    if checkpoints is not None and os.path.abspath(path) == os.path.abspath(checkpoints.path):
        checkpoints.last_good_step = meta["step"]      # the file a nan would leave in place
    log(f"resumed from {path} at step {meta['step']} (epoch {meta['epoch'] + 1})")
    return meta["step"], meta["epoch"], extra.get("history", new_history()), EpochTotals(extra.get("epoch_totals"))


def _non_finite(loss, step, epoch, checkpoints):
    good = checkpoints is not None and checkpoints.last_good_step is not None
    kept = (f"the last good checkpoint {checkpoints.path} (step {checkpoints.last_good_step}) is kept" if good
            else "no checkpoint was written before it")
    return NonFiniteLossError(f"training stopped: the loss is {loss} at step {step + 1} (epoch {epoch + 1}); the "
                              f"weights were not updated with it, and {kept}. Try a lower learning rate or a smaller "
                              "clip norm.", step + 1, checkpoints.path if good else None)


def _interrupted(stop, step, epoch, checkpoints):
    where = f"after step {step} (epoch {epoch + 1})"
    if checkpoints is None:
        return TrainingInterrupted(f"stopped {where}; no checkpoint was written (no checkpoint directory)", step,
                                   None, stop.signal_number)
    return TrainingInterrupted(f"stopped {where}; the run is saved in {checkpoints.path}", step, checkpoints.path,
                               stop.signal_number)
