"""fonts.py through plots: labels in other scripts get a font that has them, or one line says how to get one, and
matplotlib's per-glyph warnings never reach the user. Nothing is installed: the fallback is shown with the fonts
matplotlib ships (STIX has the mathematical letters DejaVu Sans lacks), Chinese with a CJK font only when one is
installed, and the "no font" line by hiding every font that has the characters."""
import warnings

import pytest

from minitransformer import fonts, plots

CHINESE, ARABIC, MATH = ["正面", "负面"], ["إيجابي", "سلبي"], "𝐀𝐁"


@pytest.fixture(autouse=True)
def fresh_font_state(monkeypatch):
    fonts.families_for.cache_clear()
    monkeypatch.setattr(fonts, "_reported", set())
    yield
    fonts.families_for.cache_clear()


def draw(labels, path, title="Test set"):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = plots.plot_confusion_matrix([[5, 1], [2, 7]], labels, path, title=title)
    return fig, [str(w.message) for w in caught]


def test_arabic_needs_no_fallback_and_prints_nothing(tmp_path, capsys):
    fig, caught = draw(ARABIC, tmp_path / "ar.png")
    assert caught == [] and capsys.readouterr().err == ""
    assert fonts.families_for("".join(ARABIC)) == (None, ())              # DejaVu Sans has Arabic


def test_a_character_the_default_font_lacks_is_drawn_with_an_installed_font_that_has_it(tmp_path, capsys):
    fig, caught = draw(["a", "b"], tmp_path / "math.png", title=f"scores {MATH}")
    families, missing = fonts.families_for(f"scores {MATH}")
    assert missing == () and families[0] == "DejaVu Sans" and "STIXGeneral" in families
    assert fig.axes[0].title.get_fontfamily() == list(families)
    assert caught == [] and capsys.readouterr().err == ""


def test_chinese_with_an_installed_cjk_font(tmp_path, capsys):
    families, missing = fonts.families_for("".join(CHINESE))
    if missing:
        pytest.skip("no CJK font installed here (the next test covers that case)")
    fig, caught = draw(CHINESE, tmp_path / "zh.png")
    assert caught == [] and capsys.readouterr().err == ""
    assert fig.axes[0].get_yticklabels()[0].get_fontfamily() == list(families)


def test_without_any_font_one_line_says_how_to_get_one_and_no_warning_spam(tmp_path, capsys, monkeypatch):
    real = fonts._family_files
    monkeypatch.setattr(fonts, "_family_files", lambda scan=False: tuple(
        (family, path) for family, path in real(scan) if ord("正") not in fonts._charmap(path)))
    _, first = draw(CHINESE + ARABIC, tmp_path / "zh.png")
    _, second = draw(CHINESE, tmp_path / "zh2.png", title="测试")
    err = capsys.readouterr().err.splitlines()
    assert first == second == []                                           # matplotlib's 16 warnings: silenced
    assert len(err) == 1 and "Chinese/Japanese/Korean" in err[0] and "sudo apt install fonts-noto-cjk" in err[0]
    assert (tmp_path / "zh.png").stat().st_size > 10_000                   # still drawn (boxes for the glyphs)
