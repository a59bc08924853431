"""Module machinery: PyTorch's parameter names, traversal, modes, device/dtype moves, state_dict and its errors."""
import numpy as np
import pytest

import minitransformer as mt
from minitransformer import nn


class Block(nn.Module):
    """A small tree: a Linear, a LayerNorm, a ModuleList of two Linears, a buffer and a bare Parameter."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 3)
        self.norm = nn.LayerNorm(3)
        self.heads = nn.ModuleList([nn.Linear(3, 2), nn.Linear(3, 2, bias=False)])
        self.scale = nn.Parameter(np.ones(2, dtype=np.float32))
        self.register_buffer("steps", np.zeros(1, dtype=np.int64))
        self.register_buffer("table", np.arange(6, dtype=np.float32).reshape(2, 3), persistent=False)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        h = self.norm(self.proj(x))
        return (self.heads[0](h) + self.heads[1](h)) * self.scale


# Written out by hand from what torch.nn gives for the same structure (Linear -> weight, bias; ModuleList -> 0, 1).
TORCH_NAMES = ["scale", "proj.weight", "proj.bias", "norm.weight", "norm.bias", "heads.0.weight", "heads.0.bias",
               "heads.1.weight"]


def test_named_parameters_are_pytorch_dotted_names_in_registration_order():
    assert [n for n, _ in Block().named_parameters()] == TORCH_NAMES
    shapes = {n: p.shape for n, p in Block().named_parameters()}
    assert shapes["proj.weight"] == (3, 4) and shapes["heads.1.weight"] == (2, 3) and shapes["scale"] == (2,)


def test_parameters_are_float32_leaves_that_require_grad():
    for p in Block().parameters():
        assert isinstance(p, nn.Parameter) and p.requires_grad and p.is_leaf and p.dtype == np.float32
    assert nn.Parameter(np.zeros(2)).dtype == np.float64  # an explicit float64 array keeps its dtype


def test_children_modules_and_buffers():
    block = Block()
    assert [n for n, _ in block.named_children()] == ["proj", "norm", "heads", "drop"]
    assert [n for n, _ in block.named_modules()] == ["", "proj", "norm", "heads", "heads.0", "heads.1", "drop"]
    assert [n for n, _ in block.named_buffers()] == ["steps", "table"]
    assert block.num_parameters() == 4 * 3 + 3 + 3 + 3 + 3 * 2 + 2 + 3 * 2 + 2


def test_shared_parameter_is_listed_once():
    a = nn.Linear(3, 3)
    seq = nn.Sequential(a, nn.ReLU(), a)
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]
    assert seq.num_parameters() == 12


def test_train_eval_reach_every_descendant():
    block = Block().eval()
    assert not any(m.training for m in block.modules())
    block.train()
    assert all(m.training for m in block.modules())
    x = mt.randn(5, 4)
    block.eval()
    np.testing.assert_array_equal(block.drop(x).numpy(), x.numpy())  # dropout is the identity in eval


def test_zero_grad_clears_every_gradient():
    block = Block()
    block(mt.randn(2, 4)).sum().backward()
    assert all(p.grad is not None for p in block.parameters())
    block.zero_grad()
    assert all(p.grad is None for p in block.parameters())


def test_double_casts_parameters_and_float_buffers_in_place():
    block = Block()
    weight = block.proj.weight
    block.double()
    assert block.proj.weight is weight and weight.dtype == np.float64
    assert block.table.dtype == np.float64 and block.steps.dtype == np.int64  # integer buffers keep their dtype
    assert block(mt.tensor(np.ones((1, 4)), dtype="float64")).dtype == np.float64
    block.float()
    assert all(p.dtype == np.float32 for p in block.parameters())


def test_to_device_moves_parameters_and_buffers(device):
    block = Block()
    before = block(mt.ones(2, 4)).numpy()
    weight = block.proj.weight
    assert block.to(device) is block
    assert block.proj.weight is weight  # in place: an optimizer holding it sees the move
    assert all(p.device == mt.backend.parse_device(device) for p in block.parameters())
    assert block.table.device == mt.backend.parse_device(device)
    np.testing.assert_allclose(block(mt.ones(2, 4, device=device)).numpy(), before, rtol=1e-5, atol=1e-6)


def test_device_is_the_first_tensors_and_looks_no_further(device):
    """Module.device is asked for in forward passes (BERT's embeddings, generation): it must stop at the first
    parameter instead of listing a whole model's (it built two lists of every tensor on each call before)."""
    where = mt.backend.parse_device(device)
    model = nn.Sequential(*[Block() for _ in range(20)]).to(device)
    pulled = []

    def counting_parameters():
        for p in nn.Module.parameters(model):
            pulled.append(p)
            yield p

    model.parameters = counting_parameters          # a plain attribute: Module.device now calls this one
    assert model.device == where and len(pulled) == 1
    only_buffers = nn.Module()
    only_buffers.register_buffer("table", np.zeros(3, dtype=np.float32))
    assert only_buffers.to(device).device == where  # no parameter: the first buffer's device
    assert nn.Module().device == "cpu" and nn.Dropout(0.1).device == "cpu"   # holding nothing


def test_state_dict_holds_numpy_copies_of_parameters_and_persistent_buffers():
    block = Block()
    state = block.state_dict()
    assert list(state) == TORCH_NAMES + ["steps"]  # the non-persistent `table` is not saved
    assert all(isinstance(v, np.ndarray) for v in state.values())
    state["proj.weight"][...] = 7  # a copy: changing it leaves the model alone
    assert not np.any(block.proj.weight.numpy() == 7)


def test_load_state_dict_round_trip_gives_identical_outputs():
    mt.manual_seed(0)
    a, b = Block(), Block()
    x = mt.randn(3, 4)
    assert not np.allclose(a(x).numpy(), b(x).numpy())
    weight = b.proj.weight
    b.load_state_dict(a.state_dict())
    assert b.proj.weight is weight  # values copied into the existing tensors
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())


def test_load_state_dict_names_missing_unexpected_and_wrong_shape_keys_and_changes_nothing():
    block = Block()
    before = block.state_dict()
    state = block.state_dict()
    del state["norm.bias"]
    state["head.weight"] = np.zeros(3)
    state["proj.weight"] = np.zeros((4, 3), dtype=np.float32)
    state["scale"] = np.full(2, 5.0, dtype=np.float32)  # a good key: must NOT be applied when others are wrong
    with pytest.raises(KeyError) as info:
        block.load_state_dict(state)
    message = str(info.value)
    assert "missing keys ['norm.bias']" in message
    assert "unexpected keys ['head.weight']" in message
    assert "proj.weight: checkpoint (4, 3), model (3, 4)" in message
    for name, value in block.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_load_state_dict_non_strict_reports_keys_but_still_refuses_wrong_shapes():
    block = Block()
    state = block.state_dict()
    del state["norm.bias"]
    state["extra"] = np.zeros(1)
    result = block.load_state_dict(state, strict=False)
    assert result.missing_keys == ["norm.bias"] and result.unexpected_keys == ["extra"]
    state["proj.bias"] = np.zeros(5)
    with pytest.raises(KeyError, match=r"proj.bias: checkpoint \(5,\), model \(3,\)"):
        block.load_state_dict(state, strict=False)


def test_repr_shows_the_tree_and_parameter_counts():
    text = repr(Block())
    assert "(proj): Linear(in_features=4, out_features=3, bias=True)  # 15 params" in text
    assert "(1): Linear(in_features=3, out_features=2, bias=False)  # 6 params" in text
    assert "(drop): Dropout(p=0.5)" in text
    assert text.rstrip().endswith(f"# {Block().num_parameters():,} params")


def test_sequential_calls_children_in_order():
    mt.manual_seed(1)
    seq = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    x = mt.randn(4, 3)
    w1, b1, w2, b2 = (p.numpy() for p in seq.parameters())
    expected = np.maximum(x.numpy() @ w1.T + b1, 0) @ w2.T + b2
    np.testing.assert_allclose(seq(x).numpy(), expected, rtol=1e-5, atol=1e-6)
    assert len(seq) == 3 and isinstance(seq[1], nn.ReLU)


def test_assignment_errors_are_clear():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(2))  # forgot super().__init__()

    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Broken()
    with pytest.raises(TypeError, match="ModuleList: can only hold Modules"):
        nn.ModuleList([nn.Linear(2, 2), "not a module"])
    with pytest.raises(AttributeError, match="Block has no attribute 'nothing'"):
        Block().nothing
