"""`python -m minitransformer train`: a WordPiece vocabulary and a Transformer classifier trained on a labelled
file (or a pretrained BERT fine-tuned), evaluated, and written to a run directory (layout in run_dir.py).

    python -m minitransformer train                       # shipped corpus, CPU defaults, writes runs/latest/
    python -m minitransformer train --train my.tsv --validation val.tsv --test test.tsv

Where the shipped data is found: `data/{train,validation,test}.tsv` in the current directory when there, else
the repository's `data/` next to the package. Heavy modules are imported inside run_train so `--help` is instant.
"""
import os
import time

from . import tagging, workflow
from .options import (UsageError, add_loop_options, add_model_options, add_vocab_options, check_device,
                      check_sizes, existing, option, shipped)

# Measured on 2 cores: ~5 s per epoch, ~0.96 test accuracy after 15 epochs (mean pooling learns faster than [CLS])
DEFAULTS = dict(vocab_size=2000, d_model=64, num_heads=4, num_layers=2, d_ff=256, dropout=0.1, pooling="mean",
                epochs=15, batch_size=32, lr=1e-3, weight_decay=0.01, warmup_ratio=0.1, max_length=64, seed=0)


def add_train(subparsers):
    p = subparsers.add_parser(
        "train", help="train a Transformer text classifier (no arguments: the shipped sentiment corpus)",
        description="Train a WordPiece vocabulary and a Transformer classifier, evaluate it on the test split and "
                    "write model.npz, vocab.txt, metrics.json, checkpoint.npz and figures/ to --output-dir. "
                    "With no arguments it uses the shipped corpus (data/*.tsv in the current directory, else the "
                    "repository's data/) and CPU-friendly defaults.")
    data = p.add_argument_group("data")
    data.add_argument("--train", default=None, metavar="PATH", help="training file: .tsv/.csv with a header or "
                      ".jsonl (default: the shipped data/train.tsv)")
    data.add_argument("--validation", default=None, metavar="PATH",
                      help="validation file, evaluated after every epoch (default: the shipped data/validation.tsv)")
    data.add_argument("--test", default=None, metavar="PATH",
                      help="test file, evaluated once at the end (default: the shipped data/test.tsv)")
    data.add_argument("--text-column", default=None, help="column holding the text (default: sentence)")
    data.add_argument("--label-column", default=None, help="column holding the label (default: label)")
    add_vocab_options(p, DEFAULTS, unset_none=True)
    model = add_model_options(p, DEFAULTS, unset_none=True)
    model.add_argument("--pretrained", "--init-from", dest="init_from", default=None, metavar="DIR",
                       help="fine-tune the BERT in DIR (any Hugging Face BERT directory with config.json, "
                            "model.safetensors or model.safetensors.index.json, and vocab.txt; `pretrain` writes "
                            "one) with a new classification head, instead of a Transformer from scratch; DIR's "
                            "vocabulary and sizes are used, --vocab and the model sizes are ignored (default: none)")
    option(model, "--pooling", choices=("mean", "cls"), default=DEFAULTS["pooling"], unset_none=True,
           help="sentence vector: mean of the token vectors, or the [CLS] vector")
    add_loop_options(p, DEFAULTS, unset_none=True)
    workflow.add_workflow_options(p)
    out = p.add_argument_group("output")
    out.add_argument("--output-dir", default=None, metavar="DIR",
                     help="where the run is written; replaced files are overwritten (default: runs/latest)")
    out.add_argument("--resume", default=None, metavar="DIR",
                     help="continue the interrupted run in DIR from its checkpoint.npz, with its saved settings "
                          "(only --epochs, --device, --quiet and --calibrate may be given with it; a larger --epochs "
                          "extends a finished run, --calibrate on a finished run calibrates it) (default: none)")
    out.add_argument("--quiet", action="store_true", help="no progress bars, only the epoch summaries")
    tagging.add_task_options(p)
    p.set_defaults(func=run_train)


# Options whose flag is not --<name with dashes>
FLAGS = {"init_from": "--pretrained", "output_dir": "--output-dir"}


def _flag(name):
    return FLAGS.get(name, "--" + name.replace("_", "-"))


def _resolve_train_args(args):
    """Fill unset options from the defaults, or from the saved run when resuming; check paths and values."""
    from .. import run_dir
    if args.resume:
        # Silently dropping an option would train something other than what was asked for: refuse it instead.
        given = [_flag(k) for k in (*run_dir.SAVED_ARGS, "output_dir")
                 if k not in ("epochs", "device", "calibrate") and getattr(args, k, None) is not None]
        if given:
            raise UsageError(f"--resume {args.resume} continues the run with its saved settings, so "
                             f"{', '.join(given)} cannot be given with it (only --epochs, --device, --quiet and "
                             "--calibrate)")
        saved = run_dir.read_train_args(args.resume)
        epochs, device, calibrate = args.epochs, args.device, args.calibrate
        for key, value in saved.items():
            setattr(args, key, value)
        args.epochs = epochs or saved["epochs"]
        args.calibrate = calibrate or saved.get("calibrate")
        args.device = device or saved.get("device") or "cpu"
        args.output_dir = args.resume
        args.resume = True
        return workflow.resolve_workflow_args(args)
    for split in ("train", "validation", "test"):
        if getattr(args, split):
            existing(getattr(args, split), f"--{split}")
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
        setattr(args, split, existing(getattr(args, split) or shipped(split), f"--{split}"))
    if args.init_from and not os.path.isfile(os.path.join(args.init_from, "config.json")):
        raise UsageError(f"--pretrained {args.init_from}: no config.json there (expected a Hugging Face BERT "
                         "directory; pretrain writes one: python -m minitransformer pretrain --output-dir DIR)")
    if args.vocab and not os.path.exists(args.vocab):
        raise UsageError(f"--vocab {args.vocab}: not found (a vocab.txt or a directory holding one)")
    if args.vocab_size is not None and args.vocab_size <= 0:
        raise UsageError(f"--vocab-size must be positive, got {args.vocab_size}")
    check_sizes(args)
    args.resume = False
    return workflow.resolve_workflow_args(args)


def run_train(args):
    import numpy as np

    import minitransformer as mt
    from .. import run_dir
    from ..data import DataLoader, load_dataset
    from ..interrupts import TrainingInterrupted
    from ..metrics import classification_report
    from ..models import TransformerClassifier
    from ..tokenizer import WordPieceTokenizer
    from ..training import evaluate, fit

    task = args.task or (run_dir.saved_train_args(args.resume).get("task") if args.resume else None)
    if task == "token-classification":
        return tagging.run_train(args)
    started = time.perf_counter()
    args = _resolve_train_args(args)
    device = check_device(args.device)
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
    weights = workflow.class_weights(args.class_weights, train.labels, train.label_names)
    say(workflow.describe_labels(train.labels, train.label_names, weights))
    truncation, longest = workflow.report_truncation(
        tokenizer, {"train": train, "validation": validation, "test": test}, args.max_length, say)
    eval_batch_size = workflow.check_memory(model, args.batch_size, longest, device)   # before anything is written
    if not args.resume:                              # everything a resume needs is on disk before training starts
        run_dir.start(args.output_dir, tokenizer, args)
    loader = dict(tokenizer=tokenizer, max_length=args.max_length)
    train_loader = DataLoader(train, batch_size=args.batch_size, shuffle=True, seed=args.seed, bucket_by_length=True,
                              **loader)
    val_loader = DataLoader(validation, batch_size=eval_batch_size, **loader)
    try:
        history = fit(model, train_loader, val_loader, epochs=args.epochs, lr=args.lr,
                      weight_decay=args.weight_decay, warmup_ratio=args.warmup_ratio, device=device,
                      resume_from=args.output_dir if args.resume else None, progress=not args.quiet, log=say,
                      log_every=None, **workflow.fit_options(args, weights))
    except TrainingInterrupted as stop:
        return workflow.interrupted(stop, args)
    calibration = workflow.calibrate(evaluate(model, val_loader), say) if args.calibrate else None
    result = evaluate(model, DataLoader(test, batch_size=eval_batch_size, **loader))
    report = classification_report(result["labels"], result["predictions"], target_names=train.label_names)
    say(f"test: accuracy {result['accuracy']:.4f}, macro-F1 {result['macro_f1']:.4f} "
        f"({len(test)} sentences, {history['wall_time']:.0f} s of training)\n{report}")
    example = run_dir.pick_example(test.texts, np.asarray(result["predictions"]) == np.asarray(test.labels))
    run_dir.finish(args.output_dir, model, tokenizer, train.label_names, history, result, args, example,
                   wall_time=time.perf_counter() - started, truncation=truncation, class_weights=weights,
                   calibration=calibration)
    say(f"saved {args.output_dir}: the model, vocab.txt, metrics.json, figures/ — try: python -m minitransformer "
        f"predict --model-dir {args.output_dir} \"{example[:60]}\"")
    return 0


