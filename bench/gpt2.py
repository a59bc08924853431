"""GPT-2 on CPU, ours (NumPy) against Hugging Face transformers (PyTorch, its default sdpa attention), same weights,
same machine, same run:

1. forward of a 6-layer, n_embd 384, 6-head GPT2LMHeadModel on a batch of 8 x 256 tokens (target: ours within
   1.5x of transformers), with logits parity on that batch;
2. generation of 200 new tokens (greedy, --gen-batch prompts of 16 tokens, 1 by default) with and without the KV
   cache: tokens per second for both sides (target: ours with the cache >= 5x ours without), and whether the
   tokens agree.

    .venv-ci-reference/bin/python bench/gpt2.py [--vocab 50257] [--repeats 5] [--new-tokens 200]

Runs interleave ours and theirs with a short pause between them (so a busy neighbour slows both alike and
neither runs beside the other's still-spinning BLAS threads), and report medians. The vocabulary defaults to
GPT-2's 50257, so the LM head (a (2048, 384) x (384, 50257) GEMM) is a large share of the forward; --vocab 8192
times the decoder blocks more than the head. Without transformers installed it times ours alone.

Why the vocabulary matters for the cache: a cached step reads every weight once to produce one token, and at
vocabulary 50257 the LM head alone is 77 MB of float32 (a (384, 50257) matrix-vector product, memory-bound), the
same with or without the cache; so at batch 1 the head caps the speed-up (Hugging Face's too). With --vocab 8192,
or more prompts per batch (--gen-batch), the decoder's recomputation dominates and the cache's gain shows.
"""
import argparse
import os
import pathlib
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # this checkout, from any Python
# minitransformer before NumPy, as the CLI does: its import sets OpenBLAS's thread timeout (see its __init__)
import minitransformer as mt  # noqa: I100
import numpy as np  # noqa: I100
from minitransformer.models import GPT2Config, GPT2LMHeadModel

PAUSE = 0.2


def interleaved(runs, repeats):
    """{name: median seconds} over `repeats` rounds, each round running every function once after a pause."""
    for fn in runs.values():
        fn()  # warm-up: first touch of the weights, thread pools
    times = {name: [] for name in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            time.sleep(PAUSE)
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vocab", type=int, default=50257)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--new-tokens", type=int, default=200)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--gen-batch", type=int, default=1)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; OPENBLAS_THREAD_TIMEOUT="
          f"{os.environ.get('OPENBLAS_THREAD_TIMEOUT', 'unset')}")
    config = dict(vocab_size=args.vocab, n_positions=1024, n_embd=384, n_layer=6, n_head=6)
    try:
        import torch
        import transformers
    except ImportError:
        torch = None
        print("transformers/torch not installed: timing ours alone")
    mt.manual_seed(0)
    if torch is not None:  # their random init, saved and loaded by us: the same weights on both sides
        torch.manual_seed(0)
        hf = transformers.GPT2LMHeadModel(transformers.GPT2Config(**config)).eval()
        with tempfile.TemporaryDirectory() as d:
            hf.save_pretrained(d)
            ours = GPT2LMHeadModel.from_pretrained(d)
    else:
        ours = GPT2LMHeadModel(GPT2Config(**config)).eval()
    ids = np.random.default_rng(0).integers(0, args.vocab, size=(args.batch, args.seq))

    def forward_ours():
        with mt.no_grad():
            return ours(ids, use_cache=False).logits

    runs = {"ours": forward_ours}
    if torch is not None:
        t_ids = torch.from_numpy(ids)

        def forward_hf():
            with torch.no_grad():
                return hf(t_ids, use_cache=False).logits
        runs["hf"] = forward_hf
    t = interleaved(runs, args.repeats)
    print(f"forward, 6 layers x n_embd 384, vocab {args.vocab}, batch {args.batch} x {args.seq}, "
          f"{args.repeats} interleaved runs, median:")
    print(f"  ours {t['ours']:.3f} s")
    if torch is not None:
        err = float(np.abs(forward_ours().numpy() - forward_hf().numpy()).max())
        print(f"  HF   {t['hf']:.3f} s (torch {torch.__version__}, {torch.get_num_threads()} threads)")
        print(f"  ratio ours / HF {t['ours'] / t['hf']:.2f} (target <= 1.5); logits max |ours - HF| {err:.1e}")

    prompt = ids[:args.gen_batch, :16]
    n = args.new_tokens
    out = {}

    def generate_ours(cache):
        out[("ours", cache)] = ours.generate(prompt, max_new_tokens=n, use_cache=cache, eos_token_id=-1).numpy()

    gen = {"ours, cache": lambda: generate_ours(True), "ours, no cache": lambda: generate_ours(False)}
    if torch is not None:
        t_prompt = torch.from_numpy(prompt)

        def generate_hf(cache):
            with torch.no_grad():
                out[("hf", cache)] = hf.generate(t_prompt, attention_mask=torch.ones_like(t_prompt),
                                                 max_new_tokens=n, min_new_tokens=n, do_sample=False,
                                                 use_cache=cache, pad_token_id=0).numpy()
        gen["HF, cache"] = lambda: generate_hf(True)
        gen["HF, no cache"] = lambda: generate_hf(False)
    t = interleaved(gen, max(1, args.repeats // 2))
    print(f"greedy generation of {n} tokens after a {prompt.shape[1]}-token prompt, batch {len(prompt)}, median:")
    for name, seconds in t.items():
        print(f"  {name:15s} {seconds:.3f} s = {n * len(prompt) / seconds:7.1f} tokens/s")
    print(f"  ours: cache speed-up {t['ours, no cache'] / t['ours, cache']:.1f}x (target >= 5)")
    if torch is not None:
        print(f"  HF:   cache speed-up {t['HF, no cache'] / t['HF, cache']:.1f}x; ours / HF with cache "
              f"{t['ours, cache'] / t['HF, cache']:.2f}")
        same = all(np.array_equal(out[("ours", c)], out[("hf", c)]) for c in (True, False))
        print(f"  tokens equal to HF's, with and without the cache: {same}")
    print(f"  ours equal with and without the cache: {np.array_equal(out[('ours', True)], out[('ours', False)])}")


if __name__ == "__main__":
    main()
