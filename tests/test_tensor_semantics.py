"""Tensor semantics a user meets before any model: which dtype a mixed operation computes in, bool masks in
arithmetic, mt.tensor owning its data, leaf gradients in the leaf's dtype, and errors for malformed input.

Expected dtypes are PyTorch's promotion rules written out by hand (torch.result_type): a float tensor beside an
int or bool tensor keeps the float's dtype, true division of integers gives the default float (float32), and a
bool mask plus an int counts. Values are compared with NumPy on the same numbers.
"""
import numpy as np
import pytest

import minitransformer as mt

OPS = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
       "div": lambda a, b: a / b, "pow": lambda a, b: a ** b}


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("float_dtype", ["float32", "float64"])
@pytest.mark.parametrize("other_dtype", ["int64", "int32", "bool"])
def test_a_float_tensor_beside_an_int_or_bool_tensor_keeps_its_dtype(device, name, float_dtype, other_dtype):
    op = OPS[name]
    f = np.array([1.5, 2.0, 3.0])
    i = np.array([2, 1, 3]) if other_dtype != "bool" else np.array([True, name == "div", True])  # no x / 0
    ft = mt.tensor(f, dtype=float_dtype, device=device, requires_grad=True)
    it = mt.tensor(i, dtype=other_dtype, device=device)
    for out, expected in ((op(ft, it), op(f, i.astype(np.float64))), (op(it, ft), op(i.astype(np.float64), f))):
        assert out.dtype == np.dtype(float_dtype)  # NumPy alone would give float64 for float32 with int64
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    op(ft, it).sum().backward()
    assert ft.grad.dtype == np.dtype(float_dtype)


def test_lists_and_matmul_with_int_tensors_stay_float32():
    x = mt.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert (x + [1, 2]).dtype == np.float32
    assert (x @ mt.tensor([[1, 0], [0, 1]])).dtype == np.float32
    got = mt.where(mt.tensor([True, False]), x, mt.tensor([7, 8]))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.numpy(), np.where([True, False], x.numpy(), [7, 8]))


def test_integer_true_division_gives_float32():
    a, b = np.array([1, 7, -3]), np.array([2, 2, 4])
    for got in (mt.tensor(a) / mt.tensor(b), mt.tensor(a) / 2, 7 / mt.tensor(b)):
        assert got.dtype == np.float32
    np.testing.assert_allclose((mt.tensor(a) / mt.tensor(b)).numpy(), a / b)
    np.testing.assert_allclose((7 / mt.tensor(b)).numpy(), 7 / b)


def test_bool_masks_count_in_arithmetic():
    """Lifting 1 to bool made `mask + 1` a logical OR ([True, True]) and `1 - mask` a NumPy error."""
    mask = np.array([True, False, True])
    m = mt.tensor(mask)
    for got, expected in [(m + 1, mask.astype(np.int64) + 1), (1 - m, 1 - mask.astype(np.int64)),
                          (m * 3, mask.astype(np.int64) * 3), (m.sum(), 2)]:
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got.numpy(), expected)
    assert (m * mt.tensor([0.5, 0.5, 0.5])).dtype == np.float32
    assert (m & True).dtype == np.bool_  # logic stays logic
    with pytest.raises(TypeError, match="mixing integer tensor"):
        m * 0.5  # as for int tensors: a float scalar needs an explicit conversion


def test_integer_tensors_keep_integer_arithmetic():
    assert (mt.tensor([1, 2]) + mt.tensor([3, 4])).dtype == np.int64
    assert (mt.tensor([1, 2], dtype="int32") * 2).dtype == np.int32
    assert (mt.tensor([1.0], dtype="float64") + mt.tensor([1.0])).dtype == np.float64  # two floats: the wider


def test_leaf_gradient_has_the_leaf_dtype_when_it_meets_float64():
    x = mt.tensor([1.0, 2.0], requires_grad=True)  # float32
    y = mt.tensor([3.0, 4.0], dtype="float64", requires_grad=True)
    (x * y).sum().backward()
    assert x.grad.dtype == np.float32 and y.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])
    z = mt.tensor([1.0, 2.0], requires_grad=True)
    mt.stack([z, mt.tensor([0.0, 0.0], dtype="float64")]).sum().backward()
    assert z.grad.dtype == np.float32


def test_mt_tensor_owns_its_data():
    """As torch.tensor: an in-place update of the tensor (what optimizers do) must not write into the user's
    array, and changing the array afterwards must not change the tensor."""
    source = np.array([1.0, 2.0], dtype=np.float32)
    w = mt.tensor(source, requires_grad=True)
    w.data -= 1.0
    np.testing.assert_array_equal(source, [1.0, 2.0])
    source[0] = 9.0
    np.testing.assert_array_equal(w.numpy(), [0.0, 1.0])
    copy = mt.tensor(w)
    copy.data[0] = 5.0
    assert w.numpy()[0] == 0.0 and not copy.requires_grad
    assert w.detach().data is w.data  # detach, unlike mt.tensor, shares memory (as in torch)


def test_transpose_out_of_range_axes_are_named():
    with pytest.raises(ValueError, match=r"transpose: axes \(0, 5\) are out of range for a tensor of shape "
                                         r"\(2, 3\) \(2 dimensions\)"):
        mt.ones(2, 3).transpose(0, 5)
    with pytest.raises(ValueError, match=r"shape \(3,\) \(1 dimensions\)"):
        mt.ones(3).transpose()


def test_ragged_nested_lists_are_a_clear_error():
    with pytest.raises(ValueError, match=r"ragged nested lists: the rows have lengths \[2, 1\]"):
        mt.tensor([[1, 2], [3]])


def test_numpy_conversions_give_values_not_object_arrays():
    t = mt.tensor([[1.0, 2.0]], requires_grad=True)
    a = np.asarray(t)
    assert a.dtype == np.float32 and a.shape == (1, 2)  # was an object array holding 0-d tensors
    np.testing.assert_allclose(t, [[1.0, 2.0]])  # so NumPy's own asserts accept tensors
    copied = np.array(t)
    copied[0, 0] = 9.0
    assert t.numpy()[0, 0] == 1.0
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert mt.tensor([mt.tensor(1.5), mt.tensor(2.5)]).tolist() == [1.5, 2.5]
    assert float(mt.tensor([2.5])) == 2.5 and int(mt.tensor(3)) == 3
    with pytest.raises(ValueError, match=r"one element, this one has shape \(1, 2\)"):
        float(t)
    y = np.float64(2.0) * t  # NumPy scalars and arrays on the left still defer to the tensor's operators
    assert isinstance(y, mt.Tensor) and y.dtype == np.float32 and y.requires_grad
    assert isinstance(np.ones(2) + t, mt.Tensor)
