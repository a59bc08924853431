""".npz checkpoints with a JSON meta record, atomic writes, and host conversion of device/tensor arrays."""
import json
import os
import zipfile

import numpy as np
import pytest

from minitransformer.io import checkpoint as ckpt
from minitransformer.io import atomic_write_bytes, atomic_write_text, load_npz, save_npz, to_numpy


def test_round_trip_arrays_and_meta(tmp_path):
    arrays = {"encoder.w": np.arange(12, dtype=np.float32).reshape(3, 4), "step": np.array(7, np.int64),
              "mask": np.array([True, False]), "half": np.array([0.5], np.float16)}
    meta = {"epoch": 3, "loss": np.float32(0.25), "history": np.array([1.0, 0.5]), "name": "héllo"}
    save_npz(tmp_path / "ck.npz", arrays, meta)
    back, m = load_npz(tmp_path / "ck.npz")
    assert list(back) == list(arrays)
    for name, arr in arrays.items():
        assert back[name].dtype == arr.dtype and back[name].shape == arr.shape
        np.testing.assert_array_equal(back[name], arr)
    assert m == {"epoch": 3, "loss": 0.25, "history": [1.0, 0.5], "name": "héllo"}


def test_file_is_a_plain_npz_with_meta_as_utf8_json(tmp_path):
    # Independent reader: NumPy itself, and the zip directory; the meta record decodes with json alone.
    save_npz(tmp_path / "ck.npz", {"a": np.ones(2)}, {"k": [1, 2]}, compress=True)
    with zipfile.ZipFile(tmp_path / "ck.npz") as z:
        assert sorted(z.namelist()) == ["__meta__.npy", "a.npy"]
    with np.load(tmp_path / "ck.npz") as data:
        assert data["__meta__"].dtype == np.uint8
        assert json.loads(data["__meta__"].tobytes()) == {"k": [1, 2]}


def test_no_meta_gives_none_and_exact_path_is_kept(tmp_path):
    save_npz(tmp_path / "weights.bin", {"a": np.zeros(1)})  # no ".npz" appended behind our back
    assert os.listdir(tmp_path) == ["weights.bin"]
    arrays, meta = load_npz(tmp_path / "weights.bin")
    assert meta is None and list(arrays) == ["a"]


def test_save_npz_rejects_reserved_name_and_bad_meta(tmp_path):
    with pytest.raises(ValueError, match="'__meta__' is reserved"):
        save_npz(tmp_path / "x.npz", {"__meta__": np.zeros(1)})
    with pytest.raises(TypeError, match="meta is not JSON serializable.*set"):
        save_npz(tmp_path / "x.npz", {}, {"bad": {1, 2}})
    with pytest.raises(TypeError, match="'o' has dtype object"):
        save_npz(tmp_path / "x.npz", {"o": np.array([None, 1], dtype=object)})
    assert os.listdir(tmp_path) == []


def test_load_npz_missing_and_corrupt(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        load_npz(tmp_path / "nope.npz")
    save_npz(tmp_path / "ck.npz", {"a": np.arange(1000)}, {"k": 1})
    blob = (tmp_path / "ck.npz").read_bytes()
    (tmp_path / "trunc.npz").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match=r"trunc\.npz.*not a readable \.npz checkpoint"):
        load_npz(tmp_path / "trunc.npz")
    (tmp_path / "junk.npz").write_bytes(b"this is not a zip file at all")
    with pytest.raises(ValueError, match=r"junk\.npz"):
        load_npz(tmp_path / "junk.npz")
    np.save(tmp_path / "single.npy", np.zeros(2))
    with pytest.raises(ValueError, match="single .npy array"):
        load_npz(tmp_path / "single.npy")
    np.savez(tmp_path / "badmeta.npz", __meta__=np.frombuffer(b"{not json", np.uint8))
    with pytest.raises(ValueError, match="'__meta__' record is not valid"):
        load_npz(tmp_path / "badmeta.npz")


def test_failed_write_leaves_old_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "ck.npz"
    save_npz(path, {"a": np.arange(3)}, {"epoch": 1})

    def exploding_savez(f, **arrays):  # dies half-way, after some bytes reached the temp file
        f.write(b"PK partial")
        raise RuntimeError("killed mid-write (simulated)")
    monkeypatch.setattr(ckpt.np, "savez", exploding_savez)
    with pytest.raises(RuntimeError, match="simulated"):
        save_npz(path, {"a": np.arange(5)}, {"epoch": 2})
    monkeypatch.undo()
    arrays, meta = load_npz(path)
    assert arrays["a"].tolist() == [0, 1, 2] and meta == {"epoch": 1}
    assert os.listdir(tmp_path) == ["ck.npz"]  # the temp file was removed


def test_atomic_write_helpers(tmp_path, monkeypatch):
    atomic_write_text(tmp_path / "sub" / "a.json", '{"x": "é"}')  # creates the directory
    assert (tmp_path / "sub" / "a.json").read_text(encoding="utf-8") == '{"x": "é"}'
    atomic_write_bytes(tmp_path / "b.bin", b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    monkeypatch.setattr(ckpt.os, "replace", lambda src, dst: (_ for _ in ()).throw(OSError("no rename")))
    with pytest.raises(OSError, match="no rename"):
        atomic_write_bytes(tmp_path / "b.bin", b"new")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert sorted(os.listdir(tmp_path)) == ["b.bin", "sub"]


def test_to_numpy_duck_types():
    class FakeCupyArray:  # what matters is the module name and .get(), as for cupy.ndarray
        __module__ = "cupy._core.core"

        def get(self):
            return np.array([1, 2])

    class FakeTensor:
        def __init__(self):
            self.detached = False

        def detach(self):
            self.detached = True
            return self

        def numpy(self):
            assert self.detached, "detach() first, as torch requires for tensors needing grad"
            return np.array([3.0], np.float32)

    assert to_numpy(FakeCupyArray()).tolist() == [1, 2]
    out = to_numpy(FakeTensor())
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.tolist() == [3.0]
    assert to_numpy([[1, 2]]).shape == (1, 2)
    a = np.zeros(3)
    assert to_numpy(a) is a
