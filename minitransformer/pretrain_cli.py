"""`python -m minitransformer pretrain`: masked-LM pretraining of a small BERT on unlabeled text, written as a
Hugging Face-format directory (config.json, model.safetensors, vocab.txt, tokenizer_config.json) that
`train --init-from DIR` fine-tunes and transformers' BertForMaskedLM.from_pretrained(DIR) loads.

Registered in cli.py's COMMANDS like every command: add_pretrain builds the parser, run_pretrain runs it; heavy
imports stay inside run_pretrain so `--help` is instant.
"""
import json
import os

DEFAULT_DATA = os.path.join("data", "train.tsv")  # the shipped corpus's training sentences (labels unused)


def add_pretrain(subparsers):
    p = subparsers.add_parser(
        "pretrain", help="pretrain a small BERT with masked language modelling on unlabeled text",
        description="Masked-LM pretraining (15%% of tokens chosen; 80%% [MASK], 10%% random, 10%% kept) of a BERT "
                    "on plain text; writes a Hugging Face-format checkpoint directory for `train --init-from`.")
    p.add_argument("--data", nargs="+", default=[DEFAULT_DATA], metavar="PATH",
                   help=f".txt (one text per line), .tsv/.csv (a --text-column) or .jsonl files (default: {DEFAULT_DATA})")
    p.add_argument("--text-column", default="sentence", help="column holding the text in .tsv/.csv/.jsonl")
    p.add_argument("--max-texts", type=int, default=None, help="use only the first N texts (quick runs)")
    p.add_argument("--output-dir", default=os.path.join("runs", "pretrain"), help="where the checkpoint goes")
    vocab = p.add_mutually_exclusive_group()
    vocab.add_argument("--vocab", help="an existing vocab.txt or tokenizer directory (default: train one)")
    vocab.add_argument("--vocab-size", type=int, default=2000, help="size of the WordPiece vocabulary to train")
    p.add_argument("--hidden-size", type=int, default=64)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--intermediate-size", type=int, default=None, help="feed-forward width (default 4 x hidden)")
    p.add_argument("--max-length", type=int, default=64, help="tokens per text after truncation (and positions)")
    p.add_argument("--dropout", type=float, default=0.1, help="hidden and attention dropout")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--warmup-ratio", type=float, default=0.05)
    p.add_argument("--mlm-probability", type=float, default=0.15)
    p.add_argument("--validation-fraction", type=float, default=0.05,
                   help="texts held out to report masked-token accuracy after each epoch")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.set_defaults(func=run_pretrain)


def run_pretrain(args):
    import numpy as np

    import minitransformer as mt
    from .pretraining import MaskedLMLoader, new_masked_lm, pretrain, read_texts, save_pretrained_dir
    from .tokenizer import WordPieceTokenizer

    for path in args.data:
        if not os.path.exists(path):
            raise FileNotFoundError(f"--data {path} not found" + (
                " (the shipped corpus lives in the repository's data/ directory: run from the repository root, "
                "or pass --data)" if path == DEFAULT_DATA else ""))
    for name in ("epochs", "batch_size", "hidden_size", "layers", "heads", "max_length"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if not 0 < args.validation_fraction < 1 and args.validation_fraction != 0:
        raise ValueError(f"--validation-fraction must be in [0, 1), got {args.validation_fraction}")
    mt.manual_seed(args.seed)
    texts = read_texts(args.data, args.text_column)[:args.max_texts]
    order = np.random.default_rng(args.seed).permutation(len(texts))
    n_val = int(len(texts) * args.validation_fraction)
    val_texts = [texts[i] for i in order[:n_val]]
    train_texts = [texts[i] for i in order[n_val:]]
    if args.vocab:
        tokenizer = WordPieceTokenizer.from_pretrained(args.vocab)
    else:
        tokenizer = WordPieceTokenizer.train(train_texts, vocab_size=args.vocab_size, show_progress=False)
    print(f"pretrain: {len(train_texts)} texts ({n_val} held out), vocabulary {tokenizer.vocab_size}, "
          f"BERT {args.layers} layers x {args.hidden_size} hidden x {args.heads} heads; loss and accuracy below "
          "are over the masked tokens only")
    model = new_masked_lm(tokenizer, hidden_size=args.hidden_size, num_layers=args.layers, num_heads=args.heads,
                          intermediate_size=args.intermediate_size, max_length=args.max_length,
                          hidden_dropout_prob=args.dropout, attention_probs_dropout_prob=args.dropout).to(args.device)
    loader = MaskedLMLoader(train_texts, tokenizer, batch_size=args.batch_size, seed=args.seed,
                            max_length=args.max_length, mlm_probability=args.mlm_probability,
                            bucket_by_length=True)  # texts of similar length together: less padding to compute
    val_loader = MaskedLMLoader(val_texts, tokenizer, batch_size=64, shuffle=False, seed=args.seed + 1,
                                max_length=args.max_length) if val_texts else None
    history = pretrain(model, loader, epochs=args.epochs, lr=args.lr, weight_decay=args.weight_decay,
                       warmup_ratio=args.warmup_ratio, val_loader=val_loader,
                       log_every=max(1, len(loader) // 4))
    save_pretrained_dir(model, tokenizer, args.output_dir)
    with open(os.path.join(args.output_dir, "pretrain_history.json"), "w", encoding="utf-8") as f:
        json.dump({"args": vars(args) | {"func": None}, "history": history}, f, indent=1)
    print(f"saved {args.output_dir} (config.json, model.safetensors, vocab.txt, tokenizer_config.json); "
          f"fine-tune it with: python -m minitransformer train --init-from {args.output_dir}")
    return 0
