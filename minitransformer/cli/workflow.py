"""What `train` does for real data beyond the plain loop, each in one small helper that cli/train.py calls:
class weights for imbalanced labels, keeping the best epoch, checkpoints and Ctrl-C, the truncation report, the
memory check before training, and temperature scaling on the validation split.
"""
import signal

from .options import UsageError, option

DEFAULTS = dict(class_weights="none", select_by="macro_f1", patience=None, save_steps=None, save_checkpoint="last",
                calibrate=False)
CHECKPOINT_SECONDS = 60          # without --save-steps: a checkpoint about once a minute of training
CHECKPOINT_MODES = ("never", "last", "every")


def add_workflow_options(parser):
    """--class-weights, --select-by, --patience, --save-steps, --save-checkpoint, --calibrate (unset: None, so
    --resume can tell what was typed)."""
    from ..selection import SELECT_BY
    group = parser.add_argument_group("imbalance, model selection, checkpoints and calibration")
    option(group, "--class-weights", default=DEFAULTS["class_weights"], unset_none=True,
           metavar="none|balanced|W1,W2,...",
           help="weight each class's examples in the training loss: balanced = n_examples / (n_classes x "
                "examples of the class), as scikit-learn's compute_class_weight; or one weight per label, in the "
                "order train prints them")
    option(group, "--select-by", choices=SELECT_BY, default=DEFAULTS["select_by"], unset_none=True,
           help="keep the epoch with the best validation score by this metric (written to metrics.json)")
    option(group, "--patience", type=int, default=None, unset_none=True, shown="none, train every epoch",
           help="stop after this many epochs in a row without a better validation score")
    option(group, "--save-steps", type=int, default=None, unset_none=True,
           shown=f"about every {CHECKPOINT_SECONDS} s of training",
           help="write checkpoint.npz every N updates, besides at each epoch's end and on Ctrl-C or SIGTERM")
    option(group, "--save-checkpoint", choices=CHECKPOINT_MODES, default=DEFAULTS["save_checkpoint"],
           unset_none=True, help="never: no checkpoint.npz (the run cannot be resumed); last: keep the newest; "
                                 "every: also keep each one as checkpoints/step-N.npz")
    group.add_argument("--calibrate", action="store_true", default=None,
                       help="fit a temperature on the validation split after training (Guo et al. 2017), stored in "
                            "calibration.json and used by predict and evaluate, so probabilities mean what they "
                            "say (default: off)")


def resolve_workflow_args(args):
    """Fill the unset options from DEFAULTS and check them."""
    for key, value in DEFAULTS.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    for name in ("patience", "save_steps"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise UsageError(f"--{name.replace('_', '-')} must be a positive number, got {value}")
    return args


def class_weights(spec, labels, label_names):
    """(C,) float32 weights from --class-weights, or None for "none"."""
    import numpy as np
    spec = str(spec).strip().lower()
    if spec == "none":
        return None
    C = len(label_names)
    counts = np.bincount(np.asarray(labels), minlength=C)
    if spec == "balanced":
        if (counts == 0).any():
            absent = [label_names[i] for i in np.flatnonzero(counts == 0)]
            raise UsageError(f"--class-weights balanced: no training example of {absent}")
        return (counts.sum() / (C * counts)).astype(np.float32)          # sklearn's compute_class_weight
    try:
        weights = np.array([float(w) for w in spec.split(",")], dtype=np.float32)
    except ValueError:
        raise UsageError(f"--class-weights {spec}: expected none, balanced or {C} numbers separated by commas "
                         f"(one per label: {', '.join(label_names)})") from None
    if len(weights) != C or (weights < 0).any() or not weights.any() or not np.isfinite(weights).all():
        raise UsageError(f"--class-weights {spec}: expected {C} non-negative numbers, not all 0, one per label "
                         f"({', '.join(label_names)})")
    return weights


def describe_labels(labels, label_names, weights):
    """One line: each label's share of the training set (and its weight when weighted)."""
    import numpy as np
    counts = np.bincount(np.asarray(labels), minlength=len(label_names))
    parts = [f"{name} {n:,} ({n / max(counts.sum(), 1):.0%})" + ("" if weights is None else f" x {w:.3g}")
             for name, n, w in zip(label_names, counts, weights if weights is not None else counts)]
    line = "training labels: " + ", ".join(parts)
    if weights is None and len(counts) and counts.min() * 3 < counts.max():
        line += " (imbalanced: --class-weights balanced weights the rare labels up)"
    return line


def loss_with_weights(weights):
    """loss_fn(logits, labels) for fit: the weighted cross-entropy, or None for the model's own loss."""
    if weights is None:
        return None
    from .. import functional as F

    def weighted_cross_entropy(logits, labels):
        return F.cross_entropy(logits, labels, weight=weights)
    return weighted_cross_entropy


def fit_options(args, weights):
    """The keyword arguments of fit() these options ask for."""
    directory = None if args.save_checkpoint == "never" else args.output_dir
    return dict(loss_fn=loss_with_weights(weights), select_by=args.select_by, patience=args.patience,
                checkpoint_dir=directory, checkpoint_every=args.save_steps,
                checkpoint_seconds=None if args.save_steps else CHECKPOINT_SECONDS,
                keep_checkpoints="every" if args.save_checkpoint == "every" else "last")


def interrupted(stop, args):
    """Print how to continue an interrupted run; returns the exit code (128 + the signal, as a shell reports)."""
    import sys
    name = signal.Signals(stop.signal_number).name
    if stop.checkpoint:
        print(f"interrupted by {name} after step {stop.step}: the run is saved in {stop.checkpoint}; continue it "
              f"with:\n  python -m minitransformer train --resume {args.output_dir}", file=sys.stderr)
    else:
        print(f"interrupted by {name} after step {stop.step}; no checkpoint was written (--save-checkpoint never), "
              "so the run cannot be resumed", file=sys.stderr)
    return 128 + stop.signal_number


def report_truncation(tokenizer, splits, max_length, say):
    """Print, per split, how many texts --max-length cuts; returns ({split: report}, the longest batch length)."""
    from ..data.truncation import format_truncation, truncation_report
    reports = {name: truncation_report(tokenizer, dataset.texts, max_length) for name, dataset in splits.items()}
    for name, report in reports.items():
        if report["truncated"] or name == "train":
            say(format_truncation(name, report))
    return reports, min(max_length, max(r["longest"] for r in reports.values()))


def check_memory(model, batch_size, seq_len, device, eval_batch_size=256):
    """Refuse (UsageError naming what fits) a training step that would not fit; returns the evaluation batch size
    that does (at most eval_batch_size)."""
    from ..memory import MemoryEstimateError, available_bytes, check_fits, largest
    available = available_bytes(device)
    try:
        check_fits(model, batch_size, seq_len, device, train=True, available=available)
    except MemoryEstimateError as e:
        raise UsageError(f"not enough memory: {e} (A batch is as long as its longest text, at most --max-length.)"
                         ) from None

    def fits(b):
        try:
            check_fits(model, b, seq_len, device, train=False, available=available)
            return True
        except MemoryEstimateError:
            return False
    return max(1, largest(fits, eval_batch_size))


def calibrate(val_result, say):
    """Fit the temperature on the validation logits; returns calibration.json's content."""
    from ..calibration import calibration_summary, fit_temperature
    logits, labels = val_result["logits"], val_result["labels"]
    T = fit_temperature(logits, labels)
    before, after = calibration_summary(logits, labels), calibration_summary(logits, labels, T)
    say(f"calibration: temperature {T:.3f} fitted on the validation split; its ECE {before['ece']:.4f} -> "
        f"{after['ece']:.4f}, NLL {before['nll']:.4f} -> {after['nll']:.4f}")
    return {"temperature": T, "method": "temperature scaling (Guo et al. 2017), fitted on the validation split",
            "validation_before": before, "validation_after": after}
