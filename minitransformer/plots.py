"""Figures for training runs and lessons: loss and accuracy curves, confusion matrix, attention maps, LR schedule,
reliability diagram. Labels in any script are drawn with an installed font that has them (fonts.py).

Every function returns a matplotlib Figure and, given `path`, also saves it there (directories are created).
Figures are built on matplotlib's Agg canvas directly (matplotlib.figure.Figure, not pyplot), so nothing needs a
display, no global backend is switched, and figures are freed when dropped instead of piling up in pyplot.

    fig = plot_loss_curves(history, "runs/latest/figures/loss.png")     # history from training.fit()
    tokens, weights = sentence_attention(model, tokenizer, "the plot was not good")
    plot_attention(weights, tokens, head="mean", path="attention.png")
"""
import inspect
import os

import numpy as np


def _figure(width=6.0, height=4.0, ncols=1, nrows=1):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)                          # the Agg canvas: renders to memory and files, never a window
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def save_figure(fig, path, dpi=120):
    """Write `fig` to `path` (format from the extension), creating its directory; returns the path. Texts in any
    script get a font that has their characters (fonts.use_fonts_for)."""
    from .fonts import quiet_glyph_warnings, use_fonts_for
    directory = os.path.dirname(os.fspath(path))
    if directory:
        os.makedirs(directory, exist_ok=True)
    use_fonts_for(fig)                            # Chinese, Arabic, ... labels: a font that has them, or one hint
    with quiet_glyph_warnings():
        fig.savefig(path, dpi=dpi)
    return path


def _done(fig, path):
    if path is not None:
        save_figure(fig, path)
    return fig


def _smooth(values, window):
    """Moving average over `window` points (shorter at the start), so a noisy per-step curve shows its trend."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0 or window <= 1:
        return values
    cumulative = np.concatenate([[0.0], np.cumsum(values)])      # cumulative[i] = sum of the first i values
    end = np.arange(1, values.size + 1)
    counts = np.minimum(end, window)
    return (cumulative[end] - cumulative[end - counts]) / counts


def _epoch_ends(history):
    """The step at which each recorded epoch ended (epochs on the step axis), or the epoch numbers."""
    steps, epochs = history.get("step", []), history.get("epoch", [])
    if steps and epochs:
        per_epoch = len(steps) / max(epochs[-1], 1)
        return [e * per_epoch for e in epochs], "step"
    return list(epochs), "epoch"


def plot_loss_curves(history, path=None, smooth=None):
    """Per-step training loss (faint, and smoothed) with per-epoch train and validation loss on the same axis."""
    fig, axes = _figure()
    ax = axes[0, 0]
    steps, losses = history.get("step", []), history.get("loss", [])
    if steps:
        window = smooth or max(1, len(steps) // 50)
        ax.plot(steps, losses, color="tab:blue", alpha=0.25, linewidth=0.8, label="train loss per step")
        ax.plot(steps, _smooth(losses, window), color="tab:blue", linewidth=1.5,
                label=f"train loss, mean of {window} steps")
    x, xlabel = _epoch_ends(history)
    if history.get("train_loss"):
        ax.plot(x, history["train_loss"], "o-", color="tab:green", label="train loss per epoch")
    if history.get("val_loss"):
        ax.plot(x[:len(history["val_loss"])], history["val_loss"], "s-", color="tab:orange",
                label="validation loss per epoch")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cross-entropy")
    ax.set_title("Loss")
    ax.grid(alpha=0.3)
    ax.legend()
    return _done(fig, path)


def plot_accuracy_curves(history, path=None):
    """Per-epoch training and validation accuracy (and validation macro-F1)."""
    fig, axes = _figure()
    ax = axes[0, 0]
    epochs = history.get("epoch", [])
    for key, style, label in (("train_accuracy", "o-", "train accuracy"), ("val_accuracy", "s-", "validation "
                              "accuracy"), ("val_macro_f1", "^--", "validation macro-F1")):
        if history.get(key):
            ax.plot(epochs[:len(history[key])], history[key], style, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("score")
    ax.set_ylim(0, 1.02)
    ax.set_title("Accuracy")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return _done(fig, path)


def plot_confusion_matrix(cm, label_names=None, path=None, title="Confusion matrix"):
    """Counts with true classes as rows and predictions as columns; cells are coloured by row fraction."""
    cm = np.asarray(cm)
    names = [str(n) for n in (label_names if label_names is not None else range(len(cm)))]
    rows = cm.sum(axis=1, keepdims=True)
    fraction = np.divide(cm, rows, out=np.zeros(cm.shape), where=rows > 0)   # recall on the diagonal
    size = 2.0 + 0.8 * len(names)
    fig, axes = _figure(size + 1.0, size)
    ax = axes[0, 0]
    image = ax.imshow(fraction, cmap="Blues", vmin=0, vmax=1)
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(j, i, f"{int(cm[i, j])}\n{fraction[i, j]:.0%}", ha="center", va="center",
                    color="white" if fraction[i, j] > 0.5 else "black")
    ax.set_xticks(range(len(names)), names, rotation=45 if max(map(len, names)) > 6 else 0)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="fraction of the true class")
    return _done(fig, path)


def plot_attention(attention, tokens, head="mean", path=None, title=None, max_tokens=64):
    """Attention weights of one sentence: row = query token, column = key token it attends to.

    attention: (T, T) or (H, T, T). head="mean" averages the heads, an int picks one, "all" draws each head.
    A sentence longer than `max_tokens` is drawn as its first max_tokens x max_tokens window (a figure with a
    label per token stops being readable, and grows with T²), and the title says so.
    """
    weights = np.asarray(attention, dtype=np.float64)
    weights = weights[None] if weights.ndim == 2 else weights                      # (H, T, T)
    if weights.ndim != 3 or weights.shape[1] != weights.shape[2] or weights.shape[1] != len(tokens):
        raise ValueError(f"plot_attention: expected weights (T, T) or (H, T, T) with T = {len(tokens)} tokens, "
                         f"got shape {np.shape(attention)}")
    if max_tokens and len(tokens) > max_tokens:
        note = f"first {max_tokens} of {len(tokens)} tokens (each row's weights on later keys are not shown)"
        title = f"{title}\n{note}" if title else note
        weights, tokens = weights[:, :max_tokens, :max_tokens], list(tokens)[:max_tokens]   # (H, k, k)
    if head == "all":
        panels = [(weights[h], f"head {h}") for h in range(len(weights))]
    elif head == "mean":
        panels = [(weights.mean(axis=0), "mean over heads" if len(weights) > 1 else "")]
    elif isinstance(head, (int, np.integer)) and -len(weights) <= head < len(weights):
        panels = [(weights[head], f"head {head % len(weights)}")]
    else:
        raise ValueError(f"plot_attention: head must be 'mean', 'all' or 0..{len(weights) - 1}, got {head!r}")
    side = 1.5 + min(0.32 * len(tokens), 10.0)                 # beyond ~30 tokens the labels shrink instead
    fontsize = None if len(tokens) <= 32 else 7
    fig, axes = _figure(side * len(panels) + 1.0, side + (0.4 if title else 0), ncols=len(panels))
    vmax = max(max(float(w.max()) for w, _ in panels), 1e-9)   # one colour scale, so the panels compare
    for ax, (w, label) in zip(axes[0], panels):
        image = ax.imshow(w, cmap="viridis", vmin=0, vmax=vmax)
        ax.set_xticks(range(len(tokens)), tokens, rotation=90, fontsize=fontsize)
        ax.set_yticks(range(len(tokens)), tokens, fontsize=fontsize)
        ax.set_xlabel("attends to (key)")
        ax.set_ylabel("token (query)")
        ax.set_title(label)
    fig.colorbar(image, ax=list(axes[0]), label="attention weight")
    if title:
        fig.suptitle(title)
    return _done(fig, path)


def plot_reliability(bins, path=None, title="Reliability diagram"):
    """Accuracy against confidence per bin (calibration.reliability_bins): bars on the diagonal mean the
    probabilities can be taken at their word; below it the model is overconfident. Counts below, on a log scale."""
    edges, count = np.asarray(bins["edges"]), np.asarray(bins["count"])
    centers, width = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
    used = count > 0
    fig, axes = _figure(5.0, 6.0, nrows=2)
    ax, below = axes[0, 0], axes[1, 0]
    ax.bar(centers[used], bins["accuracy"][used], width=width[used], edgecolor="black", color="tab:blue",
           label="accuracy in the bin")
    gap = bins["confidence"][used] - bins["accuracy"][used]
    ax.bar(centers[used], gap, bottom=bins["accuracy"][used], width=width[used], color="tab:red", alpha=0.3,
           edgecolor="tab:red", hatch="//", label="gap to the mean confidence")
    ax.plot([0, 1], [0, 1], "k--", linewidth=1, label="perfect calibration")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy")
    ax.set_title(title)
    ax.legend(loc="upper left")
    below.bar(centers, count, width=width, color="tab:gray", edgecolor="black")
    below.set_yscale("log") if count.max(initial=0) > 0 else None
    below.set_xlim(0, 1)
    below.set_xlabel("confidence (top predicted probability)")
    below.set_ylabel("predictions")
    return _done(fig, path)


def plot_lr_schedule(lrs, path=None, title="Learning-rate schedule"):
    """The learning rate of every step: a list of floats, or a history dict with "step" and "lr"."""
    if isinstance(lrs, dict):
        steps, lrs = lrs.get("step", []), lrs.get("lr", [])
    else:
        steps = range(1, len(lrs) + 1)
    fig, axes = _figure(6.0, 3.5)
    ax = axes[0, 0]
    ax.plot(list(steps), list(lrs), color="tab:purple")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.set_title(title)
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
    ax.grid(alpha=0.3)
    return _done(fig, path)


def sentence_attention(model, tokenizer, text, layer=-1, max_length=128):
    """(tokens, weights (H, T, T) NumPy) of one sentence in one encoder layer, the model in eval mode, no graph.

    The model must accept `return_attentions=True` (or `output_attentions=True`, as BERT) and return
    `.attentions`, one (B, H, T, T) per layer.
    """
    from .autograd import no_grad
    encoded = tokenizer([text], truncation=True, max_length=max_length, return_tensors="np")
    ids = np.asarray(encoded["input_ids"])                                        # (1, T)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            # our TransformerClassifier says return_attentions, Hugging Face-style BERTs output_attentions
            flag = "output_attentions" if "output_attentions" in inspect.signature(model.forward).parameters \
                else "return_attentions"
            out = model(ids, attention_mask=np.asarray(encoded["attention_mask"]), **{flag: True})
    finally:
        model.train(was_training)
    attention = out.attentions[layer]
    weights = attention.numpy() if hasattr(attention, "numpy") else np.asarray(attention)
    return tokenizer.convert_ids_to_tokens(ids[0].tolist()), weights[0]          # (H, T, T)
