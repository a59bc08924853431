"""`python -m minitransformer evaluate`: accuracy, macro-F1, loss, the per-class report, calibration (ECE and a
reliability diagram) and the confusion matrix of a trained model on a labelled file or a named dataset's test split.

    python -m minitransformer evaluate --model runs/latest               # the run's own test split
    python -m minitransformer evaluate --model runs/latest --data my_test.tsv
    python -m minitransformer evaluate --model runs/latest --dataset rotten-tomatoes
"""
import os

from . import tagging
from .data import evaluation_data
from .options import UsageError, add_model_dir_option, check_device, dataset_names, option, positive


def add_evaluate(subparsers):
    p = subparsers.add_parser("evaluate", help="accuracy, macro-F1, per-class scores, calibration and confusion "
                                               "matrix of a trained model on a file",
                              description="Evaluate the model saved by `train` in --model on a labelled file "
                                          "or a named dataset's test split (default: the test split it was trained "
                                          "with); writes evaluation.json, confusion_matrix.png and reliability.png "
                                          "to --output-dir.")
    add_model_dir_option(p, default=os.path.join("runs", "latest"),
                         help="directory written by train (--model-dir also works), or a fine-tuned Hugging Face "
                              "BERT directory")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--data", default=None, metavar="PATH",
                       help="labelled .tsv/.csv/.jsonl file, or for a token classifier a CoNLL/JSONL tagged file "
                            "(default: the run's test split; for a token classifier the shipped test split)")
    where.add_argument("--dataset", default=None, choices=dataset_names(), metavar="NAME",
                       help=f"the test split of a named dataset: {', '.join(dataset_names())} (default: the run's)")
    p.add_argument("--text-column", default=None,
                   help="column holding the text (default: the one the model was trained with, else sentence)")
    p.add_argument("--label-column", default=None,
                   help="column holding the label (default: the one the model was trained with, else label)")
    p.add_argument("--output-dir", default=None, metavar="DIR",
                   help="where evaluation.json and the figures go (default: MODEL_DIR/evaluation)")
    option(p, "--batch-size", type=int, default=256, help="texts per forward pass")
    option(p, "--device", default="cpu", help="cpu, or cuda / cuda:N")
    tagging.add_repair_option(p)
    p.set_defaults(func=run_evaluate)


def run_evaluate(args):
    import numpy as np

    from .. import plots, run_dir
    from ..calibration import calibration_summary, reliability_bins, softmax
    from ..data import DataLoader
    from ..metrics import classification_report, format_confusion_matrix
    from ..tagger_run import is_tagger_dir
    from ..training import evaluate

    if is_tagger_dir(args.model_dir):  # a token classifier: entity scores on a CoNLL/JSONL file
        if args.dataset:
            raise UsageError(f"--dataset {args.dataset}: {args.model_dir} is a token classifier; give its CoNLL "
                             "or JSONL file with --data")
        return tagging.run_evaluate(args)
    positive(args, ("batch_size",))
    model, tokenizer, label_names, max_length = run_dir.load(args.model_dir, check_device(args.device), "--model")
    path, dataset = evaluation_data(args, run_dir.saved_train_args(args.model_dir), label_names)
    result = evaluate(model, DataLoader(dataset, tokenizer, batch_size=args.batch_size, max_length=max_length))
    T = run_dir.temperature(args.model_dir)
    calibration = calibration_summary(result["logits"], result["labels"], T)
    report = classification_report(result["labels"], result["predictions"], target_names=label_names)
    print(f"{path}: {len(dataset)} texts")
    print(f"accuracy  {result['accuracy']:.4f}")
    print(f"macro-F1  {result['macro_f1']:.4f}")
    print(f"loss      {result['loss']:.4f}")
    scaled = f" (probabilities scaled by the stored temperature {T:.3f})" if T != 1.0 else \
        " (uncalibrated: train --calibrate fits a temperature)"
    print(f"ECE       {calibration['ece']:.4f}{scaled}")
    print(f"\n{report}")
    print(format_confusion_matrix(result["confusion_matrix"], label_names))
    out = args.output_dir or os.path.join(args.model_dir, "evaluation")
    run_dir.write_json(os.path.join(out, "evaluation.json"), {
        "data": path, "accuracy": result["accuracy"], "macro_f1": result["macro_f1"], "loss": result["loss"],
        "ece": calibration["ece"], "nll": calibration["nll"], "temperature": T,
        "report": classification_report(result["labels"], result["predictions"], target_names=label_names,
                                        output_dict=True),
        "confusion_matrix": np.asarray(result["confusion_matrix"]).tolist(), "label_names": label_names})
    plots.plot_confusion_matrix(result["confusion_matrix"], label_names, os.path.join(out, "confusion_matrix.png"),
                                title=f"accuracy {result['accuracy']:.3f}, macro-F1 {result['macro_f1']:.3f}")
    plots.plot_reliability(reliability_bins(softmax(result["logits"], T), result["labels"]),
                           os.path.join(out, "reliability.png"), title=f"ECE {calibration['ece']:.3f}")
    print(f"\nwrote {out}: evaluation.json, confusion_matrix.png, reliability.png")
    return 0
