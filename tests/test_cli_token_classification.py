"""train --task token-classification, evaluate and predict end to end on a small generated NER corpus (from scratch
and from a tiny BERT directory), --resume, and user mistakes as one-line errors."""
import json

import numpy as np
import pytest

from minitransformer.cli import main
from minitransformer.data import ner_corpus
from minitransformer.models import BertConfig, BertModel
from minitransformer.tagger_run import is_tagger_dir

TINY = ["--task", "token-classification", "--vocab-size", "300", "--d-model", "16", "--num-heads", "2",
        "--num-layers", "1", "--d-ff", "32", "--max-length", "48", "--batch-size", "32", "--quiet"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ner")
    ner_corpus.write_splits(directory, seed=3, sizes={"train": 160, "validation": 40, "test": 40})
    return {split: directory / f"{split}.conll" for split in ("train", "validation", "test")}


def data_args(files, test=True):
    return ["--train", str(files["train"]), "--validation", str(files["validation"])] + \
        (["--test", str(files["test"])] if test else [])


@pytest.fixture(scope="module")
def run(files, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "tagger"
    assert main(["train", *data_args(files), *TINY, "--epochs", "2", "--output-dir", str(out)]) == 0
    return out


def test_train_writes_a_tagger_run(run):
    assert {"model.npz", "vocab.txt", "metrics.json", "checkpoint.npz", "train_args.json"} <= \
        {p.name for p in run.iterdir()}
    assert {p.name for p in (run / "figures").iterdir()} == {"loss.png", "scores.png", "entity_spans.png"}
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["task"] == "token-classification" and metrics["epoch"] == [1, 2]
    assert len(metrics["val_entity_f1"]) == len(metrics["val_token_accuracy"]) == 2
    assert len(metrics["steps"]["loss"]) == 2 * 5  # 160 sentences in batches of 32
    assert set(metrics["test_report"]) >= {"micro avg", "macro avg"} and 0 <= metrics["test_f1"] <= 1
    assert json.loads((run / "train_args.json").read_text())["task"] == "token-classification"
    assert is_tagger_dir(run)


def test_predict_prints_entities_with_character_spans(run, capsys):
    text = "Jordan Smith flew to Amman on 3 May 2021."
    assert main(["predict", "--model-dir", str(run), "--json", text]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["text"] == text
    for e in line["entities"]:
        assert set(e) == {"entity_group", "score", "word", "start", "end"} and 0 <= e["start"] < e["end"] <= len(text)
    assert main(["predict", "--model-dir", str(run), text]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == text and all(line.startswith("  ") and line.count("\t") == 3 for line in lines[1:])


def test_evaluate_prints_entity_scores(run, files, capsys):
    assert main(["evaluate", "--model-dir", str(run), "--data", str(files["test"])]) == 0
    out = capsys.readouterr().out
    metrics = json.loads((run / "metrics.json").read_text())
    assert f"entity F1         {metrics['test_f1']:.4f}" in out and "token accuracy" in out and "micro avg" in out


def test_resume_continues_a_tagger_run(files, tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", *data_args(files, test=False), *TINY, "--epochs", "1", "--output-dir", str(out)]) == 0
    assert main(["train", "--resume", str(out), "--epochs", "2"]) == 0
    assert "resumed from" in capsys.readouterr().out
    assert json.loads((out / "metrics.json").read_text())["epoch"] == [1, 2]


def test_fine_tune_a_bert_directory(files, run, tmp_path):
    """--pretrained: a tiny BERT with the run's vocabulary gets a token-classification head; the result is a
    Hugging Face directory that evaluate/predict (and transformers) read."""
    bert_dir = tmp_path / "bert"
    vocab = (run / "vocab.txt").read_text().splitlines()
    BertModel(BertConfig.tiny(len(vocab), hidden_size=16, num_attention_heads=2, intermediate_size=32)) \
        .save_pretrained(bert_dir)
    (bert_dir / "vocab.txt").write_text("\n".join(vocab) + "\n")
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        if (run / name).exists():
            (bert_dir / name).write_text((run / name).read_text())
    out = tmp_path / "ft"
    assert main(["train", "--task", "token-classification", *data_args(files), "--pretrained", str(bert_dir),
                 "--epochs", "1", "--quiet", "--output-dir", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["architectures"] == ["BertForTokenClassification"] and config["id2label"]["1"] == "B-DATE"
    assert is_tagger_dir(out) and main(["predict", "--model-dir", str(out), "Ann met Bo."]) == 0
    settings = json.loads((out / "train_args.json").read_text())
    assert settings["lr"] == 5e-5 and settings["epochs"] == 1  # fine-tuning defaults unless given


def test_iob1_file_needs_repair_tags(files, tmp_path, capsys):
    iob1 = tmp_path / "iob1.conll"
    iob1.write_text("Ann I-PER\nleft O\n\n" * 40)
    args = ["train", "--train", str(iob1), *TINY, "--epochs", "1", "--output-dir", str(tmp_path / "x")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "line 1): I-PER follows O" in err and "--repair-tags" in err
    assert main(args + ["--repair-tags"]) == 0
    assert "a seeded tenth" in capsys.readouterr().out  # no --validation: held out from --train


@pytest.mark.parametrize("extra,message", [
    (["--text-column", "x"], "--text-column applies to text classification"),
    (["--class-weights", "balanced"], "--class-weights applies to text classification"),
    (["--select-by", "loss"], "--select-by applies to text classification"),
    (["--validation", "v.conll"], "file not found"),
])
def test_user_mistakes_are_one_line_errors(files, tmp_path, capsys, extra, message):
    args = ["train", "--task", "token-classification", *extra, "--output-dir", str(tmp_path / "y"), "--quiet"]
    if extra[0] == "--validation":
        args += ["--train", str(files["train"])]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_shipped_defaults_are_the_measured_ones():
    from minitransformer.cli import tagging
    assert tagging.DEFAULTS["epochs"] == 8 and tagging.DEFAULTS["lr"] == 4e-3 and tagging.DEFAULTS["d_model"] == 64
    assert np.isclose(tagging.FINE_TUNING["lr"], 5e-5)
