"""Every differentiable op of the core: forward against NumPy, backward against central differences (float64).

Each test runs on every device of the `device` fixture. `check` does both halves for one op: the forward value
must equal the NumPy expression computed independently on the same arrays, and `mt.gradcheck` must agree with
finite differences for every element of every input.
"""
import numpy as np
import pytest

import minitransformer as mt
from minitransformer.ops import unbroadcast

RNG = np.random.default_rng(1234)


def rand(*shape, low=None):
    """Random float64 values; `low` shifts them into (low, low + 1) for ops that need a positive domain."""
    return RNG.standard_normal(shape) if low is None else low + RNG.random(shape)


def check(device, op, reference, *arrays, atol=1e-5):
    """op(*tensors) equals reference(*arrays) in value, and its gradients pass gradcheck."""
    tensors = [mt.tensor(a, dtype="float64", device=device, requires_grad=True) for a in arrays]
    out = op(*tensors)
    assert out.device == mt.tensor(0.0, device=device).device
    np.testing.assert_allclose(out.numpy(), reference(*arrays), rtol=1e-12, atol=1e-12)
    assert mt.gradcheck(op, *tensors, atol=atol)


# ---------------------------------------------------------------- t1.1 unbroadcast on its own

@pytest.mark.t1_1
@pytest.mark.parametrize("grad_shape, shape", [((2, 3), (2, 3)), ((4, 2, 3), (2, 3)), ((2, 3), (1, 3)),
                                               ((2, 3), (2, 1)), ((5, 2, 3), (1, 1)), ((2, 3), ()),
                                               ((4, 2, 3), (4, 1, 3))])
def test_unbroadcast_sums_the_axes_broadcasting_added(grad_shape, shape):
    grad = RNG.standard_normal(grad_shape)
    # the reference: the gradient of sum(w * broadcast_to(x, grad_shape)) w.r.t. x, one element at a time
    expected = np.zeros(shape)
    for index in np.ndindex(*shape):
        probe = np.zeros(shape)
        probe[index] = 1.0
        expected[index] = (grad * np.broadcast_to(probe, grad_shape)).sum()
    got = unbroadcast(grad, shape)
    assert got.shape == shape
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- t1.2 binary ops, with and without broadcasting

BINARY = {
    "add": (lambda a, b: a + b, np.add, None),
    "sub": (lambda a, b: a - b, np.subtract, None),
    "mul": (lambda a, b: a * b, np.multiply, None),
    "div": (lambda a, b: a / b, np.divide, 0.5),
    "pow": (lambda a, b: a ** b, np.power, 0.5),
}
SHAPES = [((2, 3), (2, 3)), ((2, 3), (3,)), ((4, 1, 3), (2, 1)), ((), (2, 2)), ((3, 1), (1, 4))]


@pytest.mark.t1_2
@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_binary_ops(device, name, shapes):
    op, reference, low = BINARY[name]
    a = rand(*shapes[0], low=low)  # pow and div need a positive base / a divisor away from 0
    b = rand(*shapes[1], low=low)
    check(device, op, reference, a, b)


@pytest.mark.t1_2
def test_gradient_flows_only_into_inputs_that_require_it(device):
    a = mt.tensor(rand(2, 3), dtype="float64", device=device, requires_grad=True)
    b = mt.tensor(rand(3), dtype="float64", device=device)
    (a * b).sum().backward()
    assert b.grad is None
    np.testing.assert_allclose(a.grad.numpy(), np.broadcast_to(b.numpy(), (2, 3)))


def test_python_scalars_on_either_side(device):
    x = rand(2, 3, low=0.5)
    check(device, lambda t: 2.0 * t - 1.5, lambda a: 2.0 * a - 1.5, x)
    check(device, lambda t: 3.0 / t + (1 - t), lambda a: 3.0 / a + (1 - a), x)
    check(device, lambda t: 2.0 ** t + t ** 3, lambda a: 2.0 ** a + a ** 3, x)
    check(device, lambda t: -t, np.negative, x)


def test_pow_gradient_in_the_exponent_is_zero_for_non_positive_bases(device):
    a = mt.tensor([-2.0, 0.0, 3.0], dtype="float64", device=device)
    b = mt.tensor([2.0, 2.0, 2.0], dtype="float64", device=device, requires_grad=True)
    (a ** b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [0.0, 0.0, 9.0 * np.log(3.0)])


# ---------------------------------------------------------------- unary functions

UNARY = {
    "exp": (lambda t: t.exp(), np.exp, None),
    "log": (lambda t: t.log(), np.log, 0.5),
    "sqrt": (lambda t: t.sqrt(), np.sqrt, 0.5),
    "tanh": (lambda t: t.tanh(), np.tanh, None),
    "sigmoid": (lambda t: t.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), None),
    "relu": (lambda t: t.relu(), lambda a: np.maximum(a, 0), None),
    "abs": (lambda t: t.abs(), np.abs, None),
}


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops(device, name):
    op, reference, low = UNARY[name]
    x = rand(3, 4, low=low)
    if low is None:
        x[np.abs(x) < 1e-3] = 0.5  # relu and abs have a kink at 0, where finite differences straddle it
    check(device, op, reference, x)


def test_sigmoid_does_not_overflow(device):
    x = mt.tensor([-1000.0, 0.0, 1000.0], device=device)
    np.testing.assert_array_equal(x.sigmoid().numpy(), [0.0, 0.5, 1.0])


# ---------------------------------------------------------------- reductions

AXES = [dict(), dict(axis=0), dict(axis=-1), dict(axis=(0, 2)), dict(axis=1, keepdims=True),
        dict(axis=None, keepdims=True), dict(axis=(2, 0), keepdims=True)]


@pytest.mark.parametrize("name", ["sum", "mean", "max"])
@pytest.mark.parametrize("kwargs", AXES, ids=str)
def test_reductions(device, name, kwargs):
    x = rand(2, 3, 4)  # distinct values, so max has a unique winner and is differentiable
    check(device, lambda t: getattr(t, name)(**kwargs), lambda a: getattr(a, name)(**kwargs), x)


def test_max_splits_the_gradient_among_ties(device):
    x = mt.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]], device=device, requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [0.5, 0, 0.5]])


def test_reduction_axis_out_of_range_is_named(device):
    with pytest.raises(ValueError, match="sum: axis 2 is out of range for a tensor with 2 dimensions"):
        mt.zeros(2, 3, device=device).sum(axis=2)


# ---------------------------------------------------------------- matmul (t1.4)

MATMUL = [((3, 4), (4, 2)), ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)),
          ((4,), (4, 3)), ((2, 3, 4), (4,)), ((4,), (4,)), ((4,), (2, 4, 3))]


@pytest.mark.t1_4
@pytest.mark.parametrize("shapes", MATMUL, ids=str)
def test_matmul_batched_broadcast_and_1d(device, shapes):
    check(device, lambda a, b: a @ b, np.matmul, rand(*shapes[0]), rand(*shapes[1]))


@pytest.mark.t1_4
def test_matmul_with_one_constant_side(device):
    a = mt.tensor(rand(2, 3, 4), dtype="float64", device=device, requires_grad=True)
    w = mt.tensor(rand(4, 2), dtype="float64", device=device)
    (a @ w).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.broadcast_to(w.numpy().sum(axis=1), (2, 3, 4)))
    assert w.grad is None


# ---------------------------------------------------------------- shape ops

def test_reshape_transpose_permute(device):
    x = rand(2, 3, 4)
    check(device, lambda t: t.reshape(4, 6), lambda a: a.reshape(4, 6), x)
    check(device, lambda t: t.reshape((3, -1)), lambda a: a.reshape(3, -1), x)
    check(device, lambda t: t.transpose(0, 2), lambda a: a.swapaxes(0, 2), x)
    check(device, lambda t: t.transpose(), lambda a: a.swapaxes(-2, -1), x)
    check(device, lambda t: t.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1), x)
    check(device, lambda t: t.permute((1, -1, 0)), lambda a: a.transpose(1, 2, 0), x)
    check(device, lambda t: t.T, lambda a: a.T, x)


INDICES = {
    "slice": (slice(1, None), slice(None, None, 2)),
    "int and negative": (0, -1),
    "ellipsis and newaxis": (Ellipsis, None, 1),
    "integer array with repeats": np.array([0, 2, 0, 0]),
    "integer list pairs with repeats": ([0, 1, 1], [2, 2, 2]),
    "boolean mask": np.array([[True, False, True, False], [False, False, True, True], [True] * 4]),
    "mixed slice and array": (slice(None), np.array([3, 3, 1])),
}


@pytest.mark.parametrize("name", INDICES)
def test_getitem(device, name):
    index = INDICES[name]
    check(device, lambda t: t[index], lambda a: a[index], rand(3, 4))


def test_getitem_repeats_accumulate_and_accepts_tensor_indices(device):
    x = mt.tensor(np.arange(4.0), device=device, requires_grad=True)
    x[mt.tensor([1, 1, 3, 1], device=device)].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 3, 0, 1])
    y = mt.tensor(np.arange(4.0), device=device, requires_grad=True)
    y[y > 1.5].sum().backward()  # a bool tensor as the mask
    np.testing.assert_array_equal(y.grad.numpy(), [0, 0, 1, 1])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cat(device, axis):
    shapes = {0: [(1, 3), (2, 3), (3, 3)], 1: [(2, 1), (2, 3), (2, 2)], -1: [(2, 2), (2, 1), (2, 2)]}[axis]
    arrays = [rand(*s) for s in shapes]
    check(device, lambda *ts: mt.cat(ts, axis=axis), lambda *a: np.concatenate(a, axis=axis), *arrays)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_stack(device, axis):
    arrays = [rand(2, 3) for _ in range(3)]
    check(device, lambda *ts: mt.stack(ts, axis=axis), lambda *a: np.stack(a, axis=axis), *arrays)


def test_where_with_broadcasting(device):
    condition = RNG.random((3, 4)) > 0.5
    cond = mt.tensor(condition, device=device)
    check(device, lambda a, b: mt.where(cond, a, b), lambda a, b: np.where(condition, a, b), rand(3, 4), rand(4))
    check(device, lambda a: mt.where(cond, a, 0.5), lambda a: np.where(condition, a, 0.5), rand(1, 4))


def test_masked_fill(device):
    mask = RNG.random((3, 4)) > 0.5
    m = mt.tensor(mask, device=device)
    check(device, lambda t: t.masked_fill(m, -5.0), lambda a: np.where(mask, -5.0, a), rand(3, 4))
    row = mt.tensor(mask[:1], device=device)  # a (1, 4) mask broadcast over the rows
    check(device, lambda t: t.masked_fill(row, 0.0), lambda a: np.where(mask[:1], 0.0, a), rand(3, 4))


def test_astype_and_to(device):
    x = rand(2, 3)
    check(device, lambda t: t.astype("float64") * 2, lambda a: a * 2.0, x)
    # through float32 finite differences drown in rounding, so compare with the known derivative instead
    x32 = mt.tensor(x, device=device, requires_grad=True)
    y = x32.astype("float64")
    assert y.dtype == np.float64
    (y * mt.tensor(x, dtype="float64", device=device)).sum().backward()
    assert x32.grad.dtype == np.float32
    np.testing.assert_allclose(x32.grad.numpy(), x.astype(np.float32), rtol=1e-6)
    check(device, lambda t: t.to(device) + 1, lambda a: a + 1, x)
    check(device, lambda t: t.to("cpu").to(device) * 3, lambda a: a * 3, x)  # there and back: on the device
    # to("cpu") really moves: the copy is on the host, and its gradient comes back to the device
    leaf = mt.tensor(x, dtype="float64", device=device, requires_grad=True)
    host = leaf.to("cpu")
    assert host.device == "cpu" and isinstance(host.data, np.ndarray)
    np.testing.assert_array_equal(host.numpy(), x)
    (host * 3).sum().backward()
    assert leaf.grad.device == leaf.device
    np.testing.assert_array_equal(leaf.grad.numpy(), np.full(x.shape, 3.0))


def test_casting_to_an_integer_cuts_the_graph(device):
    x = mt.tensor([1.5, 2.5], device=device, requires_grad=True)
    y = x.astype("int64")
    assert y.dtype == np.int64 and not y.requires_grad


# ---------------------------------------------------------------- comparisons and masks

def test_comparisons_and_mask_logic_are_bool_and_not_differentiable(device):
    a = mt.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    b = np.array([3.0, 2.0, 1.0])
    pairs = [(a < 2, [True, False, False]), (a <= 2, [True, True, False]), (a > 2, [False, False, True]),
             (a >= 2, [False, True, True]), (a == mt.tensor(b, device=device), [False, True, False]),
             (a != 2, [True, False, True]), ((a > 1) & (a < 3), [False, True, False]),
             ((a < 2) | (a > 2), [True, False, True]), (~(a > 1), [True, False, False]),
             ((a > 1) ^ True, [True, False, False])]
    for got, expected in pairs:
        assert got.dtype == np.bool_ and not got.requires_grad
        np.testing.assert_array_equal(got.numpy(), expected)
    with pytest.raises(TypeError, match="bool"):
        ~a
