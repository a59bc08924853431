"""plots.py: every figure is drawn without a display, saved where asked, and shows the data it was given."""
import numpy as np
import pytest

from minitransformer import plots

HISTORY = {"epoch": [1, 2, 3], "train_loss": [0.7, 0.5, 0.3], "train_accuracy": [0.5, 0.7, 0.9],
           "val_loss": [0.65, 0.55, 0.45], "val_accuracy": [0.55, 0.7, 0.8], "val_macro_f1": [0.5, 0.68, 0.79],
           "step": list(range(1, 13)), "loss": list(np.linspace(0.8, 0.2, 12)), "lr": [i / 12 for i in range(12)]}


def is_png(path):
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_loss_curves_show_the_steps_their_moving_average_and_the_epochs(tmp_path):
    fig = plots.plot_loss_curves(HISTORY, tmp_path / "sub" / "loss.png", smooth=3)
    assert is_png(tmp_path / "sub" / "loss.png")
    raw, smooth, train, val = fig.axes[0].lines
    np.testing.assert_allclose(raw.get_ydata(), HISTORY["loss"])
    # moving average of 3 (fewer at the start), computed independently
    losses = np.array(HISTORY["loss"])
    expected = [losses[max(0, i - 2):i + 1].mean() for i in range(len(losses))]
    np.testing.assert_allclose(smooth.get_ydata(), expected)
    np.testing.assert_allclose(train.get_xdata(), [4, 8, 12])     # epoch ends on the step axis
    np.testing.assert_allclose(val.get_ydata(), HISTORY["val_loss"])


def test_accuracy_curves_and_lr_schedule(tmp_path):
    fig = plots.plot_accuracy_curves(HISTORY, tmp_path / "acc.png")
    assert [list(line.get_ydata()) for line in fig.axes[0].lines] == [
        HISTORY["train_accuracy"], HISTORY["val_accuracy"], HISTORY["val_macro_f1"]]
    fig = plots.plot_lr_schedule(HISTORY, tmp_path / "lr.png")
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), HISTORY["lr"])
    fig = plots.plot_lr_schedule([0.0, 0.5, 1.0])
    assert list(fig.axes[0].lines[0].get_xdata()) == [1, 2, 3]
    assert is_png(tmp_path / "acc.png") and is_png(tmp_path / "lr.png")


def test_confusion_matrix_writes_counts_and_row_fractions(tmp_path):
    fig = plots.plot_confusion_matrix([[8, 2], [1, 9]], ["negative", "positive"], tmp_path / "cm.png")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["8\n80%", "2\n20%", "1\n10%", "9\n90%"]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["negative", "positive"]
    assert is_png(tmp_path / "cm.png")


def test_attention_map_per_head_averaged_or_all(tmp_path):
    tokens = ["[CLS]", "not", "good", "[SEP]"]
    rng = np.random.default_rng(0)
    weights = rng.random((2, 4, 4))
    weights /= weights.sum(-1, keepdims=True)
    fig = plots.plot_attention(weights, tokens, head="mean", path=tmp_path / "att.png")
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), weights.mean(0))
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == tokens
    fig = plots.plot_attention(weights, tokens, head=1)
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), weights[1])
    fig = plots.plot_attention(weights, tokens, head="all")
    assert sum(1 for ax in fig.axes if ax.images) == 2
    with pytest.raises(ValueError, match="T = 3 tokens"):
        plots.plot_attention(weights, tokens[:3])
    with pytest.raises(ValueError, match="head must be"):
        plots.plot_attention(weights, tokens, head=2)
    assert is_png(tmp_path / "att.png")


def test_a_long_sentence_is_drawn_as_its_first_tokens_and_says_so(tmp_path):
    T = 300
    weights = np.random.default_rng(0).random((2, T, T))
    fig = plots.plot_attention(weights, [f"w{i}" for i in range(T)], head="all", path=tmp_path / "long.png",
                               title="last layer")
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), weights[0, :64, :64])
    assert fig._suptitle.get_text() == "last layer\nfirst 64 of 300 tokens (each row's weights on later keys are " \
        "not shown)"
    assert fig.get_size_inches()[0] < 30                                   # the figure no longer grows with T
    assert is_png(tmp_path / "long.png")


def test_reliability_diagram_shows_accuracy_and_gap_per_bin(tmp_path):
    from minitransformer.calibration import reliability_bins
    probs = np.array([[0.95, 0.05], [0.9, 0.1], [0.3, 0.7], [0.45, 0.55]])
    bins = reliability_bins(probs, [0, 1, 1, 0])
    fig = plots.plot_reliability(bins, tmp_path / "rel.png")
    heights = [bar.get_height() for bar in fig.axes[0].containers[0]]
    np.testing.assert_allclose(heights, bins["accuracy"][bins["count"] > 0])
    assert is_png(tmp_path / "rel.png")


def test_sentence_attention_reads_one_layer_of_a_model():
    import minitransformer as mt
    from minitransformer.models import TransformerClassifier
    from minitransformer.tokenizer import WordPieceTokenizer

    tok = WordPieceTokenizer.train(["the plot was not good", "the acting was good"] * 3, vocab_size=60,
                                   min_frequency=1, show_progress=False)
    mt.manual_seed(0)
    model = TransformerClassifier(tok.vocab_size, 2, d_model=8, num_heads=2, num_layers=2, d_ff=16).train()
    tokens, weights = plots.sentence_attention(model, tok, "the plot was not good", layer=0)
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and "not" in tokens
    assert weights.shape == (2, len(tokens), len(tokens))
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)      # each query's weights are a distribution
    assert model.training, "the model's mode is restored"
