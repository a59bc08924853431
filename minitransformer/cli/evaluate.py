"""`python -m minitransformer evaluate`: accuracy, macro-F1, loss and the confusion matrix of a trained model on a
labelled file.

    python -m minitransformer evaluate --model-dir runs/latest --data data/test.tsv
"""
import os

from .options import check_device, existing, option, positive, shipped


def add_evaluate(subparsers):
    p = subparsers.add_parser("evaluate", help="accuracy, macro-F1 and confusion matrix of a trained model on a file",
                              description="Evaluate the model saved by `train` in --model-dir on a labelled file.")
    option(p, "--model-dir", default=os.path.join("runs", "latest"), metavar="DIR",
           help="directory written by train, or a fine-tuned Hugging Face BERT directory")
    p.add_argument("--data", default=None, metavar="PATH",
                   help="labelled .tsv/.csv/.jsonl file (default: the shipped data/test.tsv)")
    p.add_argument("--text-column", default=None,
                   help="column holding the text (default: the one the model was trained with, else sentence)")
    p.add_argument("--label-column", default=None,
                   help="column holding the label (default: the one the model was trained with, else label)")
    option(p, "--batch-size", type=int, default=256, help="texts per forward pass")
    option(p, "--device", default="cpu", help="cpu, or cuda / cuda:N")
    p.set_defaults(func=run_evaluate)


def run_evaluate(args):
    from .. import run_dir
    from ..data import DataLoader, load_dataset
    from ..metrics import format_confusion_matrix
    from ..training import evaluate

    path = existing(args.data or shipped("test"), "--data")
    positive(args, ("batch_size",))
    model, tokenizer, label_names, max_length = run_dir.load(args.model_dir, check_device(args.device))
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
