"""Lesson 2 — attention, by hand.

A Transformer reads a sentence by letting every word ask every other word "are you relevant to me?". The
question is a query vector q, each word's answer-key is a key vector k, and what a word hands over when it is
found relevant is its value vector v. One query against all keys gives scores q·k; a softmax turns the scores
into weights that sum to 1; the output is the weighted average of the values:

    attention(Q, K, V) = softmax(Q Kᵀ / sqrt(d)) V

We build it on a six-word toy sentence with 4-dimensional embeddings small enough to read, check the
library's fused F.scaled_dot_product_attention against our hand computation, and then see what the two masks
do: the padding mask hides [PAD] keys, the causal mask hides the future.

Run:  python lessons/02_attention.py          (figures go to lessons/figures/)
"""
import os
import pathlib

import matplotlib

matplotlib.use("Agg")  # no window: we only save PNGs
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minitransformer as mt  # noqa: E402
import minitransformer.functional as F  # noqa: E402

QUICK = os.environ.get("MT_LESSON_QUICK") == "1"  # the test suite sets this; the lesson is fast anyway
FIGURES = pathlib.Path(__file__).resolve().parent / "figures"
FIGURES.mkdir(parents=True, exist_ok=True)
np.set_printoptions(precision=2, suppress=True)

# ---------------------------------------------------------------- 1. a toy sentence
# Six tokens, the last two padding (real batches are padded to the longest sentence).
tokens = ["the", "cat", "sat", "down", "[PAD]", "[PAD]"]
# Hand-made 4-d embeddings. Dimension 0 ~ "is a noun", 1 ~ "is a verb", 2 ~ "is a function word", 3 ~ bias.
X = np.array([
    [0.0, 0.0, 1.0, 0.2],   # the
    [1.0, 0.0, 0.0, 0.2],   # cat
    [0.0, 1.0, 0.0, 0.2],   # sat
    [0.0, 0.6, 0.6, 0.2],   # down
    [0.0, 0.0, 0.0, 0.0],   # [PAD]
    [0.0, 0.0, 0.0, 0.0],   # [PAD]
])  # (T, d) = (6, 4)

# ---------------------------------------------------------------- 2. queries, keys, values by hand
# In a trained model W_q, W_k, W_v are learned. Here we choose them so the story is visible:
# a verb's query looks for nouns (its subject), a noun's query looks for verbs, function words look for nouns.
W_q = np.array([[0, 3, 0, 0], [3, 0, 0, 0], [3, 0, 0, 0], [0, 0, 0, 0]], dtype=float)  # row i: from feature i
W_k = np.eye(4)  # keys are the features themselves
W_v = np.eye(4)  # values too: the output is then a blend of the attended words' features
Q, K, V = X @ W_q, X @ W_k, X @ W_v  # (6, 4) each
d = Q.shape[-1]

scores = Q @ K.T / np.sqrt(d)  # (6, 6): row i = how much word i wants each word j
weights = np.exp(scores - scores.max(-1, keepdims=True))
weights /= weights.sum(-1, keepdims=True)  # softmax per row: each row sums to 1
out = weights @ V  # (6, 4): each word becomes a weighted average of values
print("Scores Q Kᵀ / sqrt(d), one row per query word:")
print(scores)
print("\nWeights (softmax of each row) — notice 'sat' puts most weight on 'cat', its subject:")
print(weights)
print("Rows sum to", weights.sum(-1))

# ---------------------------------------------------------------- 3. the library agrees
lib_out, lib_weights = F.scaled_dot_product_attention(mt.tensor(Q, dtype="float64"), mt.tensor(K, dtype="float64"),
                                                      mt.tensor(V, dtype="float64"))
assert np.allclose(lib_out.numpy(), out) and np.allclose(lib_weights.numpy(), weights)
print("\nF.scaled_dot_product_attention gives the same output and weights (max difference "
      f"{np.abs(lib_out.numpy() - out).max():.1e}).")


def heatmap(ax, w, title):
    ax.imshow(w, cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(len(tokens)), tokens, rotation=45)
    ax.set_yticks(range(len(tokens)), tokens)
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query (attending)")
    ax.set_title(title)
    for i in range(w.shape[0]):
        for j in range(w.shape[1]):
            ax.text(j, i, f"{w[i, j]:.2f}", ha="center", va="center", color="white" if w[i, j] < 0.5 else "black",
                    fontsize=7)


fig, ax = plt.subplots(figsize=(5, 4.5))
heatmap(ax, weights, "attention weights, no mask")
fig.tight_layout()
fig.savefig(FIGURES / "02_attention_weights.png", dpi=100)
plt.close(fig)

# ---------------------------------------------------------------- 4. the padding mask
# The [PAD] rows are zeros, so their score is 0 — not small enough to be ignored: without a mask every word
# hands some weight to padding (look at the last two columns above). The padding mask is a boolean KEEP-mask,
# True for real tokens; masked scores become the most negative float, so their weight is exactly 0.
attention_mask = np.array([[1, 1, 1, 1, 0, 0]])  # (B, T) as a tokenizer returns it
keep = F.padding_mask(attention_mask)  # (B, 1, 1, T): broadcasts over heads and queries
_, padded = F.scaled_dot_product_attention(mt.tensor(Q[None, None]), mt.tensor(K[None, None]),
                                           mt.tensor(V[None, None]), mask=keep)
padded = padded.numpy()[0, 0]
print("\nWith the padding mask the [PAD] columns get weight", padded[:, 4:].max(), "and rows still sum to 1.")

# ---------------------------------------------------------------- 5. the causal mask
# A language model that predicts the next word must not peek at it: word i may look at words 0..i only.
# Combine both masks with a logical AND (keep a key only if both allow it).
both = F.causal_mask(6).numpy() & keep.numpy()  # (1, 1, 6, 6)
_, causal = F.scaled_dot_product_attention(mt.tensor(Q[None, None]), mt.tensor(K[None, None]),
                                           mt.tensor(V[None, None]), mask=both)
causal = causal.numpy()[0, 0]
print("With the causal mask the upper triangle is", np.triu(causal, 1).max(), "- 'the' can only attend to itself:",
      causal[0])
print("The [PAD] rows are queries too: they still attend to the real words (their outputs are simply never read).\n"
      "A row whose keys are ALL masked gets uniform weights — finite, never NaN — for the same reason harmless.")

fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
heatmap(axes[0], padded, "padding mask: [PAD] keys hidden")
heatmap(axes[1], causal, "padding + causal mask: no future")
fig.tight_layout()
fig.savefig(FIGURES / "02_attention_masks.png", dpi=100)
plt.close(fig)
print(f"\nSaved {FIGURES / '02_attention_weights.png'} and {FIGURES / '02_attention_masks.png'}.")
print("What to notice: weights are a probability distribution per query; masks change WHO can be attended to,\n"
      "not how the arithmetic works; the output of each word is a blend of the value vectors it attends to.")
