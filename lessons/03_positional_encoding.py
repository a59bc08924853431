"""Lesson 3 — where am I? Sinusoidal positional encoding.

Attention compares every word with every word, and nothing in that comparison knows which word came first:
shuffle the sentence and each word's output is shuffled along with it, unchanged. "not good" and "good not" look
the same. The fix of "Attention Is All You Need" is to add to each token's embedding a vector that depends only
on its position:

    PE(pos, 2i)   = sin(pos / 10000^(2i/d))
    PE(pos, 2i+1) = cos(pos / 10000^(2i/d))

Each pair of columns (2i, 2i+1) is a point going round a circle, at a speed that falls geometrically from one
radian per position (i = 0) to almost nothing (the last pair). We look at the table as an image, at what its dot
products say about distance, and at why the paper pairs a sine with a cosine: moving k positions is a rotation,
the same rotation wherever you start, so "the word two to my left" is a linear map a layer can learn.

Run:  python lessons/03_positional_encoding.py          (figures go to lessons/figures/)
"""
import os
import pathlib

import matplotlib

matplotlib.use("Agg")  # no window: we only save PNGs
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minitransformer as mt  # noqa: E402
from minitransformer import nn  # noqa: E402

QUICK = os.environ.get("MT_LESSON_QUICK") == "1"  # the test suite sets this; the lesson is fast anyway
FIGURES = pathlib.Path(__file__).resolve().parent / "figures"
FIGURES.mkdir(parents=True, exist_ok=True)
np.set_printoptions(precision=3, suppress=True)
mt.manual_seed(0)

# ---------------------------------------------------------------- 1. attention alone cannot see order
# A multi-head attention layer on five random "word vectors", then on the same five in reverse order.
attention = nn.MultiHeadAttention(d_model=16, num_heads=4).eval()
x = mt.randn(1, 5, 16)
reverse = x[:, ::-1]
out, out_reversed = attention(x).numpy(), attention(reverse).numpy()
gap = np.abs(out[:, ::-1] - out_reversed).max()
print("1. Attention is blind to order")
print(f"   output of the reversed sentence, reversed back, differs from the original output by {gap:.1e}")
print("   -> notice: the same words in another order get exactly the same vectors (up to rounding).\n")

# ---------------------------------------------------------------- 2. the table, as an image
max_len, d = 128, 64
pe = nn.sinusoid_table(max_len, d, dtype="float64")  # (positions, features)
print("2. The table PE has one row per position and one column per feature:", pe.shape)
print(f"   PE[1, 0] = {pe[1, 0]:.6f}  (sin 1 = {np.sin(1):.6f});  PE[1, 1] = {pe[1, 1]:.6f}  (cos 1 = {np.cos(1):.6f})")
print(f"   row 0 is (0, 1, 0, 1, ...): {pe[0, :6]}")
wavelengths = 2 * np.pi * 10000 ** (np.arange(0, d, 2) / d)
print(f"   wavelengths run from {wavelengths[0]:.1f} positions (columns 0/1) to {wavelengths[-1]:.0f} "
      f"(the last pair)\n   -> notice: the left columns flicker, the right ones barely move: a binary-counter-like "
      "code, smooth instead of 0/1.\n")

fig, ax = plt.subplots(figsize=(8, 4.5))
image = ax.imshow(pe, aspect="auto", cmap="RdBu", vmin=-1, vmax=1)
ax.set_xlabel("feature (even = sin, odd = cos)")
ax.set_ylabel("position")
ax.set_title(f"Sinusoidal positional encoding, d = {d}")
fig.colorbar(image, ax=ax)
fig.tight_layout()
fig.savefig(FIGURES / "03_positional_encoding.png", dpi=100)
plt.close(fig)

# ---------------------------------------------------------------- 3. dot products versus distance
# PE[p]·PE[q] = sum_i sin(w_i p) sin(w_i q) + cos(w_i p) cos(w_i q) = sum_i cos(w_i (p - q)):
# it depends on the distance p - q only, not on where the two positions are.
distances = np.arange(0, 64)
dots_from_10 = np.array([pe[10] @ pe[10 + k] for k in distances])
dots_from_50 = np.array([pe[50] @ pe[50 + k] for k in distances])
closed_form = np.array([np.cos(k / 10000 ** (np.arange(0, d, 2) / d)).sum() for k in distances])
print("3. Dot products depend on distance only")
print(f"   PE[10]·PE[10+k] vs PE[50]·PE[50+k], largest difference over k < 64: "
      f"{np.abs(dots_from_10 - dots_from_50).max():.1e}")
print(f"   and both equal sum_i cos(w_i k) to {np.abs(dots_from_10 - closed_form).max():.1e}")
print(f"   k = 0: {dots_from_10[0]:.1f} (= d/2),  k = 1: {dots_from_10[1]:.1f},  k = 10: {dots_from_10[10]:.1f},  "
      f"k = 60: {dots_from_10[60]:.1f}")
print("   -> notice: the similarity falls as positions move apart, the same way from every starting point.\n")

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(distances, dots_from_10, label="PE[10] · PE[10 + k]", linewidth=3, alpha=0.6)
ax.plot(distances, dots_from_50, "--", label="PE[50] · PE[50 + k]")
ax.set_xlabel("distance k")
ax.set_ylabel("dot product")
ax.set_title("Similarity of two positions depends on their distance only")
ax.legend()
fig.tight_layout()
fig.savefig(FIGURES / "03_pe_dot_products.png", dpi=100)
plt.close(fig)

# ---------------------------------------------------------------- 4. why sine AND cosine: a shift is a rotation
# For one frequency w, the pair (sin w p, cos w p) moved k positions on is
#     (sin w(p+k), cos w(p+k)) = (sin wp, cos wp) @ [[cos wk, -sin wk], [sin wk, cos wk]]
# a rotation by the angle w k, whatever p is. Stack one 2x2 block per frequency into M_k: PE[p + k] = PE[p] M_k.
k = 3
frequencies = 1 / 10000 ** (np.arange(0, d, 2) / d)
M = np.zeros((d, d))
for i, w in enumerate(frequencies):
    c, s = np.cos(w * k), np.sin(w * k)
    M[2 * i:2 * i + 2, 2 * i:2 * i + 2] = [[c, -s], [s, c]]
shifted = pe[:-k] @ M  # every position moved k on by the same matrix
print(f"4. A shift by k = {k} is one fixed linear map M_k (block-diagonal rotations)")
print(f"   max |PE[p] M_k - PE[p + k]| over all p: {np.abs(shifted - pe[k:]).max():.1e}")
orthogonality = np.abs(M @ M.T - np.eye(d)).max()
print(f"   M_k is orthogonal (|M_k Mᵀ_k - I| = {orthogonality:.1e}): it keeps lengths, only turns")
with_sine_only = pe[:, 0::2]  # drop the cosines: is "shift by k" still linear?
fit, *_ = np.linalg.lstsq(with_sine_only[:-k], with_sine_only[k:], rcond=None)
residual = np.abs(with_sine_only[:-k] @ fit - with_sine_only[k:]).max()
print(f"   with sines alone the best linear map misses by {residual:.2f}: sin(w(p+k)) needs cos(wp) as well")
print("   -> notice: with both, attending 'k words back' is something a query/key projection can represent.\n")

# ---------------------------------------------------------------- 5. in the model
model = mt.models.TransformerClassifier(vocab_size=1000, num_classes=2, d_model=d, max_len=max_len)
tokens = model.embedding.weight.numpy()[1:] * np.sqrt(d)  # what the model adds PE to
print("5. In TransformerClassifier: x = E[ids] * sqrt(d) + PE[:T]")
print(f"   token part std {tokens.std():.2f}, position part std {pe.std():.2f}")
print("   -> notice: comparable scales, so neither the word nor its position drowns the other out.")
print(f"   the table is a buffer of the model ({model.positional.pe.shape}), not a parameter: "
      f"{'positional.pe' in dict(model.named_parameters())} in named_parameters")
print(f"\nFigures: {FIGURES / '03_positional_encoding.png'}, {FIGURES / '03_pe_dot_products.png'}")
