"""`python -m minitransformer train | evaluate | predict`: the classifier's command line (registered in cli.py).

    python -m minitransformer train                       # shipped corpus, CPU defaults, writes runs/latest/
    python -m minitransformer evaluate --model-dir runs/latest --data data/test.tsv
    python -m minitransformer predict --model-dir runs/latest "The plot was not good."

Where the shipped data is found: `data/{train,validation,test}.tsv` in the current directory when there, else
the repository's `data/` next to the package (a source checkout or an editable install). Heavy modules are
imported inside the run_* functions so `--help` stays instant. The run directory layout is in run_dir.py.
"""
import os
import sys
import time


class UsageError(ValueError):
    """A wrong option or path: cli.main prints it as one line `error: ...` and exits with code 2."""

PACKAGE_DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
# Measured on 2 cores: ~5 s per epoch, ~0.96 test accuracy after 15 epochs (mean pooling learns faster than [CLS])
DEFAULTS = dict(vocab_size=2000, d_model=64, num_heads=4, num_layers=2, d_ff=256, dropout=0.1, pooling="mean",
                epochs=15, batch_size=32, lr=1e-3, weight_decay=0.01, warmup_ratio=0.1, max_length=64, seed=0)


def shipped(split):
    """data/<split>.tsv of the current directory if it exists, else of the repository holding the package."""
    local = os.path.join("data", f"{split}.tsv")
    return local if os.path.exists(local) else os.path.join(PACKAGE_DATA, f"{split}.tsv")


def _existing(path, option):
    if not os.path.isfile(path):
        raise UsageError(f"{option} {path}: file not found")
    return path


def _positive(args, names):
    for name in names:
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise UsageError(f"--{name.replace('_', '-')} must be positive, got {value}")


def _check_device(device):
    from . import backend
    try:
        device = backend.parse_device(device)
    except ValueError as e:
        raise UsageError(f"--device {device}: {e}") from None
    if device != "cpu" and not backend.cuda_available():
        raise UsageError(f"--device {device}: CuPy with a CUDA device is not available "
                         "(pip install 'minitransformer[cuda12]' on a machine with an NVIDIA GPU)")
    return device


# ---------------------------------------------------------------- train

def _option(group, flag, kind, text):
    """An option whose unset value is None (so --resume can tell what was given) and whose help shows the default."""
    default = DEFAULTS[flag[2:].replace("-", "_")]
    group.add_argument(flag, type=kind, default=None, help=f"{text} (default: {default})")


def add_train(subparsers):
    p = subparsers.add_parser(
        "train", help="train a Transformer text classifier (no arguments: the shipped sentiment corpus)",
        description="Train a WordPiece vocabulary and a Transformer classifier, evaluate it on the test split and "
                    "write model.npz, vocab.txt, metrics.json, checkpoint.npz and figures/ to --output-dir. "
                    "With no arguments it uses the shipped corpus (data/*.tsv in the current directory, else the "
                    "repository's data/) and CPU-friendly defaults that reach about 0.95 test accuracy in ~2-3 "
                    "minutes on 2 cores.")
    data = p.add_argument_group("data")
    data.add_argument("--train", default=None, metavar="PATH", help="training file: .tsv/.csv with a header or "
                      ".jsonl (default: the shipped data/train.tsv)")
    data.add_argument("--validation", default=None, metavar="PATH",
                      help="validation file, evaluated after every epoch (default: the shipped data/validation.tsv)")
    data.add_argument("--test", default=None, metavar="PATH",
                      help="test file, evaluated once at the end (default: the shipped data/test.tsv)")
    data.add_argument("--text-column", default=None, help="column holding the text (default: sentence)")
    data.add_argument("--label-column", default=None, help="column holding the label (default: label)")
    vocab = p.add_argument_group("vocabulary").add_mutually_exclusive_group()
    vocab.add_argument("--vocab", default=None, metavar="PATH",
                       help="use this vocab.txt (or tokenizer directory) instead of training one")
    _option(vocab, "--vocab-size", int, "size of the WordPiece vocabulary trained on the training texts")
    model = p.add_argument_group("model")
    _option(model, "--d-model", int, "width of every token vector")
    _option(model, "--num-heads", int, "attention heads per layer; must divide --d-model")
    _option(model, "--num-layers", int, "encoder layers")
    _option(model, "--d-ff", int, "hidden width of each feed-forward block")
    _option(model, "--dropout", float, "dropout probability")
    model.add_argument("--pretrained", "--init-from", dest="init_from", default=None, metavar="DIR",
                       help="fine-tune the BERT in DIR (any Hugging Face BERT directory with config.json, "
                            "model.safetensors or model.safetensors.index.json, and vocab.txt; `pretrain` writes "
                            "one) with a new classification head, instead of a Transformer from scratch; DIR's "
                            "vocabulary and sizes are used, --vocab and the model sizes are ignored")
    model.add_argument("--pooling", choices=("mean", "cls"), default=None,
                       help="sentence vector: mean of the token vectors, or the [CLS] vector (default: mean, "
                            "which learns this corpus in fewer epochs)")
    loop = p.add_argument_group("training")
    _option(loop, "--epochs", int, "passes over the training data; with --resume, a larger value extends the run")
    _option(loop, "--batch-size", int, "sentences per update")
    _option(loop, "--lr", float, "peak AdamW learning rate, reached after a linear warmup over the first 10%% of "
            "steps, then decayed linearly to 0")
    _option(loop, "--max-length", int, "tokens per sentence after truncation, [CLS] and [SEP] included")
    _option(loop, "--seed", int, "seed for initialisation, shuffling and dropout")
    loop.add_argument("--device", default=None, help="cpu (default) or cuda / cuda:N (needs CuPy and a GPU)")
    out = p.add_argument_group("output")
    out.add_argument("--output-dir", default=None, metavar="DIR",
                     help="where the run is written (default: runs/latest; replaced files are overwritten)")
    out.add_argument("--resume", default=None, metavar="DIR",
                     help="continue the interrupted run in DIR from its checkpoint.npz, with its saved settings "
                          "(only --epochs, --device and --quiet may be given with it)")
    out.add_argument("--quiet", action="store_true", help="no progress bars, only the epoch summaries")
    p.set_defaults(func=run_train)


# Options whose flag is not --<name with dashes>
FLAGS = {"init_from": "--pretrained", "output_dir": "--output-dir"}


def _flag(name):
    return FLAGS.get(name, "--" + name.replace("_", "-"))


def _resolve_train_args(args):
    """Fill unset options from the defaults, or from the saved run when resuming; check paths and values."""
    from . import run_dir
    if args.resume:
        # Silently dropping an option would train something other than what was asked for: refuse it instead.
        given = [_flag(k) for k in (*run_dir.SAVED_ARGS, "output_dir")
                 if k not in ("epochs", "device") and getattr(args, k, None) is not None]
        if given:
            raise UsageError(f"--resume {args.resume} continues the run with its saved settings, so "
                             f"{', '.join(given)} cannot be given with it (only --epochs, --device and --quiet)")
        saved = run_dir.read_train_args(args.resume)
        epochs, device = args.epochs, args.device
        for key, value in saved.items():
            setattr(args, key, value)
        args.epochs = epochs or saved["epochs"]
        args.device = device or saved.get("device") or "cpu"
        args.output_dir = args.resume
        args.resume = True
        return args
    for split in ("train", "validation", "test"):
        if getattr(args, split):
            _existing(getattr(args, split), f"--{split}")
    if args.train and not (args.validation and args.test):
        # The shipped validation/test splits hold other sentences (and maybe other labels and columns).
        missing = " and ".join(f"--{s} PATH" for s in ("validation", "test") if not getattr(args, s))
        raise UsageError(f"--train {args.train} needs {missing} as well: the shipped splits go only with the "
                         "shipped training data")
    for key, value in DEFAULTS.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    args.text_column = args.text_column or "sentence"
    args.label_column = args.label_column or "label"
    args.device = args.device or "cpu"
    args.output_dir = args.output_dir or os.path.join("runs", "latest")
    for split in ("train", "validation", "test"):
        setattr(args, split, _existing(getattr(args, split) or shipped(split), f"--{split}"))
    if args.init_from and not os.path.isfile(os.path.join(args.init_from, "config.json")):
        raise UsageError(f"--pretrained {args.init_from}: no config.json there (expected a Hugging Face BERT "
                         "directory; pretrain writes one: python -m minitransformer pretrain --output-dir DIR)")
    if args.vocab and not os.path.exists(args.vocab):
        raise UsageError(f"--vocab {args.vocab}: not found (a vocab.txt or a directory holding one)")
    _positive(args, ("vocab_size", "d_model", "num_heads", "num_layers", "d_ff", "epochs", "batch_size", "lr",
                     "max_length"))
    if args.d_model % args.num_heads:
        raise UsageError(f"--num-heads {args.num_heads} must divide --d-model {args.d_model}")
    if args.max_length < 3:
        raise UsageError(f"--max-length must leave room for [CLS], [SEP] and a token, got {args.max_length}")
    args.resume = False
    return args


def run_train(args):
    import numpy as np

    import minitransformer as mt
    from . import run_dir
    from .data import DataLoader, load_dataset
    from .models import TransformerClassifier
    from .tokenizer import WordPieceTokenizer
    from .training import evaluate, fit

    started = time.perf_counter()
    args = _resolve_train_args(args)
    device = _check_device(args.device)
    mt.manual_seed(args.seed)
    cols = dict(text_column=args.text_column, label_column=args.label_column)
    train = load_dataset(args.train, **cols)
    validation = load_dataset(args.validation, label_names=train.label_names, **cols)
    test = load_dataset(args.test, label_names=train.label_names, **cols)
    if args.init_from:                               # fine-tune a pretrained BERT: its vocabulary and sizes
        model, tokenizer = run_dir.bert_classifier(args.init_from, train.label_names)
        args.max_length = min(args.max_length, model.config.max_position_embeddings)
        description = f"BERT from {args.init_from}, {model.config.num_hidden_layers} layers x hidden " \
                      f"{model.config.hidden_size}, new classifier head"
    else:
        if args.resume:
            tokenizer = WordPieceTokenizer.from_pretrained(args.output_dir)
        elif args.vocab:
            tokenizer = WordPieceTokenizer.from_pretrained(args.vocab)
        else:
            tokenizer = WordPieceTokenizer.train(train.texts, vocab_size=args.vocab_size, show_progress=False)
        model = TransformerClassifier(tokenizer.vocab_size, len(train.label_names), d_model=args.d_model,
                                      num_heads=args.num_heads, num_layers=args.num_layers, d_ff=args.d_ff,
                                      max_len=args.max_length, dropout=args.dropout, pad_id=tokenizer.pad_token_id,
                                      pooling=args.pooling)
        description = f"{args.num_layers} layers x d_model {args.d_model} x {args.num_heads} heads"
    say = print
    say(f"train: {len(train)} sentences, validation {len(validation)}, test {len(test)}; labels {train.label_names}; "
        f"vocabulary {tokenizer.vocab_size} WordPiece tokens")
    say(f"model: {description}, {sum(p.size for p in model.parameters()):,} parameters, on {device}")
    if not args.resume:                              # everything a resume needs is on disk before training starts
        run_dir.start(args.output_dir, tokenizer, args)
    loader = dict(tokenizer=tokenizer, max_length=args.max_length)
    train_loader = DataLoader(train, batch_size=args.batch_size, shuffle=True, seed=args.seed, bucket_by_length=True,
                              **loader)
    val_loader = DataLoader(validation, batch_size=256, **loader)
    history = fit(model, train_loader, val_loader, epochs=args.epochs, lr=args.lr, weight_decay=args.weight_decay,
                  warmup_ratio=args.warmup_ratio, device=device, checkpoint_dir=args.output_dir,
                  resume_from=args.output_dir if args.resume else None, progress=not args.quiet,
                  log=say, log_every=None)
    result = evaluate(model, DataLoader(test, batch_size=256, **loader))
    say(f"test: accuracy {result['accuracy']:.4f}, macro-F1 {result['macro_f1']:.4f} "
        f"({len(test)} sentences, {history['wall_time']:.0f} s of training)")
    example = run_dir.pick_example(test.texts, np.asarray(result["predictions"]) == np.asarray(test.labels))
    run_dir.finish(args.output_dir, model, tokenizer, train.label_names, history, result, args, example,
                   wall_time=time.perf_counter() - started)
    say(f"saved {args.output_dir}: the model, vocab.txt, metrics.json, figures/ — try: python -m minitransformer "
        f"predict --model-dir {args.output_dir} \"{example}\"")
    return 0


# ---------------------------------------------------------------- evaluate and predict

def add_evaluate(subparsers):
    p = subparsers.add_parser("evaluate", help="accuracy, macro-F1 and confusion matrix of a trained model on a file",
                              description="Evaluate the model saved by `train` in --model-dir on a labelled file.")
    p.add_argument("--model-dir", default=os.path.join("runs", "latest"), metavar="DIR",
                   help="directory written by train (default: runs/latest)")
    p.add_argument("--data", default=None, metavar="PATH",
                   help="labelled .tsv/.csv/.jsonl file (default: the shipped data/test.tsv)")
    p.add_argument("--text-column", default=None,
                   help="column holding the text (default: the one the model was trained with, else sentence)")
    p.add_argument("--label-column", default=None,
                   help="column holding the label (default: the one the model was trained with, else label)")
    p.add_argument("--batch-size", type=int, default=256, help="sentences per forward pass (default: 256)")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda / cuda:N")
    p.set_defaults(func=run_evaluate)


def run_evaluate(args):
    from . import run_dir
    from .data import DataLoader, load_dataset
    from .metrics import format_confusion_matrix
    from .training import evaluate

    path = _existing(args.data or shipped("test"), "--data")
    _positive(args, ("batch_size",))
    model, tokenizer, label_names, max_length = run_dir.load(args.model_dir, _check_device(args.device))
    saved = run_dir.saved_train_args(args.model_dir)    # a run trained on --text-column review reads review
    text_column = args.text_column or saved.get("text_column") or "sentence"
    label_column = args.label_column or saved.get("label_column") or "label"
    dataset = load_dataset(path, text_column=text_column, label_column=label_column, label_names=label_names)
    result = evaluate(model, DataLoader(dataset, tokenizer, batch_size=args.batch_size, max_length=max_length))
    print(f"{path}: {len(dataset)} sentences")
    print(f"accuracy  {result['accuracy']:.4f}")
    print(f"macro-F1  {result['macro_f1']:.4f}")
    print(f"loss      {result['loss']:.4f}")
    print(format_confusion_matrix(result["confusion_matrix"], label_names))
    return 0


def add_predict(subparsers):
    p = subparsers.add_parser("predict", help="label and class probabilities for each text",
                              description="Classify each TEXT (or each line of stdin when no TEXT is given) with "
                                          "the model in --model-dir; prints the label, its probability, all class "
                                          "probabilities and the text, tab-separated.")
    p.add_argument("text", nargs="*", help="texts to classify; reads lines from stdin when omitted")
    p.add_argument("--model-dir", default=os.path.join("runs", "latest"), metavar="DIR",
                   help="directory written by train (default: runs/latest)")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda / cuda:N")
    p.set_defaults(func=run_predict)


def run_predict(args):
    from . import run_dir

    model, tokenizer, label_names, max_length = run_dir.load(args.model_dir, _check_device(args.device))
    texts = args.text or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    for text, probs in zip(texts, run_dir.predict_proba(model, tokenizer, texts, max_length)):
        best = int(probs.argmax())
        every = " ".join(f"{name}={p:.4f}" for name, p in zip(label_names, probs))
        print(f"{label_names[best]}\t{probs[best]:.4f}\t{every}\t{text}")
    return 0
