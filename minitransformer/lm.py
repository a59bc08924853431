"""Causal language modelling on running text: token stream -> batches of windows -> next-token loss, perplexity.

    ids = encode_text(tokenizer, text)                      # one long int64 stream
    train_ids, val_ids = split_stream(ids, 0.1)             # the last 10% held out, in one piece
    history = train_lm(model, train_ids, val_ids, steps=500, block_size=64, batch_size=16)
    perplexity(model, val_ids, block_size=64)               # exp(mean next-token loss on held-out text)

Training batches are random windows of `block_size` tokens (nanoGPT's sampler: a book is one sequence, so every
offset is a fresh example); each window is its own labels, which the model shifts (position t predicts t + 1).
Held-out text is cut into consecutive non-overlapping windows, so every held-out token but each window's first is
predicted exactly once. Perplexity = exp(mean loss over those predictions): the number of equally likely tokens
the model is as unsure as, 1 for a perfect model, the vocabulary size for a uniform guess.

The update itself is training.train_step (forward, backward, clip, AdamW, schedule): the same step as fit().
"""
import math
import time

import numpy as np

from .autograd import no_grad
from .training import default_optimizer, train_step


def encode_text(tokenizer, text):
    """The whole text as one int64 array of token ids."""
    return np.asarray(tokenizer.encode(text), dtype=np.int64)


def split_stream(ids, val_fraction=0.1):
    """(train, held-out): the held-out part is the last `val_fraction` of the stream, in one piece, so no window
    of it overlaps a training window (a random split of windows would leak neighbouring text)."""
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    cut = int(round(len(ids) * (1 - val_fraction)))
    return ids[:cut], ids[cut:]


def _check_stream(ids, block_size, what):
    if len(ids) < block_size + 1:
        raise ValueError(f"{what} has {len(ids)} tokens, fewer than block_size + 1 = {block_size + 1}; use more "
                         "text or a smaller block_size")


def random_windows(ids, block_size, batch_size, rng):
    """{input_ids (B, block_size), attention_mask None, labels = input_ids}: B windows at random offsets."""
    starts = rng.integers(0, len(ids) - block_size + 1, size=batch_size)
    windows = ids[starts[:, None] + np.arange(block_size)]  # (B, block_size)
    return {"input_ids": windows, "attention_mask": None, "labels": windows}


def perplexity(model, ids, block_size, batch_size=32):
    """(mean next-token loss in nats, perplexity) over consecutive windows of `ids`; eval mode, no graph."""
    _check_stream(ids, 2, "the held-out text")
    block_size = min(block_size, len(ids))
    windows = [ids[s:s + block_size] for s in range(0, len(ids) - 1, block_size)]
    windows = [w for w in windows if len(w) >= 2]  # a 1-token tail predicts nothing
    was_training, total, count = model.training, 0.0, 0
    model.eval()
    try:
        with no_grad():
            for length in sorted({len(w) for w in windows}):  # the full windows, then the shorter tail
                same = np.stack([w for w in windows if len(w) == length])  # (n, length)
                for b in range(0, len(same), batch_size):
                    batch = same[b:b + batch_size]
                    loss = model(batch, labels=batch).loss.item()  # mean over (length - 1) predictions a row
                    total += loss * batch.shape[0] * (length - 1)
                    count += batch.shape[0] * (length - 1)
    finally:
        model.train(was_training)
    mean = total / count
    return mean, math.exp(mean)


def train_lm(model, train_ids, val_ids=None, steps=1000, block_size=64, batch_size=16, lr=1e-3, weight_decay=0.1,
             warmup_ratio=0.05, clip_norm=1.0, eval_every=100, seed=0, progress=True, log=None):
    """`steps` AdamW updates on random windows of train_ids (linear warmup then decay), with held-out loss and
    perplexity every `eval_every` steps and at the end. Returns the history: step, loss, lr (every step);
    eval_step, val_loss, val_perplexity; wall_time (seconds). log(text) gets a line per evaluation (default:
    tqdm.write, above the bar). Leaves the model in eval mode."""
    from tqdm import tqdm
    _check_stream(train_ids, block_size, "the training text")
    if val_ids is not None:
        _check_stream(val_ids, 2, "the held-out text")
    rng = np.random.default_rng(seed)
    optimizer, scheduler = default_optimizer(model, steps, lr, weight_decay, warmup_ratio)
    params = list(model.parameters())
    history = {"step": [], "loss": [], "lr": [], "eval_step": [], "val_loss": [], "val_perplexity": []}
    log = log or tqdm.write
    start = time.perf_counter()

    def evaluate(step):
        loss, ppl = perplexity(model, val_ids, block_size, batch_size)
        history["eval_step"].append(step)
        history["val_loss"].append(loss)
        history["val_perplexity"].append(ppl)
        return ppl

    if val_ids is not None:
        evaluate(0)
    model.train()
    bar = tqdm(range(1, steps + 1), desc="lm train", unit="step", disable=not progress, dynamic_ncols=True)
    for step in bar:
        lr_now = optimizer.param_groups[0]["lr"]
        loss, _ = train_step(model, random_windows(train_ids, block_size, batch_size, rng), optimizer, scheduler,
                             clip_norm, params)
        if not math.isfinite(loss):
            bar.close()
            raise FloatingPointError(f"lm train: the loss is {loss} at step {step}; try a lower learning rate")
        history["step"].append(step)
        history["loss"].append(loss)
        history["lr"].append(lr_now)
        bar.set_postfix(loss=f"{loss:.3f}", refresh=False)
        if val_ids is not None and (step % eval_every == 0 or step == steps):
            ppl = evaluate(step)
            model.train()
            log(f"step {step}/{steps}: train loss {loss:.3f}, held-out loss {history['val_loss'][-1]:.3f}, "
                f"perplexity {ppl:.1f}")
    bar.close()
    model.eval()
    history["wall_time"] = time.perf_counter() - start
    return history
