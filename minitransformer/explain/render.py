"""Showing an Explanation: the text with each word shaded by its attribution, green for the explained class and red
against it, stronger for larger |attribution| (scaled by the text's largest). Terminal (ANSI 256-colour
backgrounds, or plain [word +0.31] markers when colour is off), a standalone HTML page, and a PNG; plus a
methods-by-words heatmap for comparing several explanations of one text."""
import html
import os

import numpy as np

# 256-colour backgrounds from faint to strong (xterm palette): greens for, reds against
_GREENS = (194, 157, 120, 83)
_REDS = (224, 217, 210, 203)
_PLAIN_THRESHOLD = 0.2  # words below this share of the largest |attribution| get no plain marker


def _scaled(values):
    """values / max |values| in [-1, 1] (all zeros stay zeros)."""
    values = np.asarray(values, dtype=np.float64)
    top = np.abs(values).max() if values.size else 0.0
    return values / top if top > 0 else np.zeros_like(values)


def _header(e):
    extra = f", delta {e.delta:+.2g}" if e.delta is not None else ""
    return f"{e.label} {e.score:.4f} ({e.method}, units: {e.output}{extra})"


def _chunks(e):
    """[(chunk of text, attribution or None, scaled to [-1, 1] or None)] covering the whole text in order: each word
    with its values, the characters between words (spaces) with None."""
    out, pos = [], 0
    for (start, end), value, v in zip(e.word_spans, e.word_attributions, _scaled(e.word_attributions)):
        if start > pos:
            out.append((e.text[pos:start], None, None))
        out.append((e.text[start:end], float(value), float(v)))
        pos = end
    if pos < len(e.text):
        out.append((e.text[pos:], None, None))
    return out


def shade(e, color=False):
    """The text with its words shaded (color=True: ANSI backgrounds) or with [word +0.31] markers on the words of
    at least a fifth of the largest |attribution|."""
    parts = []
    for chunk, value, v in _chunks(e):
        if v is None or (abs(v) < 0.1 if color else abs(v) < _PLAIN_THRESHOLD):
            parts.append(chunk)
        elif color:
            level = min(int(abs(v) * len(_GREENS)), len(_GREENS) - 1)
            parts.append(f"\x1b[30;48;5;{(_GREENS if v > 0 else _REDS)[level]}m{chunk}\x1b[0m")
        else:
            parts.append(f"[{chunk} {value:+.2g}]")
    return "".join(parts)


def format_text(e, color=False):
    """One line: the header, a tab, the shaded text."""
    return f"{_header(e)}\t{shade(e, color)}"


def _rgba(v, alpha_max=0.85):
    r, g, b = (0, 150, 0) if v > 0 else (215, 25, 28)
    return r, g, b, abs(v) * alpha_max


def to_html(e):
    """A standalone HTML page: the header and the text with each word's background shaded; hover shows the value."""
    body = []
    for chunk, value, v in _chunks(e):
        if v is None:
            body.append(html.escape(chunk))
            continue
        r, g, b, a = _rgba(v)
        body.append(f'<span style="background: rgba({r},{g},{b},{a:.3f}); padding: 1px 2px; border-radius: 3px" '
                    f'title="{value:+.4g}">{html.escape(chunk)}</span>')
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + html.escape(e.text[:60]) +
            "</title></head>\n<body style=\"font-family: sans-serif; max-width: 48em; margin: 2em\">\n"
            f"<p style=\"color: #555\">{html.escape(_header(e))}; green for <b>{html.escape(e.label)}</b>, "
            "red against it</p>\n"
            f"<p style=\"font-size: 1.4em; line-height: 1.8\">{''.join(body)}</p>\n</body></html>\n")


def save_html(e, path):
    directory = os.path.dirname(os.fspath(path))
    if directory:
        os.makedirs(directory, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(to_html(e))
    return path


def plot_highlight(e, path=None, width=8.0, fontsize=14):
    """A figure of the text with each word on a shaded box, wrapped to `width` inches, the header above it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ..plots import _done
    fig = Figure(figsize=(width, 1.0))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))  # data coordinates are inches from the top-left corner
    ax.set_axis_off()
    renderer = fig.canvas.get_renderer()
    margin, line_height, pad = 0.2, fontsize / 72 * 1.8, 0.15
    box = 2 * pad * fontsize / 72  # the box's padding on both sides, in inches, so boxes do not overlap
    ax.text(margin, -margin, _header(e), fontsize=10, va="top", ha="left", color="#444")
    x, y = margin, -margin - 0.35
    space = ax.text(0, 0, "x x", fontsize=fontsize)
    space_width = (space.get_window_extent(renderer).width - 2 * ax.text(0, 0, "x", fontsize=fontsize)
                   .get_window_extent(renderer).width) / fig.dpi
    for t in ax.texts[1:]:
        t.remove()
    ax.set_xlim(0, width)
    for chunk, _, v in _chunks(e):
        if v is None:  # the characters between words: a space where the text has whitespace
            x += space_width if chunk.strip() == "" or " " in chunk else 0.0
            continue
        r, g, b, a = _rgba(v)
        t = ax.text(x, y, chunk, fontsize=fontsize, va="top", ha="left",
                    bbox=dict(boxstyle=f"round,pad={pad}", facecolor=(r / 255, g / 255, b / 255, a), edgecolor="none"))
        w = t.get_window_extent(renderer).width / fig.dpi
        if x > margin and x + w > width - margin:  # wrap: this word starts the next line
            x, y = margin, y - line_height
            t.set_position((x, y))
        x += w + box
    height = -y + line_height + margin
    fig.set_size_inches(width, height)
    ax.set_ylim(-height, 0)
    return _done(fig, path)


def plot_methods(groups, path=None):
    """Heatmaps, one panel per text: one row per explanation of it (the methods), one column per word, each row
    scaled by its own largest |value| (methods have different units), the values written in the cells. `groups`:
    a list of explanations of one text, or a list of such lists."""
    from ..plots import _done, _figure
    groups = [groups] if groups and not isinstance(groups[0], (list, tuple)) else list(groups)
    if not groups or not all(groups):
        raise ValueError("plot_methods: no explanations given")
    widest = max(len(g[0].words) for g in groups)
    fig, axes = _figure(max(6.0, 0.62 * widest + 2.6), sum(0.42 * len(g) + 1.1 for g in groups), nrows=len(groups))
    for ax, group in zip(axes[:, 0], groups):
        rows = np.stack([_scaled(e.word_attributions) for e in group])  # (M, W)
        ax.imshow(rows, cmap="RdYlGn", vmin=-1, vmax=1, aspect="auto")
        ax.set_xticks(range(len(group[0].words)), group[0].words, rotation=30, ha="right")
        ax.set_yticks(range(len(group)), [e.method.replace("_", " ") for e in group])
        for m, e in enumerate(group):
            for w, value in enumerate(e.word_attributions):
                ax.text(w, m, f"{value:.2f}", ha="center", va="center", fontsize=7)
        ax.set_title(f"{group[0].text}  →  {group[0].label} {group[0].score:.2f}", fontsize=10)
    return _done(fig, path)


def plot_deletion(curves, path=None, title=None):
    """Deletion curves: mean probability of the predicted class after deleting the k top-attributed words, one line
    per method ({method: checks.deletion_curve(...)}), and the random-deletion control (from the first method)."""
    from ..plots import _done, _figure
    fig, axes = _figure(6.0, 4.0)
    ax = axes[0, 0]
    for method, c in curves.items():
        ax.plot(c["k"], c["attributed"], "o-", label=method.replace("_", " "))
    first = next(iter(curves.values()))
    ax.plot(first["k"], first["random"], "k--", label="random words")
    ax.set_xlabel("words deleted (k)")
    ax.set_ylabel("probability of the predicted class")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title or "Deletion curves: lower is more faithful", fontsize=10)
    return _done(fig, path)
