"""Each fused op's backward called directly, without the backward engine, against finite differences of its
forward: d sum(dy * forward(inputs)) / d input, for a random dy.

mt.gradcheck checks the same numbers through `backward()`, which runs the engine (task t1.3). These tests call
`Function.backward(dy)` themselves, so a task's backward (t1.2, t1.4, t2.1-t2.4) is graded even while the
engine is still a stub: in a student copy they fail with the task's own NotImplementedError, and the gradcheck
tests of the same task wait (skipped) until t1.3 is written.
"""
import numpy as np
import pytest

import minitransformer as mt
from minitransformer.ops.activation import GELU
from minitransformer.ops.elementwise import Add, Div, Mul, Sub
from minitransformer.ops.loss import CrossEntropy
from minitransformer.ops.matmul import MatMul
from minitransformer.ops.norm import LayerNorm
from minitransformer.ops.softmax import Softmax


def local_check(cls, *arrays, eps=1e-6, rtol=1e-5, atol=1e-7, **options):
    """Apply `cls` to float64 tensors (integer arrays stay constants), call its backward with a random dy, and
    compare every float input's gradient with central differences of cls().forward in NumPy."""
    arrays = [np.array(a, dtype=np.float64) if np.asarray(a).dtype.kind == "f" else np.asarray(a) for a in arrays]
    tensors = [mt.tensor(a, dtype="float64", requires_grad=True) if a.dtype.kind == "f" else mt.tensor(a)
               for a in arrays]
    out = cls.apply(*tensors, **options)
    dy = np.random.default_rng(0).standard_normal(out.shape)
    grads = out._creator.backward(dy)  # the op's own backward, no engine
    assert len(grads) == len(arrays), f"{cls.__name__}.backward returned {len(grads)} gradients for {len(arrays)}"

    def projected(inputs):
        return float(np.sum(cls().forward(*inputs, **options) * dy))

    for position, (a, grad) in enumerate(zip(arrays, grads)):
        if a.dtype.kind != "f":
            assert grad is None, f"input {position} is an integer constant: its gradient must be None"
            continue
        assert grad is not None and np.shape(grad) == a.shape, (
            f"input {position}: gradient of shape {np.shape(grad)}, expected {a.shape}")
        numeric = np.zeros(a.shape)
        for index in np.ndindex(a.shape):
            plus, minus = [x.copy() for x in arrays], [x.copy() for x in arrays]
            plus[position][index] += eps
            minus[position][index] -= eps
            numeric[index] = (projected(plus) - projected(minus)) / (2 * eps)
        np.testing.assert_allclose(grad, numeric, rtol=rtol, atol=atol, err_msg=f"{cls.__name__}, input {position}")


def rand(*shape, low=-1.0, seed=1):
    return np.random.default_rng(seed).uniform(low, 1.0, size=shape) + (0.5 if low > 0 else 0)


@pytest.mark.t1_2
@pytest.mark.parametrize("op", [Add, Sub, Mul, Div], ids=lambda op: op.__name__)
@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((2, 3), (3,)), ((3, 1), (1, 4))], ids=str)
def test_elementwise_backward_called_directly(op, shapes):
    local_check(op, rand(*shapes[0], low=0.5), rand(*shapes[1], low=0.5, seed=2))


@pytest.mark.t1_2
def test_elementwise_backward_returns_none_for_an_input_that_needs_no_gradient():
    a, b = mt.tensor(rand(2, 3), dtype="float64", requires_grad=True), mt.tensor(rand(3), dtype="float64")
    da, db = Mul.apply(a, b)._creator.backward(np.ones((2, 3)))
    assert db is None and np.allclose(da, np.broadcast_to(b.numpy(), (2, 3)))


@pytest.mark.t1_4
@pytest.mark.parametrize("shapes", [((2, 3), (3, 4)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 2, 3), (3, 4)),
                                    ((3,), (3,))], ids=str)
def test_matmul_backward_called_directly(shapes):
    local_check(MatMul, rand(*shapes[0]), rand(*shapes[1], seed=2))


@pytest.mark.t2_1
@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_backward_called_directly(axis):
    local_check(Softmax, rand(3, 4) * 3, axis=axis)


@pytest.mark.t2_2
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("weight", [None, np.array([0.5, 3.0, 1.5])])
def test_cross_entropy_backward_called_directly(reduction, smoothing, weight):
    local_check(CrossEntropy, rand(4, 3) * 2, np.array([2, 0, -100, 1]), reduction=reduction,
                label_smoothing=smoothing, weight=weight)


@pytest.mark.t2_3
@pytest.mark.parametrize("ndim", [1, 2])
def test_layer_norm_backward_called_directly(ndim):
    shape = (2, 3, 4)[-ndim - 1:] if ndim == 1 else (2, 3, 4)
    affine = shape[-ndim:]
    local_check(LayerNorm, rand(*shape) * 2, 1 + rand(*affine, seed=3), rand(*affine, seed=4), ndim=ndim)


@pytest.mark.t2_4
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_backward_called_directly(approximate):
    local_check(GELU, rand(3, 5) * 3, approximate=approximate)
