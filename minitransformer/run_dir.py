"""The directory a `train` run writes, and how `evaluate` / `predict` read it back.

    DIR/train_args.json        the run's settings (written before training, so --resume can rebuild everything)
    DIR/vocab.txt              the WordPiece vocabulary, + tokenizer_config.json (WordPieceTokenizer.save)
    DIR/checkpoint.npz         the latest training checkpoint (weights, AdamW, schedule, RNG, data position, the
                               best epoch's weights); DIR/checkpoints/step-N.npz with --save-checkpoint every
    DIR/model.npz              the kept model: config + weights + label names (TransformerClassifier.load reads it)
    DIR/calibration.json       the temperature fitted by --calibrate (predict and evaluate divide logits by it)
    DIR/metrics.json           test accuracy, macro-F1, per-class report, ECE, confusion matrix, which epoch was kept
                               and why, truncation per split, class weights, the history per epoch and step, times
    DIR/figures/*.png          loss, accuracy, confusion_matrix, reliability, attention, lr_schedule
"""
import dataclasses
import json
import os

import numpy as np

SAVED_ARGS = ("dataset", "train", "validation", "test", "validation_split", "test_split", "text_column",
              "label_column", "vocab", "vocab_size", "d_model", "num_heads", "num_layers", "d_ff", "dropout",
              "pooling", "epochs", "batch_size", "lr", "weight_decay", "warmup_ratio", "max_length", "seed", "device",
              "init_from", "class_weights", "select_by", "patience", "save_steps", "save_checkpoint", "calibrate")
CALIBRATION = "calibration.json"


def write_json(path, obj):
    """`obj` as indented JSON at `path`, written atomically (its directory is created)."""
    from .io.checkpoint import atomic_write_text
    atomic_write_text(path, json.dumps(obj, indent=1) + "\n")


def read_json(path):
    """The JSON object in `path`, or a ValueError naming the file when it is not JSON (a file edited or cut short)."""
    with open(path, encoding="utf-8") as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: not valid JSON ({e}); restore it, or train the run again") from None


def start(directory, tokenizer, args):
    """Create the run directory with the settings and the vocabulary."""
    os.makedirs(directory, exist_ok=True)
    tokenizer.save(directory)
    write_json(os.path.join(directory, "train_args.json"), {k: getattr(args, k) for k in SAVED_ARGS})


def read_train_args(directory):
    """The settings of the run in `directory`, for --resume (with a clear error when there is no run there)."""
    for name in ("train_args.json", "checkpoint.npz", "vocab.txt"):
        if not os.path.isfile(os.path.join(directory, name)):
            raise FileNotFoundError(f"--resume {directory}: no {name} there; it is not a run started by train "
                                    "(or it stopped before its first checkpoint)")
    return read_json(os.path.join(directory, "train_args.json"))


def saved_train_args(directory):
    """The settings a finished run was trained with ({} when it has no train_args.json)."""
    path = os.path.join(directory, "train_args.json")
    if not os.path.isfile(path):
        return {}
    return read_json(path)


def pick_example(texts, correct, max_words=12):
    """A short test sentence for the attention figure: with a negation and classified correctly when possible."""
    def score(i):
        words = texts[i].lower().replace("n't", " not").split()
        return (not correct[i], "not" not in words and "never" not in words, len(words) > max_words, len(words))
    return texts[min(range(len(texts)), key=score)]


def save_model(path, model, label_names):
    """model.npz as TransformerClassifier.save writes it, plus the label names the ids stand for."""
    from .io.checkpoint import save_npz
    from .models.classifier import FORMAT
    meta = {"format": FORMAT, "version": 1, "config": dataclasses.asdict(model.config),
            "label_names": list(label_names)}
    save_npz(path, model.state_dict(), meta)


def bert_classifier(directory, label_names):
    """(BertForSequenceClassification with a new head for `label_names`, its tokenizer) from a BERT directory."""
    import warnings

    from .pretraining import classifier_from_pretrained
    with warnings.catch_warnings():                 # "classifier weights newly initialised": expected here
        warnings.simplefilter("ignore", UserWarning)
        return classifier_from_pretrained(directory, label_names)


def finish(directory, model, tokenizer, label_names, history, result, args, example, wall_time, truncation=None,
           class_weights=None, calibration=None):
    """Write the model (model.npz, or config.json + model.safetensors for a BERT), calibration.json (or remove a
    stale one), metrics.json and figures."""
    from . import plots
    from .calibration import expected_calibration_error, reliability_bins, softmax
    from .metrics import classification_report
    if hasattr(model, "save_pretrained"):
        model.save_pretrained(directory)            # a fine-tuned BERT stays in Hugging Face's format
    else:
        save_model(os.path.join(directory, "model.npz"), model, label_names)
    calibration_path = os.path.join(directory, CALIBRATION)
    if calibration is not None:
        write_json(calibration_path, calibration)
    elif os.path.exists(calibration_path):          # left by an earlier run in this directory: not this model's
        os.remove(calibration_path)
    temperature = calibration["temperature"] if calibration else 1.0
    probs = softmax(result["logits"], temperature)
    epochs = {k: history[k] for k in ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
                                      "val_macro_f1")}
    metrics = {"test_accuracy": result["accuracy"], "test_macro_f1": result["macro_f1"], "test_loss": result["loss"],
               "test_ece": expected_calibration_error(probs, result["labels"]),
               "test_report": classification_report(result["labels"], result["predictions"],
                                                    target_names=label_names, output_dict=True),
               "test_confusion_matrix": np.asarray(result["confusion_matrix"]).tolist(), "label_names": label_names,
               "selection": history.get("selection"), "calibration": calibration, "truncation": truncation,
               "class_weights": None if class_weights is None else [float(w) for w in class_weights],
               **epochs, "steps": {k: history[k] for k in ("step", "loss", "lr")},
               "train_wall_time_s": history["wall_time"], "wall_time_s": wall_time,
               "num_parameters": int(sum(p.size for p in model.parameters())),
               "settings": {k: getattr(args, k, None) for k in SAVED_ARGS}, "attention_example": example}
    write_json(os.path.join(directory, "metrics.json"), metrics)
    figures = os.path.join(directory, "figures")
    plots.plot_loss_curves(history, os.path.join(figures, "loss.png"))
    plots.plot_accuracy_curves(history, os.path.join(figures, "accuracy.png"))
    plots.plot_confusion_matrix(result["confusion_matrix"], label_names, os.path.join(figures, "confusion_matrix.png"),
                                title=f"Test set: accuracy {result['accuracy']:.3f}, macro-F1 {result['macro_f1']:.3f}")
    plots.plot_reliability(reliability_bins(probs, result["labels"]), os.path.join(figures, "reliability.png"),
                           title=f"Test set: ECE {metrics['test_ece']:.3f}"
                                 + (f" (temperature {temperature:.2f})" if calibration else ""))
    plots.plot_lr_schedule(history, os.path.join(figures, "lr_schedule.png"))
    tokens, weights = plots.sentence_attention(model, tokenizer, example, layer=-1, max_length=args.max_length)
    short = example if len(example) <= 80 else example[:77] + "..."
    plots.plot_attention(weights, tokens, head="all", path=os.path.join(figures, "attention.png"),
                         title=f"last layer: {short}")


def temperature(directory):
    """The temperature --calibrate stored for the run in `directory` (1.0, no scaling, when there is none)."""
    path = os.path.join(directory, CALIBRATION)
    if not os.path.isfile(path):
        return 1.0
    temperature = read_json(path).get("temperature")
    if not isinstance(temperature, (int, float)) or isinstance(temperature, bool) or not temperature > 0:
        raise ValueError(f"{path}: expected {{\"temperature\": T}} with T > 0, got {temperature!r}; "
                         "train --resume DIR --calibrate fits it again")
    return float(temperature)


def named(directory, option="--model-dir"):
    """How an error names the directory: `--model-dir DIR` for a command-line option, `model='DIR'` for Python."""
    return f"{option} {directory}" if option.startswith("-") else f"{option}={str(directory)!r}"


def check_directory(directory, option="--model-dir", train="train"):
    """A FileNotFoundError / NotADirectoryError naming `option` unless `directory` is an existing directory."""
    if not os.path.exists(directory):
        raise FileNotFoundError(f"{named(directory, option)}: no such directory (train a model there with: "
                                f"python -m minitransformer {train} --output-dir {directory})")
    if not os.path.isdir(directory):
        raise NotADirectoryError(f"{named(directory, option)}: is a file; give the directory that holds it "
                                 f"({os.path.dirname(os.path.abspath(directory))})")


def _check_text_classifier(directory, option, path, bert):
    """A ValueError when the directory holds another kind of model (a token classifier, a masked LM, a BertModel):
    a classification head would be made up for it, and its predictions would mean nothing."""
    if bert:
        architectures = read_json(os.path.join(directory, "config.json")).get("architectures") or []
        kind = next(iter(architectures), None)
        if kind is None or kind.endswith("ForSequenceClassification"):
            return
    else:
        from .io.checkpoint import load_npz
        from .models.classifier import FORMAT
        kind = (load_npz(path)[1] or {}).get("format")
        if kind in (None, FORMAT):
            return
    if "TokenClassif" in kind:
        hint = 'mt.pipeline("token-classification", model=...) reads it; predict and evaluate find it themselves'
    elif "GPT2" in kind:
        hint = f'a language model: python -m minitransformer lm generate --model {directory} "some text"'
    else:
        hint = f"fine-tune it first: python -m minitransformer train --pretrained {directory}"
    raise ValueError(f"{named(directory, option)}: holds a {kind.split('.')[-1]}, not a text classifier ({hint})")


def load(directory, device="cpu", option="--model-dir"):
    """(model in eval mode, tokenizer, label names, max_length) of a finished run; errors name `option`."""
    from .io.checkpoint import load_npz
    from .models import TransformerClassifier
    from .tokenizer import WordPieceTokenizer
    check_directory(directory, option)
    path = os.path.join(directory, "model.npz")
    bert = not os.path.isfile(path) and any(os.path.isfile(os.path.join(directory, name)) for name in
                                            ("model.safetensors", "model.safetensors.index.json"))
    if not os.path.isfile(path) and not bert:
        raise FileNotFoundError(f"{named(directory, option)}: no model.npz there (train one with: "
                                f"python -m minitransformer train --output-dir {directory})")
    _check_text_classifier(directory, option, path, bert)
    if not os.path.isfile(os.path.join(directory, "vocab.txt")):
        raise FileNotFoundError(f"{named(directory, option)}: no vocab.txt next to the model")
    if bert:                                        # fine-tuned with train --init-from
        from .models.bert import BertForSequenceClassification
        model = BertForSequenceClassification.from_pretrained(directory, device=device).eval()
        id2label = model.config.id2label or {}
        label_names = [str(id2label.get(i, i)) for i in range(model.config.num_labels)]
        max_length = model.config.max_position_embeddings
    else:
        model = TransformerClassifier.load(path, device=device)
        _, meta = load_npz(path)
        label_names = meta.get("label_names") or [str(i) for i in range(model.config.num_classes)]
        max_length = model.config.max_len
    max_length = saved_train_args(directory).get("max_length", max_length)
    return model, WordPieceTokenizer.from_pretrained(directory), label_names, max_length


def predict_logits(model, tokenizer, texts, max_length, batch_size=256):
    """(N, C) float64 logits of `texts`, in eval mode, in batches of `batch_size` padded to their longest."""
    from .autograd import no_grad
    model.eval()
    rows = []
    with no_grad():
        for i in range(0, len(texts), batch_size):
            enc = tokenizer(texts[i:i + batch_size], padding=True, truncation=True, max_length=max_length,
                            return_tensors="np")
            logits = model(np.asarray(enc["input_ids"]), attention_mask=np.asarray(enc["attention_mask"])).logits
            rows.append(logits.numpy().astype(np.float64))
    return np.concatenate(rows) if rows else np.zeros((0, 0))


def predict_proba(model, tokenizer, texts, max_length, batch_size=256, temperature=1.0):
    """(N, C) class probabilities, softmax of the logits / temperature (run_dir.temperature), in batches."""
    z = predict_logits(model, tokenizer, texts, max_length, batch_size) / temperature
    if not z.size:
        return z
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)
