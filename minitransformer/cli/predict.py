"""`python -m minitransformer predict`: the label and class probabilities of each text, tab-separated.

    python -m minitransformer predict --model-dir runs/latest "The plot was not good."
    echo "a dull, lifeless film" | python -m minitransformer predict
"""
import os
import sys

from . import tagging
from .options import check_device, option, texts_from


def add_predict(subparsers):
    p = subparsers.add_parser("predict", help="label and class probabilities for each text",
                              description="Classify each TEXT (or each line of stdin when no TEXT is given) with "
                                          "the model in --model-dir; prints the label, its probability, all class "
                                          "probabilities and the text, tab-separated.")
    p.add_argument("text", nargs="*", help="texts to classify; reads lines from stdin when omitted")
    option(p, "--model-dir", default=os.path.join("runs", "latest"), metavar="DIR",
           help="directory written by train, or a fine-tuned Hugging Face BERT directory")
    option(p, "--device", default="cpu", help="cpu, or cuda / cuda:N")
    tagging.add_predict_options(p)
    p.set_defaults(func=run_predict)


def run_predict(args):
    from .. import run_dir
    from ..tagger_run import is_tagger_dir

    if is_tagger_dir(args.model_dir):  # a token classifier: the entities of each text with character spans
        return tagging.run_predict(args, texts_from(args.text, sys.stdin))
    model, tokenizer, label_names, max_length = run_dir.load(args.model_dir, check_device(args.device))
    texts = texts_from(args.text, sys.stdin)
    temperature = run_dir.temperature(args.model_dir)   # 1.0 unless train --calibrate stored one
    for text, probs in zip(texts, run_dir.predict_proba(model, tokenizer, texts, max_length,
                                                        temperature=temperature)):
        best = int(probs.argmax())
        every = " ".join(f"{name}={p:.4f}" for name, p in zip(label_names, probs))
        print(f"{label_names[best]}\t{probs[best]:.4f}\t{every}\t{text}")
    return 0
