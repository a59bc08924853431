"""Ours (CuPy) against PyTorch CUDA on the GPU, side by side in one run of a few minutes (one device call):
a TransformerClassifier training step on four configs and a MiniLM-shape BERT forward against transformers.

    python bench/gpu_step.py                     # --device cuda: needs CuPy, torch with CUDA, transformers
    python bench/gpu_step.py --device cpu --configs lesson --repeats 3     # the same cases on the CPU

The step is ../shared/bench/torch_reference.py's (bench/train_step.py says how the two models match): forward,
cross-entropy, backward, AdamW at its defaults, zero_grad, and the loss read back (loss.item()), which waits for
the device on both sides, so each step is timed to its end. Steps alternate ours / torch, after warm-up steps
(CuPy compiles its kernels on first use, torch picks its algorithms). The MiniLM-shape forward (6 layers,
hidden 384, 12 heads, 32 x 128, random weights, padded rows) uses weights that we initialise and save with
save_pretrained and that transformers loads, so both run the same numbers; the parity printed is the largest
|ours - transformers| of last_hidden_state on real tokens.

Prints one JSON line per case: median ms of each side, the ratio ours / torch, ours' process CPU time per step
(equal to the wall time when the GPU waits on Python), the parity, and the load average. Without torch (or
without its CUDA) it times ours alone; without transformers it skips the parity.
"""
import argparse
import json
import os
import pathlib
import statistics
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
import minitransformer as mt  # noqa: E402,I100
import numpy as np  # noqa: E402,I100
from minitransformer.models import TransformerClassifier  # noqa: E402
from minitransformer.models.bert import BertModel  # noqa: E402
from minitransformer.models.bert_config import BertConfig  # noqa: E402
from minitransformer.optim import AdamW  # noqa: E402
from train_step import CONFIGS as SMALL, LR, batch, torch_reference  # noqa: E402

CONFIGS = dict(SMALL,
               large=dict(vocab=30522, d=512, heads=8, layers=6, ff=2048, seq=256, batch=64, classes=2),
               bert_base=dict(vocab=30522, d=768, heads=12, layers=12, ff=3072, seq=128, batch=32, classes=2))
MINILM = dict(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
              intermediate_size=1536, max_position_embeddings=512, hidden_dropout_prob=0.0,
              attention_probs_dropout_prob=0.0)


def our_step(c, device):
    mt.manual_seed(0)
    model = TransformerClassifier(c["vocab"], c["classes"], d_model=c["d"], num_heads=c["heads"],
                                  num_layers=c["layers"], d_ff=c["ff"], max_len=c["seq"], dropout=0.0).to(device)
    ids, labels = batch(c)
    ids, labels = mt.tensor(ids, device=device), mt.tensor(labels, device=device)
    opt = AdamW(model.parameters(), lr=LR)

    def step():
        loss = model(ids, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss.item()  # waits for the device
    return step


def torch_step(ref, c, device):
    import torch
    torch.manual_seed(0)
    model = ref.Classifier(c).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=LR)
    ids, labels = (torch.tensor(a, device=device) for a in batch(c))
    mask = torch.ones_like(ids, dtype=torch.bool)

    def step():
        loss = torch.nn.functional.cross_entropy(model(ids, mask), labels)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss.item()
    return step


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def compare(case, ours, theirs, repeats, warmup=3, **extra):
    """One JSON line: medians of interleaved runs after `warmup` runs of each side."""
    for _ in range(warmup):
        ours()
        theirs and theirs()
    mine, cpu, other = [], [], []
    for _ in range(repeats):
        wall, used = timed(ours)
        mine.append(wall)
        cpu.append(used)
        if theirs:
            other.append(timed(theirs)[0])
    line = dict(case=case, ours_ms=round(statistics.median(mine) * 1e3, 2),
                ours_cpu_ms=round(statistics.median(cpu) * 1e3, 2))
    if other:
        line.update(torch_ms=round(statistics.median(other) * 1e3, 2),
                    ratio=round(statistics.median(mine) / statistics.median(other), 3))
    line.update(extra, load=round(os.getloadavg()[0], 2))
    print(json.dumps(line), flush=True)


def minilm_case(device, torch_device, repeats, batch_size, seq_len):
    """The MiniLM-shape forward: our random weights, saved, loaded by transformers."""
    mt.manual_seed(0)
    ours = BertModel(BertConfig.from_dict(MINILM)).to(device).eval()
    rng = np.random.default_rng(0)
    ids = rng.integers(1000, MINILM["vocab_size"], (batch_size, seq_len))
    lengths = rng.integers(seq_len // 2, seq_len + 1, batch_size)
    mask = (np.arange(seq_len)[None, :] < lengths[:, None]).astype(np.int64)  # (B, T) 1 on real tokens
    ids[mask == 0] = 0

    def run_ours():
        with mt.no_grad():
            return ours(mt.tensor(ids, device=device), mt.tensor(mask, device=device)).last_hidden_state.numpy()

    run_theirs, parity = None, None
    if torch_device is not None:
        try:
            import torch
            from transformers import AutoModel
        except ImportError:
            torch = None
        if torch is not None:
            with tempfile.TemporaryDirectory() as directory:
                ours.save_pretrained(directory)
                theirs = AutoModel.from_pretrained(directory).to(torch_device).eval()
            t_ids, t_mask = (torch.tensor(a, device=torch_device) for a in (ids, mask))

            def run_theirs():
                with torch.no_grad():
                    return theirs(input_ids=t_ids, attention_mask=t_mask).last_hidden_state.cpu().numpy()
            real = mask.astype(bool)
            parity = float(np.abs(run_ours()[real] - run_theirs()[real]).max())
    compare(f"minilm_forward_b{batch_size}_t{seq_len}", run_ours, run_theirs, repeats, warmup=2,
            parity_max_abs=parity)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    parser.add_argument("--configs", default=",".join(CONFIGS), help=f"of {', '.join(CONFIGS)}")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--minilm", default="32x128", help="BxT of the MiniLM-shape forward, or 'none'")
    args = parser.parse_args()
    ref = torch_reference()
    torch_device = None
    if ref is not None and (args.device == "cpu" or ref.torch.cuda.is_available()):
        torch_device = args.device
    print(json.dumps(dict(device=args.device, numpy=np.__version__,
                          torch=None if ref is None else ref.torch.__version__, torch_device=torch_device,
                          load=round(os.getloadavg()[0], 2))), flush=True)
    for name in args.configs.split(","):
        c = CONFIGS[name]
        theirs = torch_step(ref, c, torch_device) if torch_device else None
        compare(f"train_step_{name}", our_step(c, args.device), theirs, args.repeats,
                config={k: c[k] for k in ("d", "layers", "heads", "ff", "batch", "seq", "vocab")})
    if args.minilm != "none":
        b, t = (int(v) for v in args.minilm.split("x"))
        minilm_case(args.device, torch_device, args.repeats, b, t)


if __name__ == "__main__":
    main()
