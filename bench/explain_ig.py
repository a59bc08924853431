"""Integrated gradients for one sentence of 32 pieces at 64 steps on the default model (issue 16's target: under
2 s on 2 CPU cores), side by side with the same computation in PyTorch when torch is installed.

    python bench/explain_ig.py [--model-dir runs/latest] [--repeats 7]
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv-ci-reference/bin/python bench/explain_ig.py   # with torch

--model-dir: a run written by `python -m minitransformer train` (its tokenizer, weights and config; a fine-tuned BERT
directory is timed on our side only); without one,
a model of train's default config (minitransformer/cli/train.py DEFAULTS) with random weights and a vocabulary
trained on the shipped corpus; the time does not depend on the weights. The sentence is a shipped test sentence
truncated to exactly 32 pieces ([CLS] and [SEP] included).

The torch side is the same model written in torch (post-LN layers, exact GELU, mean or [CLS] pooling, weights
copied in float32) and the same IG: the 64 trapezoid points in one batch, one forward, softmax of the target
class, one backward to the embeddings. Runs alternate ours / torch with a pause between them (OpenBLAS's spinning
worker thread, see bench/train_step.py). Prints the load average, median seconds of each side and their ratio, the
largest difference between the two sides' attributions, and ours' completeness error |delta| / |F(x) - F(x')|.
Timings under load are noisy: read the load line first.
"""
import argparse
import math
import os
import pathlib
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
import minitransformer as mt  # noqa: E402,I100  (before NumPy: sets OpenBLAS's thread timeout, as the CLI does)
import numpy as np  # noqa: E402,I100
from minitransformer import run_dir  # noqa: E402
from minitransformer.cli.train import DEFAULTS  # noqa: E402
from minitransformer.data import load_dataset  # noqa: E402
from minitransformer.explain import integrated_gradients  # noqa: E402
from minitransformer.models import TransformerClassifier  # noqa: E402
from minitransformer.tokenizer import WordPieceTokenizer  # noqa: E402

PIECES, STEPS = 32, 64


def default_model():
    train = load_dataset("shipped")["train"]
    tokenizer = WordPieceTokenizer.train(train.texts, vocab_size=DEFAULTS["vocab_size"], show_progress=False)
    mt.manual_seed(0)
    model = TransformerClassifier(tokenizer.vocab_size, 2, d_model=DEFAULTS["d_model"], num_heads=DEFAULTS["num_heads"],
                                  num_layers=DEFAULTS["num_layers"], d_ff=DEFAULTS["d_ff"],
                                  max_len=DEFAULTS["max_length"], dropout=DEFAULTS["dropout"],
                                  pad_id=tokenizer.pad_token_id, pooling=DEFAULTS["pooling"])
    return model.eval(), tokenizer


def sentence_ids(tokenizer):
    """The first shipped test sentences joined until they make 32 pieces, truncated there."""
    texts = load_dataset("shipped")["test"].texts
    text = " ".join(texts[:10])
    ids = tokenizer(text, truncation=True, max_length=PIECES)["input_ids"]
    assert len(ids) == PIECES
    return np.array(ids)


def torch_twin(model):
    """The same classifier in torch (float32, eval), weights copied from ours."""
    import torch
    cfg = model.config

    def w(param):
        return torch.tensor(param.numpy())

    class Twin(torch.nn.Module):
        def forward(self, embeds):  # (S, T, D) -> (S, C)
            F = torch.nn.functional
            x = embeds * math.sqrt(cfg.d_model) + w(model.positional.pe)[:embeds.shape[1]]
            S, T, D = x.shape
            H = cfg.num_heads
            for layer in model.encoder.layers:
                a = layer.attention
                q, k, v = (F.linear(x, w(m.weight), w(m.bias)).view(S, T, H, D // H).transpose(1, 2)
                           for m in (a.query, a.key, a.value))
                y = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(S, T, D)
                x = F.layer_norm(x + F.linear(y, w(a.out.weight), w(a.out.bias)), (D,), w(layer.norm1.weight),
                                 w(layer.norm1.bias), eps=layer.norm1.eps)
                ff = layer.feed_forward
                h = F.linear(F.gelu(F.linear(x, w(ff.linear1.weight), w(ff.linear1.bias))), w(ff.linear2.weight),
                             w(ff.linear2.bias))
                x = F.layer_norm(x + h, (D,), w(layer.norm2.weight), w(layer.norm2.bias), eps=layer.norm2.eps)
            pooled = x.mean(dim=1) if cfg.pooling == "mean" else x[:, 0]
            return F.linear(pooled, w(model.head.weight), w(model.head.bias))

    return Twin().eval()


def torch_ig(twin, x, target):
    """(T,) integrated gradients from the [PAD] = zero baseline ([CLS], [SEP] kept), trapezoid, one batch."""
    import torch
    base = x.clone()
    base[1:-1] = 0
    alphas = torch.linspace(0, 1, STEPS)
    weights = torch.full((STEPS,), 1 / (STEPS - 1))
    weights[[0, -1]] /= 2
    path = (base + alphas[:, None, None] * (x - base)).requires_grad_(True)  # (S, T, D)
    torch.softmax(twin(path), dim=-1)[:, target].sum().backward()
    return ((x - base) * torch.einsum("s,std->td", weights, path.grad)).sum(-1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", default=None)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (2 cores)")
    if args.model_dir:
        model, tokenizer, _, _ = run_dir.load(args.model_dir)
        where = args.model_dir
    else:
        (model, tokenizer), where = default_model(), "random weights"
    cfg = model.config
    scratch = isinstance(model, TransformerClassifier)
    if scratch:
        print(f"model: {where}, d_model {cfg.d_model}, {cfg.num_layers} layers, {cfg.num_heads} heads, d_ff "
              f"{cfg.d_ff}, pooling {cfg.pooling}, vocab {cfg.vocab_size}")
    else:  # a fine-tuned BERT directory: ours only (the torch twin is the from-scratch classifier's)
        print(f"model: {where}, BERT hidden {cfg.hidden_size}, {cfg.num_hidden_layers} layers")
    ids = sentence_ids(tokenizer)
    special = (tokenizer.cls_token_id, tokenizer.sep_token_id)
    twin = None
    try:
        import torch
        if scratch:
            torch.set_num_threads(2)
            twin = torch_twin(model)
            x = torch.tensor(model.get_input_embeddings().weight.numpy()[ids])
    except ImportError:
        pass
    ours_times, theirs_times = [], []
    for _ in range(args.repeats + 1):  # the first round warms up and is dropped
        time.sleep(0.2)
        start = time.perf_counter()
        result = integrated_gradients(model, ids, n_steps=STEPS, baseline="pad", special_ids=special)
        ours_times.append(time.perf_counter() - start)
        if twin is not None:
            time.sleep(0.2)
            start = time.perf_counter()
            theirs = torch_ig(twin, x, result.target)
            theirs_times.append(time.perf_counter() - start)
    ours = float(np.median(ours_times[1:]))
    completeness = abs(result.delta) / abs(result.score - result.baseline_score)
    print(f"ours:  IG {PIECES} pieces x {STEPS} steps, median {ours:.3f} s of {args.repeats} (target < 2 s); "
          f"completeness error {completeness:.2e} (F(x) {result.score:.4f}, F(x') {result.baseline_score:.4f})")
    if twin is not None:
        torch_s = float(np.median(theirs_times[1:]))
        diff = np.abs(theirs.detach().numpy() - result.attributions).max()
        print(f"torch: median {torch_s:.3f} s; ours / torch = {ours / torch_s:.2f}x; largest attribution "
              f"difference {diff:.2e} (largest |attribution| {np.abs(result.attributions).max():.2e})")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
