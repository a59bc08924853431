"""The backward engine's promises (issue 2 §4), one test each, plus the errors users meet first (§6)."""
import types

import numpy as np
import pytest

import minitransformer as mt
from minitransformer import autograd


def leaf(values, device="cpu", dtype="float64"):
    return mt.tensor(values, dtype=dtype, device=device, requires_grad=True)


# The engine's tests (classroom task t1.3) build their graphs from these three Functions, written here, rather
# than from Tensor's + and *: those run Binary.backward and unbroadcast, which are tasks t1.2 and t1.1 of the
# student version, and a student must be able to pass t1.3 before writing them.
class Scale(autograd.Function):
    """y = c x"""

    def forward(self, x, c):
        self.c = c
        return x * c

    def backward(self, grad):
        return (grad * self.c,)


class Plus(autograd.Function):
    """y = a + b (same shapes)"""

    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad


class Times(autograd.Function):
    """y = a b (same shapes)"""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        return grad * self.b, grad * self.a


@pytest.mark.t1_3
def test_a_10000_op_chain_backpropagates_without_recursion(device):
    x = leaf([0.5, -0.25], device)
    y = x
    for _ in range(10_000):
        y = Scale.apply(y, c=1.0001)  # d y / d x = 1.0001 ** 10000 = e^(10000 ln 1.0001)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001 ** 10_000] * 2, rtol=1e-9)


@pytest.mark.t1_3
def test_gradients_accumulate_across_calls_until_zeroed(device):
    x = leaf([1.0, 2.0], device)
    Times.apply(x, x).sum().backward()
    Scale.apply(x, c=3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 + 3, 4 + 3])
    x.zero_grad()
    assert x.grad is None
    Times.apply(x, x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2, 4])


@pytest.mark.t1_3
def test_intermediates_keep_no_grad_and_leaves_get_their_shape_and_dtype(device):
    x = leaf([[1.0, 2.0]], device, dtype="float32")
    h = x.tanh()
    out = Scale.apply(h, c=2.0).sum()
    out.backward()
    assert h.grad is None and out.grad is None
    assert x.grad.shape == (1, 2) and x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), 2 * (1 - np.tanh([[1.0, 2.0]]) ** 2), rtol=1e-6)


@pytest.mark.t1_3
def test_second_backward_raises_unless_the_graph_was_retained(device):
    x = leaf([1.0, 2.0], device)
    loss = Times.apply(x.exp(), x).sum()
    loss.backward(retain_graph=True)
    loss.backward()  # allowed: the first call kept the graph
    expected = 2 * (np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0])))
    np.testing.assert_allclose(x.grad.numpy(), expected)
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        loss.backward()


def test_a_refused_second_backward_changes_no_gradient(device):
    """The freed graph is found before anything propagates: a leaf on an intact branch that the walk would
    reach first must not have its .grad half-updated when the error comes."""
    x, z = leaf([1.0, 2.0], device), leaf([3.0, 4.0], device)
    y = x * x
    y.sum().backward()
    for loss in ((z * 5).sum() + (y * 2).sum(), (y * 2).sum() + (z * 5).sum()):  # either branch order
        with pytest.raises(RuntimeError, match="second time"):
            loss.backward()
        assert z.grad is None
        np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_non_scalar_output_needs_an_explicit_grad(device):
    x = leaf([1.0, 2.0], device)
    y = x * 3
    with pytest.raises(RuntimeError, match=r"non-scalar tensor of shape \(2,\) needs an explicit grad"):
        y.backward()
    y.backward(mt.tensor([1.0, 10.0], device=device))
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 30.0])
    with pytest.raises(ValueError, match=r"grad has shape \(3,\), expected \(2,\)"):
        (x * 3).backward(np.ones(3))


@pytest.mark.t1_3
def test_a_node_used_twice_gets_both_contributions(device):
    a = leaf([1.0, -2.0], device)
    b = Plus.apply(a, a)
    c = Times.apply(b, a)  # a reaches c along three paths: 2a * a = 2a^2, dc/da = 4a
    c.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [4.0, -8.0])


def test_no_grad_builds_no_graph(device):
    x = leaf([1.0, 2.0], device)
    with mt.no_grad():
        y = x * 2 + 1
    assert not y.requires_grad and y.is_leaf
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()
    assert autograd.is_grad_enabled()  # restored on exit


def test_detach_cuts_the_graph_and_shares_memory(device):
    x = leaf([1.0, 2.0], device)
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    y = (x * d).sum()  # d is a constant here: dy/dx = d
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    x2 = x.detach()
    x2.data[0] = 7.0
    assert x.numpy()[0] == 7.0


def test_backward_through_a_non_float_tensor_raises(device):
    i = mt.tensor([1, 2, 3], device=device)
    with pytest.raises(TypeError, match="floating-point tensor.*int64"):
        i.sum().backward()
    with pytest.raises(TypeError, match="only floating-point tensors can require grad"):
        mt.tensor([1, 2], requires_grad=True)


def test_leaf_grads_are_private_writable_arrays(device):
    """The engine may route one (read-only, broadcast) array to several leaves; each .grad gets its own copy,
    so in-place clipping or zeroing of one parameter's grad never touches another's."""
    w, b = leaf([1.0, 2.0], device), leaf([3.0, 4.0], device)
    (w + b).sum().backward()
    w.grad.data *= 0.5
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])
    b.grad.data[...] = 0
    np.testing.assert_allclose(w.grad.numpy(), [0.5, 0.5])


def test_backward_frees_the_graph_even_while_the_output_lives(device):
    x = leaf([1.0, 2.0], device)
    h = x.exp()
    loss = (h * 2).sum()
    creator = h._creator
    loss.backward()
    assert creator.freed and creator.inputs == () and not hasattr(creator, "y")


class WrongShape(autograd.Function):
    """y = x, but backward forgets to undo a broadcast."""

    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        return (grad[None],)


def test_a_backward_of_the_wrong_shape_is_named():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"WrongShape.backward returned a gradient of shape \(1, 2\) for an "
                                           r"input of shape \(2,\)"):
        WrongShape.apply(x).sum().backward()


# ---------------------------------------------------------------- errors for user mistakes

def test_matmul_shape_errors_name_op_and_both_shapes(device):
    a, b = mt.zeros(32, 64, device=device), mt.zeros(128, 10, device=device)
    with pytest.raises(ValueError, match=r"matmul: shapes \(32, 64\) and \(128, 10\) do not align \(64 != 128\)"):
        a @ b
    with pytest.raises(ValueError, match=r"matmul: batch axes of shapes \(2, 3, 4\) and \(3, 4, 5\)"):
        mt.zeros(2, 3, 4, device=device) @ mt.zeros(3, 4, 5, device=device)
    with pytest.raises(ValueError, match=r"matmul: operands must have at least one dimension"):
        mt.tensor(2.0, device=device) @ mt.zeros(2, device=device)


@pytest.mark.parametrize("op, name", [(lambda a, b: a + b, "add"), (lambda a, b: a * b, "mul"),
                                      (lambda a, b: a - b, "sub"), (lambda a, b: a / b, "div")])
def test_broadcast_errors_name_op_and_both_shapes(device, op, name):
    with pytest.raises(ValueError, match=rf"{name}: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        op(mt.zeros(2, 3, device=device), mt.ones(4, device=device))


def test_different_devices_are_both_named():
    """No GPU here, so stand-ins with a .device attribute play the tensors."""
    on = [types.SimpleNamespace(device="cpu"), types.SimpleNamespace(device="cuda:0")]
    with pytest.raises(RuntimeError, match=r"Add: tensors are on different devices \(cpu, cuda:0\).*\.to\(device\)"):
        autograd.check_same_device("Add", on)
    autograd.check_same_device("Add", [types.SimpleNamespace(device="cpu")] * 2)  # one device: fine


def test_unknown_dtype_and_device_strings():
    with pytest.raises(ValueError, match="unknown dtype 'float33': expected one of float16, float32"):
        mt.tensor([1.0], dtype="float33")
    with pytest.raises(ValueError, match="unknown device 'gpu': expected 'cpu', 'cuda', 'cuda:N' or 'strict'"):
        mt.tensor([1.0], device="gpu")
    with pytest.raises(ValueError, match="unknown device"):
        mt.zeros(2).to("tpu")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_python_scalars_never_change_the_dtype(device, dtype):
    x = mt.tensor([1.0, 2.0], dtype=dtype, device=device, requires_grad=True)
    results = [x + 1.5, 1.5 + x, x - 2, 2 - x, x * 0.1, 0.1 * x, x / 3.0, 3.0 / x, x ** 2.0, 2.0 ** x,
               x + np.float64(1.5), x * np.float32(2.0), mt.where(x > 1, x, 0.25), x.masked_fill(x > 1, 0.5),
               x.mean(), x.sigmoid() * 1e-3]
    for y in results:
        assert y.dtype == np.dtype(dtype)
    sum(r.sum() for r in results).backward()
    assert x.grad.dtype == np.dtype(dtype)


def test_integer_tensor_with_float_scalar_is_refused():
    with pytest.raises(TypeError, match="mixing integer tensor"):
        mt.tensor([1, 2]) * 0.5
    assert (mt.tensor([1, 2]) * 2).dtype == np.int64


class SplitSum(mt.Function):
    """Two outputs: y = 2x (differentiable) and a side output x + 1 (outside the graph), as attention's weights."""

    def forward(self, x):
        return 2 * x, x + 1

    def backward(self, grad):
        return (2 * grad,)


def test_a_function_with_a_side_output_records_only_its_first(device):
    x = mt.tensor([1.0, 2.0], device=device, requires_grad=True)
    y, side = SplitSum.apply(x)
    assert y.requires_grad and not side.requires_grad and side._creator is None
    np.testing.assert_array_equal(side.numpy(), [2.0, 3.0])
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [8.0, 16.0])  # d/dx (2x)^2 = 8x
    with mt.no_grad():
        y, side = SplitSum.apply(x)
    assert not y.requires_grad and not side.requires_grad
