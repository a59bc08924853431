"""The training loop, written the way a reader expects it: for each batch, forward → loss → backward → clip →
step → schedule → zero_grad; after each epoch, evaluate on the validation set and remember everything.

    model = TransformerClassifier(tokenizer.vocab_size, num_classes=2, d_model=64)
    history = fit(model, train_loader, val_loader, epochs=10, checkpoint_dir="runs/x")   # AdamW + warmup by default
    evaluate(model, test_loader)       # {"loss", "accuracy", "macro_f1", "confusion_matrix"}
    fit(model, train_loader, val_loader, epochs=10, resume_from="runs/x")     # continues exactly where it stopped

Any model works whose call `model(input_ids, attention_mask=..., labels=...)` returns an object with `.loss`
(a scalar Tensor) and `.logits` (B, C); loaders yield dicts of NumPy arrays input_ids, attention_mask, labels.
Token-level tasks fit too: logits (B, T, V) with labels (B, T), where -100 marks the positions that do not count
(masked-LM pretraining: pretraining.py passes its own evaluate_fn, the loop is this one).
"""
import math
import os
import time

import numpy as np

from .autograd import no_grad
from .checkpointing import CHECKPOINT_NAME, restore_checkpoint, save_checkpoint
from .metrics import accuracy, confusion_matrix, macro_f1
from .optim import AdamW, bert_param_groups, clip_grad_norm, get_linear_schedule_with_warmup


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


def count_correct(logits, labels, ignore_index=-100):
    """(correct, counted): argmax predictions equal to the label, over the labels that are not ignore_index.

    One rule for (B, C) logits with (B,) labels (every sentence counts) and (B, T, V) with (B, T) (only the
    positions a masked-LM chose count): accuracy = correct / counted either way. A model that decodes only the
    n counted positions may return their (n, V) logits instead, in row-major order of the (B, T) labels.
    """
    labels = np.asarray(labels)
    counted = labels != ignore_index                 # (B,) or (B, T)
    predicted = logits.numpy().argmax(axis=-1)       # (B,) or (B, T); (n,) for counted rows only
    if predicted.ndim == labels.ndim:
        return int((predicted == labels)[counted].sum()), int(counted.sum())
    if predicted.shape != (int(counted.sum()),):
        raise ValueError(f"count_correct: logits {tuple(logits.shape)} fit neither labels {labels.shape} nor their "
                         f"{int(counted.sum())} counted positions (expected (..., V) with the labels' leading shape, "
                         "or (n, V) for the n counted positions)")
    return int((predicted == labels[counted]).sum()), int(counted.sum())


def evaluate(model, loader):
    """{"loss", "accuracy", "macro_f1", "confusion_matrix" (C, C) ndarray, "predictions" (N,)} over one pass.

    Runs in eval mode (no dropout) without building a graph; the model's previous mode is restored.
    The loss is the mean per-example cross-entropy (each batch's mean weighted by its size).
    """
    was_training = model.training
    model.eval()
    total_loss, labels, predictions, num_classes = 0.0, [], [], None
    try:
        with no_grad():
            for batch in loader:
                out = model(batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"])
                logits = out.logits.numpy()                                 # (B, C)
                num_classes = logits.shape[-1]
                total_loss += out.loss.item() * len(logits)
                predictions.append(logits.argmax(axis=-1))
                labels.append(np.asarray(batch["labels"]))
    finally:
        model.train(was_training)
    if not labels:
        raise ValueError("evaluate: the loader yielded no batches")
    y_true, y_pred = np.concatenate(labels), np.concatenate(predictions)
    return {"loss": total_loss / len(y_true), "accuracy": accuracy(y_true, y_pred),
            "macro_f1": macro_f1(y_true, y_pred),
            "confusion_matrix": confusion_matrix(y_true, y_pred, num_classes), "predictions": y_pred}


def new_history():
    """Per-epoch lists (epoch, train_*, val_*), per-step lists (step, loss, lr), and the wall time so far."""
    keys = ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "val_macro_f1",
            "step", "loss", "lr"]
    return {**{k: [] for k in keys}, "wall_time": 0.0}


def default_optimizer(model, num_training_steps, lr=1e-3, weight_decay=0.01, warmup_ratio=0.1):
    """AdamW without decay on biases and LayerNorm weights, linear warmup over the first 10% then linear decay."""
    optimizer = AdamW(bert_param_groups(model, weight_decay), lr=lr)
    warmup = int(warmup_ratio * num_training_steps)
    return optimizer, get_linear_schedule_with_warmup(optimizer, warmup, num_training_steps)


def _checkpoint_path(location):
    """A checkpoint file from a directory (its checkpoint.npz) or a file path."""
    location = os.fspath(location)
    return os.path.join(location, CHECKPOINT_NAME) if os.path.isdir(location) else location


def _progress_bar(progress, total, initial, desc):
    from tqdm import tqdm  # imported here: evaluate() and the tests without bars do not need it
    return tqdm(total=total, initial=initial, desc=desc, disable=not progress, dynamic_ncols=True, leave=True)


def fit(model, train_loader, val_loader=None, optimizer=None, scheduler=None, epochs=1, clip_norm=1.0,
        device=None, checkpoint_dir=None, checkpoint_every=None, log_every=50, progress=True, resume_from=None,
        log=print, lr=1e-3, weight_decay=0.01, warmup_ratio=0.1, evaluate_fn=evaluate):
    """Train for `epochs` epochs in total and return the history (see new_history()).

    optimizer=None builds AdamW(lr, weight_decay) with BERT groups and a linear warmup/decay schedule over all
    `epochs` (`scheduler` is then ignored); a given optimizer is used with the given scheduler (or none).
    checkpoint_dir: write checkpoint.npz there after every epoch (and every `checkpoint_every` steps).
    resume_from: a checkpoint file or directory; the model, optimizer and scheduler must be built as for the
    original run, and training continues from the saved step exactly as if it had never stopped.
    `epochs` counts from the start of the run, so a resumed run with the same `epochs` finishes the same run.
    Exactness needs a loader with state_dict()/load_state_dict() (data.DataLoader) to resume mid-epoch, and on
    CUDA it is only as exact as backend.get_rng_state(), which holds the CPU generator that dropout uses on CPU.
    log(text) receives a summary line per epoch (and a step line every `log_every` steps when progress=False).
    evaluate_fn(model, val_loader) -> {"loss", "accuracy", optionally "macro_f1"}: evaluate() by default; masked-LM
    pretraining passes one that scores the masked tokens. Training loss and accuracy count what count_correct counts.
    """
    if device is not None:
        model.to(device)
    if optimizer is None:
        optimizer, scheduler = default_optimizer(model, epochs * len(train_loader), lr, weight_decay, warmup_ratio)
    params = list(model.parameters())               # a list: a generator would be spent after one use
    log = log or (lambda text: None)
    history, step, epoch, totals = new_history(), 0, 0, [0.0, 0, 0]   # totals: loss sum, correct, examples
    if resume_from is not None:
        meta = restore_checkpoint(_checkpoint_path(resume_from), model, optimizer, scheduler, train_loader)
        step, epoch = meta["step"], meta["epoch"]
        history, totals = meta["extra"].get("history", history), meta["extra"].get("epoch_totals", totals)
        log(f"resumed from {_checkpoint_path(resume_from)} at step {step} (epoch {epoch + 1})")
    checkpoint = None if checkpoint_dir is None else os.path.join(os.fspath(checkpoint_dir), CHECKPOINT_NAME)
    resumed_here = resume_from is not None and checkpoint is not None and \
        os.path.abspath(_checkpoint_path(resume_from)) == os.path.abspath(checkpoint)
    last_good = {"step": step if resumed_here else None}    # the file a nan would leave in place

    def save(epoch_in_progress):
        if checkpoint is None:
            return
        save_checkpoint(checkpoint, model, optimizer, scheduler, train_loader, step=step, epoch=epoch_in_progress,
                        extra={"history": history, "epoch_totals": totals})
        last_good["step"] = step

    started = time.perf_counter() - history["wall_time"]
    model.train()
    for epoch in range(epoch, epochs):
        if hasattr(train_loader, "set_epoch"):
            train_loader.set_epoch(epoch)            # a no-op when resuming into the middle of this epoch
        done = getattr(train_loader, "state_dict", lambda: {"batch_index": 0})()["batch_index"]
        bar = _progress_bar(progress, len(train_loader), done, f"epoch {epoch + 1}/{epochs}")
        for batch in train_loader:
            lr_now = optimizer.param_groups[0]["lr"]   # the lr this update uses (the scheduler moves it after)
            loss, logits = train_step(model, batch, optimizer, scheduler, clip_norm, params)
            if not math.isfinite(loss):
                bar.close()
                kept = (f"the last good checkpoint {checkpoint} (step {last_good['step']}) is kept"
                        if last_good["step"] is not None else "no checkpoint was written before it")
                raise NonFiniteLossError(f"training stopped: the loss is {loss} at step {step + 1} (epoch "
                                         f"{epoch + 1}); the weights were not updated with it, and {kept}. "
                                         "Try a lower learning rate or a smaller clip norm.", step + 1,
                                         checkpoint if last_good["step"] is not None else None)
            step += 1
            correct, n = count_correct(logits, batch["labels"])    # n: sentences, or masked tokens for MLM
            totals = [totals[0] + loss * n, totals[1] + correct, totals[2] + n]  # loss is a mean over those n
            history["step"].append(step)
            history["loss"].append(loss)
            history["lr"].append(lr_now)
            bar.update(1)
            seen = max(totals[2], 1)                 # a masked-LM batch may, rarely, have no chosen token
            bar.set_postfix(loss=f"{totals[0] / seen:.4f}", acc=f"{totals[1] / seen:.3f}", refresh=False)
            if not progress and log_every and step % log_every == 0:
                log(f"  step {step}: loss {loss:.4f}, running accuracy {totals[1] / seen:.3f}, lr {lr_now:.2e}")
            if checkpoint_every and step % checkpoint_every == 0:
                history["wall_time"] = time.perf_counter() - started
                save(epoch)
        bar.close()
        history["epoch"].append(epoch + 1)
        history["train_loss"].append(totals[0] / max(totals[2], 1))
        history["train_accuracy"].append(totals[1] / max(totals[2], 1))
        summary = f"epoch {epoch + 1}/{epochs}: train loss {history['train_loss'][-1]:.4f}, " \
                  f"accuracy {history['train_accuracy'][-1]:.3f}"
        if val_loader is not None:
            result = evaluate_fn(model, val_loader)
            for key in ("loss", "accuracy", "macro_f1"):
                if key in result:
                    history[f"val_{key}"].append(result[key])
            summary += f" | validation loss {result['loss']:.4f}, accuracy {result['accuracy']:.3f}"
            if "macro_f1" in result:
                summary += f", macro-F1 {result['macro_f1']:.3f}"
        totals = [0.0, 0, 0]
        history["wall_time"] = time.perf_counter() - started
        save(epoch + 1)                              # epoch + 1: the next one is the epoch in progress
        log(summary)
    model.eval()
    return history
