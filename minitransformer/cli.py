"""Command line: python -m minitransformer <command> ...; each command registers itself from one small function.

To add a command: write ``add_<name>(subparsers)`` that builds its parser and sets ``func`` to a function taking
the parsed args and returning an exit code, then list it in COMMANDS. Import heavy modules inside that function,
so `python -m minitransformer --help` stays instant. Raise UsageError (or FileNotFoundError / ValueError) for a
user mistake: main() prints one line `error: ...` and returns 2, never a traceback. A training run that fails
(a non-finite loss) is one line too, with exit code 1.
"""
import argparse
import os
import sys


class UsageError(Exception):
    """A mistake in the command line or its inputs, reported as one line and exit code 2."""


def add_tokenize(subparsers):
    p = subparsers.add_parser("tokenize", help="split text into WordPiece tokens and ids with a BERT vocab.txt",
                              description="Print the WordPiece tokens and ids of each TEXT (or of each stdin line).")
    p.add_argument("text", nargs="*", help="text to tokenize; reads lines from stdin when omitted")
    p.add_argument("--vocab", required=True,
                   help="a vocab.txt, or a directory with vocab.txt (+ tokenizer_config.json)")
    case = p.add_mutually_exclusive_group()
    case.add_argument("--do-lower-case", dest="do_lower_case", action="store_true", default=None,
                      help="lower-case and strip accents (default: from tokenizer_config.json, else on)")
    case.add_argument("--no-lower-case", dest="do_lower_case", action="store_false",
                      help="keep case (cased vocabularies)")
    p.add_argument("--no-special-tokens", action="store_true", help="leave out [CLS] and [SEP]")
    p.set_defaults(func=run_tokenize)


def run_tokenize(args):
    from .tokenizer import WordPieceTokenizer  # lazy: the command line loads only what the command needs

    if not os.path.exists(args.vocab):
        raise UsageError(f"vocab not found: {args.vocab}")
    overrides = {} if args.do_lower_case is None else {"do_lower_case": args.do_lower_case}
    tok = WordPieceTokenizer.from_pretrained(args.vocab, **overrides)
    texts = args.text or [line.rstrip("\n") for line in sys.stdin]
    for text in texts:
        ids = tok.encode(text, add_special_tokens=not args.no_special_tokens)
        print("tokens:", " ".join(tok.convert_ids_to_tokens(ids)))
        print("ids:   ", " ".join(map(str, ids)))
    return 0


from .pretrain_cli import add_pretrain  # noqa: E402  (masked-LM pretraining of a BERT; imports stay lazy)

from .commands import add_evaluate, add_predict, add_train  # noqa: E402  (the classifier; imports stay lazy)

COMMANDS = [add_train, add_evaluate, add_predict, add_tokenize, add_pretrain]


def build_parser():
    """The top-level parser with one subparser per entry of COMMANDS."""
    parser = argparse.ArgumentParser(prog="python -m minitransformer",
                                     description="A Transformer text classifier from first principles in NumPy.")
    subparsers = parser.add_subparsers(dest="command", metavar="command")
    subparsers.required = True
    for add in COMMANDS:
        add(subparsers)
    return parser


def main(argv=None):
    """Run one command; returns its exit code (2 for a usage error, with a one-line message on stderr)."""
    parser = build_parser()
    args = parser.parse_args(argv)  # argparse itself exits 2 with a usage message on a bad command line
    try:
        return args.func(args)
    except (UsageError, FileNotFoundError, ValueError, TypeError, UnicodeDecodeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except FloatingPointError as e:  # training.NonFiniteLossError: the run failed, the message says what is kept
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
