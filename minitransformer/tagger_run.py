"""The directory a token-classification `train` run writes, and how `evaluate`, `predict` and the pipeline read it.

    DIR/train_args.json        the run's settings, "task": "token-classification" among them
    DIR/vocab.txt              the WordPiece vocabulary, + tokenizer_config.json
    DIR/checkpoint.npz         the latest training checkpoint (train --resume DIR continues from it)
    DIR/model.npz              a TransformerTokenClassifier (config with id2label + weights), or, for a fine-tuned
    DIR/config.json, model.safetensors     BertForTokenClassification, Hugging Face's files (transformers loads them)
    DIR/metrics.json           test entity precision/recall/F1 per type and averaged, token accuracy, the history
    DIR/figures/*.png          loss.png, scores.png (validation token accuracy and entity F1 per epoch),
                               entity_spans.png (test sentences, true and predicted entities)
"""
import json
import os

TASK = "token-classification"


def _config_json(directory):
    path = os.path.join(directory, "config.json")
    if not os.path.isfile(path):
        return {}
    from .run_dir import read_json
    return read_json(path)


def is_tagger_dir(directory):
    """True for a directory holding a token classifier: our model.npz, or a BertForTokenClassification."""
    from .io.checkpoint import load_npz
    from .models.token_classifier import FORMAT
    path = os.path.join(directory, "model.npz")
    if os.path.isfile(path):
        return (load_npz(path)[1] or {}).get("format") == FORMAT
    return "BertForTokenClassification" in (_config_json(directory).get("architectures") or [])


def load_tagger(directory, device="cpu", option="--model-dir"):
    """(model in eval mode, tokenizer, tag names, max_length) of a token-classification run or BERT directory;
    errors name `option` (run_dir.named)."""
    from .run_dir import check_directory, named
    from .tokenizer import WordPieceTokenizer
    check_directory(directory, option, train="train --task token-classification")
    if not any(os.path.isfile(os.path.join(directory, name)) for name in ("model.npz", "config.json")):
        raise FileNotFoundError(f"{named(directory, option)}: no model.npz or config.json there (train one with: "
                                f"python -m minitransformer train --task token-classification --output-dir "
                                f"{directory})")
    if not os.path.isfile(os.path.join(directory, "vocab.txt")):
        raise FileNotFoundError(f"{named(directory, option)}: no vocab.txt next to the model")
    if not is_tagger_dir(directory) and (os.path.isfile(os.path.join(directory, "model.npz"))
                                         or _config_json(directory).get("architectures")):
        raise ValueError(f"{named(directory, option)}: holds a text classifier or another model, not a token "
                         'classifier (mt.pipeline("text-classification", model=...) reads a text classifier; '
                         "train a token classifier with: python -m minitransformer train --task "
                         "token-classification)")
    if os.path.isfile(os.path.join(directory, "model.npz")):
        from .models import TransformerTokenClassifier
        model = TransformerTokenClassifier.load(os.path.join(directory, "model.npz"), device=device)
        max_length = model.config.max_len
    else:                                   # config.json: a BertForTokenClassification
        from .models.bert import BertForTokenClassification
        model = BertForTokenClassification.from_pretrained(directory, device=device)
        max_length = model.config.max_position_embeddings
    names = [model.config.id2label[i] for i in range(len(model.config.id2label))]
    saved = os.path.join(directory, "train_args.json")
    if os.path.isfile(saved):
        from .run_dir import read_json
        max_length = read_json(saved).get("max_length", max_length)
    return model, WordPieceTokenizer.from_pretrained(directory), names, max_length


def write_json(path, obj):
    from .io.checkpoint import atomic_write_text
    atomic_write_text(path, json.dumps(obj, indent=1) + "\n")


def finish(directory, model, history, curve, result, test, settings, wall_time):
    """Write the model, metrics.json and the figures of a finished token-classification run."""
    from . import plots
    from .entity_metrics import get_entities
    from .entity_plots import plot_entity_spans
    if hasattr(model, "save_pretrained"):
        model.save_pretrained(directory)  # a fine-tuned BERT stays in Hugging Face's format
    else:
        model.save(os.path.join(directory, "model.npz"))
    id2label = model.config.id2label
    metrics = {"task": TASK, "label_names": [id2label[i] for i in range(len(id2label))],
               "epoch": history["epoch"], "train_loss": history["train_loss"], "val_loss": history["val_loss"],
               "val_token_accuracy": [a for a, _ in curve], "val_entity_f1": [f for _, f in curve],
               "steps": {k: history[k] for k in ("step", "loss", "lr")}, "train_wall_time_s": history["wall_time"],
               "wall_time_s": wall_time, "num_parameters": int(sum(p.size for p in model.parameters())),
               "settings": settings}
    if result is not None:
        metrics.update({f"test_{k}": result[k] for k in ("precision", "recall", "f1", "f1_macro", "accuracy", "loss")})
        metrics["test_report"] = result["report"]
    write_json(os.path.join(directory, "metrics.json"), metrics)
    figures = os.path.join(directory, "figures")
    plots.plot_loss_curves(history, os.path.join(figures, "loss.png"))
    fig, axes = plots._figure()
    ax = axes[0][0]
    ax.plot(range(1, len(curve) + 1), [a for a, _ in curve], "o-", label="token accuracy")
    ax.plot(range(1, len(curve) + 1), [f for _, f in curve], "s-", label="entity F1 (micro)")
    ax.set(xlabel="epoch", ylabel="validation score", ylim=(0, 1.02), title="Validation scores")
    ax.legend(loc="lower right")
    plots.save_figure(fig, os.path.join(figures, "scores.png"))
    if result is not None and len(test):
        wrong = [i for i in range(len(test))
                 if get_entities(result["predictions"][i]) != get_entities(test.tags[i])]
        chosen = (wrong + [i for i in range(len(test)) if i not in set(wrong)])[:6]
        plot_entity_spans([test.words[i] for i in chosen], [test.tags[i] for i in chosen],
                          [result["predictions"][i] for i in chosen], path=os.path.join(figures, "entity_spans.png"),
                          title=f"Test sentences (entity F1 {result['f1']:.3f}): true above, predicted below")
