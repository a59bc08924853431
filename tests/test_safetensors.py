"""safetensors read/write with NumPy only: bytes checked against hand-built files and the reference writer's output."""
import json
import mmap
import os
import struct

import numpy as np
import pytest

from minitransformer.io import checkpoint as ckpt
from minitransformer.io import safetensors as st
from minitransformer.io import (SafetensorsError, load_checkpoint_dir, load_file, load_sharded, read_header,
                                read_metadata, save_file)


def build(header: dict, data: bytes = b"", pad: int = 0) -> bytes:
    """An independent encoder: u64 length + JSON + optional spaces + data, exactly as the format README says."""
    text = json.dumps(header, separators=(",", ":")).encode() + b" " * pad
    return struct.pack("<Q", len(text)) + text + data


def write(tmp_path, blob, name="x.safetensors"):
    path = tmp_path / name
    path.write_bytes(blob)
    return path


ALL = {
    "f64": np.array([1.5, -2.25], np.float64), "f32": np.arange(6, dtype=np.float32).reshape(2, 3) / 7,
    "f16": np.array([0.5, 65504, -1e-3], np.float16), "i64": np.array([-(2 ** 62), 3], np.int64),
    "i32": np.array([[-7], [2 ** 31 - 1]], np.int32), "i16": np.array([-32768, 5], np.int16),
    "i8": np.array([-128, 127], np.int8), "u8": np.array([0, 255], np.uint8), "bool": np.array([True, False]),
    "u16": np.array([65535], np.uint16), "u32": np.array([2 ** 32 - 1], np.uint32),
    "u64": np.array([2 ** 64 - 1], np.uint64), "scalar": np.array(3.0, np.float32),
    "empty": np.zeros((0, 4), np.float32),
}


@pytest.mark.parametrize("mmap", [True, False])
def test_round_trip_every_dtype(tmp_path, mmap):
    save_file(ALL, tmp_path / "a.safetensors")
    back = load_file(tmp_path / "a.safetensors", mmap=mmap)
    assert set(back) == set(ALL)
    for name, arr in ALL.items():
        assert back[name].dtype == arr.dtype and back[name].shape == arr.shape, name
        np.testing.assert_array_equal(back[name], arr, err_msg=name)
        back[name][...] = 0  # loaded arrays are writable (copy-on-write), and writing must not touch the file
    again = load_file(tmp_path / "a.safetensors")
    np.testing.assert_array_equal(again["f32"], ALL["f32"])


def test_bytes_match_reference_writer(tmp_path):
    # Header and padding produced by huggingface safetensors 0.8.0 (safetensors.numpy.save) for these tensors:
    # sorted by dtype (I64 before F64 before F32 ... BOOL, its enum order), then by name; 0-d shape is [].
    tensors = {"b": np.zeros(3, np.float32), "a": np.ones(2, np.int8), "c": np.zeros((2, 2), np.int64),
               "d": np.array([True, False]), "e": np.zeros(1, np.float16), "aa": np.zeros(1, np.float64),
               "s": np.array(3.0, np.float32), "z": np.zeros((0, 3), np.float32)}
    expected_header = (b'{"__metadata__":{"format":"np","x":"y"},'
                       b'"c":{"dtype":"I64","shape":[2,2],"data_offsets":[0,32]},'
                       b'"aa":{"dtype":"F64","shape":[1],"data_offsets":[32,40]},'
                       b'"b":{"dtype":"F32","shape":[3],"data_offsets":[40,52]},'
                       b'"s":{"dtype":"F32","shape":[],"data_offsets":[52,56]},'
                       b'"z":{"dtype":"F32","shape":[0,3],"data_offsets":[56,56]},'
                       b'"e":{"dtype":"F16","shape":[1],"data_offsets":[56,58]},'
                       b'"a":{"dtype":"I8","shape":[2],"data_offsets":[58,60]},'
                       b'"d":{"dtype":"BOOL","shape":[2],"data_offsets":[60,62]}}     ')
    save_file(tensors, tmp_path / "r.safetensors", metadata={"format": "np", "x": "y"})
    blob = (tmp_path / "r.safetensors").read_bytes()
    assert blob[:8] == struct.pack("<Q", 488) and blob[8:496] == expected_header
    order = ["c", "aa", "b", "s", "z", "e", "a", "d"]
    assert blob[496:] == b"".join(tensors[k].astype(tensors[k].dtype.newbyteorder("<")).tobytes() for k in order)


def test_empty_file_is_padded_like_reference(tmp_path):
    save_file({}, tmp_path / "e.safetensors")
    assert (tmp_path / "e.safetensors").read_bytes() == b"\x08" + b"\x00" * 7 + b"{}      "
    assert load_file(tmp_path / "e.safetensors") == {}


def test_reads_hand_built_file_with_unsorted_header(tmp_path):
    data = np.array([1, 2], "<i4").tobytes() + np.array([0.5], "<f8").tobytes()
    header = {"y": {"dtype": "F64", "shape": [], "data_offsets": [8, 16]},
              "x": {"dtype": "I32", "shape": [2], "data_offsets": [0, 8]}}
    out = load_file(write(tmp_path, build(header, data, pad=3)))
    assert list(out) == ["x", "y"]  # file order
    assert out["x"].tolist() == [1, 2] and out["y"].shape == () and out["y"] == 0.5


def test_bf16_widening_hand_computed(tmp_path):
    # bits -> value: 0x3F80 = 1.0, 0xC000 = -2.0, 0x4049 = 3.140625, 0x7F80 = inf, 0x8000 = -0.0,
    # 0x0001 = 2**-133 (smallest subnormal), 0x3F81 = 1 + 2**-7, 0x7FC0 = NaN
    bits = np.array([0x3F80, 0xC000, 0x4049, 0x7F80, 0x8000, 0x0001, 0x3F81, 0x7FC0], "<u2")
    header = {"w": {"dtype": "BF16", "shape": [2, 4], "data_offsets": [0, 16]}}
    w = load_file(write(tmp_path, build(header, bits.tobytes())))["w"]
    assert w.dtype == np.float32 and w.shape == (2, 4)
    expected = [1.0, -2.0, 3.140625, np.inf, -0.0, 2.0 ** -133, 1 + 2 ** -7]
    np.testing.assert_array_equal(w.reshape(-1)[:7], np.array(expected, np.float32))
    assert np.signbit(w[1, 0]) and np.isnan(w[1, 3])


def test_float32_to_bf16_rounds_to_nearest_even(tmp_path):
    # Expected bits are what torch's x.to(torch.bfloat16) gives (checked once with torch 2.13).
    x = np.array([1.0, -2.0, 3.14159265, 1.00390625, 1.01171875, np.inf, -0.0, 1e-40, 65504.0, 3.4e38], np.float32)
    expected = [0x3F80, 0xC000, 0x4049, 0x3F80, 0x3F82, 0x7F80, 0x8000, 0x0001, 0x4780, 0x7F80]
    assert st.float32_to_bf16(x).tolist() == expected  # 1.00390625 ties down to even, 1.01171875 up
    assert st.float32_to_bf16(np.array([np.nan], np.float32)).tolist() == [0x7FC0]
    save_file({"x": x, "ids": np.arange(3)}, tmp_path / "b.safetensors", dtype="BF16")
    assert read_header(tmp_path / "b.safetensors")["x"]["dtype"] == "BF16"
    assert read_header(tmp_path / "b.safetensors")["ids"]["dtype"] == "I64"  # only floats are cast
    back = load_file(tmp_path / "b.safetensors")["x"]
    np.testing.assert_array_equal(back, st.bf16_to_float32(np.array(expected, np.uint16)))


def test_save_file_f16_cast_and_array_likes(tmp_path):
    class FakeTensor:  # anything with .numpy(), like our Tensor
        def numpy(self):
            return np.array([1.0, 2.0], np.float32)
    save_file({"t": FakeTensor(), "l": [[1, 2], [3, 4]], "f": np.float64(0.25)}, tmp_path / "c.safetensors",
              dtype="F16")
    back = load_file(tmp_path / "c.safetensors")
    assert back["t"].dtype == np.float16 and back["t"].tolist() == [1.0, 2.0]
    assert back["l"].dtype == np.array([1]).dtype and back["l"].tolist() == [[1, 2], [3, 4]]  # ints stay ints
    assert back["f"].dtype == np.float16 and back["f"].shape == () and back["f"].item() == 0.25
    save_file({"f": np.float64(0.1), "l": [[0.5, -1.5]]}, tmp_path / "d.safetensors", dtype="F16")
    back = load_file(tmp_path / "d.safetensors")  # rounded to the nearest float16, not truncated or left float64
    assert back["f"].item() == np.float16(0.1).item() == 0.0999755859375 and back["l"].tolist() == [[0.5, -1.5]]
    assert back["l"].dtype == np.float16


def test_save_file_rejects_bad_input(tmp_path):
    with pytest.raises(TypeError, match="'c'.*complex128"):
        save_file({"c": np.zeros(2, np.complex128)}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="metadata"):
        save_file({}, tmp_path / "x.safetensors", metadata={"n": 1})
    with pytest.raises(ValueError, match="reserved"):
        save_file({"__metadata__": np.zeros(1)}, tmp_path / "x.safetensors")
    with pytest.raises(ValueError, match="dtype"):
        save_file({}, tmp_path / "x.safetensors", dtype="F8")
    assert not os.listdir(tmp_path)  # nothing half-written


def test_big_endian_input_is_stored_little_endian(tmp_path):
    save_file({"x": np.array([1, 256], ">i4")}, tmp_path / "be.safetensors")
    assert (tmp_path / "be.safetensors").read_bytes()[-8:] == b"\x01\x00\x00\x00\x00\x01\x00\x00"


def test_metadata_and_header(tmp_path):
    save_file({"w": np.zeros((2, 3), np.float32)}, tmp_path / "m.safetensors", metadata={"format": "pt", "k": "v"})
    assert read_metadata(tmp_path / "m.safetensors") == {"format": "pt", "k": "v"}
    assert read_header(tmp_path / "m.safetensors") == {"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}
    save_file({"w": np.zeros(1)}, tmp_path / "n.safetensors")
    assert read_metadata(tmp_path / "n.safetensors") == {}


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "w.safetensors"
    save_file({"old": np.arange(3)}, path)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full (simulated)")
    monkeypatch.setattr(ckpt.os, "replace", broken_replace)
    with pytest.raises(OSError, match="simulated"):
        save_file({"new": np.arange(5)}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["w.safetensors"]  # temp file cleaned up


# ---------------------------------------------------------------------------------------------- malformed files

F32x2 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
MALFORMED = {
    "short header": (b"\x01\x02\x03", r"3 bytes, shorter than the 8-byte header"),
    "header beyond file": (struct.pack("<Q", 1000) + b"{}", r"header length 1000 goes beyond the file"),
    "invalid json": (struct.pack("<Q", 6) + b'{"a":1', r"not valid UTF-8 JSON"),
    "unknown dtype": (build({"w": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]}}, b"\0\0"),
                      r"tensor 'w': unknown dtype 'F8_E4M3'"),
    "shape/size disagree": (build({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8)),
                            r"tensor 'w': shape \[3\] x F32 needs 12 bytes but data_offsets \[0, 8\] span 8"),
    "offsets out of range": (build({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, bytes(8)),
                             r"tensor 'w': data_offsets \[0, 16\] out of range, the data buffer holds 8"),
    "overlap": (build({"a": F32x2, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(12)),
                r"tensor 'b': data_offsets \[4, 12\] overlap tensor 'a'"),
    "hole": (build({"a": F32x2, "b": {"dtype": "F32", "shape": [1], "data_offsets": [12, 16]}}, bytes(16)),
             r"tensor 'b': hole in the data buffer, bytes \[8, 12\)"),
    "trailing bytes": (build({"a": F32x2}, bytes(12)), r"4 trailing bytes after the last tensor 'a'"),
    "negative offsets": (build({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}, bytes(8)),
                         r"tensor 'a': data_offsets must be \[begin, end\]"),
    "bad shape": (build({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, bytes(8)),
                  r"tensor 'a': shape must be a list of non-negative ints"),
    "missing key": (build({"a": {"dtype": "F32", "shape": [2]}}, bytes(8)), r"tensor 'a': expected"),
    "metadata not str": (build({"__metadata__": {"n": 1}}), r"__metadata__ must map strings to strings"),
    # 2**40 x 2**40 x 4 bytes wraps to 0 in int64: the size check must not be fooled into accepting [0, 0]
    "shape overflows int64": (build({"w": {"dtype": "F32", "shape": [2 ** 40, 2 ** 40], "data_offsets": [0, 0]}}),
                              r"tensor 'w': shape \[1099511627776, 1099511627776\] x F32 needs 4835703278458516"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_file_names_file_and_tensor(tmp_path, case):
    blob, message = MALFORMED[case]
    path = write(tmp_path, blob, "bad.safetensors")
    for reader in (load_file, read_header):
        with pytest.raises(ValueError, match=message) as info:
            reader(path)
        assert isinstance(info.value, SafetensorsError) and str(path) in str(info.value)


# ---------------------------------------------------------------------------------------------- sharded + dirs

def make_sharded(tmp_path):
    save_file({"a": np.arange(3, dtype=np.int32), "b": np.ones((2, 2), np.float32)},
              tmp_path / "model-00001-of-00002.safetensors")
    save_file({"c": np.full(4, 7, np.int8)}, tmp_path / "model-00002-of-00002.safetensors")
    index = {"metadata": {"total_size": 32},
             "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00001-of-00002.safetensors",
                            "c": "model-00002-of-00002.safetensors"}}
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    return index


def test_load_sharded_from_dir_and_index_path(tmp_path):
    make_sharded(tmp_path)
    for source in (tmp_path, tmp_path / "model.safetensors.index.json"):
        out = load_sharded(source)
        assert list(out) == ["a", "b", "c"]
        assert out["a"].tolist() == [0, 1, 2] and out["b"].sum() == 4 and out["c"].tolist() == [7] * 4
    assert list(load_checkpoint_dir(tmp_path)) == ["a", "b", "c"]


def test_load_sharded_errors(tmp_path):
    index = make_sharded(tmp_path)
    index["weight_map"]["d"] = "model-00002-of-00002.safetensors"
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    with pytest.raises(ValueError, match="'d' is mapped to shard 'model-00002-of-00002.safetensors'"):
        load_sharded(tmp_path)
    index["weight_map"]["d"] = "gone.safetensors"
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    with pytest.raises(FileNotFoundError, match="'d' lives in shard 'gone.safetensors'"):
        load_sharded(tmp_path)
    (tmp_path / "model.safetensors.index.json").write_text("{}")
    with pytest.raises(ValueError, match="weight_map"):
        load_sharded(tmp_path)


def test_load_checkpoint_dir_prefers_single_file(tmp_path):
    make_sharded(tmp_path)
    save_file({"single": np.zeros(1)}, tmp_path / "model.safetensors")
    assert list(load_checkpoint_dir(tmp_path)) == ["single"]
    assert list(load_checkpoint_dir(tmp_path / "model.safetensors")) == ["single"]
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "pytorch_model.bin").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="neither model.safetensors.*pytorch_model.bin"):
        load_checkpoint_dir(tmp_path / "empty")


# ---------------------------------------------------------------------------------------------- real checkpoint

def test_real_minilm_checkpoint(bert_dir):
    # Reference numbers read once with safetensors 0.8.0 + torch 2.13 (safetensors.torch.load_file), and the
    # same tensors as transformers 5.24 AutoModel.state_dict() gives (which lacks only the position_ids buffer).
    path = bert_dir / "model.safetensors"
    assert read_metadata(path) == {"format": "pt"}
    sd = load_file(path)
    assert len(sd) == 104 and sum(v.size for v in sd.values()) == 22_713_728
    assert sorted(sd)[:3] == ["embeddings.LayerNorm.bias", "embeddings.LayerNorm.weight",
                              "embeddings.position_embeddings.weight"]
    assert sorted(sd)[-3:] == ["encoder.layer.5.output.dense.weight", "pooler.dense.bias", "pooler.dense.weight"]
    emb = sd["embeddings.word_embeddings.weight"]
    assert emb.shape == (30522, 384) and emb.dtype == np.float32
    base = emb
    while isinstance(base, np.ndarray):
        base = base.base
    base = base.obj if isinstance(base, memoryview) else base
    assert isinstance(base, mmap.mmap)  # a view on the memory-mapped file, not a copy
    pos = sd["embeddings.position_ids"]
    assert pos.shape == (1, 512) and pos.dtype == np.int64 and pos[0, :3].tolist() == [0, 1, 2] and pos[0, -1] == 511
    assert sd["encoder.layer.2.intermediate.dense.weight"].shape == (1536, 384)
    assert all(v.dtype == np.float32 for k, v in sd.items() if k != "embeddings.position_ids")
    exact = [  # float32 values printed by torch as Python floats: equality must be exact
        (("embeddings.word_embeddings.weight", (101, slice(0, 4))),
            [-0.01761939749121666, -0.007600549608469009, 0.047105543315410614, -0.08691827207803726]),
        (("embeddings.word_embeddings.weight", (2023, slice(-3, None))),
            [-0.00103430834133178, 0.019705507904291153, 0.1891317218542099]),
        (("encoder.layer.5.output.LayerNorm.weight", (slice(0, 4),)),
            [0.645970344543457, 0.6747910976409912, 0.6716562509536743, 0.65945965051651]),
        (("encoder.layer.0.attention.self.query.weight", (3, slice(0, 3))),
            [0.015408975072205067, -0.1471446305513382, -0.03922653570771217]),
        (("encoder.layer.2.intermediate.dense.bias", (slice(0, 4),)),
            [-0.0408109612762928, -0.06383312493562698, 0.03198660537600517, -0.20383377373218536]),
        (("pooler.dense.weight", (0, slice(0, 3))),
            [-0.01512908935546875, -0.0224456787109375, -0.004573822021484375]),
    ]
    for (name, index), values in exact:
        assert sd[name][index].tolist() == values, name
    sums = {"embeddings.word_embeddings.weight": 138.05072214923592, "encoder.layer.5.output.LayerNorm.weight":
            245.77615535109027, "encoder.layer.0.attention.self.query.weight": 13.52819408863644,
            "pooler.dense.weight": -8.150986969470978, "pooler.dense.bias": 0.0}
    for name, total in sums.items():
        assert sd[name].sum(dtype=np.float64) == pytest.approx(total, rel=1e-9, abs=1e-9), name
    total_abs = sum(np.abs(v).sum(dtype=np.float64) for v in sd.values() if v.dtype == np.float32)
    assert total_abs == pytest.approx(1003914.241200558, rel=1e-9)


def test_real_checkpoint_round_trips_bit_exact(bert_dir, tmp_path):
    sd = load_checkpoint_dir(bert_dir)
    save_file(sd, tmp_path / "model.safetensors", metadata={"format": "pt"})
    # The original was written by the reference implementation, so our writer must reproduce it byte for byte.
    assert (tmp_path / "model.safetensors").read_bytes() == (bert_dir / "model.safetensors").read_bytes()
