"""backend.py: device and dtype names, the guarded CuPy import, and seeded random numbers."""
import builtins

import numpy as np
import pytest

import minitransformer as mt
from minitransformer import backend


@pytest.mark.parametrize("name, expected", [("cpu", "cpu"), ("CPU", "cpu"), (None, "cpu"), ("cuda", "cuda:0"),
                                            ("cuda:1", "cuda:1"), (" Cuda:0 ", "cuda:0"),
                                            ("strict", "strict")])
def test_parse_device_normalises(name, expected):
    assert backend.parse_device(name) == expected


@pytest.mark.parametrize("name", ["gpu", "cuda:", "cuda:x", "cuda0", "", "mps"])
def test_parse_device_rejects_unknown_names(name):
    with pytest.raises(ValueError, match=f"unknown device {name!r}: expected 'cpu', 'cuda', 'cuda:N' or 'strict'"):
        backend.parse_device(name)


@pytest.mark.parametrize("name, expected", [(None, np.float32), ("float32", np.float32), ("float64", np.float64),
                                            ("int64", np.int64), ("bool", np.bool_), (np.float64, np.float64),
                                            (np.dtype("int32"), np.int32)])
def test_get_dtype_resolves_names_and_numpy_dtypes(name, expected):
    assert backend.get_dtype(name) == np.dtype(expected)


@pytest.mark.parametrize("name, message", [("float", "unknown dtype 'float'"), ("f4", "unknown dtype 'f4'"),
                                           (np.complex64, "unsupported dtype 'complex64'"),
                                           ("double", "unknown dtype 'double'")])
def test_get_dtype_errors_list_the_choices(name, message):
    with pytest.raises(ValueError, match=message + ".*expected one of float16, float32, float64, int32, int64, bool"):
        backend.get_dtype(name)


def test_default_dtypes_follow_the_data():
    assert mt.tensor([1.0, 2.0]).dtype == np.float32  # floats: float32, like torch
    assert mt.tensor(np.array([1.0])).dtype == np.float32
    assert mt.tensor([1, 2]).dtype == np.int64
    assert mt.tensor([True]).dtype == np.bool_
    assert mt.tensor([1.0], dtype="float64").dtype == np.float64
    with pytest.raises(TypeError, match="cannot make a tensor from data of dtype <U1"):
        mt.tensor(["a"])


def test_manual_seed_repeats_randn_and_rand_exactly():
    mt.manual_seed(7)
    first = [mt.randn(3, 4).numpy(), mt.rand(5).numpy(), mt.randn(2, dtype="float64").numpy()]
    mt.manual_seed(7)
    second = [mt.randn(3, 4).numpy(), mt.rand(5).numpy(), mt.randn(2, dtype="float64").numpy()]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert first[0].dtype == np.float32 and first[2].dtype == np.float64
    mt.manual_seed(8)
    assert not np.array_equal(mt.randn(3, 4).numpy(), first[0])


def test_rng_state_round_trip():
    mt.manual_seed(3)
    mt.randn(4)
    state = backend.get_rng_state()
    expected = mt.randn(6).numpy()
    mt.randn(10)
    backend.set_rng_state(state)
    np.testing.assert_array_equal(mt.randn(6).numpy(), expected)


def test_missing_cupy_says_how_to_install_it(monkeypatch):
    real_import = builtins.__import__

    def no_cupy(name, *args, **kwargs):
        if name == "cupy" or name.startswith("cupy."):
            raise ImportError("No module named 'cupy'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_cupy)
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setattr(backend, "_cupy_error", None)
    with pytest.raises(RuntimeError) as info:
        mt.tensor([1.0], device="cuda")
    message = str(info.value)
    assert "pip install 'minitransformer[cuda12]'" in message and "[cuda13]" in message
    assert "CuPy reported: ImportError: No module named 'cupy'" in message
    assert backend.cuda_available() is False


def test_array_module_and_transfers_on_the_cpu():
    a = np.arange(3.0)
    assert backend.array_module(a) is np and backend.device_of(a) == "cpu"
    assert backend.to_device(a, "cpu") is a  # already there: no copy
    t = mt.tensor([1.0, 2.0])
    assert t.to("cpu") is t and t.device == "cpu"
    assert t.numpy().dtype == np.float32 and t.tolist() == [1.0, 2.0]


def test_arange_infers_int_or_float():
    assert mt.arange(4).dtype == np.int64 and mt.arange(4).tolist() == [0, 1, 2, 3]
    got = mt.arange(0, 1, 0.25)
    assert got.dtype == np.float32 and got.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert mt.arange(3, dtype="float64").dtype == np.float64


def test_zeros_ones_shapes_and_dtypes():
    assert mt.zeros(2, 3).shape == (2, 3) and mt.zeros((2, 3)).dtype == np.float32
    np.testing.assert_array_equal(mt.ones(2, dtype="int64").numpy(), [1, 1])
    assert mt.ones(2, requires_grad=True).requires_grad
