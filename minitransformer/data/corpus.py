"""Seeded generator of the shipped English sentiment corpus (negation, contrast, hedges, filler, typos).

Regenerate the committed files with `python -m minitransformer.data.corpus` (writes minitransformer/data/shipped/).

Every sentence is built from a label down: the label fixes the polarity of the deciding clause, each clause
draws negation and then picks its sentiment word to match, and contrast sentences add a conceded clause of
the opposite polarity. So negators, connectives, hedges, subjects and filler are equally likely under both
labels, in a contrast sentence the sentiment words are too, and only word order and scope (what "not"
applies to, which side of "but" a clause is on) decide the label: that is what defeats a bag-of-words model.
"""
import argparse
import os
import random
import re

from . import lexicon as L
from .registry import SHIPPED_DIR

LABEL_NAMES = ["negative", "positive"]            # label id = index; polarity -1 / +1
SPLIT_SIZES = {"train": 8000, "validation": 1000, "test": 1000}
DEFAULT_SEED = 0
TYPO_RATE = 0.03                                  # chance that one eligible word gets a one-character typo
FILLER_RATE = 0.3                                 # chance that a sentence carries a neutral filler clause
# Below 1/2 on purpose: at exactly 1/2 a sentiment word says nothing on its own, and a small Transformer on 8,000
# sentences never finds word polarity to begin with (measured: 0.62 test accuracy); see data/README.md.
NEGATION_RATE = 0.25
# A conceded clause ("although the plot was not bad") is negated more often, as people concede that way: it is
# the other clause in which a sentiment word meets the opposite label, so with it every sentiment word still
# appears mostly under its own label (about 2/3 of the time) while negators stay label-neutral.
CONCEDED_NEGATION_RATE = 0.5

# (shape name, weight): one clause, "A but B", "Although A, B", "B, although A", "A and B", one clause + filler,
# a short plain sentence ("I love it.", "The worst film I have ever seen.", "What a lovely meal.").
SHAPES = [("single", 0.24), ("but", 0.20), ("although_first", 0.12), ("although_last", 0.12),
          ("agree", 0.12), ("single_filler", 0.10), ("short", 0.10)]


def _pick(rng, polarity, positive, negative):
    """A random item from the positive list for polarity +1, from the negative list for -1."""
    return rng.choice(positive if polarity > 0 else negative)


def _article(word):
    """'a' or 'an' for the word that follows."""
    return "an" if word[0] in "aeiou" else "a"


def _intensify(rng, adjective, attributive=False):
    """Sometimes put an intensifier or hedge in front: it changes strength, never the sign."""
    if rng.random() >= 0.35:
        return adjective
    # "a quite bad film" / "a a bit bad film" are not English: those hedges only go after a verb.
    choices = [w for w in L.INTENSIFIERS if not (attributive and w in ("quite", "a bit", "a little"))]
    return f"{rng.choice(choices)} {adjective}"


def _plural(subject, verb_phrase):
    """Make 'was'/'is' agree with a plural subject ('the visuals were')."""
    if subject not in L.PLURAL_SUBJECTS:
        return verb_phrase
    swap = {"was": "were", "is": "are", "wasn't": "weren't", "isn't": "aren't"}
    return " ".join(swap.get(w, w) for w in verb_phrase.split())


def _copular(rng, polarity, negation):
    """'the plot was (not) (very) dull': negation flips the adjective's polarity."""
    subject = rng.choice(L.SUBJECTS)
    plain, negated = rng.choice(L.COPULAS)
    negate = rng.random() < negation
    adjective = _pick(rng, -polarity if negate else polarity, L.POSITIVE_ADJECTIVES, L.NEGATIVE_ADJECTIVES)
    return f"{subject} {_plural(subject, negated if negate else plain)} {_intensify(rng, adjective)}"


def _reviewer_verb(rng, polarity, negation):
    """'I (did not) enjoy(ed) the ending', 'we (don't) love it'. Half the forms of either kind use the base form
    ('love'), half the past ('loved'), so no form of a verb is met only under negation."""
    who = rng.choice(["I", "I", "we", "my friend and I"])
    negate = rng.random() < negation
    past, base = _pick(rng, -polarity if negate else polarity, L.POSITIVE_VERBS, L.NEGATIVE_VERBS)
    if negate:
        verb = rng.choice([f"did not {base}", f"don't {base}", f"never {past}", f"never really {past}"])
    else:
        verb = rng.choice([past, f"really {past}", base, f"really {base}", f"honestly {past}", f"honestly {base}"])
    return f"{who} {verb} {rng.choice(L.OBJECTS)}"


def _it_was_a(rng, polarity, negation):
    """'it was (not) a (very) bad film'."""
    negate = rng.random() < negation
    plain, negated = rng.choice([("it was", ["it was not", "it wasn't", "it was never"]),
                                 ("this is", ["this is not", "this isn't"]),
                                 ("overall it was", ["overall it was not", "overall it wasn't"])])
    lead = rng.choice(negated) if negate else plain
    adjective = _pick(rng, -polarity if negate else polarity, L.POSITIVE_ADJECTIVES, L.NEGATIVE_ADJECTIVES)
    phrase = _intensify(rng, adjective, attributive=True)
    return f"{lead} {_article(phrase)} {phrase} {rng.choice(L.HEAD_NOUNS)}"


def _call_it(rng, polarity, negation):
    """'I would (not) call it (very) great'."""
    negate = rng.random() < negation
    who = rng.choice(["I would not", "I wouldn't", "I would never", "nobody would"]) if negate \
        else rng.choice(["I would", "I would honestly", "most people would"])
    target = rng.choice(["it", "it", "the ending", "the plot", "the service", "this one"])
    adjective = _pick(rng, -polarity if negate else polarity, L.POSITIVE_ADJECTIVES, L.NEGATIVE_ADJECTIVES)
    return f"{who} call {target} {_intensify(rng, adjective)}"


def _would_act(rng, polarity, negation):
    """'I would (never) recommend it to a friend' / 'I would (not) ask for my money back'."""
    negate = rng.random() < negation
    who = rng.choice(["I would not", "I wouldn't", "I would never", "I will never"]) if negate \
        else rng.choice(["I would", "I would definitely", "I will"])
    action = _pick(rng, -polarity if negate else polarity, L.POSITIVE_ACTIONS, L.NEGATIVE_ACTIONS)
    return f"{who} {action}"


def _effect(rng, polarity, negation):
    """'the ending (did not) let me down', 'the ending really did win me over': base and past forms equally
    often with and without negation."""
    negate = rng.random() < negation
    past, base = _pick(rng, -polarity if negate else polarity, L.POSITIVE_EFFECTS, L.NEGATIVE_EFFECTS)
    verb = rng.choice([f"did not {base}", f"didn't {base}", f"never {past}", f"never really {past}"]) if negate \
        else rng.choice([past, f"really {past}", f"did {base}", f"really did {base}"])
    return f"{rng.choice(L.SUBJECTS)} {verb}"


CLAUSES = [(_copular, 0.34), (_reviewer_verb, 0.15), (_it_was_a, 0.15), (_call_it, 0.1), (_would_act, 0.1),
           (_effect, 0.16)]


def clause(rng, polarity, negation=NEGATION_RATE):
    """One clause whose meaning has the given polarity (+1 positive, -1 negative), negated with probability
    `negation` (the sentiment word is then of the opposite polarity)."""
    make = rng.choices([c for c, _ in CLAUSES], weights=[w for _, w in CLAUSES])[0]
    return make(rng, polarity, negation)


def short(rng, polarity):
    """A short plain sentence, never negated except as 'never boring, a superb film': 'I love it', 'the worst
    film I have ever seen', 'what a lovely meal'."""
    kind = rng.random()
    if kind < 0.3:
        past, base = _pick(rng, polarity, L.POSITIVE_VERBS, L.NEGATIVE_VERBS)
        verb = rng.choice([base, base, past, f"really {base}", f"absolutely {base}"])
        return f"{rng.choice(['I', 'I', 'we'])} {verb} {rng.choice(['it', 'it', 'this one', 'every minute of it'])}"
    if kind < 0.6:
        superlative = L.SUPERLATIVES[0 if polarity > 0 else 1]
        noun, seen = rng.choice(L.RANKED_NOUNS)
        return rng.choice(L.SHORT_LEADS) + rng.choice([f"the {superlative} {noun} I have ever {seen}",
                                                       f"the {superlative} {noun} of the year",
                                                       f"one of the {superlative} {noun}s I have {seen}"])
    adjective = _pick(rng, polarity, L.POSITIVE_ADJECTIVES, L.NEGATIVE_ADJECTIVES)
    noun = rng.choice(L.HEAD_NOUNS)
    phrase = f"{_article(adjective)} {adjective} {noun}"
    opposite = _pick(rng, -polarity, L.POSITIVE_ADJECTIVES, L.NEGATIVE_ADJECTIVES)
    return rng.choice([phrase, f"what {phrase}", f"simply {adjective}", f"{adjective} from start to finish",
                       f"never {opposite}, {phrase}"])


def filler(rng):
    """A neutral clause about when, where or with whom: no sentiment either way."""
    template = rng.choice(L.FILLER_TEMPLATES)
    return re.sub(r"\{(\w+)\}", lambda m: rng.choice(L.FILLER_SLOTS[m.group(1)]), template)


def _two_clauses(rng, polarity_a, polarity_b, negation_a=NEGATION_RATE):
    """Two clauses with different leading words, so a contrast never talks about the same thing twice."""
    a = clause(rng, polarity_a, negation_a)
    b = clause(rng, polarity_b)
    while b.split()[:2] == a.split()[:2]:
        b = clause(rng, polarity_b)
    return a, b


def _typo(rng, word):
    """One character-level slip: swap two neighbours, drop, double or replace a letter."""
    i = rng.randrange(1, len(word) - 1)           # keep the first and last letter, as people mostly do
    kind = rng.choice(["swap", "drop", "double", "replace"])
    if kind == "swap":
        out = word[:i] + word[i + 1] + word[i] + word[i + 2:]
    elif kind == "drop":
        out = word[:i] + word[i + 1:]
    elif kind == "double":
        out = word[:i] + word[i] + word[i:]
    else:
        out = word[:i] + rng.choice("aeioustnrl") + word[i + 1:]
    return out if out != word else word[:i] + word[i + 1:]


def add_typos(rng, text, rate=TYPO_RATE):
    """Misspell a few content words; negators and connectives stay intact so the label keeps its meaning."""
    def maybe(match):
        word = match.group(0)
        if len(word) < 4 or word.lower() in L.PROTECTED or rng.random() >= rate:
            return word
        return _typo(rng, word)
    return re.sub(r"[A-Za-z]+", maybe, text)


def sentence(rng, label):
    """One review sentence for label id 0 (negative) or 1 (positive); returns (text, shape name)."""
    y = 1 if label == 1 else -1
    shape = rng.choices([s for s, _ in SHAPES], weights=[w for _, w in SHAPES])[0]
    if shape in ("single", "single_filler"):
        text = clause(rng, y)
    elif shape == "short":
        text = short(rng, y)
    elif shape == "agree":
        a, b = _two_clauses(rng, y, y)
        text = rng.choice(L.AGREE_TEMPLATES).format(a=a, b=b)
    else:                                         # contrast: {a} is conceded (-y), {b} decides (y)
        templates = {"but": L.BUT_TEMPLATES, "although_first": L.ALTHOUGH_FIRST_TEMPLATES,
                     "although_last": L.ALTHOUGH_LAST_TEMPLATES}[shape]
        a, b = _two_clauses(rng, -y, y, CONCEDED_NEGATION_RATE)
        text = rng.choice(templates).format(a=a, b=b)
    if shape == "single_filler" or rng.random() < FILLER_RATE:
        extra = filler(rng)
        text = rng.choice([f"{extra}, and {text}", f"{extra}. {text[0].upper()}{text[1:]}",
                           f"{text}. {extra[0].upper()}{extra[1:]}", f"{text} - {extra}"])
    text = add_typos(rng, text)
    end = "!" if rng.random() < 0.1 else "."
    return text[0].upper() + text[1:] + end, shape


def generate(seed=DEFAULT_SEED, sizes=None):
    """{split: [(text, label_id, shape), ...]} with exactly balanced labels and no sentence in two splits."""
    sizes = dict(SPLIT_SIZES if sizes is None else sizes)
    rng = random.Random(seed)                     # stdlib Random: its stream is stable across Python versions
    seen = set()
    splits = {}
    for name, n in sizes.items():
        labels = [1] * (n // 2) + [0] * (n - n // 2)
        rng.shuffle(labels)
        rows = []
        for label in labels:
            text, shape = sentence(rng, label)
            while text.lower() in seen:           # duplicates would leak between train and test
                text, shape = sentence(rng, label)
            seen.add(text.lower())
            rows.append((text, label, shape))
        splits[name] = rows
    return splits


def write_splits(out_dir, seed=DEFAULT_SEED, sizes=None):
    """Write <split>.tsv files (header 'sentence\\tlabel'); returns {split: path}."""
    os.makedirs(out_dir, exist_ok=True)
    paths = {}
    for name, rows in generate(seed, sizes).items():
        path = os.path.join(out_dir, f"{name}.tsv")
        with open(path, "w", encoding="utf-8", newline="\n") as f:   # "\n" on every OS: byte-identical
            f.write("sentence\tlabel\n")
            for text, label, _ in rows:
                f.write(f"{text}\t{LABEL_NAMES[label]}\n")
        paths[name] = path
    return paths


def main(argv=None):
    """Command line: python -m minitransformer.data.corpus [--out DIR] [--seed 0] [--train N ...]."""
    parser = argparse.ArgumentParser(description="Generate the minitransformer sentiment corpus (TSV splits).")
    parser.add_argument("--out", default=SHIPPED_DIR, help=f"output directory (default: {SHIPPED_DIR})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default: {DEFAULT_SEED})")
    for name, n in SPLIT_SIZES.items():
        parser.add_argument(f"--{name}", type=int, default=n, help=f"sentences in {name}.tsv (default: {n})")
    args = parser.parse_args(argv)
    sizes = {name: getattr(args, name) for name in SPLIT_SIZES}
    for name, path in write_splits(args.out, args.seed, sizes).items():
        print(f"wrote {sizes[name]:>5} sentences to {path}")


if __name__ == "__main__":
    main()
