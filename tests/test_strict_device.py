"""The strict stand-in device: CuPy's rules on NumPy (mixing with host arrays refused, host transfers counted),
so the device tests fail on a CPU-only CI where they would fail on a GPU; and whole models train on it."""
import sys

import numpy as np
import pytest

import minitransformer as mt
from minitransformer import backend, strict
from minitransformer.models.bert import BertForMaskedLM
from minitransformer.models.bert_config import BertConfig
from minitransformer.optim import AdamW

xp = strict.xp


def device_array(*shape):
    return xp.asarray(np.arange(np.prod(shape), dtype=np.float32).reshape(shape))


@pytest.mark.parametrize("mix", [
    lambda a, h: a + h, lambda a, h: h + a, lambda a, h: a * h, lambda a, h: a @ h.T, lambda a, h: xp.exp(h) + a,
    lambda a, h: xp.maximum(a, h), lambda a, h: xp.where(a > 0, h, a), lambda a, h: xp.concatenate([a, h]),
    lambda a, h: xp.copyto(a, h), lambda a, h: a.__setitem__(Ellipsis, h), lambda a, h: np.asarray(a),
    lambda a, h: np.testing.assert_allclose(a, h), lambda a, h: xp.copyto(a, 1.0, where=h > 0),
], ids=["add", "radd", "mul", "matmul", "ufunc", "maximum", "where", "concatenate", "copyto", "setitem", "asarray",
        "assert_allclose", "copyto_where"])
def test_a_host_array_does_not_mix_with_a_device_array(mix):
    with pytest.raises(TypeError, match="Unsupported type <class 'numpy.ndarray'>|Implicit conversion"):
        mix(device_array(2, 3), np.ones((2, 3), dtype=np.float32))


def test_copyto_refuses_a_numpy_scalar_as_cupy_did():
    """cupy.copyto(scores, xp.finfo(dtype).min, where=...) failed on a GPU: finfo's min is a NumPy scalar."""
    a = device_array(2, 3)
    with pytest.raises(TypeError, match="Unsupported type <class 'numpy.float32'>"):
        xp.copyto(a, np.finfo(np.float32).min, where=a > 2)
    xp.copyto(a, float(np.finfo(np.float32).min), where=a > 2)  # a Python float is fine
    assert float(a.min()) == np.finfo(np.float32).min


def test_scalars_mix_and_results_stay_on_the_device():
    a = device_array(2, 3)
    for result in (a + 1, 2.0 * a, a * np.float32(3), a.sum(), a.max(axis=0), xp.exp(a), a[0], a[1, 2], a.T,
                   xp.zeros((2,)), xp.ones_like(a), xp.arange(3), xp.tri(3, dtype=bool), backend.generator(
                       "strict").random((2,), dtype=np.float32), xp.linalg.norm(a), xp.stack([a, a])):
        assert type(result) is strict.ndarray, type(result)
    assert (a + 1).dtype == np.float32 and a.sum().shape == ()
    assert backend.array_module(a) is xp and backend.device_of(a) == "strict"


def test_every_host_transfer_is_counted_and_located():
    a = device_array(2, 3)
    transfers = [lambda: a.sum().item(), lambda: float(a.sum()), lambda: int(a[0, 1]), lambda: bool(a[0, 1]),
                 lambda: a.get(), lambda: a.tolist(), lambda: repr(a), lambda: a[a > 2], lambda: a.nonzero(),
                 lambda: [0, 1, 2][a[0, 1].astype(np.int64)], lambda: mt.tensor(a).numpy(),
                 lambda: backend.to_device(a, "cpu")]
    for transfer in transfers:
        before = strict.transfers()
        transfer()
        assert strict.transfers() == before + 1
    with strict.count_transfers() as counted:
        line = sys._getframe().f_lineno + 1
        a.sum().item()
        a + 1  # no transfer
    assert counted.count == 1 and counted.events == [f".item() at test_strict_device.py:{line}"]


def test_tensors_move_between_the_host_and_the_strict_device():
    host = np.random.default_rng(0).standard_normal((2, 3))
    t = mt.tensor(host, device="strict", requires_grad=True)
    assert t.device == "strict" and type(t.data) is strict.ndarray
    back = t.to("cpu")
    assert back.device == "cpu" and isinstance(back.data, np.ndarray)
    (back * 2).sum().backward()
    assert t.grad.device == "strict"
    np.testing.assert_array_equal(t.grad.numpy(), np.full((2, 3), 2.0))
    with pytest.raises(TypeError, match="cannot convert a tensor on strict to NumPy implicitly"):
        np.asarray(t)
    with pytest.raises(RuntimeError, match="tensors are on different devices \\(cpu, strict\\)"):
        t + mt.tensor(host)


def tiny_bert():
    config = BertConfig.from_dict(dict(vocab_size=40, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
                                       intermediate_size=24, max_position_embeddings=20, hidden_dropout_prob=0.0,
                                       attention_probs_dropout_prob=0.0))
    mt.manual_seed(0)
    return BertForMaskedLM(config)


def test_a_bert_training_step_on_the_strict_device_equals_the_cpu_one():
    """Forward with a padding mask, masked-LM loss, backward, AdamW step: the same numbers on both devices."""
    rng = np.random.default_rng(0)
    ids = rng.integers(5, 40, (3, 7))
    mask = np.ones((3, 7), dtype=np.int64)
    mask[1, 4:] = 0
    labels = np.where(rng.random((3, 7)) < 0.3, ids, -100)
    results = {}
    for device in ("cpu", "strict"):
        model = tiny_bert().to(device)
        opt = AdamW(model.parameters(), lr=1e-2)
        loss = model(ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        opt.step()
        results[device] = [float(loss.item())] + [p.numpy() for p in model.parameters()]
        assert all(p.device == device for p in model.parameters())
    for a, b in zip(results["cpu"], results["strict"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
