"""`predict --explain [METHOD]` on the small trained classifier in tests/fixtures/explain_classifier: words shaded in
the output (markers when not a terminal, colours when it is), an HTML and a PNG per text, and texts never lost to
the flag's optional value."""
import pathlib
import re
import sys

import pytest

from minitransformer.cli import main

MODEL = pathlib.Path(__file__).resolve().parent / "fixtures" / "explain_classifier"


def unmarked(shaded):
    """The text back from its [word +0.12] markers."""
    return re.sub(r"\[(.+?) [+-][0-9.e+-]+\]", r"\1", shaded)


def predict(capsys, *args):
    capsys.readouterr()
    assert main(["predict", "--model-dir", str(MODEL), *args]) == 0
    captured = capsys.readouterr()
    return captured.out.splitlines(), captured.err


def test_predict_explain_shades_words_and_writes_html_and_png(capsys, tmp_path):
    lines, err = predict(capsys, "--explain-dir", str(tmp_path), "The plot was not good.", "A superb film.",
                         "--explain")
    assert len(lines) == 2
    label, p, every, shaded = lines[0].split("\t")
    assert label in ("negative", "positive") and "\x1b[" not in shaded                    # not a TTY: markers
    assert re.search(r"\[\w+ [+-][0-9.e-]+\]", shaded) and unmarked(shaded) == "The plot was not good."
    assert {p.name for p in tmp_path.iterdir()} == {"001.html", "001.png", "002.html", "002.png"}
    assert "superb" in (tmp_path / "002.html").read_text() and "<span" in (tmp_path / "002.html").read_text()
    assert (tmp_path / "002.png").read_bytes()[:4] == b"\x89PNG"
    assert "integrated_gradients" in err and str(tmp_path) in err


def test_predict_without_explain_is_unchanged(capsys):
    lines, _ = predict(capsys, "The plot was not good.")
    assert lines[0].endswith("\tThe plot was not good.")


@pytest.mark.parametrize("args, texts", [
    (["--explain", "A dull film.", "A superb film."], ["A dull film.", "A superb film."]),
    (["--explain", "ig", "A dull film.", "A superb film."], ["A dull film.", "A superb film."]),
    (["A dull film.", "--explain", "A superb film."], ["A dull film.", "A superb film."]),
    (["A dull film.", "--explain", "rollout"], ["A dull film."]),
])
def test_a_text_given_right_after_explain_stays_a_text_in_its_place(capsys, tmp_path, args, texts):
    lines, _ = predict(capsys, "--explain-dir", str(tmp_path), *args)
    assert [unmarked(line.split("\t")[-1]) for line in lines] == texts
    assert len(list(tmp_path.glob("*.html"))) == len(texts)


def test_predict_explain_colours_words_on_a_terminal(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    lines, _ = predict(capsys, "--explain-dir", str(tmp_path), "--explain", "gxi", "The plot was not good.")
    assert "\x1b[30;48;5;" in lines[0]
