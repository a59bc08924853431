"""Sinusoidal positional encoding (t3.2) at known positions, its buffer, and the learned alternative."""
import math

import numpy as np
import pytest

import minitransformer as mt
from minitransformer import nn


@pytest.mark.t3_2
def test_known_values():
    pe = nn.sinusoid_table(50, 8)
    assert pe.shape == (50, 8) and pe.dtype == np.float32
    np.testing.assert_array_equal(pe[0, 0::2], 0)  # sin 0
    np.testing.assert_array_equal(pe[0, 1::2], 1)  # cos 0
    assert pe[1, 0] == pytest.approx(math.sin(1), abs=1e-7)
    assert pe[1, 1] == pytest.approx(math.cos(1), abs=1e-7)
    assert pe[1, 2] == pytest.approx(math.sin(1 / 10000 ** (2 / 8)), abs=1e-7)
    assert pe[7, 5] == pytest.approx(math.cos(7 / 10000 ** (4 / 8)), abs=1e-7)


@pytest.mark.t3_2
def test_closed_form_everywhere_in_float64():
    d = 10
    pe = nn.sinusoid_table(64, d, dtype="float64")
    for pos in range(64):
        for i in range(d // 2):
            angle = pos / 10000 ** (2 * i / d)
            assert pe[pos, 2 * i] == pytest.approx(math.sin(angle), abs=1e-12)
            assert pe[pos, 2 * i + 1] == pytest.approx(math.cos(angle), abs=1e-12)


@pytest.mark.t3_2
def test_odd_width_and_relative_shift_is_a_rotation():
    pe = nn.sinusoid_table(30, 7, dtype="float64")
    assert pe[3, 6] == pytest.approx(math.sin(3 / 10000 ** (6 / 7)), abs=1e-12)  # last column is a sine
    # each (sin, cos) pair at pos + k is the pair at pos rotated by k * frequency: same matrix for every pos
    d = 8
    pe = nn.sinusoid_table(40, d, dtype="float64")
    k, i = 5, 1
    w = 1 / 10000 ** (2 * i / d)
    rotation = np.array([[math.cos(k * w), -math.sin(k * w)], [math.sin(k * w), math.cos(k * w)]])
    for pos in (0, 3, 20):
        pair = pe[pos, 2 * i:2 * i + 2]
        np.testing.assert_allclose(pair @ rotation, pe[pos + k, 2 * i:2 * i + 2], atol=1e-12)


@pytest.mark.t3_2
def test_module_adds_the_table_and_keeps_it_as_a_non_persistent_buffer(device):
    enc = nn.SinusoidalPositionalEncoding(8, max_len=20).to(device)
    x = mt.zeros(2, 6, 8, device=device)
    np.testing.assert_allclose(enc(x).numpy()[1], nn.sinusoid_table(20, 8)[:6])
    assert [n for n, _ in enc.named_buffers()] == ["pe"]
    assert enc.num_parameters() == 0 and enc.state_dict() == {}
    assert enc.pe.device == mt.backend.parse_device(device)
    with pytest.raises(ValueError, match="sequence length 21 exceeds max_len=20"):
        enc(mt.zeros(1, 21, 8, device=device))


def test_learned_positional_embedding_adds_trained_rows():
    mt.manual_seed(0)
    learned = nn.LearnedPositionalEmbedding(10, 4)
    assert [n for n, _ in learned.named_parameters()] == ["embedding.weight"]
    x = mt.randn(2, 3, 4)
    np.testing.assert_allclose(learned(x).numpy(), x.numpy() + learned.embedding.weight.numpy()[:3], rtol=1e-6)
    with pytest.raises(ValueError, match="exceeds max_len=10"):
        learned(mt.randn(1, 11, 4))


def test_gradcheck_positional_modules_float64():
    """Sinusoids add a constant (dx = dy); the learned table gets dy summed over the batch in its first T rows."""
    x = mt.tensor(np.random.default_rng(0).standard_normal((2, 3, 4)), dtype="float64")
    sinusoidal = nn.SinusoidalPositionalEncoding(4, max_len=6).double()
    assert mt.gradcheck(sinusoidal, x)
    mt.manual_seed(0)
    learned = nn.LearnedPositionalEmbedding(6, 4).double()
    table = learned.embedding.weight

    def fn(x, weight):
        learned.embedding._parameters["weight"] = weight  # gradcheck differentiates its own float64 copy
        return learned(x)
    try:
        assert mt.gradcheck(fn, x, table)
    finally:
        learned.embedding._parameters["weight"] = table
    xs = mt.tensor(x.numpy(), dtype="float64")
    learned.zero_grad()
    (learned(xs) * mt.tensor(np.arange(24.0).reshape(2, 3, 4), dtype="float64")).sum().backward()
    expected = np.zeros((6, 4))
    expected[:3] = np.arange(24.0).reshape(2, 3, 4).sum(0)  # rows beyond T get nothing
    np.testing.assert_array_equal(table.grad.numpy(), expected)
