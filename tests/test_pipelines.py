"""mt.pipeline("text-classification", model=DIR): Hugging Face's call shapes and scores, for a run written by
`train` and for a fine-tuned BERT directory; in the reference tier, the same labels and scores as transformers'
own pipeline on that BERT directory."""
import pathlib

import numpy as np
import pytest

import minitransformer as mt
from minitransformer import run_dir
from minitransformer.cli import main
from minitransformer.data import shipped_path

TINY = ["--vocab-size", "300", "--d-model", "16", "--num-heads", "2", "--num-layers", "1", "--d-ff", "32",
        "--max-length", "48", "--quiet"]
TEXTS = ["I love it.", "The worst film I have ever seen.", "The plot was not good."]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    directory = tmp_path_factory.mktemp("data")
    lines = pathlib.Path(shipped_path("train")).read_text(encoding="utf-8").splitlines()[:301]
    (directory / "train.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory / "train.tsv"


@pytest.fixture(scope="module")
def run(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "r"
    assert main(["train", "--train", str(data), *TINY, "--epochs", "1", "--output-dir", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def bert_run(data, tmp_path_factory):
    """A BERT pretrained with masked LM and fine-tuned: a Hugging Face directory (config.json, safetensors)."""
    root = tmp_path_factory.mktemp("bert")
    assert main(["pretrain", "--data", str(data), "--output-dir", str(root / "mlm"), "--epochs", "1",
                 "--d-model", "16", "--num-layers", "1", "--num-heads", "2", "--vocab-size", "300",
                 "--max-length", "48"]) == 0
    assert main(["train", "--train", str(data), "--pretrained", str(root / "mlm"), "--epochs", "1", "--quiet",
                 "--output-dir", str(root / "tuned")]) == 0
    return root / "tuned"


@pytest.mark.parametrize("which", ["run", "bert_run"])
def test_text_classification_returns_hugging_face_shapes_and_the_models_probabilities(which, request):
    directory = request.getfixturevalue(which)
    classify = mt.pipeline("text-classification", model=str(directory))
    model, tokenizer, label_names, max_length = run_dir.load(str(directory))
    probs = run_dir.predict_proba(model, tokenizer, TEXTS, max_length)              # (3, 2)
    best = classify(TEXTS)                                                           # one dict per text
    assert best == [{"label": label_names[int(p.argmax())], "score": pytest.approx(float(p.max()))} for p in probs]
    alone = classify(TEXTS[0])                                 # a string: a list of one (batched alone: float32 noise)
    assert alone == [{"label": best[0]["label"], "score": pytest.approx(best[0]["score"], abs=1e-6)}]
    every = classify(TEXTS[0], top_k=None)                                           # every label, best first
    assert [d["label"] for d in every] == [label_names[i] for i in np.argsort(-probs[0])]
    assert sum(d["score"] for d in every) == pytest.approx(1.0)
    nested = classify(TEXTS, top_k=1)                                                # top_k given: one list per text
    assert nested == [[b] for b in best]
    assert [len(r) for r in classify(TEXTS, top_k=None)] == [2, 2, 2]
    raw = classify(TEXTS[:1], top_k=None, function_to_apply="none")[0]
    logits = run_dir.predict_logits(model, tokenizer, TEXTS[:1], max_length)[0]
    assert sorted(d["score"] for d in raw) == pytest.approx(sorted(logits.tolist()))
    sigmoid = classify(TEXTS[0], top_k=None, function_to_apply="sigmoid")
    assert sorted(d["score"] for d in sigmoid) == pytest.approx(sorted((1 / (1 + np.exp(-logits))).tolist()))
    assert mt.pipeline("sentiment-analysis", model=str(directory))(TEXTS) == best   # transformers' alias


def test_a_calibrated_runs_scores_use_its_stored_temperature(run, tmp_path):
    import json
    import shutil
    calibrated = tmp_path / "calibrated"
    shutil.copytree(run, calibrated)
    (calibrated / "calibration.json").write_text(json.dumps({"temperature": 2.0}))
    model, tokenizer, _, max_length = run_dir.load(str(run))
    logits = run_dir.predict_logits(model, tokenizer, TEXTS, max_length)
    scores = mt.pipeline("text-classification", model=str(calibrated)).scores(TEXTS)
    expected = np.exp(logits / 2.0) / np.exp(logits / 2.0).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(scores, expected, rtol=1e-6)


def test_a_run_trained_with_calibrate_scores_as_predict_prints_them(data, tmp_path, capsys):
    out = tmp_path / "calibrated"
    assert main(["train", "--train", str(data), *TINY, "--epochs", "1", "--calibrate", "--output-dir", str(out)]) == 0
    temperature = run_dir.temperature(str(out))
    assert temperature != 1.0                                      # fitted, stored in calibration.json
    capsys.readouterr()
    assert main(["predict", "--model", str(out), *TEXTS]) == 0
    printed = [dict(item.split("=") for item in line.split("\t")[2].split())
               for line in capsys.readouterr().out.splitlines()]
    scored = mt.pipeline("text-classification", model=str(out))(TEXTS, top_k=None)
    for p, ranked in zip(printed, scored):
        assert {d["label"]: round(d["score"], 4) for d in ranked} == {k: float(v) for k, v in p.items()}
    model, tokenizer, _, max_length = run_dir.load(str(out))
    logits = run_dir.predict_logits(model, tokenizer, TEXTS, max_length)
    assert not np.allclose(mt.pipeline("text-classification", model=str(out)).scores(TEXTS),
                           np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True), atol=1e-4)


def test_explain_adds_each_returned_labels_attributions_as_predict_explain_computes_them(run, tmp_path):
    import json
    import shutil
    calibrated = tmp_path / "calibrated"                           # the explanation follows the stored temperature
    shutil.copytree(run, calibrated)
    (calibrated / "calibration.json").write_text(json.dumps({"temperature": 2.0}))
    model, tokenizer, label_names, max_length = run_dir.load(str(calibrated))
    classify = mt.pipeline("text-classification", model=str(calibrated), explain=True)
    for text, d in zip(TEXTS, classify(TEXTS)):
        e = d["explanation"]
        assert isinstance(e, mt.explain.Explanation) and e.method == "integrated_gradients" and e.text == text
        assert e.label == d["label"] and e.score == pytest.approx(d["score"], abs=1e-5)   # F(x): the score shown
        expected = mt.explain.explain(model, tokenizer, text, target=e.target, label_names=label_names,
                                      max_length=max_length, tolerance=0.01, temperature=2.0)[0]
        np.testing.assert_allclose(e.word_attributions, expected.word_attributions, rtol=1e-6, atol=1e-9)
        assert e.word_attributions.sum() == pytest.approx(e.score - e.baseline_score, abs=0.01 * abs(
            e.score - e.baseline_score) + 1e-6)                    # completeness, as predict --explain refines to
    every = mt.pipeline("sentiment-analysis", model=str(run))(TEXTS[0], top_k=None, explain="gxi")
    assert [d["explanation"].label for d in every] == [d["label"] for d in every]   # each label its own
    assert [d["explanation"].method for d in every] == ["gradient_x_input"] * 2
    np.testing.assert_allclose(every[0]["explanation"].word_attributions,
                               -every[1]["explanation"].word_attributions, atol=1e-6)  # 2 classes: p1 = 1 - p0
    raw = mt.pipeline("text-classification", model=str(run))(TEXTS[0], function_to_apply="none", explain="ig")[0]
    assert raw["explanation"].output == "logit" and raw["explanation"].score == pytest.approx(raw["score"], abs=1e-5)
    assert "explanation" not in mt.pipeline("text-classification", model=str(run))(TEXTS[0])[0]   # off by default
    with pytest.raises(ValueError, match="explain: unknown method 'shap'"):
        mt.pipeline("text-classification", model=str(run), explain="shap")


def test_a_model_object_with_its_tokenizer_scores_as_its_directory(run):
    model, tokenizer, label_names, max_length = run_dir.load(str(run))
    from_dir = mt.pipeline("text-classification", model=str(run))(TEXTS, top_k=None)
    from_object = mt.pipeline("text-classification", model=model, tokenizer=tokenizer, label_names=label_names,
                               max_length=max_length)(TEXTS, top_k=None)
    assert from_object == from_dir
    unnamed = mt.pipeline("sentiment-analysis", model=model, tokenizer=tokenizer)(TEXTS[0], top_k=None)
    assert sorted(d["label"] for d in unnamed) == ["0", "1"]          # no names in the config: the class ids
    with pytest.raises(TypeError, match="model is a directory, or a classifier object together with its "
                                        "tokenizer=...; got TransformerClassifier and tokenizer=None"):
        mt.pipeline("text-classification", model=model)


def test_wrong_tasks_arguments_and_inputs_are_clear_errors(run):
    with pytest.raises(ValueError, match="unknown task 'translation'; known tasks: ner, sentiment-analysis, "
                                         "text-classification, token-classification"):
        mt.pipeline("translation", model=str(run))
    with pytest.raises(FileNotFoundError, match="model='.*nowhere': no such directory"):
        mt.pipeline("text-classification", model=str(run.parent / "nowhere"))
    classify = mt.pipeline("text-classification", model=str(run))
    with pytest.raises(ValueError, match="top_k must be a positive int or None"):
        classify(TEXTS, top_k=0)
    with pytest.raises(ValueError, match="function_to_apply must be one of"):
        classify(TEXTS, function_to_apply="relu")
    with pytest.raises(TypeError, match="input 1 is a int; expected a string or a list of strings"):
        classify(["fine", 3])


@pytest.mark.reference
def test_the_same_labels_and_scores_as_transformers_pipeline_on_a_fine_tuned_bert(bert_run):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("torch")
    theirs = transformers.pipeline("text-classification", model=str(bert_run), tokenizer=str(bert_run),
                                   device="cpu")
    ours = mt.pipeline("text-classification", model=str(bert_run))
    for a, b in zip(ours(TEXTS, top_k=None), theirs(TEXTS, top_k=None)):
        assert [d["label"] for d in a] == [d["label"] for d in b]
        assert [d["score"] for d in a] == pytest.approx([d["score"] for d in b], abs=1e-5)
