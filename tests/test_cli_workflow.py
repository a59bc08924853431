"""train on real-data concerns, end to end through the command line: an imbalanced three-class file with class
weights and the per-class report, the kept epoch, Ctrl-C mid-epoch then --resume giving the uninterrupted run's
every number, checkpoint modes, calibration used by predict and evaluate, truncation, and the memory check."""
import json
import os
import pathlib
import re
import signal

import numpy as np
import pytest

from minitransformer import memory, training
from minitransformer.cli import main
from minitransformer.data import shipped_path
from minitransformer.io.checkpoint import load_npz

REPO = pathlib.Path(__file__).resolve().parents[1]
TINY = ["--vocab-size", "300", "--d-model", "16", "--num-heads", "2", "--num-layers", "1", "--d-ff", "32",
        "--max-length", "48", "--batch-size", "16", "--quiet"]
CONTRAST = re.compile(r"\b(but|although|though|yet|however)\b", re.IGNORECASE)


def imbalanced_rows(split, n):
    """n rows, 80% positive, 15% negative, 5% mixed (the corpus's contrast sentences), from a shipped split."""
    rows = [line.split("\t") for line in pathlib.Path(shipped_path(split)).read_text().splitlines()[1:]]
    plain = {label: [t for t, lab in rows if lab == label and not CONTRAST.search(t)] for label in ("positive",
                                                                                                     "negative")}
    mixed = [t for t, _ in rows if CONTRAST.search(t)]
    counts = {"positive": int(0.8 * n), "negative": int(0.15 * n)}
    counts["mixed"] = n - sum(counts.values())
    out = [(t, "positive") for t in plain["positive"][:counts["positive"]]]
    out += [(t, "negative") for t in plain["negative"][:counts["negative"]]]
    out += [(t, "mixed") for t in mixed[:counts["mixed"]]]
    return [out[i] for i in np.random.default_rng(0).permutation(len(out))]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    directory = tmp_path_factory.mktemp("imbalanced")
    paths = {}
    for split, n in (("train", 400), ("validation", 100), ("test", 100)):
        paths[split] = directory / f"{split}.tsv"
        paths[split].write_text("sentence\tlabel\n" + "".join(f"{t}\t{lab}\n" for t, lab in
                                                              imbalanced_rows(split, n)))
    return paths


def data_args(files):
    return ["--train", str(files["train"]), "--validation", str(files["validation"]), "--test", str(files["test"])]


def numbers(directory):
    """Everything a run's result holds except times: metrics.json and model.npz's arrays."""
    metrics = json.loads((directory / "metrics.json").read_text())
    for key in ("train_wall_time_s", "wall_time_s"):
        metrics.pop(key)
    arrays, _ = load_npz(directory / "model.npz")
    return metrics, arrays


def test_class_weights_report_and_kept_epoch_in_metrics(files, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *data_args(files), *TINY, "--epochs", "3", "--class-weights", "balanced",
                 "--output-dir", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "training labels: mixed 20 (5%) x 6.67, negative 60 (15%) x 2.22, positive 320 (80%) x 0.417" in printed
    assert "    accuracy   " in printed and "weighted avg" in printed and "       mixed" in printed
    metrics = json.loads((out / "metrics.json").read_text())
    np.testing.assert_allclose(metrics["class_weights"], [400 / (3 * 20), 400 / (3 * 60), 400 / (3 * 320)],
                               rtol=1e-6)                      # scikit-learn's n_samples / (n_classes * bincount)
    assert set(metrics["test_report"]) <= {"positive", "negative", "mixed", "accuracy", "macro avg", "weighted avg"}
    assert metrics["test_report"]["positive"]["support"] == 80
    assert metrics["test_report"]["macro avg"]["f1-score"] == pytest.approx(metrics["test_macro_f1"])
    selection = metrics["selection"]
    assert selection["select_by"] == "macro_f1"
    assert selection["best_score"] == max(metrics["val_macro_f1"])
    assert selection["best_epoch"] == 1 + metrics["val_macro_f1"].index(max(metrics["val_macro_f1"]))
    assert selection["reason"].startswith(f"kept epoch {selection['best_epoch']}: best validation macro-F1")
    assert metrics["settings"]["class_weights"] == "balanced"


def test_ctrl_c_mid_epoch_then_resume_gives_every_number_of_the_uninterrupted_run(files, tmp_path, capsys,
                                                                                 monkeypatch):
    args = [*data_args(files), *TINY, "--epochs", "3", "--dropout", "0.3", "--patience", "2"]
    assert main(["train", *args, "--output-dir", str(tmp_path / "straight")]) == 0
    real_step, calls = training.train_step, []

    def interrupted_step(*a, **k):
        calls.append(1)
        if len(calls) == 33:                                   # epoch 2 (25 batches per epoch), batch 8
            os.kill(os.getpid(), signal.SIGINT)
        return real_step(*a, **k)

    monkeypatch.setattr(training, "train_step", interrupted_step)
    stopped = tmp_path / "stopped"
    assert main(["train", *args, "--output-dir", str(stopped)]) == 128 + signal.SIGINT
    err = capsys.readouterr().err
    assert "interrupted by SIGINT after step 33" in err and f"train --resume {stopped}" in err
    assert not (stopped / "model.npz").exists()
    monkeypatch.setattr(training, "train_step", real_step)
    assert main(["train", "--resume", str(stopped), "--quiet"]) == 0
    (metrics, arrays), (expected, expected_arrays) = numbers(stopped), numbers(tmp_path / "straight")
    expected["settings"]["output_dir"] = metrics["settings"]["output_dir"] = None
    assert metrics == expected
    assert arrays.keys() == expected_arrays.keys()
    for name in arrays:
        assert np.array_equal(arrays[name], expected_arrays[name]), name


def test_checkpoint_modes(files, tmp_path):
    base = [*data_args(files), *TINY, "--epochs", "1"]
    assert main(["train", *base, "--save-checkpoint", "never", "--output-dir", str(tmp_path / "never")]) == 0
    assert not (tmp_path / "never" / "checkpoint.npz").exists() and (tmp_path / "never" / "model.npz").exists()
    assert main(["train", *base, "--save-checkpoint", "every", "--save-steps", "10",
                 "--output-dir", str(tmp_path / "every")]) == 0
    kept = sorted(os.listdir(tmp_path / "every" / "checkpoints"))
    assert kept == ["step-00000010.npz", "step-00000020.npz", "step-00000025.npz"]


def test_calibrate_stores_a_temperature_that_predict_and_evaluate_use(files, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *data_args(files), *TINY, "--epochs", "4", "--lr", "0.01", "--calibrate",
                 "--output-dir", str(out)]) == 0
    assert "calibration: temperature" in capsys.readouterr().out
    calibration = json.loads((out / "calibration.json").read_text())
    T = calibration["temperature"]
    assert calibration["validation_after"]["nll"] <= calibration["validation_before"]["nll"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["calibration"] == calibration
    from minitransformer import run_dir
    model, tokenizer, names, max_length = run_dir.load(str(out))
    text = "The plot was not good."
    raw = run_dir.predict_proba(model, tokenizer, [text], max_length)[0]
    scaled = np.exp(np.log(raw) / T)
    scaled /= scaled.sum()                                    # softmax(z / T) from softmax(z)
    assert main(["predict", "--model-dir", str(out), text]) == 0
    every = dict(item.split("=") for item in capsys.readouterr().out.split("\t")[2].split())
    np.testing.assert_allclose([float(every[n]) for n in names], scaled, atol=1e-4)
    assert main(["evaluate", "--model-dir", str(out), "--data", str(files["test"])]) == 0
    assert f"scaled by the stored temperature {T:.3f}" in capsys.readouterr().out
    # a finished run is calibrated by resuming it with --calibrate: same model, the temperature refitted
    (out / "calibration.json").unlink()
    assert main(["train", "--resume", str(out), "--quiet", "--calibrate"]) == 0
    assert json.loads((out / "calibration.json").read_text())["temperature"] == pytest.approx(T, rel=1e-9)
    # a later run in the same directory without --calibrate must not leave the old temperature behind
    assert main(["train", *data_args(files), *TINY, "--epochs", "1", "--output-dir", str(out)]) == 0
    assert not (out / "calibration.json").exists() and run_dir.temperature(str(out)) == 1.0


def test_truncation_is_reported_and_a_step_that_cannot_fit_is_refused_before_anything_is_written(
        files, tmp_path, capsys, monkeypatch):
    out = tmp_path / "short"
    assert main(["train", *data_args(files), *TINY[:-3], "--max-length", "8", "--epochs", "1", "--quiet",
                 "--output-dir", str(out)]) == 0
    printed = capsys.readouterr().out
    line = next(line for line in printed.splitlines() if line.startswith("train split: "))
    assert re.search(r"train split: \d+ of 400 texts \(\d+\.\d%\) are longer than --max-length 8 tokens; "
                     r"truncation cuts \d+\.\d% of all tokens", line), line
    truncation = json.loads((out / "metrics.json").read_text())["truncation"]
    assert truncation["train"]["examples"] == 400 and truncation["train"]["truncated"] > 300
    monkeypatch.setattr(memory, "available_bytes", lambda device="cpu": 2**20)    # 1 MiB free
    assert main(["train", *data_args(files), *TINY, "--epochs", "1", "--output-dir", str(tmp_path / "big")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: not enough memory: a training step of 16 texts x") and "What fits:" in err
    assert not (tmp_path / "big").exists()


def test_label_line_hints_at_class_weights_only_when_imbalanced_and_bad_weights_are_named():
    from minitransformer.cli.options import UsageError
    from minitransformer.cli.workflow import class_weights, describe_labels
    assert describe_labels([0] * 85 + [1] * 75, ["neg", "pos"], None) == "training labels: neg 85 (53%), pos 75 (47%)"
    assert describe_labels([0] * 80 + [1] * 20, ["a", "b"], None).endswith(
        "(imbalanced: --class-weights balanced weights the rare labels up)")
    np.testing.assert_allclose(class_weights("1,2.5", [0, 1], ["a", "b"]), [1.0, 2.5])
    assert class_weights("none", [0, 1], ["a", "b"]) is None
    for spec, message in (("1,2,3", "expected 2 non-negative numbers"), ("x", "expected none, balanced or 2"),
                          ("balanced", "no training example of \\['b'\\]")):
        with pytest.raises(UsageError, match=message):
            class_weights(spec, [0, 0], ["a", "b"])
