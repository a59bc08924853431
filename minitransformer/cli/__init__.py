"""Command line: python -m minitransformer <command> ...; one module per command, each registering itself.

To add a command: write a module with ``add_<name>(subparsers)``, which builds its parser (shared option groups
and checks are in options.py) and sets ``func`` to a function taking the parsed args and returning an exit code,
then list it in COMMANDS. Import heavy modules inside that function, so `python -m minitransformer --help` stays
instant. Raise UsageError (or an OSError such as FileNotFoundError, or ValueError) for a user mistake: main() prints one line
`error: ...` and returns 2, never a traceback. A training run that fails (a non-finite loss) or a download that
fails (data.FetchError) is one line too, with exit code 1.
"""
import argparse
import sys

from ..data.fetch import FetchError

from .evaluate import add_evaluate
from .lm import add_lm
from .options import UsageError  # noqa: F401  (the one error type every command raises for a user mistake)
from .predict import add_predict
from .pretrain import add_pretrain
from .tokenize import add_tokenize
from .train import add_train

COMMANDS = [add_train, add_evaluate, add_predict, add_tokenize, add_pretrain, add_lm]


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
    except (UsageError, OSError, ValueError, TypeError, UnicodeDecodeError) as e:
        print(f"error: {e}", file=sys.stderr)      # OSError: a path the user gave (missing, a file, not writable)
        return 2
    except FloatingPointError as e:  # training.NonFiniteLossError: the run failed, the message says what is kept
        print(f"error: {e}", file=sys.stderr)
        return 1
    except FetchError as e:          # a dataset or model package could not be downloaded (offline?)
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
