"""What a newcomer meets on the command line and in mt.pipeline after `train`: one spelling of the model option
for every command (--model, as tokenize; --model-dir still works), every option's default in --help, pretrain
--quiet as train's, no silent nothing for a missing text, and a clear one-line error for each wrong directory."""
import argparse
import io
import pathlib
import sys

import pytest

import minitransformer as mt
from minitransformer.cli import build_parser, main
from minitransformer.data import ner_corpus, shipped_path

TINY = ["--vocab-size", "300", "--d-model", "16", "--num-heads", "2", "--num-layers", "1", "--d-ff", "32",
        "--max-length", "48", "--quiet"]


class Terminal(io.StringIO):
    """stdin as a person's terminal: isatty() is True."""

    def isatty(self):
        return True


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    directory = tmp_path_factory.mktemp("data")
    lines = pathlib.Path(shipped_path("train")).read_text(encoding="utf-8").splitlines()[:201]
    (directory / "train.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory / "train.tsv"


@pytest.fixture(scope="module")
def run(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "r"
    assert main(["train", "--train", str(data), *TINY, "--epochs", "1", "--output-dir", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def tagger(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ner")
    ner_corpus.write_splits(directory, seed=3, sizes={"train": 64, "validation": 16, "test": 16})
    out = directory / "tagger"
    assert main(["train", "--task", "token-classification", "--train", str(directory / "train.conll"),
                 "--validation", str(directory / "validation.conll"), *TINY, "--epochs", "1",
                 "--output-dir", str(out)]) == 0
    return out


def _subparsers(parser, name="python -m minitransformer"):
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, p in action.choices.items():
                yield from _subparsers(p, f"{name} {sub}")


def test_every_commands_help_shows_every_options_default():
    parsers = list(_subparsers(build_parser()))
    missing = [f"{name} {'/'.join(a.option_strings)}" for name, parser in parsers for a in parser._actions
               if a.option_strings and not isinstance(a, argparse._HelpAction) and "(default:" not in (a.help or "")]
    assert missing == []
    for name, parser in parsers:                            # each --help renders, with no %% left unformatted
        text = parser.format_help()
        assert "%%" not in text and "(default: None)" not in text, name


def test_evaluate_predict_and_generate_take_model_as_tokenize_does_and_model_dir_still_works(run, capsys):
    for command in (["predict", "A superb film."], ["evaluate", "--output-dir", str(run / "ev")]):
        capsys.readouterr()
        assert main([*command, "--model", str(run)]) == 0
        by_model = capsys.readouterr().out
        assert main([*command, "--model-dir", str(run)]) == 0
        assert capsys.readouterr().out == by_model and by_model
    for argv in (["evaluate", "--model", "x"], ["predict", "--model", "x"], ["tokenize", "--model", "x"],
                 ["lm", "generate", "--model", "x"], ["lm", "generate", "--model-dir", "x"]):
        args = build_parser().parse_args(argv)
        assert (args.model if argv[0] == "tokenize" else args.model_dir) == "x"


def test_pretrain_quiet_prints_the_epoch_summaries_only_and_by_default_shows_bars_as_train(data, tmp_path, capsys):
    small = ["pretrain", "--data", str(data), "--epochs", "1", "--d-model", "16", "--num-layers", "1",
             "--num-heads", "2", "--vocab-size", "300", "--max-length", "32", "--max-texts", "64"]
    assert main([*small, "--quiet", "--output-dir", str(tmp_path / "quiet")]) == 0
    quiet = capsys.readouterr()
    assert "epoch 1/1: train loss" in quiet.out and "it/s" not in quiet.err and "step " not in quiet.out
    assert main([*small, "--output-dir", str(tmp_path / "bars")]) == 0
    loud = capsys.readouterr()
    assert "epoch 1/1: train loss" in loud.out and "epoch 1/1:" in loud.err and "it/s" in loud.err


@pytest.mark.parametrize("command", [["predict"], ["tokenize"], ["lm", "generate"]])
def test_no_text_is_an_error_and_a_terminal_is_told_it_is_being_read(command, run, tmp_path, monkeypatch, capsys):
    directory = run
    if command[0] == "lm":                                  # the prompts are read before the model is loaded
        directory = tmp_path
        (directory / "config.json").write_text("{}")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main([*command, "--model", str(directory)]) == 2               # empty stdin: said, not silently nothing
    err = capsys.readouterr().err
    what = "prompt" if command[0] == "lm" else "text"
    assert err == f"error: no {what} given: pass one as an argument, in quotes, or pipe lines to stdin\n"
    if command[0] != "lm":
        monkeypatch.setattr(sys, "stdin", Terminal("some text\n"))
        assert main([*command, "--model", str(directory)]) == 0
        captured = capsys.readouterr()
        assert "reading one text per line from the terminal; end with Ctrl-D" in captured.err and captured.out


def test_a_path_error_from_the_system_is_one_line_not_a_traceback(run, data, capsys):
    assert main(["evaluate", "--model", str(run), "--output-dir", str(data / "sub")]) == 2    # under a file
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Not a directory" in err


def test_pipelines_name_the_task_a_directory_holds_and_a_file_given_for_a_directory(run, tagger):
    with pytest.raises(ValueError, match=r"model='.*tagger': holds a TransformerTokenClassifier, not a text "
                                         r"classifier \(mt.pipeline\(\"token-classification\""):
        mt.pipeline("text-classification", model=str(tagger))
    with pytest.raises(ValueError, match=r"model='.*r': holds a text classifier or another model, not a token "
                                         r"classifier \(mt.pipeline\(\"text-classification\""):
        mt.pipeline("ner", model=str(run))
    with pytest.raises(NotADirectoryError, match=r"model='.*model.npz': is a file; give the directory that holds it"):
        mt.pipeline("sentiment-analysis", model=str(run / "model.npz"))
    with pytest.raises(FileNotFoundError, match=r"model='.*': no model.npz or config.json there"):
        mt.pipeline("token-classification", model=str(run.parent))
    with pytest.raises(ValueError, match="ner: explain= is for text-classification"):
        mt.pipeline("ner", model=str(tagger), explain=True)
    assert mt.pipeline("ner", model=str(tagger))("Jordan flew to Amman.") is not None     # the right task still works


def test_a_masked_lm_or_bare_bert_directory_is_not_taken_for_a_classifier(run, tmp_path, capsys):
    from minitransformer.models import BertConfig, BertForMaskedLM
    from minitransformer.tokenizer import WordPieceTokenizer
    mlm = tmp_path / "mlm"
    config = BertConfig(vocab_size=300, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=48)
    BertForMaskedLM(config).save_pretrained(mlm)
    WordPieceTokenizer.from_pretrained(str(run)).save(mlm)
    assert main(["predict", "--model", str(mlm), "a film"]) == 2
    err = capsys.readouterr().err
    assert f"--model {mlm}: holds a BertForMaskedLM, not a text classifier (fine-tune it first: python -m " \
           f"minitransformer train --pretrained {mlm})" in err


def test_a_gpt2_directory_given_to_predict_points_to_lm_generate(tmp_path, capsys):
    from minitransformer.models import GPT2Config, GPT2LMHeadModel
    GPT2LMHeadModel(GPT2Config(vocab_size=64, n_positions=16, n_embd=8, n_layer=1, n_head=2)).save_pretrained(tmp_path)
    assert main(["evaluate", "--model", str(tmp_path)]) == 2
    assert f'holds a GPT2LMHeadModel, not a text classifier (a language model: python -m minitransformer lm ' \
           f'generate --model {tmp_path} "some text")' in capsys.readouterr().err


def test_a_data_file_of_unknown_extension_says_how_to_name_it_on_the_command_line(tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("sentence\tlabel\nfine\tpositive\n")
    assert main(["train", "--train", str(notes)]) == 2
    assert "cannot tell the format from the extension '.txt'; name the file with one of .csv, .jsonl, .ndjson, " \
           ".tsv (from Python: format=" in capsys.readouterr().err


@pytest.mark.parametrize("content, message", [
    ("{broken", "calibration.json: not valid JSON (Expecting property name"),
    ('{"temperature": -1}', 'calibration.json: expected {"temperature": T} with T > 0, got -1; train --resume DIR '
                            "--calibrate fits it again"),
])
def test_a_damaged_calibration_file_is_named_with_what_it_should_hold(content, message, run, tmp_path, capsys):
    import shutil
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    (copy / "calibration.json").write_text(content)
    assert main(["predict", "--model", str(copy), "a film"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {copy / 'calibration.json'}") and message in err and err.count("\n") == 1
    with pytest.raises(ValueError, match="calibration.json: "):
        mt.pipeline("text-classification", model=str(copy))


def test_a_mistyped_explain_method_is_an_error_and_a_one_word_text_is_still_explained(run, capsys, tmp_path):
    for typo in ("integrated", "gradient", "attention_roll", "Rollout_"):
        with pytest.raises(SystemExit) as exit_:
            main(["predict", "--model", str(run), "--explain", typo, "a film"])
        assert exit_.value.code == 2
        assert f"argument --explain: unknown method '{typo}'; use one of integrated_gradients, ig" in \
            capsys.readouterr().err
    assert main(["predict", "--model", str(run), "--explain-dir", str(tmp_path), "--explain", "great"]) == 0
    captured = capsys.readouterr()                   # "great" is a text, explained (not a method: no prefix of one)
    assert captured.out.count("\n") == 1 and "great" in captured.out
    assert "explanations (integrated_gradients) of 1 text in " in captured.err
