"""Lesson 4 — one Transformer block, shape by shape.

An encoder block does two things to a (batch, tokens, features) array and keeps its shape:
    1. attention: every token gathers information from the others (the only place tokens talk),
    2. feed-forward: every token is transformed on its own by the same small MLP.
Each sub-layer is wrapped in a residual connection (add the input back) and a LayerNorm. The original
Transformer and BERT normalise after the sum (post-LN):   x = LN(x + sublayer(x)).
GPT-2 and most recent models normalise the sub-layer's input (pre-LN):   x = x + sublayer(LN(x)).

We walk a tiny batch through mt.nn.TransformerEncoderLayer step by step, printing every shape, check that our
walk reproduces the layer's own output, watch what the residual path does to activations in a deep stack under
each convention, and count where the parameters live.

Run:  python lessons/04_transformer_block.py          (figures go to lessons/figures/)
"""
import os
import pathlib

import matplotlib

matplotlib.use("Agg")  # no window: we only save PNGs
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minitransformer as mt  # noqa: E402
import minitransformer.functional as F  # noqa: E402
from minitransformer import nn  # noqa: E402

QUICK = os.environ.get("MT_LESSON_QUICK") == "1"  # the test suite sets this: a shallower stack in section 3
FIGURES = pathlib.Path(__file__).resolve().parent / "figures"
FIGURES.mkdir(parents=True, exist_ok=True)
np.set_printoptions(precision=3, suppress=True)
mt.manual_seed(0)


def show(step, tensor, note):
    print(f"   {step:<38s} {str(tensor.shape):<16s} {note}")


# ---------------------------------------------------------------- 1. shapes through one block
B, T, D, H, D_FF = 2, 6, 16, 4, 64
ids = np.array([[5, 9, 3, 7, 0, 0],  # a 4-token sentence padded with two 0s
                [4, 4, 8, 2, 6, 1]])
embedding = nn.Embedding(20, D, padding_idx=0)
positions = nn.SinusoidalPositionalEncoding(D, max_len=T)
layer = nn.TransformerEncoderLayer(D, H, D_FF, dropout=0.0).eval()
attn = layer.attention

print(f"1. One post-LN block, B={B} sentences, T={T} tokens, D={D} features, H={H} heads, d_ff={D_FF}")
x = positions(embedding(ids) * np.sqrt(D))
show("x = E[ids] * sqrt(D) + PE", x, "(B, T, D): one vector per token")
mask = F.padding_mask(ids != 0)
show("mask = padding_mask(ids != 0)", mask, "(B, 1, 1, T): broadcasts over heads and queries")
q, k, v = attn.query(x), attn.key(x), attn.value(x)
show("q = x Wqᵀ + bq   (same for k, v)", q, "(B, T, D)")
q, k, v = attn.split_heads(q), attn.split_heads(k), attn.split_heads(v)
show("split_heads(q)", q, f"(B, H, T, d_head): D = H x d_head = {H} x {D // H}")
scores = q @ k.transpose(-1, -2) / np.sqrt(D // H)
show("scores = q kᵀ / sqrt(d_head)", scores, "(B, H, T, T): every query against every key, per head")
context, weights = F.scaled_dot_product_attention(q, k, v, mask=mask)
show("weights = softmax(masked scores)", weights, "(B, H, T, T): rows sum to 1, padded keys get 0")
show("context = weights v", context, "(B, H, T, d_head)")
merged = attn.merge_heads(context)
show("merge_heads(context)", merged, "(B, T, D): heads side by side again")
attended = attn.out(merged)
show("attended = merged Woᵀ + bo", attended, "(B, T, D)")
h = layer.norm1(x + attended)
show("h = LN1(x + attended)", h, "(B, T, D): residual, then normalise (post-LN)")
inner = layer.feed_forward.activation(layer.feed_forward.linear1(h))
show("inner = GELU(h W1ᵀ + b1)", inner, f"(B, T, d_ff): {D_FF // D}x wider, per token")
y = layer.norm2(h + layer.feed_forward.linear2(inner))
show("y = LN2(h + inner W2ᵀ + b2)", y, "(B, T, D): the block's output, same shape as its input")
same = np.abs(y.numpy() - layer(x, mask).numpy()).max()
print(f"   our walk vs layer(x, mask): max difference {same:.1e}")
print(f"   padded keys' weights: {weights.numpy()[0, :, :, 4:].max():.1f};  each row sums to "
      f"{weights.numpy().sum(-1).min():.4f}..{weights.numpy().sum(-1).max():.4f}")
print("   -> notice: the block maps (B, T, D) to (B, T, D), so blocks stack; tokens only mix in `weights v`.\n")

# ---------------------------------------------------------------- 2. what LayerNorm guarantees
out = y.numpy()
print("2. After a post-LN block every token vector is standardised (LN weight 1, bias 0 at init):")
print(f"   mean over features: {np.abs(out.mean(-1)).max():.1e} (max |.|),  variance: "
      f"{out.var(-1).min():.3f}..{out.var(-1).max():.3f}")
print("   (biased variance, eps = 1e-5 inside the square root, as PyTorch and BERT)\n")

# ---------------------------------------------------------------- 3. residual paths in a deep stack
depth = 12 if QUICK else 24
x0 = mt.randn(8, 16, D)
curves = {}
for norm_first in (False, True):
    mt.manual_seed(1)
    stack = [nn.TransformerEncoderLayer(D, H, D_FF, dropout=0.0, norm_first=norm_first).eval() for _ in range(depth)]
    h, stds = x0, [float(x0.numpy().std())]
    with mt.no_grad():
        for block in stack:
            h = block(h)
            stds.append(float(h.numpy().std()))
    curves["pre-LN" if norm_first else "post-LN"] = stds
print(f"3. Activation scale (std) through {depth} stacked blocks, input std {curves['post-LN'][0]:.2f}:")
print(f"   post-LN: {curves['post-LN'][1]:.2f} after block 1, {curves['post-LN'][-1]:.2f} after block {depth}")
print(f"   pre-LN:  {curves['pre-LN'][1]:.2f} after block 1, {curves['pre-LN'][-1]:.2f} after block {depth}")
print("   -> notice: post-LN resets the scale to 1 after every block; pre-LN adds each block's output onto an")
print("      untouched residual stream that keeps growing, which is why pre-LN stacks end with a final LayerNorm")
print("      (TransformerEncoder(norm=LayerNorm(D))); that identity path also carries gradients straight down.\n")

fig, ax = plt.subplots(figsize=(6.5, 3.5))
for name, stds in curves.items():
    ax.plot(range(depth + 1), stds, marker="o", label=name)
ax.set_xlabel("blocks applied")
ax.set_ylabel("activation std")
ax.set_title("Residual stream scale: post-LN vs pre-LN")
ax.legend()
fig.tight_layout()
fig.savefig(FIGURES / "04_residual_scale.png", dpi=100)
plt.close(fig)

# ---------------------------------------------------------------- 4. where the parameters are
print("4. Parameter counts")
attention_params = 4 * (D * D + D)  # four D x D projections with biases
ff_params = D * D_FF + D_FF + D_FF * D + D
norm_params = 2 * 2 * D
print(f"   attention  4 (D² + D)            = {attention_params:6,d}   (module says {attn.num_parameters():,})")
print(f"   feed-fwd   2 D d_ff + d_ff + D   = {ff_params:6,d}   (module says "
      f"{layer.feed_forward.num_parameters():,})")
print(f"   two LNs    2 x 2D               = {norm_params:6,d}")
print(f"   one block                        = {attention_params + ff_params + norm_params:6,d}   (module says "
      f"{layer.num_parameters():,})")
model = mt.models.TransformerClassifier(vocab_size=4000, num_classes=2)  # the "lesson" configuration
parts = {name: child.num_parameters() for name, child in model.named_children()}
total = model.num_parameters()
print(f"\n   TransformerClassifier(vocab 4000, d 128, 4 heads, 2 layers, d_ff 512): {total:,} parameters")
for name, count in parts.items():
    if count:
        print(f"     {name:<10s} {count:9,d}  {100 * count / total:5.1f}%")
print("   -> notice: for a small model the embedding table dominates; the encoder's cost grows as 12 D² per layer")
print("      (4 D² attention + 8 D² feed-forward with d_ff = 4D), and the head is tiny.")

fig, ax = plt.subplots(figsize=(6, 3))
shown = {name: count for name, count in parts.items() if count}
ax.barh(list(shown), list(shown.values()))
ax.set_xlabel("parameters")
ax.set_title("Where the parameters of the lesson classifier are")
fig.tight_layout()
fig.savefig(FIGURES / "04_parameter_counts.png", dpi=100)
plt.close(fig)
print(f"\nFigures: {FIGURES / '04_residual_scale.png'}, {FIGURES / '04_parameter_counts.png'}")
