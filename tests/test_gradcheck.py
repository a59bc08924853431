"""mt.gradcheck itself (it must catch a wrong backward and say where), and broadcasting as a property."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minitransformer as mt
from minitransformer.autograd import Function


class WrongSquare(Function):
    """y = x^2, with a deliberately wrong backward: dx = dy * x (the true one is 2 x dy)."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad):
        return (grad * self.x,)


class RightSquare(WrongSquare):
    def backward(self, grad):
        return (2 * grad * self.x,)


def test_gradcheck_passes_a_correct_backward(device):
    x = mt.tensor([[0.5, -1.0], [2.0, 3.0]], device=device)
    assert mt.gradcheck(lambda t: RightSquare.apply(t), x) is True


def test_gradcheck_names_input_index_and_both_derivatives():
    a = mt.tensor([1.0, 2.0])
    x = mt.tensor([[0.5, -1.0], [2.0, 3.0]])
    with pytest.raises(AssertionError) as info:
        mt.gradcheck(lambda a, x: (a * 0 + 1).sum() * WrongSquare.apply(x).sum(), a, x)
    message = str(info.value)
    # input 1 (x), first element (0, 0): the loss is 2 * sum(x^2), numeric 2 * 2 * 0.5 = 2, the wrong backward 1
    assert "expected derivative 2 for input 1 at index (0, 0), autograd gave 1 " in message


def test_gradcheck_finds_an_error_in_a_single_element():
    class OffAtTheEnd(Function):
        def forward(self, x):
            return x * 3

        def backward(self, grad):
            dx = grad * 3
            dx[-1, -1] += 1e-2  # wrong only at the last index
            return (dx,)

    with pytest.raises(AssertionError, match=r"input 0 at index \(1, 2\)"):
        mt.gradcheck(lambda t: OffAtTheEnd.apply(t), mt.tensor(np.ones((2, 3))))


def test_gradcheck_works_in_float64_and_leaves_integer_inputs_alone():
    seen = []

    def fn(x, ids):
        seen.append((x.dtype, ids.dtype))
        return x[ids].tanh()

    x = mt.tensor([0.1, 0.2, 0.3], dtype="float32")
    ids = mt.tensor([2, 0, 2])
    assert mt.gradcheck(fn, x, ids)
    assert set(seen) == {(np.dtype(np.float64), np.dtype(np.int64))}
    assert x.dtype == np.float32 and x.grad is None  # the caller's tensors are not touched


def test_gradcheck_needs_a_tensor_output():
    with pytest.raises(TypeError, match="fn must return a Tensor, it returned float"):
        mt.gradcheck(lambda t: 1.0, mt.tensor([1.0]))


# ---------------------------------------------------------------- broadcasting as a property

@st.composite
def broadcastable_pair(draw):
    """Two shapes that broadcast: start from a result shape, then drop leading axes and set some to 1."""
    result = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=3))

    def operand():
        kept = result[draw(st.integers(0, len(result))):]
        return tuple(1 if draw(st.booleans()) else n for n in kept)

    return operand(), operand()


def reduce_to(grad, shape):
    """The NumPy reference for unbroadcast: sum over prepended axes, then over axes where shape has a 1."""
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
    axes = tuple(i for i, n in enumerate(shape) if n == 1)
    return grad.sum(axis=axes, keepdims=True) if axes else grad


@pytest.mark.t1_2
@settings(max_examples=60, deadline=None)
@given(shapes=broadcastable_pair(), op=st.sampled_from(["add", "mul"]), seed=st.integers(0, 2 ** 16))
def test_broadcast_forward_and_gradient_shapes_and_values(shapes, op, seed):
    rng = np.random.default_rng(seed)
    a_np, b_np = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    a = mt.tensor(a_np, dtype="float64", requires_grad=True)
    b = mt.tensor(b_np, dtype="float64", requires_grad=True)
    out = a + b if op == "add" else a * b
    expected = a_np + b_np if op == "add" else a_np * b_np
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=0)
    dy = rng.standard_normal(expected.shape)
    out.backward(mt.tensor(dy, dtype="float64"))
    assert a.grad.shape == a.shape and b.grad.shape == b.shape
    da = dy if op == "add" else dy * np.broadcast_to(b_np, dy.shape)
    db = dy if op == "add" else dy * np.broadcast_to(a_np, dy.shape)
    np.testing.assert_allclose(a.grad.numpy(), reduce_to(da, a.shape), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), reduce_to(db, b.shape), rtol=1e-10, atol=1e-12)
