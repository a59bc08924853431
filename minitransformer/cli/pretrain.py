"""`python -m minitransformer pretrain`: masked-LM pretraining of a small BERT on unlabeled text, written as a
Hugging Face-format directory (config.json, model.safetensors, vocab.txt, tokenizer_config.json) that
`train --pretrained DIR` fine-tunes and transformers' BertForMaskedLM.from_pretrained(DIR) loads.

Registered in cli/__init__.py's COMMANDS like every command: add_pretrain builds the parser, run_pretrain runs
it; heavy imports stay inside run_pretrain so `--help` is instant.
"""
import json
import os

from .options import (UsageError, add_loop_options, add_model_options, add_vocab_options, check_device,
                      check_sizes, dataset_names, option)
from .data import pretraining_texts
from .train import DEFAULT_DATASET, FINE_TUNING_FILE

# Lesson 09's recipe (measured there on the shipped corpus): 40% masking (Wettig et al. 2022), 10 epochs of batch 64
# at lr 3e-3; 15% masking for 3 epochs gave no gain over training from scratch.
DEFAULTS = dict(d_model=64, num_heads=4, num_layers=2, d_ff=None, dropout=0.1, epochs=10, batch_size=64, lr=3e-3,
                weight_decay=0.01, warmup_ratio=0.05, max_length=64, seed=0, vocab_size=2000, mlm_probability=0.4)
# What `train --pretrained DIR` uses for a model written here, unless told otherwise (written to DIR/fine_tuning.json):
# a small model pretrained on a few thousand sentences fine-tunes like one from scratch, not like a large BERT (lr
# 5e-5, 3 epochs, which leaves it near chance), and for as long as `train` trains one from scratch on the shipped
# corpus (15 epochs; 6 left the [CLS] head at 0.77), but at half the from-scratch lr, where it ended ahead of scratch
# or level on every seed tried: at 1e-3 it fell behind on some, at 2e-3 it collapsed, at 3e-4 it had not caught up.
FINE_TUNING = dict(lr=5e-4, epochs=15, batch_size=32, warmup_ratio=0.1, weight_decay=0.01)


def add_pretrain(subparsers):
    p = subparsers.add_parser(
        "pretrain", help="pretrain a small BERT with masked language modelling on unlabeled text",
        description="Masked-LM pretraining (--mlm-probability of the tokens chosen; of those 80% become [MASK], "
                    "10% a random token, 10% stay) of a BERT on plain text; writes a Hugging Face-format "
                    "checkpoint directory for `train --pretrained DIR`.")
    data = p.add_argument_group("data")
    where = data.add_mutually_exclusive_group()
    where.add_argument("--data", nargs="+", default=None, metavar="PATH",
                       help=".txt (one text per line), .tsv/.csv (a --text-column) or .jsonl files (default: the "
                            "texts of --dataset)")
    where.add_argument("--dataset", default=None, choices=dataset_names(), metavar="NAME",
                       help="the training split's texts (labels unused) of a named dataset: "
                            f"{', '.join(dataset_names())} (default: {DEFAULT_DATASET}, the one `train` uses, or "
                            "the shipped corpus when it cannot be fetched)")
    option(data, "--text-column", default="sentence", help="column holding the text in .tsv/.csv/.jsonl")
    option(data, "--max-texts", type=int, default=None, metavar="N", shown="all",
           help="use only the first N texts (quick runs)")
    option(data, "--validation-fraction", type=float, default=0.05,
           help="share of the texts held out to report masked-token accuracy after each epoch")
    add_vocab_options(p, DEFAULTS, unset_none=True)
    add_model_options(p, DEFAULTS)
    loop = add_loop_options(p, DEFAULTS)
    option(loop, "--mlm-probability", type=float, default=DEFAULTS["mlm_probability"], metavar="P",
           help="share of the tokens chosen for prediction in each text")
    out = p.add_argument_group("output")
    option(out, "--output-dir", default=os.path.join("runs", "pretrain"), metavar="DIR",
           help="where the checkpoint directory is written")
    out.add_argument("--quiet", action="store_true",
                     help="no progress bars, only the epoch summaries, as train --quiet (default: a bar per epoch)")
    p.set_defaults(func=run_pretrain)


def run_pretrain(args):
    import numpy as np

    import minitransformer as mt
    from ..pretraining import MaskedLMLoader, new_masked_lm, pretrain, read_texts, save_pretrained_dir
    from ..tokenizer import WordPieceTokenizer

    for path in args.data or ():
        if not os.path.exists(path):
            raise UsageError(f"--data {path}: file not found")
    check_sizes(args)
    if not 0 <= args.validation_fraction < 1:
        raise UsageError(f"--validation-fraction must be in [0, 1), got {args.validation_fraction}")
    if not 0 < args.mlm_probability < 1:
        raise UsageError(f"--mlm-probability must be in (0, 1), got {args.mlm_probability}")
    if args.max_texts is not None and args.max_texts < 1:
        raise UsageError(f"--max-texts must be at least 1, got {args.max_texts}")
    device = check_device(args.device)
    mt.manual_seed(args.seed)
    texts = pretraining_texts(args, DEFAULT_DATASET, read_texts)[:args.max_texts]
    order = np.random.default_rng(args.seed).permutation(len(texts))
    n_val = int(len(texts) * args.validation_fraction)
    val_texts = [texts[i] for i in order[:n_val]]
    train_texts = [texts[i] for i in order[n_val:]]
    if args.vocab:
        tokenizer = WordPieceTokenizer.from_pretrained(args.vocab)
    else:                                            # unset (None) unless given: --vocab-size excludes --vocab
        tokenizer = WordPieceTokenizer.train(train_texts, vocab_size=args.vocab_size or DEFAULTS["vocab_size"],
                                             show_progress=False)
    print(f"pretrain: {len(train_texts)} texts ({n_val} held out), vocabulary {tokenizer.vocab_size}, "
          f"BERT {args.num_layers} layers x {args.d_model} hidden x {args.num_heads} heads; loss and accuracy below "
          "are over the masked tokens only")
    model = new_masked_lm(tokenizer, hidden_size=args.d_model, num_layers=args.num_layers, num_heads=args.num_heads,
                          intermediate_size=args.d_ff, max_length=args.max_length,
                          hidden_dropout_prob=args.dropout, attention_probs_dropout_prob=args.dropout).to(device)
    loader = MaskedLMLoader(train_texts, tokenizer, batch_size=args.batch_size, seed=args.seed,
                            max_length=args.max_length, mlm_probability=args.mlm_probability,
                            bucket_by_length=True)  # texts of similar length together: less padding to compute
    val_loader = MaskedLMLoader(val_texts, tokenizer, batch_size=64, shuffle=False, seed=args.seed + 1,
                                max_length=args.max_length) if val_texts else None
    history = pretrain(model, loader, epochs=args.epochs, lr=args.lr, weight_decay=args.weight_decay,
                       warmup_ratio=args.warmup_ratio, val_loader=val_loader, progress=not args.quiet,
                       log_every=0)                  # a bar per epoch as train shows, or with --quiet the summaries only
    save_pretrained_dir(model, tokenizer, args.output_dir)
    with open(os.path.join(args.output_dir, "pretrain_history.json"), "w", encoding="utf-8") as f:
        json.dump({"args": {**vars(args), "func": None}, "history": history}, f, indent=1)
    with open(os.path.join(args.output_dir, FINE_TUNING_FILE), "w", encoding="utf-8") as f:
        json.dump(FINE_TUNING, f, indent=1)
    print(f"saved {args.output_dir} (config.json, model.safetensors, vocab.txt, tokenizer_config.json); "
          f"fine-tune it with: python -m minitransformer train --pretrained {args.output_dir}")
    return 0
