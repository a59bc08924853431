"""`python -m minitransformer tokenize`: the WordPiece pieces and ids of each text, with the vocabulary of a run
directory, a Hugging Face model directory or a vocab.txt.

    python -m minitransformer tokenize "unaffable"                      # the vocabulary of runs/latest
    python -m minitransformer tokenize --model DIR "unaffable"          # a run or a Hugging Face BERT directory
    python -m minitransformer tokenize --model minilm "unaffable"       # a known model name, as train --pretrained
    python -m minitransformer tokenize --vocab vocab.txt "unaffable"
"""
import os
import sys

from .options import UsageError, option, resolve_pretrained, texts_from

DEFAULT_MODEL = os.path.join("runs", "latest")


def add_tokenize(subparsers):
    p = subparsers.add_parser("tokenize", help="split text into WordPiece tokens and ids",
                              description="Print the WordPiece tokens and ids of each TEXT (or of each stdin line).")
    p.add_argument("text", nargs="*", help="text to tokenize; reads lines from stdin when omitted")
    where = p.add_mutually_exclusive_group()
    option(where, "--model", "--model-dir", dest="model", default=DEFAULT_MODEL, metavar="DIR",
           help="a run directory written by train or pretrain, a Hugging Face BERT directory (its vocab.txt and "
                "tokenizer_config.json), or a model name that train --pretrained knows (minilm)")
    where.add_argument("--vocab", default=None, metavar="PATH",
                       help="a vocab.txt, or a directory holding one (default: the --model directory's)")
    case = p.add_mutually_exclusive_group()
    case.add_argument("--do-lower-case", dest="do_lower_case", action="store_true", default=None,
                      help="lower-case and strip accents (default: from tokenizer_config.json, else on)")
    case.add_argument("--no-lower-case", dest="do_lower_case", action="store_false",
                      help="keep case, for cased vocabularies (default: from tokenizer_config.json)")
    p.add_argument("--no-special-tokens", action="store_true", help="leave out [CLS] and [SEP] (default: keep them)")
    p.set_defaults(func=run_tokenize)


def run_tokenize(args):
    from ..tokenizer import WordPieceTokenizer  # lazy: the command line loads only what the command needs

    source = args.vocab or args.model
    option_name = "--vocab" if args.vocab else "--model"
    if not args.vocab and not os.path.exists(source) and source != DEFAULT_MODEL:
        source = resolve_pretrained(source, option_name)     # minilm -> its directory in the cache
    if not os.path.exists(source):
        hint = (" (no run there yet: train one, or pass --model DIR or --vocab vocab.txt)"
                if source == DEFAULT_MODEL else "")
        raise UsageError(f"{option_name} {source}: not found{hint}")
    if os.path.isdir(source) and not os.path.isfile(os.path.join(source, "vocab.txt")):
        raise UsageError(f"{option_name} {source}: no vocab.txt in that directory")
    overrides = {} if args.do_lower_case is None else {"do_lower_case": args.do_lower_case}
    tok = WordPieceTokenizer.from_pretrained(source, **overrides)
    for text in texts_from(args.text, sys.stdin):
        ids = tok.encode(text, add_special_tokens=not args.no_special_tokens)
        print("tokens:", " ".join(tok.convert_ids_to_tokens(ids)))
        print("ids:   ", " ".join(map(str, ids)))
    return 0
