"""`python -m minitransformer predict`: the label and class probabilities of each text, tab-separated.

    python -m minitransformer predict --model runs/latest "The plot was not good."
    echo "a dull, lifeless film" | python -m minitransformer predict
    python -m minitransformer predict --explain "The plot was not good."          # why: words shaded, + HTML/PNG
"""
import argparse
import os
import sys

from . import tagging
from .options import UsageError, add_model_dir_option, check_device, option, texts_from

METHODS = ("integrated_gradients", "ig", "gradient_x_input", "gxi", "grad", "attention_rollout", "rollout")


def looks_like_a_method(value):
    """A mistyped METHOD rather than a text: one word with an underscore, or the start of a method's name
    ("integrated", "gradient", "attention")."""
    word = value.strip().lower()
    return " " not in word and ("_" in word or (len(word) >= 4 and any(m.startswith(word) for m in METHODS)))


class ExplainAction(argparse.Action):
    """--explain [METHOD]. argparse gives an optional value to the flag, so in `predict --explain "some text"` the
    text arrives here: it is kept as a text, in its place before or after the positional texts; a mistyped method
    ("integrated") is an error, not a text explained in its place."""

    def __call__(self, parser, namespace, value, option_string=None):
        if value is None or value in METHODS:
            setattr(namespace, self.dest, value or self.const)
            return
        if looks_like_a_method(value):
            raise argparse.ArgumentError(self, f"unknown method {value!r}; use one of {', '.join(METHODS)} (a "
                                               "text to explain goes in quotes, after the options)")
        setattr(namespace, self.dest, self.const)
        namespace.explain_text = (value, bool(getattr(namespace, "text", None)))  # (text, after the positionals?)


def add_predict(subparsers):
    p = subparsers.add_parser("predict", help="label and class probabilities for each text",
                              description="Classify each TEXT (or each line of stdin when no TEXT is given) with "
                                          "the model in --model; prints the label, its probability, all class "
                                          "probabilities and the text, tab-separated.")
    p.add_argument("text", nargs="*", help="texts to classify; reads lines from stdin when omitted")
    add_model_dir_option(p, default=os.path.join("runs", "latest"),
                         help="directory written by train (--model-dir also works), or a fine-tuned Hugging Face "
                              "BERT directory")
    option(p, "--device", default="cpu", help="cpu, or cuda / cuda:N")
    tagging.add_predict_options(p)
    option(p, "--explain", nargs="?", const="integrated_gradients", default=None, action=ExplainAction,
           metavar="METHOD", shown="off; METHOD when given alone: integrated_gradients",
           help="also say why: print each text with its words shaded by their attribution to the predicted class "
                "(colours on a terminal, [word +0.12] markers otherwise) and write an HTML and a PNG per text to "
                "--explain-dir; METHOD is integrated_gradients (ig), gradient_x_input (gxi) or attention_rollout "
                "(rollout)")
    option(p, "--explain-dir", default="explanations", metavar="DIR",
           help="where --explain writes NNN.html and NNN.png, one pair per text")
    p.set_defaults(func=run_predict, explain_text=None)


def run_predict(args):
    from .. import run_dir
    from ..tagger_run import is_tagger_dir

    texts = list(args.text)
    if args.explain_text is not None:  # `--explain TEXT`: the text argparse handed to the flag
        text, after = args.explain_text
        texts = texts + [text] if after else [text] + texts
    if is_tagger_dir(args.model_dir):  # a token classifier: the entities of each text with character spans
        if args.explain:
            raise UsageError(f"--explain explains sentence classifiers; {args.model_dir} holds a token classifier "
                             "(from Python: mt.explain.explain(model, tokenizer, text, position=PIECE))")
        return tagging.run_predict(args, texts_from(texts, sys.stdin))
    if args.explain and os.path.exists(args.explain_dir) and not os.path.isdir(args.explain_dir):
        raise UsageError(f"--explain-dir {args.explain_dir}: is a file; --explain writes its HTML and PNG files "
                         "into a directory")
    model, tokenizer, label_names, max_length = run_dir.load(args.model_dir, check_device(args.device), "--model")
    texts = texts_from(texts, sys.stdin)
    temperature = run_dir.temperature(args.model_dir)   # 1.0 unless train --calibrate stored one
    explanations = explain_texts(args, model, tokenizer, texts, label_names, max_length, temperature) \
        if args.explain else None
    color = sys.stdout.isatty() and os.environ.get("NO_COLOR") is None
    for i, (text, probs) in enumerate(zip(texts, run_dir.predict_proba(model, tokenizer, texts, max_length,
                                                                       temperature=temperature))):
        best = int(probs.argmax())
        every = " ".join(f"{name}={p:.4f}" for name, p in zip(label_names, probs))
        shown = text if explanations is None else explanations[i].shaded(color=color)
        print(f"{label_names[best]}\t{probs[best]:.4f}\t{every}\t{shown}")
    if explanations:
        count = f"{len(texts)} text" + ("s" if len(texts) != 1 else "")
        print(f"explanations ({explanations[0].method}) of {count} in {args.explain_dir}/: 001.html, 001.png, ...",
              file=sys.stderr)
    return 0


def explain_texts(args, model, tokenizer, texts, label_names, max_length, temperature=1.0):
    """One Explanation per text (for its predicted class), with NNN.html and NNN.png written to --explain-dir."""
    from ..explain import explain, method_name
    try:
        method = method_name(args.explain)
    except ValueError as e:
        raise UsageError(f"--explain {args.explain}: {e}") from None
    # integrated gradients: 64 steps, more (up to 1024) for a sentence whose attributions miss F(x) - F(x') by > 1%
    found = explain(model, tokenizer, texts, method=method, label_names=label_names, max_length=max_length,
                    tolerance=0.01, temperature=temperature, progress=len(texts) > 5)
    os.makedirs(args.explain_dir, exist_ok=True)
    for i, e in enumerate(found, start=1):
        e.save_html(os.path.join(args.explain_dir, f"{i:03d}.html"))
        e.save_png(os.path.join(args.explain_dir, f"{i:03d}.png"))
    return found
