"""Lesson 7 — Training a Transformer text classifier, the whole pipeline in one script.

Everything the earlier lessons built comes together here:

    text ──WordPiece──▶ token ids ──DataLoader──▶ padded batches ──Transformer──▶ logits ──cross-entropy──▶ loss
                                                                      ▲                                    │
                                                                      └──────── AdamW step ◀── backward ◀──┘

The data is the shipped sentiment corpus (data/README.md): sentences whose label hangs on word order —
"not good", "never boring", "the plot was dull but the acting was superb". A bag-of-words logistic regression
reaches only about 70% on its test split (tests/test_corpus_baseline.py): counting words is not enough, the
model has to read. We train a small Transformer for about a minute and look at what it learned.

`python -m minitransformer train --dataset shipped` does the same from the command line; this script shows every
stage. (With no --dataset, `train` learns real movie-review sentences instead: see the README.)

Run:  python lessons/07_train_classifier.py       (about a minute on 2 CPU cores; MT_LESSON_QUICK=1: seconds)
"""
import inspect
import os
import pathlib
import textwrap
import time

import numpy as np

import minitransformer as mt
from minitransformer import plots
from minitransformer.data import DataLoader, load_dataset
from minitransformer.metrics import format_confusion_matrix
from minitransformer.models import TransformerClassifier
from minitransformer.tokenizer import WordPieceTokenizer
from minitransformer.training import evaluate, fit, train_step

QUICK = os.environ.get("MT_LESSON_QUICK") == "1"   # the test suite sets this: less data, fewer epochs, a
# smaller model: 500 steps, enough to be clearly better than chance
ROOT = pathlib.Path(__file__).resolve().parents[1]
FIGURES = ROOT / "lessons" / "figures"
FIGURES.mkdir(parents=True, exist_ok=True)
started = time.perf_counter()
mt.manual_seed(0)

# ---------------------------------------------------------------- 1. the data
# Three TSV files (sentence <tab> label), installed with the package (data/README.md says how they are made).
# The label names become ids in sorted order: negative 0, positive 1.
corpus = load_dataset("shipped")                # {"train", "validation", "test"}, as Hugging Face's load_dataset
train, validation, test = corpus["train"], corpus["validation"], corpus["test"]
if QUICK:
    train, validation = train[:4000], validation[:200]  # all 1000 test sentences: a steadier accuracy
print(f"1. data: {len(train)} training sentences, {len(validation)} validation, {len(test)} test; "
      f"labels {train.label_names}")
for text, label in [train[i] for i in range(3)]:
    print(f"   {train.label_names[label]:>8}  {text}")

# ---------------------------------------------------------------- 2. the tokenizer
# A WordPiece vocabulary learned from the training sentences only (lesson 5). 2000 pieces cover the common
# words whole and spell rare words and misspellings from pieces: "mker" is not a word, but it still gets ids.
tokenizer = WordPieceTokenizer.train(train.texts, vocab_size=500 if QUICK else 2000, show_progress=False)
example = "The coffee mker was not impressive."
print(f"\n2. tokenizer: {tokenizer.vocab_size} WordPiece tokens; {example!r} ->")
print("   ", tokenizer.convert_ids_to_tokens(tokenizer.encode(example)))

# ---------------------------------------------------------------- 3. batches
# The DataLoader shuffles (seeded per epoch), tokenizes each batch and pads it to its longest sentence;
# attention_mask is 1 on real tokens and 0 on padding, so attention never looks at [PAD].
# bucket_by_length groups sentences of similar length: less padding, less wasted computation.
MAX_LENGTH = 64
train_loader = DataLoader(train, tokenizer, batch_size=32, shuffle=True, seed=0, max_length=MAX_LENGTH,
                          bucket_by_length=True)
val_loader = DataLoader(validation, tokenizer, batch_size=256, max_length=MAX_LENGTH)
test_loader = DataLoader(test, tokenizer, batch_size=256, max_length=MAX_LENGTH)
batch = next(iter(DataLoader(train, tokenizer, batch_size=4, max_length=MAX_LENGTH)))
print(f"\n3. one batch: input_ids {batch['input_ids'].shape}, attention_mask {batch['attention_mask'].shape}, "
      f"labels {batch['labels']}")
print("   attention_mask of the first row:", batch["attention_mask"][0])

# ---------------------------------------------------------------- 4. the model
# Token embeddings × sqrt(d) + sinusoidal positions → 2 post-LN encoder layers → the mean of the token vectors
# (padding left out) → a linear layer with one logit per class. Small on purpose: it trains on a laptop CPU in
# a minute. (pooling="cls" would classify from the [CLS] vector alone, as BERT does; on this corpus the mean
# learns in fewer epochs, because every token's vector gets a gradient from the start.)
model = TransformerClassifier(tokenizer.vocab_size, num_classes=len(train.label_names), d_model=32 if QUICK else 64,
                              num_heads=4, num_layers=2, d_ff=128 if QUICK else 256, max_len=MAX_LENGTH,
                              dropout=0.1, pad_id=tokenizer.pad_token_id, pooling="mean")
print(f"\n4. model: {sum(p.size for p in model.parameters()):,} parameters")

# ---------------------------------------------------------------- 5. the loop
# fit() is the plain loop: for each epoch, for each batch, train_step(); then evaluate on the validation set.
# train_step is the heart of it, a dozen lines (classroom task t4.3 asks you to write them):
source = inspect.getsource(train_step)
body = source[source.index("\n", source.index("# BEGIN SOLUTION")) + 1:source.index("# END SOLUTION")]
print("\n5. one training step (minitransformer/training.py):")
print(textwrap.indent(textwrap.dedent(body).rstrip(), "   "))
# AdamW with no decay on biases and LayerNorm weights; the lr warms up linearly over the first 10% of the
# steps (big updates on random weights are what make Transformers diverge) and then decays linearly to 0.
EPOCHS = 4 if QUICK else 12
history = fit(model, train_loader, val_loader, epochs=EPOCHS, lr=3e-3 if QUICK else 1e-3, progress=not QUICK,
              log_every=None)
print(f"   {EPOCHS} epochs in {history['wall_time']:.0f} s; training loss {history['train_loss'][0]:.3f} → "
      f"{history['train_loss'][-1]:.3f}")
plots.plot_loss_curves(history, FIGURES / "07_loss.png")
plots.plot_accuracy_curves(history, FIGURES / "07_accuracy.png")

# ---------------------------------------------------------------- 6. evaluation
# Accuracy alone can hide a model that ignores a class; macro-F1 averages the F1 of each class, and the
# confusion matrix shows which way the mistakes go.
result = evaluate(model, test_loader)
print(f"\n6. test accuracy {result['accuracy']:.3f}, macro-F1 {result['macro_f1']:.3f} "
      "(bag-of-words logistic regression: about 0.70)")
print("   " + format_confusion_matrix(result["confusion_matrix"], train.label_names).replace("\n", "\n   "))
plots.plot_confusion_matrix(result["confusion_matrix"], train.label_names, FIGURES / "07_confusion_matrix.png")

# ---------------------------------------------------------------- 7. attention on a sentence with a negation
# Each row of the map is one token's query: how much it reads every other token. The sentence vector is the
# mean of the rows' outputs, so what matters is whether the sentiment word has read its negation: look at the
# row of "good" and at how much of its attention goes to "not".
sentence = "The plot was not good."
tokens, weights = plots.sentence_attention(model, tokenizer, sentence, layer=-1)
plots.plot_attention(weights, tokens, head="all", path=FIGURES / "07_attention.png",
                     title=f"last layer, each head: {sentence}")
query = tokens.index("good") if "good" in tokens else len(tokens) - 3   # "good" may be split by a small vocabulary
row = weights.mean(axis=0)[query]                      # (T,) what that token reads, averaged over the heads
order = np.argsort(-row)[:3]
print(f"\n7. attention of {tokens[query]!r} in the last layer for {sentence!r} (mean over heads): "
      + ", ".join(f"{tokens[i]} {row[i]:.2f}" for i in order))

# ---------------------------------------------------------------- 8. predictions on new sentences
# Same words, different order, different meaning: the test of whether the model reads.
print("\n8. predictions:")
probe = ["The plot was good.", "The plot was not good.", "The acting was never boring.",
         "The plot was dull, but the acting was superb.", "The acting was superb, but the plot was dull."]
enc = tokenizer(probe, padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="np")
model.eval()
with mt.no_grad():
    logits = model(enc["input_ids"], attention_mask=enc["attention_mask"]).logits.numpy()
probs = np.exp(logits - logits.max(axis=1, keepdims=True))
probs /= probs.sum(axis=1, keepdims=True)              # softmax: logits → probabilities
for text, p in zip(probe, probs):
    print(f"   {train.label_names[int(p.argmax())]:>8} {p.max():.2f}  {text}")

print(f"\nfigures in {FIGURES.relative_to(ROOT)}/07_*.png; {time.perf_counter() - started:.0f} s in all.")
print("Notice: the loss falls fastest once warmup ends; 'not' and 'but' change the prediction although the")
print("other words are the same — exactly what a bag of words cannot do.")
