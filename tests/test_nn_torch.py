"""Reference tier: our layers against torch.nn with the same weights, outputs and gradients in float64.
Run with a Python that has torch:  /opt/refvenv/bin/python -m pytest -m reference tests/test_nn_torch.py"""
import importlib.util
import pathlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import minitransformer as mt  # noqa: E402
import minitransformer.functional as F  # noqa: E402
from minitransformer import nn  # noqa: E402
from minitransformer.models import TransformerClassifier  # noqa: E402

pytestmark = pytest.mark.reference
TOL = dict(rtol=1e-9, atol=1e-10)
TOL_GELU = dict(rtol=1e-6, atol=1e-7)  # NumPy has no erf: our exact GELU uses an approximation good to ~1e-7


def t(a):
    return torch.tensor(np.asarray(a), dtype=torch.float64)


def copy_linear(ours, theirs):
    with torch.no_grad():
        theirs.weight.copy_(t(ours.weight.numpy()))
        theirs.bias.copy_(t(ours.bias.numpy()))


def qkv(attn):
    """torch keeps Q, K, V as one (3D, D) in_proj; ours are three Linears (same rows, stacked)."""
    w = np.concatenate([attn.query.weight.numpy(), attn.key.weight.numpy(), attn.value.weight.numpy()])
    b = np.concatenate([attn.query.bias.numpy(), attn.key.bias.numpy(), attn.value.bias.numpy()])
    return t(w), t(b)


def compare_grads(pairs, tol=TOL_GELU):
    for name, ours, theirs in pairs:
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), err_msg=name, **tol)


def test_module_names_equal_torch_names_for_the_same_structure():
    class Ours(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(4, 3)
            self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(3, 3), nn.GELU(), nn.LayerNorm(3))
                                         for _ in range(2)])
            self.emb = nn.Embedding(5, 3)

    class Theirs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = torch.nn.Linear(4, 3)
            self.blocks = torch.nn.ModuleList([torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.GELU(),
                                                                   torch.nn.LayerNorm(3)) for _ in range(2)])
            self.emb = torch.nn.Embedding(5, 3)

    ours = [(n, p.shape) for n, p in Ours().named_parameters()]
    theirs = [(n, tuple(p.shape)) for n, p in Theirs().named_parameters()]
    assert ours == theirs
    assert list(Ours().state_dict()) == list(Theirs().state_dict())


@pytest.mark.parametrize("norm_first", [False, True], ids=["post_ln", "pre_ln"])
def test_encoder_layer_matches_torch_forward_and_backward(norm_first):
    mt.manual_seed(0)
    D, H, FF = 8, 2, 16
    ours = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, norm_first=norm_first).double()
    theirs = torch.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, activation="gelu", batch_first=True,
                                              norm_first=norm_first, dtype=torch.float64)
    rng = np.random.default_rng(0)
    for p in ours.parameters():  # move LayerNorm off ones/zeros so its weight and bias are really checked
        p.data[...] = p.numpy() + 0.1 * rng.standard_normal(p.shape)
    with torch.no_grad():
        theirs.self_attn.in_proj_weight.copy_(qkv(ours.attention)[0])
        theirs.self_attn.in_proj_bias.copy_(qkv(ours.attention)[1])
    copy_linear(ours.attention.out, theirs.self_attn.out_proj)
    copy_linear(ours.feed_forward.linear1, theirs.linear1)
    copy_linear(ours.feed_forward.linear2, theirs.linear2)
    copy_linear(ours.norm1, theirs.norm1)
    copy_linear(ours.norm2, theirs.norm2)
    x = rng.standard_normal((2, 5, D))
    keep = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
    xo, xt = mt.tensor(x, dtype="float64", requires_grad=True), t(x).requires_grad_(True)
    yo = ours(xo, F.padding_mask(keep))
    yt = theirs(xt, src_key_padding_mask=t(~keep).bool())  # torch's padding mask is True where IGNORED
    np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), **TOL_GELU)
    g = rng.standard_normal(yo.shape)
    yo.backward(g)
    yt.backward(t(g))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), **TOL_GELU)
    compare_grads([("out", ours.attention.out.weight, theirs.self_attn.out_proj.weight),
                   ("linear1", ours.feed_forward.linear1.weight, theirs.linear1.weight),
                   ("norm1", ours.norm1.weight, theirs.norm1.weight),
                   ("norm2.bias", ours.norm2.bias, theirs.norm2.bias)])
    dq = theirs.self_attn.in_proj_weight.grad.numpy()[:D]
    np.testing.assert_allclose(ours.attention.query.weight.grad.numpy(), dq, **TOL_GELU)


def test_embedding_and_layer_norm_and_gelu_match_torch():
    mt.manual_seed(0)
    emb = nn.Embedding(7, 4, padding_idx=0).double()
    ref = torch.nn.Embedding(7, 4, padding_idx=0, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(t(emb.weight.numpy()))
    ids = np.array([[0, 3, 3, 6]])
    out, expected = emb(ids), ref(torch.tensor(ids))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), **TOL)
    g = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(g)
    expected.backward(t(g))
    np.testing.assert_allclose(emb.weight.grad.numpy(), ref.weight.grad.numpy(), **TOL)
    x = np.random.default_rng(1).standard_normal((3, 6)) * 4
    for ours, theirs in [(nn.GELU(), torch.nn.GELU()), (nn.GELU("tanh"), torch.nn.GELU("tanh"))]:
        np.testing.assert_allclose(ours(mt.tensor(x, dtype="float64")).numpy(), theirs(t(x)).numpy(),
                                   **TOL_GELU)
    ln = torch.nn.LayerNorm(6, eps=1e-12, dtype=torch.float64)
    np.testing.assert_allclose(nn.LayerNorm(6, eps=1e-12).double()(mt.tensor(x, dtype="float64")).numpy(),
                               ln(t(x)).detach().numpy(), **TOL)


def reference_module():
    path = pathlib.Path(__file__).resolve().parents[2] / "shared" / "bench" / "torch_reference.py"
    if not path.exists():
        pytest.skip(f"{path} not found")
    spec = importlib.util.spec_from_file_location("torch_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_classifier_matches_the_benchmark_torch_model():
    ref = reference_module()
    c = dict(vocab=50, d=16, heads=4, layers=2, ff=32, seq=10, batch=3, classes=3)
    mt.manual_seed(0)
    ours = TransformerClassifier(c["vocab"], c["classes"], d_model=c["d"], num_heads=c["heads"],
                                 num_layers=c["layers"], d_ff=c["ff"], max_len=c["seq"], dropout=0.0).double()
    theirs = ref.Classifier(c).double()
    with torch.no_grad():
        theirs.emb.weight.copy_(t(ours.embedding.weight.numpy()))
        for layer, block in zip(ours.encoder.layers, theirs.blocks):
            block.qkv.weight.copy_(qkv(layer.attention)[0])
            block.qkv.bias.copy_(qkv(layer.attention)[1])
            for a, b in [(layer.attention.out, block.o), (layer.norm1, block.ln1), (layer.norm2, block.ln2),
                         (layer.feed_forward.linear1, block.f1), (layer.feed_forward.linear2, block.f2)]:
                copy_linear(a, b)
        copy_linear(ours.head, theirs.head)
        theirs.pe.copy_(t(nn.sinusoid_table(c["seq"], c["d"], dtype="float64")))  # theirs was made in float32
    ids = np.random.default_rng(0).integers(1, c["vocab"], size=(3, c["seq"]))
    ids[0, 6:] = 0
    labels = np.array([0, 2, 1])
    out = ours(ids, labels=labels)
    logits = theirs(torch.tensor(ids), torch.tensor(ids != 0))
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor(labels))
    np.testing.assert_allclose(out.logits.numpy(), logits.detach().numpy(), **TOL_GELU)
    out.loss.backward()
    loss.backward()
    compare_grads([("embedding", ours.embedding.weight, theirs.emb.weight),
                   ("head", ours.head.weight, theirs.head.weight),
                   ("layer 0 f1", ours.encoder.layers[0].feed_forward.linear1.weight, theirs.blocks[0].f1.weight)])
