"""Lesson 9 — Masked language modelling: pretraining a tiny BERT on unlabeled sentences, then fine-tuning it.

Labels are expensive, text is cheap. BERT's idea (Devlin et al., 2018): first teach a Transformer the language
from raw text with a task that needs no labels, then fine-tune it on the small labelled task. The task is a
cloze test. Take a sentence, choose 15% of its tokens, and hide them:

    80% of the chosen tokens become [MASK]     the battery was [MASK] , but the screen ...
    10% become a random token                   the battery was pizza , but the screen ...
    10% stay as they are                        the battery was awful , but the screen ...

The model must predict the original token at every chosen position (loss = cross-entropy there, nowhere else).
Why not always [MASK]? [MASK] never occurs at fine-tuning time; the random and unchanged 20% force the model to
keep a good representation of every token, since it cannot know which ones it will be asked about.

The decoder that turns hidden vectors into vocabulary scores reuses the word-embedding matrix E (tied weights):
logits = LN(gelu(h W)) Eᵀ + b. A word's input vector and output vector are the same vector.

We pretrain on the shipped corpus's training sentences (labels never read), look at what the model fills in,
then fine-tune it on the labels and compare with the same model trained from scratch for the same number of
steps. Run:  python lessons/09_masked_lm.py   (about a minute on a laptop CPU; MT_LESSON_QUICK=1: seconds)
"""
import os
import pathlib
import warnings

import matplotlib

matplotlib.use("Agg")  # no window: we only save PNGs
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minitransformer as mt  # noqa: E402
from minitransformer.data import DataLoader, load_dataset  # noqa: E402
from minitransformer.models.bert import BertForSequenceClassification  # noqa: E402
from minitransformer.models.masking import mask_tokens  # noqa: E402
from minitransformer.pretraining import (MaskedLMLoader, fill_mask, fine_tune, new_masked_lm, pretrain,  # noqa: E402
                                         read_texts)
from minitransformer.tokenizer import WordPieceTokenizer  # noqa: E402

QUICK = os.environ.get("MT_LESSON_QUICK") == "1"  # the test suite sets this: tiny slices, same story
ROOT = pathlib.Path(__file__).resolve().parents[1]
FIGURES = ROOT / "lessons" / "figures"
FIGURES.mkdir(parents=True, exist_ok=True)
N_TEXTS, MLM_EPOCHS, N_LABELLED, FT_EPOCHS = (400, 1, 200, 1) if QUICK else (8000, 3, 2000, 3)
mt.manual_seed(0)

# ---------------------------------------------------------------- 1. unlabeled text and a vocabulary
texts = read_texts(ROOT / "data" / "train.tsv")[:N_TEXTS]  # the sentences only: the label column is not read
tokenizer = WordPieceTokenizer.train(texts, vocab_size=2000, show_progress=False)
print(f"{len(texts)} unlabeled sentences, a WordPiece vocabulary of {tokenizer.vocab_size} trained on them")

# ---------------------------------------------------------------- 2. the masking recipe on one sentence
sentence = texts[1]
enc = tokenizer([sentence], return_tensors="np")
ids = np.asarray(enc["input_ids"])
corrupted, labels = mask_tokens(ids, tokenizer.mask_token_id, tokenizer.vocab_size,
                                special_ids=tokenizer.all_special_ids, rng=1, mlm_probability=0.3)
print("\noriginal :", " ".join(tokenizer.convert_ids_to_tokens(ids[0].tolist())))
print("corrupted:", " ".join(tokenizer.convert_ids_to_tokens(corrupted[0].tolist())))
print("targets  :", " ".join(t if y != -100 else "·" for t, y in
                             zip(tokenizer.convert_ids_to_tokens(ids[0].tolist()), labels[0])))
print("(30% here so a short sentence shows something; training uses 15%. [CLS]/[SEP] are never chosen.)")

# ---------------------------------------------------------------- 3. pretraining
held_out = read_texts(ROOT / "data" / "validation.tsv")[:N_TEXTS // 8]
model = new_masked_lm(tokenizer, hidden_size=64, num_layers=2, num_heads=4, max_length=64)
print(f"\npretraining a BERT with {sum(p.size for p in model.parameters()):,} parameters, {MLM_EPOCHS} epoch(s)")
history = pretrain(model, MaskedLMLoader(texts, tokenizer, batch_size=32), epochs=MLM_EPOCHS, lr=2e-3,
                   warmup_ratio=0.05, val_loader=MaskedLMLoader(held_out, tokenizer, shuffle=False, seed=1),
                   log_every=100)
print(f"A model that knew nothing would score log({tokenizer.vocab_size}) = {np.log(tokenizer.vocab_size):.2f}; "
      f"guessing the most frequent token gets a few percent right.")

# ---------------------------------------------------------------- 4. what does it fill in?
print("\nfill in the blanks (top 3 guesses with their probabilities):")
for probe in ["the battery was [MASK], but the screen was great.", "i would [MASK] recommend it to a friend.",
              "the food was not [MASK] at all."]:
    guesses = fill_mask(model, tokenizer, probe)[0]
    print(f"  {probe:50s} -> " + ", ".join(f"{tok} {p:.2f}" for tok, p in guesses))
print("What to look for: do the guesses fit the slot (an adjective after 'was', an adverb before 'recommend')? "
      "Whatever fits was learned with no label at all; in quick mode the model has barely started.")
directory = ROOT / "runs" / "lesson09_mlm"
model.save_pretrained(directory)
tokenizer.save(directory)

# ---------------------------------------------------------------- 5. fine-tune: pretrained vs from scratch
train = load_dataset(ROOT / "data" / "train.tsv")[:N_LABELLED]
val = load_dataset(ROOT / "data" / "validation.tsv")[:N_TEXTS // 4]
val_loader = DataLoader(val, tokenizer, batch_size=64, max_length=64)
results = {}
for name in ("pretrained", "from scratch"):
    mt.manual_seed(1)  # the same head init and the same batches for both
    if name == "pretrained":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the expected "classifier is newly initialized" warning
            clf = BertForSequenceClassification.from_pretrained(directory, id2label={0: "negative", 1: "positive"})
    else:
        config = model.config.from_dict(model.config.to_dict(), id2label={0: "negative", 1: "positive"})
        clf = BertForSequenceClassification(config)
    print(f"\nfine-tuning {name} on {len(train)} labelled sentences, {FT_EPOCHS} epoch(s):")
    loader = DataLoader(train, tokenizer, batch_size=32, shuffle=True, seed=0, max_length=64)
    results[name] = fine_tune(clf, loader, val_loader, epochs=FT_EPOCHS, lr=1e-3)["val_accuracy"]

print("\nvalidation accuracy after each epoch:")
for name, accs in results.items():
    print(f"  {name:13s} " + "  ".join(f"{a:.1%}" for a in accs))
print("What to notice: masked-LM trains every output position except [CLS], so [CLS] - the vector the classifier "
      "reads through the pooler - starts untrained. BERT added next-sentence prediction partly to train it. At this "
      "tiny scale that can cancel the benefit: compare the curves, and try more pretraining epochs.")

fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
a.plot(history["step"], history["loss"], lw=0.6, alpha=0.5, label="training batches")
if history["val_loss"]:
    steps_per_epoch = len(history["step"]) // max(len(history["val_loss"]), 1)
    a.plot([e * steps_per_epoch for e in history["epoch"]], history["val_loss"], "o-", label="held-out sentences")
a.set(title="masked-LM pretraining", xlabel="step", ylabel="cross-entropy on masked tokens")
a.legend()
for name, accs in results.items():
    b.plot(range(1, len(accs) + 1), accs, "o-", label=name)
b.set(title="fine-tuning, same budget", xlabel="epoch", ylabel="validation accuracy")
b.legend()
fig.tight_layout()
fig.savefig(FIGURES / "09_masked_lm.png", dpi=120)
print(f"\nsaved {FIGURES / '09_masked_lm.png'}")
