"""Lesson 10 — Token classification: a tag for every word (named-entity recognition).

A sentence classifier reads a sentence and says one thing about it. A tagger says one thing about *every word*:

    Jordan   Smith   flew  to  Jordan  on  3       May     2021    .
    B-PER    I-PER   O     O   B-LOC   O   B-DATE  I-DATE  I-DATE  O

The tags follow the BIO scheme (IOB2): B-X begins an entity of type X, I-X continues it, O is outside any entity.
Read back, the tags give entities: (PER "Jordan Smith"), (LOC "Jordan"), (DATE "3 May 2021"). The same network as
lesson 7 does it with one change: the linear head is applied to every token's vector instead of a pooled one, so
the logits are (batch, tokens, tags) and the loss is a cross-entropy per token.

Two things make it more than that, and they are this lesson:
  * the model reads WordPiece pieces, the tags belong to words: which piece carries a word's tag, and what do the
    other pieces get? (-100, "no label here")
  * the score that matters counts entities, not tags: a tagger that finds "Bank of" in "Bank of England" has two
    of three tags right and the entity wrong. Entity F1 and token accuracy differ, and we see by how much.

The data is the shipped generated NER corpus (minitransformer/data/shipped/ner/, written by data/ner_corpus.py):
news-style sentences with people, organisations, places and dates, and hard cases on purpose: "Jordan" and
"Georgia" as people and as places, "May" as a name and a month, lower-cased mentions, names never seen in training.

What to expect (seed 0): validation entity F1 0.68 after the first epoch, 0.91 after the eighth; on the test split
entity F1 0.924 (PER 0.851, ORG 0.951, LOC 0.973, DATE 0.935) at token accuracy 0.976. The whole script used 21 s of
CPU with one thread (MT_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1), so about half a minute on an idle laptop core.

Run:  python lessons/10_token_classification.py     (about a minute on 2 CPU cores; MT_LESSON_QUICK=1: seconds)
"""
import os
import pathlib
import time

import matplotlib

matplotlib.use("Agg")  # no window: we only save PNGs
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minitransformer as mt  # noqa: E402
import minitransformer.functional as F  # noqa: E402
from minitransformer import entity_metrics  # noqa: E402
from minitransformer.data import TaggedDataLoader  # noqa: E402
from minitransformer.data.ner_corpus import load_shipped  # noqa: E402
from minitransformer.data.tag_loader import encode_words  # noqa: E402
from minitransformer.data.tagging import align_labels  # noqa: E402
from minitransformer.entity_plots import plot_entity_spans  # noqa: E402
from minitransformer.models import TransformerTokenClassifier  # noqa: E402
from minitransformer.token_classification import evaluate_tagger, tag_texts  # noqa: E402
from minitransformer.tokenizer import WordPieceTokenizer  # noqa: E402
from minitransformer.training import fit  # noqa: E402

QUICK = os.environ.get("MT_LESSON_QUICK") == "1"  # the test suite sets this: a slice of the data, one epoch
ROOT = pathlib.Path(__file__).resolve().parents[1]
FIGURES = ROOT / "lessons" / "figures"
FIGURES.mkdir(parents=True, exist_ok=True)
started = time.perf_counter()
mt.manual_seed(0)

# %% 1. The data: one tag per word
# CoNLL files: one "word<TAB>tag" per line, a blank line between sentences. The tag set is read from the
# training split: O, then B-/I- per type. Validation and test are read with the same names, so the ids agree.
train = load_shipped("train")
validation = load_shipped("validation", label_names=train.label_names)
test = load_shipped("test", label_names=train.label_names)
if QUICK:
    train, validation, test = train[:600], validation[:100], test[:200]
print(f"1. data: {len(train)} training sentences, {len(validation)} validation, {len(test)} test; "
      f"{len(train.label_names)} tags {train.label_names}")
for words, tags in zip(train.words[:2], train.tags[:2]):
    print("   " + " ".join(f"{w}/{t}" if t != "O" else w for w, t in zip(words, tags)))

# %% 2. Tags on word pieces, and why -100
# The tokenizer is trained on the training sentences, and it keeps case (do_lower_case=False): a capital letter is
# a strong hint of a name, one that an uncased tokenizer would throw away. Words it does not know whole are spelled
# in pieces, so a sentence of 8 words may be 11 tokens, plus [CLS] and [SEP].
tokenizer = WordPieceTokenizer.train(train.texts, vocab_size=800 if QUICK else 2000, do_lower_case=False,
                                     show_progress=False)
words = ["Kowalski", "met", "Okonkwo", "in", "Rio", "de", "Janeiro", "."]
tags = ["B-PER", "O", "B-PER", "O", "B-LOC", "I-LOC", "I-LOC", "O"]
row = encode_words(tokenizer, [words])[0]
tag_ids = [train.label_names.index(t) for t in tags]
first_only = align_labels(row["word_ids"], tag_ids)
every_piece = align_labels(row["word_ids"], tag_ids, label_all_tokens=True, label_names=train.label_names)
print(f"\n2. {len(words)} words -> {len(row['input_ids'])} tokens; each token knows its word (word_ids):")
print(f"   {'token':>12} {'word':>5} {'label':>7} {'label_all_tokens':>17}")
for token_id, word, a, b in zip(row["input_ids"], row["word_ids"], first_only, every_piece):
    name = lambda y: "-100" if y == -100 else train.label_names[y]  # noqa: E731
    print(f"   {tokenizer.convert_ids_to_tokens(token_id):>12} {str(word):>5} {name(a):>7} {name(b):>17}")
# A word's tag sits on its first piece. The later pieces, [CLS], [SEP] and padding get -100: cross_entropy skips
# every position whose label is -100 (ignore_index), so each word counts exactly once in the loss, however many
# pieces it has, and the logits at those positions receive no gradient. (label_all_tokens=True tags every piece
# instead, a B- word continuing as I-: more signal per word, but long words then weigh more.) The proof: change
# the logits at the -100 positions and the loss does not move.
rng = np.random.default_rng(0)
logits = rng.normal(size=(1, len(first_only), len(train.label_names))).astype(np.float32)
labels = np.array([first_only])
changed = logits.copy()
changed[0, labels[0] == -100] += rng.normal(size=changed[0, labels[0] == -100].shape).astype(np.float32) * 10
same = F.cross_entropy(mt.tensor(logits), labels).item(), F.cross_entropy(mt.tensor(changed), labels).item()
print(f"   loss {same[0]:.4f}; with the -100 positions' logits scrambled: {same[1]:.4f} (the same)")

# %% 3. The tagger
# TransformerTokenClassifier: lesson 7's body (embeddings x sqrt(d) + sinusoids, 2 post-LN encoder layers) and a
# linear head on every token: logits (B, T, tags). The loader encodes every sentence once, puts each word's tag
# on its first piece and pads a batch; padding's labels are -100 too.
MAX_LENGTH = 64
train_loader = TaggedDataLoader(train, tokenizer, batch_size=64, shuffle=True, seed=0, max_length=MAX_LENGTH,
                                bucket_by_length=True)
val_loader = TaggedDataLoader(validation, tokenizer, batch_size=256, max_length=MAX_LENGTH)
test_loader = TaggedDataLoader(test, tokenizer, batch_size=256, max_length=MAX_LENGTH)
model = TransformerTokenClassifier(tokenizer.vocab_size, len(train.label_names), d_model=32 if QUICK else 64,
                                   num_heads=4, num_layers=2, d_ff=128 if QUICK else 256, max_len=MAX_LENGTH,
                                   dropout=0.1, pad_id=tokenizer.pad_token_id,
                                   id2label=dict(enumerate(train.label_names)))
print(f"\n3. model: {sum(p.size for p in model.parameters()):,} parameters; one batch of input_ids "
      f"{next(iter(train_loader))['input_ids'].shape} -> logits (batch, tokens, {len(train.label_names)})")

# %% 4. Training
# The loop is lesson 7's (training.fit); only the validation score changes: evaluate_tagger reads each word's tag
# from its first piece and scores entities. We keep every epoch's numbers for the figure.
EPOCHS = 1 if QUICK else 8
curve = []


def evaluate_and_remember(model, loader):
    result = evaluate_tagger(model, loader)
    curve.append((result["accuracy"], result["f1"]))
    return result


fit(model, train_loader, val_loader, epochs=EPOCHS, lr=4e-3, evaluate_fn=evaluate_and_remember, progress=not QUICK,
    log=lambda line: None)
for epoch, (accuracy, f1) in enumerate(curve, start=1):
    print(f"4. epoch {epoch}: validation token accuracy {accuracy:.3f}, entity F1 {f1:.3f}")
if QUICK:
    print("   (quick mode: one epoch on a slice of the data; the numbers below mean nothing)")

# %% 5. Entity F1 against token accuracy
# Token accuracy counts tags; entity F1 counts entities, and an entity is right only if its type, its first word
# and its last word are all right (seqeval's rules, minitransformer/entity_metrics.py). Three reasons they differ:
#  * most words are O. A "tagger" that says O everywhere gets most tags right and finds no entity at all;
#  * an entity of three words that is cut short has two tags right and the entity wrong (and, for precision, a
#    wrong entity predicted in its place);
#  * the errors concentrate where the entities are, which is the part that matters.
result = evaluate_tagger(model, test_loader)
all_o = [["O"] * len(words) for words in test.words]
print(f"\n5. test: token accuracy {result['accuracy']:.3f}, entity precision {result['precision']:.3f}, "
      f"recall {result['recall']:.3f}, F1 {result['f1']:.3f}")
print(f"   a tagger that says O everywhere: token accuracy {entity_metrics.accuracy_score(test.tags, all_o):.3f}, "
      f"entity F1 {entity_metrics.f1_score(test.tags, all_o):.3f}")
cut = [["B-ORG", "I-ORG", "I-ORG", "O"]], [["B-ORG", "I-ORG", "O", "O"]]  # "Bank of England said" -> "Bank of"
print(f"   'Bank of England' found as 'Bank of': token accuracy {entity_metrics.accuracy_score(*cut):.2f}, "
      f"entity F1 {entity_metrics.f1_score(*cut):.2f}")
print("   per entity type:\n" + "\n".join("   " + line for line in
                                          entity_metrics.format_report(result["report"]).splitlines()))

fig, ax = plt.subplots(figsize=(6.0, 3.6), layout="constrained")
epochs = np.arange(1, len(curve) + 1)
ax.plot(epochs, [a for a, _ in curve], "o-", label="token accuracy")
ax.plot(epochs, [f for _, f in curve], "s-", label="entity F1 (micro)")
ax.axhline(entity_metrics.accuracy_score(validation.tags, [["O"] * len(w) for w in validation.words]),
           color="gray", linestyle=":", label="token accuracy of 'always O'")
ax.set_xlabel("epoch")
ax.set_ylabel("validation score")
ax.set_ylim(0, 1.02)
ax.legend(loc="lower right", fontsize=8)
ax.set_title("Tags right is not entities right", fontsize=10)
fig.savefig(FIGURES / "10_f1_vs_accuracy.png", dpi=120)
plt.close(fig)

# %% 6. Predicted spans on sentences
# The figure shows test sentences with their true entities and, under them, the predicted ones; a wrong or missed
# entity is edged in red. We pick sentences with the hard cases in them, wrong entities first.
predicted = result["predictions"]
hard = {"jordan", "georgia", "washington", "chelsea", "may", "april", "june", "august", "sydney", "paris"}
chosen = sorted(range(len(test)), key=lambda i: (entity_metrics.get_entities(predicted[i]) ==
                                                 entity_metrics.get_entities(test.tags[i]),
                                                 not hard & {w.lower() for w in test.words[i]},
                                                 len(test.words[i]) > 14, i))[:6]
plot_entity_spans([test.words[i] for i in chosen], [test.tags[i] for i in chosen], [predicted[i] for i in chosen],
                  title="Test sentences: true entities above, predicted below (red edge: wrong or missed)",
                  path=FIGURES / "10_entity_spans.png")
print(f"\n6. figure of {len(chosen)} test sentences with their predicted spans: lessons/figures/10_entity_spans.png")

# %% 7. New text
# tag_texts does what Hugging Face's token-classification pipeline does: tokenize with character offsets, tag each
# piece, and group pieces into entities ("first": each word takes its first piece's tag, then neighbouring words
# of one type merge unless a B- starts a new entity). start/end are character offsets into the text.
texts = ["Jordan Smith flew to Jordan on 3 May 2021.", "May told reporters in Paris that Siemens would hire her.",
         "i met sofia okafor at the airport in cape town."]
for text, entities in zip(texts, tag_texts(model, tokenizer, texts, aggregation_strategy="first")):
    found = ", ".join(f"{e['entity_group']} {text[e['start']:e['end']]!r} [{e['start']}:{e['end']}] {e['score']:.2f}"
                      for e in entities)
    print(f"7. {text}\n   -> {found or 'no entity'}")

print(f"""
What to notice:
  * a word's tag lives on its first piece; every other position is -100 and does not count in the loss;
  * token accuracy is high from the first epoch (saying O everywhere already scores about 0.6) while entity F1
    starts far lower and climbs: only whole, correctly typed entities count, so F1 is the number to report;
  * the mistakes sit on the hard cases: names the training set never showed, lower-cased mentions, a word that
    is a person in one sentence and a place in the next; and text unlike the corpus (section 7) shows how little
    a tagger trained on 5,000 generated sentences knows about words it never saw.
figures in lessons/figures/10_*.png; {time.perf_counter() - started:.0f} s in all.""")
