"""Seeded generator of the shipped English NER corpus (data/ner/): people, organisations, places and dates in
news-style sentences, tagged IOB2 (PER, ORG, LOC, DATE), written as CoNLL files (word<TAB>tag).

The files are package data (minitransformer/data/shipped/ner/{train,validation,test}.conll): load_shipped("train").
Regenerate them with `python -m minitransformer.data.ner_corpus` (writes there; --out DIR elsewhere).

Hard cases on purpose: names that are also places ("Jordan scored twice" vs "flew to Jordan"), months that are also
first names ("May said" vs "in May"), a club that is a place and a name (Chelsea), organisations that hold a place
or a person ("University of Lyon", "Okafor Holdings"), multi-word entities ("Rio de Janeiro", "Bank of England",
"3 May 2021"), lower-cased mentions (a sentence in lower case, or one mention), capitalised words that are no entity
at the start of a sentence, and first and last names that occur only in validation and test.
"""
import argparse
import os
import random

from . import ner_lexicon as L

SPLIT_SIZES = {"train": 5000, "validation": 500, "test": 1000}
DEFAULT_SEED = 0
LOWER_SENTENCE_RATE = 0.08    # the whole sentence in lower case (chat, search queries)
LOWER_MENTION_RATE = 0.05     # one entity mention in lower case inside a normal sentence
HELD_OUT = 10                 # every 10th first and last name appears only in validation and test
TYPES = ("PER", "ORG", "LOC", "DATE")
SHIPPED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shipped", "ner")


def shipped_path(split):
    """Path of the shipped NER corpus's train / validation / test file."""
    return os.path.join(SHIPPED_DIR, f"{split}.conll")


def load_shipped(split, label_names=None):
    """The shipped split as a TaggedDataset (label_names: the training split's, for validation and test)."""
    from .conll import load_tagged
    return load_tagged(shipped_path(split), label_names=label_names)


def _names(names, split):
    """The names a split may use: training never sees the held-out tenth."""
    return names if split != "train" else [n for i, n in enumerate(names) if i % HELD_OUT != HELD_OUT - 1]


def person(rng, split):
    """A person's name as words: First Last, Last, First, First Last-Last, or a name that is also a place/month."""
    first, last = rng.choice(_names(L.FIRST_NAMES, split)), rng.choice(_names(L.LAST_NAMES, split))
    ambiguous = rng.choice(L.PERSON_PLACE + L.PERSON_MONTH)
    r = rng.random()
    if r < 0.45:
        return [first, last]
    if r < 0.60:
        return [last]
    if r < 0.68:
        return [first]
    if r < 0.73:
        return [first, rng.choice(_names(L.FIRST_NAMES, split)), last]
    if r < 0.87:
        return [ambiguous, last]
    return [ambiguous]


def place(rng):
    pool = rng.choice([L.CITIES, L.CITIES, L.COUNTRIES, L.REGIONS])
    return rng.choice(pool).split()


def organisation(rng, split):
    r = rng.random()
    if r < 0.45:
        return rng.choice(L.COMPANIES).split()
    if r < 0.75:
        return rng.choice(L.INSTITUTIONS).split()
    pattern = rng.choice(L.ORG_PATTERNS)
    return pattern.format(city=rng.choice(L.CITIES), country=rng.choice(L.COUNTRIES),
                          last=rng.choice(_names(L.LAST_NAMES, split))).split()


def date(rng, before):
    """A date as words, in a form that fits the preposition before it ("in May 2020", "on 3 May 2020")."""
    pattern = rng.choice(L.DATE_PATTERNS_BY_PREPOSITION.get(before, L.DATE_PATTERNS))
    return pattern.format(day=rng.randint(1, 28), month=rng.choice(L.MONTHS), year=rng.randint(1950, 2030),
                          weekday=rng.choice(L.WEEKDAYS)).split()


def sentence(rng, split):
    """(words, tags) of one sentence from a random template."""
    template = rng.choice(L.TEMPLATES).split()
    slots = [i for i, item in enumerate(template) if item in ("{PER}", "{LOC}", "{ORG}", "{DATE}")]
    lowered = rng.choice(slots) if slots and rng.random() < LOWER_MENTION_RATE else None
    words, tags = [], []
    for i, item in enumerate(template):
        if item == "{TITLE}":
            words.append(rng.choice(L.TITLES))  # a title is not part of the name (CoNLL's convention)
            tags.append("O")
        elif i in slots:
            kind = item[1:-1]
            span = {"PER": lambda: person(rng, split), "LOC": lambda: place(rng),
                    "ORG": lambda: organisation(rng, split), "DATE": lambda: date(rng, template[i - 1])}[kind]()
            if i == lowered:
                span = [w.lower() for w in span]
            words += span
            tags += [f"B-{kind}"] + [f"I-{kind}"] * (len(span) - 1)
        else:
            words.append(item)
            tags.append("O")
    if rng.random() < LOWER_SENTENCE_RATE:
        words = [w.lower() for w in words]
    return words, tags


def generate(seed=DEFAULT_SEED, sizes=None):
    """{split: [(words, tags), ...]} with no sentence (compared in lower case) in two splits."""
    sizes = dict(SPLIT_SIZES if sizes is None else sizes)
    rng = random.Random(seed)  # stdlib Random: its stream is stable across Python versions and platforms
    seen, splits = set(), {}
    for name, n in sizes.items():
        rows = []
        while len(rows) < n:
            words, tags = sentence(rng, name)
            key = " ".join(words).lower()
            if key not in seen:
                seen.add(key)
                rows.append((words, tags))
        splits[name] = rows
    return splits


def write_splits(out_dir, seed=DEFAULT_SEED, sizes=None):
    """Write <split>.conll files (word<TAB>tag, a blank line after each sentence); returns {split: path}."""
    os.makedirs(out_dir, exist_ok=True)
    paths = {}
    for name, rows in generate(seed, sizes).items():
        path = os.path.join(out_dir, f"{name}.conll")
        with open(path, "w", encoding="utf-8", newline="\n") as f:  # "\n" on every OS: byte-identical files
            for words, tags in rows:
                f.write("".join(f"{w}\t{t}\n" for w, t in zip(words, tags)) + "\n")
        paths[name] = path
    return paths


def main(argv=None):
    """Command line: python -m minitransformer.data.ner_corpus [--out DIR] [--seed 0] [--train N ...]."""
    parser = argparse.ArgumentParser(description="Generate the minitransformer NER corpus (CoNLL splits).")
    parser.add_argument("--out", default=SHIPPED_DIR, help="output directory (default: the package's shipped/ner)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default: {DEFAULT_SEED})")
    for name, n in SPLIT_SIZES.items():
        parser.add_argument(f"--{name}", type=int, default=n, help=f"sentences in {name}.conll (default: {n})")
    args = parser.parse_args(argv)
    sizes = {name: getattr(args, name) for name in SPLIT_SIZES}
    for name, path in write_splits(args.out, args.seed, sizes).items():
        print(f"wrote {sizes[name]:>5} sentences to {path}")


if __name__ == "__main__":
    main()
