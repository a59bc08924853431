"""Masked-LM pretraining end to end on a tiny slice (seconds): the loader's masking, the loop, the CLI's
checkpoint directory, and loading it back as a masked LM and as a classifier with a fresh head."""
import json
import warnings

import numpy as np
import pytest

import minitransformer as mt
from minitransformer.cli import main
from minitransformer.models.bert import BertForMaskedLM
from minitransformer.optim import SGD
from minitransformer.pretraining import (MaskedLMLoader, classifier_from_pretrained, evaluate_masked_lm, fill_mask,
                                         masked_lm_loss, new_masked_lm, pretrain, read_texts)
from minitransformer.tokenizer import WordPieceTokenizer
from minitransformer.training import count_correct, fit

TEXTS = [f"the {a} was {b} and the {c} felt {d}." for a in ("movie", "battery", "screen", "plot", "service")
         for b in ("great", "bad", "fine", "awful") for c in ("sound", "staff", "ending") for d in ("cheap", "warm")]


@pytest.fixture(scope="module")
def tokenizer():
    return WordPieceTokenizer.train(TEXTS, vocab_size=120, show_progress=False)


def test_loader_masks_only_text_tokens_and_is_seeded(tokenizer):
    loader = MaskedLMLoader(TEXTS, tokenizer, batch_size=16, seed=3)
    first = list(loader)
    loader.set_epoch(0)
    again = list(loader)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a["input_ids"], b["input_ids"])
    batch = first[0]
    clean = np.asarray(tokenizer([TEXTS[i] for i in loader.batch_indices(0)[0]], padding=True,
                                 return_tensors="np")["input_ids"])
    chosen = batch["labels"] != -100
    np.testing.assert_array_equal(batch["labels"][chosen], clean[chosen])  # labels are the clean tokens
    assert not np.isin(clean[chosen], tokenizer.all_special_ids).any()
    np.testing.assert_array_equal(batch["input_ids"][~chosen], clean[~chosen])
    assert 0.05 < np.mean([(b["labels"] != -100).sum() / (b["attention_mask"].sum() - 2 * len(b["labels"]))
                           for b in first]) < 0.3
    assert not np.array_equal(first[0]["labels"], list(loader)[0]["labels"])  # epoch 1: fresh masks


def test_pretrain_lowers_the_masked_lm_loss(tokenizer):
    mt.manual_seed(0)
    model = new_masked_lm(tokenizer, hidden_size=32, num_layers=1, num_heads=2, max_length=32)
    history = pretrain(model, MaskedLMLoader(TEXTS, tokenizer, batch_size=16), epochs=4, lr=3e-3, log=None)
    first, last = np.mean(history["loss"][:3]), np.mean(history["loss"][-3:])
    assert last < first - 1.0, (first, last)  # from ~log(120) = 4.8 towards the few words that fit each slot
    answers = fill_mask(model, tokenizer, "the movie was great and the [MASK] felt cheap.", top_k=3)
    assert len(answers) == 1 and len(answers[0]) == 3


def test_masked_lm_loss_equals_the_full_forward_with_its_gradients(tokenizer):
    """Decoding only the chosen positions is an optimisation, not a change: in float64 without dropout the loss
    and every parameter's gradient (the tied embedding and decoder bias included) match BertForMaskedLM's own
    all-position loss."""
    mt.manual_seed(0)
    model = new_masked_lm(tokenizer, hidden_size=32, num_layers=1, num_heads=2, max_length=32,
                          hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0).double()
    batch = next(iter(MaskedLMLoader(TEXTS, tokenizer, batch_size=16, seed=4)))
    params = dict(model.named_parameters())
    full = model(batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"]).loss
    full.backward()
    expected = {name: p.grad.numpy().copy() for name, p in params.items()}
    model.zero_grad()
    loss, logits, targets = masked_lm_loss(model, batch["input_ids"], batch["attention_mask"], batch["labels"])
    loss.backward()
    chosen = batch["labels"] != -100
    assert logits.shape == (chosen.sum(), tokenizer.vocab_size) and np.array_equal(targets, batch["labels"][chosen])
    assert loss.item() == pytest.approx(full.item(), rel=1e-12)
    for name, p in params.items():
        np.testing.assert_allclose(p.grad.numpy(), expected[name], rtol=1e-9, atol=1e-12, err_msg=name)


def test_pretrain_trains_as_fit_on_the_full_forward_would(tokenizer):
    """pretrain() (chosen positions only) and plain fit() on the model's all-position forward take the same
    steps: same weights and the same per-step losses and epoch accuracy afterwards."""
    runs = []
    for use_pretrain in (True, False):
        mt.manual_seed(0)
        model = new_masked_lm(tokenizer, hidden_size=32, num_layers=1, num_heads=2, max_length=32).double()
        loader = MaskedLMLoader(TEXTS, tokenizer, batch_size=16, seed=2)
        train = pretrain if use_pretrain else fit
        history = train(model, loader, epochs=1, lr=3e-3, log=None, progress=False)
        runs.append((history, model.state_dict()))
    (h1, w1), (h2, w2) = runs
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-9)
    assert h1["train_accuracy"] == h2["train_accuracy"]
    for name in w1:
        np.testing.assert_allclose(w1[name], w2[name], rtol=1e-7, atol=1e-10, err_msg=name)


def numpy_masked_lm_scores(model, loader):
    """(mean loss, accuracy) over the chosen tokens of the loader's epoch-0 batches, from the logits by NumPy."""
    loader.set_epoch(0)
    losses, hits = [], []
    with mt.no_grad():
        for batch in loader:
            logits = model(batch["input_ids"], attention_mask=batch["attention_mask"]).logits.numpy()  # (B, T, V)
            chosen = batch["labels"] != -100
            z, y = logits[chosen], batch["labels"][chosen]  # (n, V), (n,)
            z = z - z.max(axis=1, keepdims=True)
            losses += list(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y])
            hits += list(z.argmax(axis=1) == y)
    return np.mean(losses), np.mean(hits)


def test_count_correct_skips_ignored_positions():
    logits = mt.tensor(np.eye(3, dtype=np.float32)[[[0, 1, 2], [2, 2, 0]]])  # (2, 3, 3): predicts 0 1 2 / 2 2 0
    assert count_correct(logits, np.array([[0, -100, 1], [2, -100, -100]])) == (2, 3)
    assert count_correct(mt.tensor(np.eye(3, dtype=np.float32)), np.array([0, 2, 2])) == (2, 3)  # (B,) labels
    # (n, V) logits of the counted positions only, in row-major order: [[0, x, 1], [2, x, x]] -> 0, 1, 2
    rows = mt.tensor(np.eye(3, dtype=np.float32)[[0, 2, 2]])  # predicts 0, 2, 2
    assert count_correct(rows, np.array([[0, -100, 1], [2, -100, -100]])) == (2, 3)
    with pytest.raises(ValueError, match="counted positions"):
        count_correct(rows[:2], np.array([[0, -100, 1], [2, -100, -100]]))


def test_fit_with_the_masked_lm_evaluate_scores_the_masked_tokens(tokenizer):
    """Training and validation numbers from fit() are the loss and accuracy over the chosen tokens only: checked
    against NumPy on the same masks, with lr 0 and no dropout so the model the numbers describe does not move."""
    mt.manual_seed(0)
    model = new_masked_lm(tokenizer, hidden_size=32, num_layers=1, num_heads=2, max_length=32,
                          hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    train = MaskedLMLoader(TEXTS, tokenizer, batch_size=16, seed=5)
    val = MaskedLMLoader(TEXTS[:40], tokenizer, batch_size=16, shuffle=False, seed=6)
    pretrain(model, MaskedLMLoader(TEXTS, tokenizer, batch_size=16), epochs=4, lr=3e-3, log=None)  # some hits
    history = fit(model, train, val, optimizer=SGD(model.parameters(), lr=0.0), epochs=1, progress=False, log=None,
                  evaluate_fn=evaluate_masked_lm)
    val_loss, val_accuracy = numpy_masked_lm_scores(model, val)
    assert 0.1 < val_accuracy < 0.9  # neither all wrong nor all right: the counting is what is tested
    assert history["val_loss"] == [pytest.approx(val_loss, rel=1e-4)]
    assert history["val_accuracy"] == [pytest.approx(val_accuracy)] and history["val_macro_f1"] == []
    train_loss, train_accuracy = numpy_masked_lm_scores(model, train)  # epoch 0: the masks fit() trained on
    assert history["train_loss"] == [pytest.approx(train_loss, rel=1e-4)]
    assert history["train_accuracy"] == [pytest.approx(train_accuracy)]
    assert evaluate_masked_lm(model, val) == evaluate_masked_lm(model, val)  # rewound: the same masks every call


def test_pretrain_cli_writes_a_checkpoint_that_fine_tunes(tmp_path, capsys):
    data = tmp_path / "texts.txt"
    data.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    out = tmp_path / "mlm"
    code = main(["pretrain", "--data", str(data), "--output-dir", str(out), "--epochs", "1", "--hidden-size", "16",
                 "--layers", "1", "--heads", "2", "--vocab-size", "100", "--max-length", "24", "--batch-size", "16"])
    assert code == 0
    assert {"config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json"} <= {p.name for p in out.iterdir()}
    assert "train --pretrained" in capsys.readouterr().out
    history = json.loads((out / "pretrain_history.json").read_text())["history"]
    assert len(history["loss"]) == 8 and len(history["val_accuracy"]) == 1  # 120 texts, 6 held out, batch 16
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mlm = BertForMaskedLM.from_pretrained(out)  # complete: no missing or unexpected keys
    assert mlm.config.vocab_size == WordPieceTokenizer.from_pretrained(out).vocab_size <= 100
    with pytest.warns(UserWarning, match="classifier"):
        clf, tok = classifier_from_pretrained(out, ["negative", "positive"])
    assert clf.config.id2label == {0: "negative", 1: "positive"}
    np.testing.assert_array_equal(clf.bert.embeddings.word_embeddings.weight.numpy(),
                                  mlm.bert.embeddings.word_embeddings.weight.numpy())
    enc = tok(TEXTS[:2], padding=True, return_tensors="np")
    assert clf(enc["input_ids"], enc["attention_mask"]).logits.shape == (2, 2)


def test_pretrain_reads_a_named_datasets_training_texts(tmp_path, capsys):
    out = tmp_path / "mlm"
    assert main(["pretrain", "--dataset", "shipped", "--max-texts", "120", "--output-dir", str(out), "--epochs", "1",
                 "--d-model", "16", "--num-layers", "1", "--num-heads", "2", "--vocab-size", "100",
                 "--max-length", "24"]) == 0
    assert capsys.readouterr().out.startswith("pretrain: 114 texts (6 held out)")
    args = json.loads((out / "pretrain_history.json").read_text())["args"]
    assert (args["dataset"], args["mlm_probability"], args["lr"]) == ("shipped", 0.4, 3e-3)   # lesson 9's recipe


def test_pretrain_cli_errors(tmp_path, capsys):
    assert main(["pretrain", "--data", str(tmp_path / "missing.txt")]) == 2
    assert "missing.txt: file not found" in capsys.readouterr().err


def test_read_texts_formats(tmp_path):
    (tmp_path / "a.tsv").write_text("sentence\tlabel\nfirst one\tpositive\n\t\nsecond\tnegative\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text('{"sentence": "third"}\n\n', encoding="utf-8")
    (tmp_path / "c.txt").write_text("fourth\n\n  fifth  \n", encoding="utf-8")
    assert read_texts([tmp_path / "a.tsv", tmp_path / "b.jsonl", tmp_path / "c.txt"]) == \
        ["first one", "second", "third", "fourth", "fifth"]
    with pytest.raises(ValueError, match="no 'text' column"):
        read_texts(tmp_path / "a.tsv", text_column="text")


@pytest.mark.slow  # pretraining 10 epochs and two 15-epoch trainings on the shipped corpus: about 190 s of CPU
def test_pretraining_with_the_cli_defaults_beats_training_from_scratch_on_the_shipped_corpus(tmp_path):
    """The README's recipe, every option at its default: pretrain, then fine-tune (lr 5e-4 from the directory's
    fine_tuning.json); against `train` from scratch (lr 1e-3), seed 0. Both the test accuracy and the test
    cross-entropy must be better. Measured, seed 0: 0.973 against 0.966, cross-entropy 0.088 against 0.134 (default
    threads); 0.982 against 0.963, 0.077 against 0.130 (one thread); seeds 1, 2, 3 (one thread) +1.9, +0.4, -0.1
    points, cross-entropy 0.49, 0.83, 0.76 times scratch's. The gain is modest, so no margin is asked beyond 'better';
    at the earlier fine-tuning lr 1e-3 seed 0 lost (0.959 against 0.963, cross-entropy 0.163 against 0.130)."""
    assert main(["pretrain", "--dataset", "shipped", "--output-dir", str(tmp_path / "mlm")]) == 0
    for name, extra in (("pretrained", ["--pretrained", str(tmp_path / "mlm")]), ("scratch", [])):
        assert main(["train", "--dataset", "shipped", *extra, "--quiet", "--output-dir", str(tmp_path / name)]) == 0
    metrics = {name: json.loads((tmp_path / name / "metrics.json").read_text()) for name in ("pretrained", "scratch")}
    pretrained, scratch = metrics["pretrained"], metrics["scratch"]
    scores = {name: (m["test_accuracy"], m["test_loss"]) for name, m in metrics.items()}
    assert pretrained["test_accuracy"] > scratch["test_accuracy"] >= 0.9, scores
    assert pretrained["test_loss"] < scratch["test_loss"], scores
