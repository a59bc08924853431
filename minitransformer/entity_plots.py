"""A figure of entities on sentences: each sentence written out, its true entities boxed in the type's colour, and
under it the predicted ones; a predicted entity that is wrong has a red edge, a true one that was missed a dashed
red edge. Monospace text, so a word's box is placed by its character offset.

    plot_entity_spans(test.words[:6], test.tags[:6], predicted[:6], path="spans.png")
"""
from .entity_metrics import get_entities
from .plots import _done, _figure

COLOURS = {"PER": "#4c72b0", "ORG": "#dd8452", "LOC": "#55a868", "DATE": "#8172b3", "MISC": "#937860"}
OTHER = "#8c8c8c"
CHAR_INCHES = 0.078


def _row(ax, y, words, tags, other_tags, label):
    """Write the words at height y and box each entity of `tags`; an entity not in `other_tags` gets a red edge."""
    from matplotlib.patches import FancyBboxPatch
    starts, position = [], 0
    for word in words:
        starts.append(position)
        position += len(word) + 1
    ax.text(-1, y, label, ha="right", va="center", fontsize=8, color="#444444")
    for word, start in zip(words, starts):  # one text per word: it starts at its own character offset
        ax.text(start, y, word, ha="left", va="center", family="monospace", fontsize=9, zorder=3)
    others = set(get_entities(other_tags))
    for entity in get_entities(tags):
        type_, first, last = entity
        x0, x1 = starts[first], starts[last] + len(words[last])
        colour = COLOURS.get(type_, OTHER)
        wrong = entity not in others
        ax.add_patch(FancyBboxPatch((x0 - 0.2, y - 0.32), x1 - x0 + 0.4, 0.64, boxstyle="round,pad=0.05",
                                    facecolor=colour, alpha=0.35, zorder=1,
                                    edgecolor="#d62728" if wrong else colour, linewidth=1.6 if wrong else 0.8,
                                    linestyle="--" if wrong and label == "true" else "-"))
        ax.text(x0, y + 0.42, type_, fontsize=6, color=colour, va="bottom", zorder=2)
    return position


def plot_entity_spans(sentences, true_tags, predicted_tags=None, title=None, path=None):
    """One block per sentence: the true entities (row "true") and, when given, the predicted ones ("predicted")."""
    rows_per = 2 if predicted_tags is not None else 1
    width = max(len(" ".join(words)) for words in sentences)
    # a 9-point monospace character is 0.075 inch wide: a unit a little wider, so no word runs into the next
    inches = max(6.0, CHAR_INCHES * (width + 11))
    fig, axes = _figure(width=inches, height=0.6 + 0.62 * rows_per * len(sentences))
    ax = axes[0][0]
    y = bottom = 0.0
    for i, words in enumerate(sentences):
        pred = predicted_tags[i] if predicted_tags is not None else true_tags[i]
        _row(ax, y, words, true_tags[i], pred, "true")
        bottom = y
        if predicted_tags is not None:
            bottom = y - 1.15
            _row(ax, bottom, words, pred, true_tags[i], "predicted")
        y = bottom - 1.75
    ax.set_xlim(-10, inches / CHAR_INCHES - 10)  # one x unit is one character, about CHAR_INCHES wide
    ax.set_ylim(bottom - 0.6, 1.0)
    ax.axis("off")
    from matplotlib.patches import Patch
    seen = {e[0] for tags in true_tags for e in get_entities(tags)}
    handles = [Patch(color=c, alpha=0.5, label=t) for t, c in COLOURS.items() if t in seen]
    if handles:
        ax.legend(handles=handles, loc="upper right", fontsize=7, ncol=len(handles), frameon=False,
                  bbox_to_anchor=(1.0, 1.08))
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    return _done(fig, path)
