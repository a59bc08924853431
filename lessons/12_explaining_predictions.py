"""Lesson 12 — Why did it say that? Attributions for one prediction, and how to tell whether they mean anything.

The classifier of lesson 7 says "negative, 0.985" about "The plot was not good." Which words made it say so?
Three answers, from three ideas:

    gradient x input      a_t = x_t · dF/dx_t       how F moves if token t's vector is scaled a little: a slope
    integrated gradients  a_t = (x_t - x'_t) · ∫ dF/dx_t(x' + α(x - x')) dα    the slope added up along a straight
                          path from a blank sentence x' to the real one; the a_t then sum to F(x) - F(x')
    attention rollout     r = v Â_L ... Â_1,  Â = ½A + ½I     follow the attention weights down through the layers

F is the probability of the predicted class, x_t the input embedding of piece t (its row of the embedding table,
before positions are added). Our autograd gives dF/dx for every piece in one backward pass; integrated gradients
needs it at 64 points of the path, which is one batch of 64 "sentences" through the model.

An attribution is a claim about the model, so we check it like one: (1) completeness, an axiom integrated
gradients must satisfy; (2) deletion: removing the words an attribution ranks first should hurt the prediction
more than removing random words; (3) model randomisation (Adebayo et al. 2018): an explanation that does not
change when the weights are scrambled explains the sentence, not the model.

What to expect (one full run, seed 0; 100 test sentences for deletion, 20 for randomisation): test accuracy 0.906;
after deleting the top word the predicted class keeps 0.47 of its probability with integrated gradients, 0.56
with gradient x input, 0.53 with rollout, 0.87 with a random word (0.92 before); re-initialising the head turns
the gradient methods' rankings around (rank correlation -0.80 and -0.65) and leaves rollout's exactly as it was,
re-initialising every layer leaves +0.06, -0.02 and +0.29.

Run:  python lessons/12_explaining_predictions.py   (about a minute on 2 CPU cores; MT_LESSON_QUICK=1: seconds)
"""
import os
import pathlib
import time

import numpy as np

import minitransformer as mt
import minitransformer.functional as F
from minitransformer.data import DataLoader, load_dataset
from minitransformer.explain import explain, integrated_gradients
from minitransformer.explain.checks import deletion_curve, randomised, rank_correlation
from minitransformer.explain.render import plot_deletion, plot_methods
from minitransformer.models import TransformerClassifier
from minitransformer.tokenizer import WordPieceTokenizer
from minitransformer.training import evaluate, fit

QUICK = os.environ.get("MT_LESSON_QUICK") == "1"   # the test suite sets this: less data, fewer epochs, same story
ROOT = pathlib.Path(__file__).resolve().parents[1]
FIGURES = ROOT / "lessons" / "figures"
FIGURES.mkdir(parents=True, exist_ok=True)
started = time.perf_counter()
mt.manual_seed(0)


def show(e, digits=3):
    """The words of an explanation with their values, on one line."""
    return "  ".join(f"{w} {a:+.{digits}f}" for w, a in zip(e.words, e.word_attributions))


# %% 1. A model to explain
# Lesson 7's recipe, shorter: a 2-layer Transformer with mean pooling on the shipped sentiment corpus, whose labels
# hang on negations and contrasts ("not good", "dull, but superb"): exactly where we want to know what it read.
corpus = load_dataset("shipped")                # {"train", "validation", "test"}, as in lesson 7
train, test = corpus["train"], corpus["test"]
if QUICK:
    train = train[:1500]
tokenizer = WordPieceTokenizer.train(train.texts, vocab_size=600 if QUICK else 2000, show_progress=False)
model = TransformerClassifier(tokenizer.vocab_size, num_classes=2, d_model=32 if QUICK else 64, num_heads=4,
                              num_layers=2, d_ff=64 if QUICK else 256, max_len=64, dropout=0.1,
                              pad_id=tokenizer.pad_token_id, pooling="mean")
loader = dict(tokenizer=tokenizer, max_length=64)
fit(model, DataLoader(train, batch_size=32, shuffle=True, seed=0, bucket_by_length=True, **loader), None,
    epochs=2 if QUICK else 6, lr=2e-3, progress=not QUICK, log=lambda *a: None)   # no validation: time for section 6
accuracy = evaluate(model, DataLoader(test, batch_size=256, **loader))["accuracy"]
print(f"1. model: {sum(p.size for p in model.parameters()):,} parameters, test accuracy {accuracy:.3f}")
names = train.label_names
model.eval()                                    # from here on we only read it: no dropout

# %% 2. Gradient x input
# One forward, one backward to the input embeddings (the model's weights are frozen meanwhile, so their .grad is
# left alone). The value of a word is the slope of F along its own vector: x_t · dF/dx_t. A slope says what a small
# change would do, at this point; a saturated softmax (F = 0.999) has almost no slope left anywhere.
sentence = "The plot was not good."
[gxi] = explain(model, tokenizer, sentence, method="gradient_x_input", label_names=names)
print(f"\n2. gradient x input for {sentence!r} -> {gxi.label} {gxi.score:.3f}\n   {show(gxi, 4)}")

# %% 3. Integrated gradients, and completeness
# The baseline x' is the sentence with every word's vector replaced by [PAD]'s (a zero vector in this model),
# [CLS] and [SEP] kept. The integral is the trapezoid rule on n points α = 0, 1/(n-1), ..., 1: one batch of n
# interpolated sentences, one backward. Completeness: the attributions add up to F(x) - F(x'), the part of the
# prediction the words are responsible for. What they miss is the convergence delta, the quadrature's error, which
# shrinks about 4x each time the steps double once the path is resolved.
special = (tokenizer.cls_token_id, tokenizer.sep_token_id)
other = "The acting was never boring."
[ig] = explain(model, tokenizer, other, method="integrated_gradients", n_steps=64, label_names=names)
print(f"\n3. integrated gradients, 64 steps, {other!r} -> {ig.label} {ig.score:.3f}:\n   {show(ig)}")
print(f"   sum {ig.word_attributions.sum():+.4f} = F(x) - F(x') = {ig.score:.4f} - {ig.baseline_score:.4f} "
      f"= {ig.score - ig.baseline_score:+.4f}, delta {ig.delta:+.1e}")
for n in (4, 8, 16, 32, 64):
    a = integrated_gradients(model, tokenizer.encode(other), target=ig.target, n_steps=n, special_ids=special)
    print(f"   n_steps {n:>2}: delta {a.delta:+.2e} ({abs(a.delta) / abs(a.score - a.baseline_score):.2%} of the "
          "change)")

# Why does "never" get more than the whole change, and "boring" a negative share? Walk the path and look at F: the
# points x' + α(x - x') are just embeddings, and the model reads them like any sentence. The prediction need not
# move straight from F(x') to F(x): here it first swings to the other class ("boring" counts before "never" does)
# and back. The attributions describe that swing; they still add up to the change.
table = model.get_input_embeddings().weight.numpy()                # (V, D)
ids = np.array(tokenizer.encode(other))                            # (T,)
x = table[ids]                                                     # (T, D)
blank = np.where(np.isin(ids, special)[:, None], x, table[tokenizer.pad_token_id])   # (T, D): [CLS]/[SEP] kept
alphas = np.linspace(0, 1, 9, dtype=x.dtype)
with mt.no_grad():
    path = F.softmax(model(inputs_embeds=blank + alphas[:, None, None] * (x - blank)).logits).numpy()  # (9, C)
print("   F along the path: " + ", ".join(f"α {a:g}: {p:.3f}" for a, p in zip(alphas, path[:, ig.target])))

# The baseline matters too. A blank sentence is not neutral to this model: it has a prior, which depends on the
# length, and for some sentences the blank one is already classified as confidently as the real one. Then
# F(x) - F(x') is tiny and so is every attribution, however much the words matter (section 5 shows one).
contrast = "The plot was dull, but the acting was superb."
[ig0] = explain(model, tokenizer, contrast, method="integrated_gradients", n_steps=64, label_names=names)
print(f"   {contrast!r}: F(x) = {ig0.score:.4f}, F(x') = {ig0.baseline_score:.4f} for {ig0.label}:  {show(ig0)}")

# When F(x) - F(x') is small, or the path crosses the decision boundary within a few steps, 64 points can miss
# completeness by more than 1% of the change; the delta says so. tolerance=0.01 keeps halving the step, reusing
# every point computed, until the attributions add up to within 1%: the delta is a diagnostic you can act on.
missed, checked = [], test.texts[:10 if QUICK else 100]
for text in checked:
    a = integrated_gradients(model, tokenizer.encode(text), n_steps=64, special_ids=special)
    if abs(a.delta) > 0.01 * abs(a.score - a.baseline_score):
        missed.append(integrated_gradients(model, tokenizer.encode(text), n_steps=64, special_ids=special,
                                           tolerance=0.01))
print(f"   {len(missed)} of {len(checked)} test sentences miss completeness by more than 1% at 64 steps; with "
      f"tolerance=0.01 they took {[a.n_steps for a in missed]} points")

# %% 4. Attention rollout
# Attention weights say where each position reads from, in one layer. Rollout chains the layers: the residual
# connection keeps half of each token's own vector (½A + ½I), and the read-out (here the mean over the tokens)
# collects r = v Â_2 Â_1. The result is a share of the read-out's input, never negative, and the same whichever
# class we ask about: attention routes information, it does not say what the information does to the answer.
[ro] = explain(model, tokenizer, sentence, method="attention_rollout", label_names=names)
print(f"\n4. attention rollout:\n   {show(ro)}")

# %% 5. Side by side, on negations and contrasts
# Where do they disagree, and why? On the negations all three put the negation first: the read-out does draw on
# it. But rollout is non-negative and blind to the class, so it cannot say which way a word pushes: in "The plot was
# not good." it gives "good" a large share, while integrated gradients says "good" works against "negative" and
# "not" for it. In a contrast rollout shares most between both sentiment words, whichever clause decides;
# integrated gradients credits the clause after "but" ("dull" in the last probe), except where the blank sentence
# already agrees with the prediction (the first contrast, section 3): there it has almost nothing to share out, and
# small values say "no change from the baseline", not "unimportant". Gradient x input is local: where the softmax
# saturates (F = 0.99) little slope is left, so its values are tiny and its order is noisy; integrated gradients
# recovers the words that got the prediction there by integrating from a point where it was still undecided.
probes = ["The plot was not good.", "The acting was never boring.",
          "The plot was dull, but the acting was superb.", "The acting was superb, but the plot was dull."]
groups = [[explain(model, tokenizer, text, method=m, label_names=names)[0]
           for m in ("integrated_gradients", "gradient_x_input", "attention_rollout")] for text in probes]
plot_methods(groups, FIGURES / "12_methods.png")
print("\n5. the three methods on negations and contrasts (figures/12_methods.png):")
for text, (i, g, r) in zip(probes, groups):
    top = [e.words[int(np.argmax(np.abs(e.word_attributions)))] for e in (i, g, r)]
    print(f"   {i.label} {i.score:.2f}  {text}\n      IG       {show(i, 2)}\n      rollout  {show(r, 2)}")
    print(f"      largest |value|: IG {top[0]!r}, gradient x input {top[1]!r}, rollout {top[2]!r}; rank correlation "
          f"IG ~ gradient x input {rank_correlation(i.word_attributions, g.word_attributions):+.2f}, "
          f"IG ~ rollout {rank_correlation(i.word_attributions, r.word_attributions):+.2f}")
groups[3][0].save_png(FIGURES / "12_highlight.png")
groups[3][0].save_html(FIGURES / "12_highlight.html")
print("   " + groups[3][0].format(color=False))

# %% 6. Deletion: do the top words matter?
# For each test sentence delete its k most attributed words (for the predicted class) and measure the class's
# probability again; do the same with k random words. A faithful attribution makes the curve fall faster than the
# random one. (Deleting words also makes sentences the model never saw; the random curve is the control for that.)
texts = test.texts[:10 if QUICK else 100]
curves = {m: deletion_curve(model, tokenizer, texts, method=m, max_k=5, n_steps=16 if QUICK else 32)
          for m in ("integrated_gradients", "gradient_x_input", "attention_rollout")}
plot_deletion(curves, FIGURES / "12_deletion.png", title=f"Deleting words from {len(texts)} test sentences")
print(f"\n6. deletion over {len(texts)} test sentences (mean probability of the predicted class after deleting k "
      "words):")
print("   k                    " + "  ".join(f"{k:>5}" for k in curves["integrated_gradients"]["k"]))
print("   random               " + "  ".join(f"{p:5.3f}" for p in curves["integrated_gradients"]["random"]))
for m, c in curves.items():
    print(f"   {m:<21}" + "  ".join(f"{p:5.3f}" for p in c["attributed"]))

# %% 7. Sanity check: scramble the model, top layer first
# Adebayo et al. (2018) re-initialise a trained network layer by layer from the top and watch the explanation. If
# it stays the same, it never depended on what the model learned (some saliency methods for images fail this and
# are edge detectors). We compare each explanation with the trained model's by rank correlation (1: same order),
# of the signed values and of their sizes |a|. Expect the head alone to flip the signs (a random 2-class head is
# as likely to point the other way) while the sizes keep their order: the features still come from the trained
# encoder. Rollout cannot see the head at all (1.00): a check it fails by construction.
stages = [["head"], ["head", "encoder.layers.1"], ["head", "encoder.layers.1", "encoder.layers.0"]]
sample = test.texts[:4 if QUICK else 20]
steps = 8 if QUICK else 32
methods = ("integrated_gradients", "gradient_x_input", "attention_rollout")
reference = {m: [explain(model, tokenizer, t, method=m, n_steps=steps)[0] for t in sample] for m in methods}
print("\n7. rank correlation with the trained model's attributions after re-initialising, top down (signed / |a|):")
for stage in stages:
    scrambled = randomised(model, stage, seed=1)
    row = []
    for m, originals in reference.items():
        pairs = [(e.word_attributions, explain(scrambled, tokenizer, e.text, method=m, n_steps=steps,
                                               target=e.target)[0].word_attributions) for e in originals]
        signed = np.mean([rank_correlation(a, b) for a, b in pairs])
        size = np.mean([rank_correlation(np.abs(a), np.abs(b)) for a, b in pairs])
        row.append(f"{m.split('_')[0]} {signed:+.2f} / {size:+.2f}")
    print(f"   {' + '.join(stage):<42} " + ", ".join(row))

print(f"\nfigures in {FIGURES.relative_to(ROOT)}/12_*.png; {time.perf_counter() - started:.0f} s in all.")
if QUICK:
    print("Quick mode: a small model trained for seconds; the numbers above illustrate the code, not the methods.")
print("Notice: integrated gradients adds up to the change in probability and its top words hurt the prediction most")
print("when deleted; rollout finds the words the read-out draws on but not which way they push ('not' vs 'good');")
print("and the gradient methods' rankings fall apart once the encoder is scrambled, as they should.")
