"""The safetensors format, read and written with NumPy alone (no torch, no `safetensors` package).

Layout (huggingface/safetensors): 8-byte little-endian u64 N; N bytes of UTF-8 JSON, space-padded, mapping each
tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets into the byte buffer that follows the
header) plus an optional "__metadata__" str->str map; then the buffer: little-endian, row-major, no holes.

Reading memory-maps the file copy-on-write, so a 90 MB checkpoint costs nothing until a tensor is touched and
the arrays are writable without ever changing the file. BF16 has no NumPy dtype: it is widened to float32
(uint16 -> uint32 << 16 -> view float32, exact), which makes a copy. Everything else keeps its dtype.
"""
from __future__ import annotations

import json
import math
import mmap as _mmap
import os
import struct

import numpy as np

from .checkpoint import atomic_open, to_numpy

# safetensors dtype name -> little-endian NumPy dtype (BF16 is read as raw uint16, then widened).
DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2",
    "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
    "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?",
}
_NUMPY_TO_ST = {np.dtype(v).newbyteorder("="): k for k, v in DTYPES.items() if k != "BF16"}
# Write order of the reference implementation: by dtype (its Rust enum order, largest first), then name, so
# every tensor stays aligned to its item size after the 8-byte-aligned header.
_WRITE_RANK = ["U64", "I64", "F64", "F32", "U32", "I32", "BF16", "F16", "U16", "I16", "I8", "U8", "BOOL"]
_MAX_HEADER = 100_000_000  # same cap as the reference reader: a bigger N means a corrupt or hostile file


class SafetensorsError(ValueError):
    """A .safetensors file that breaks the format; the message names the file and the tensor."""


def bf16_to_float32(raw: np.ndarray) -> np.ndarray:
    """float32 from raw BF16 bits: widen uint16 to uint32, shift left 16 (BF16 is float32's top half)."""
    return (raw.astype(np.uint32) << 16).view(np.float32)


def float32_to_bf16(x: np.ndarray) -> np.ndarray:
    """Raw BF16 bits (uint16) from float32, rounding to nearest even as torch does; NaN stays NaN."""
    x = np.asarray(x, dtype=np.float32, order="C")
    bits = x.view(np.uint32)
    lsb = (bits >> 16) & 1  # ties go to the even upper half
    rounded = ((bits + np.uint32(0x7FFF) + lsb) >> 16).astype(np.uint16)
    return np.where(np.isnan(x), np.uint16(0x7FC0), rounded)  # rounding could turn a NaN into inf


# ------------------------------------------------------------------------------------------------ reading

def _parse_header(path: str, file_size: int, head: bytes):
    """Validate the 8-byte length + JSON header; return (entries sorted by offset, metadata, data_start)."""
    if file_size < 8:
        raise SafetensorsError(f"{path}: file is {file_size} bytes, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", head[:8])
    if n > file_size - 8:
        raise SafetensorsError(f"{path}: header length {n} goes beyond the file ({file_size} bytes)")
    if n > _MAX_HEADER:
        raise SafetensorsError(f"{path}: header length {n} exceeds the format's limit of {_MAX_HEADER} bytes")
    try:
        header = json.loads(head[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"{path}: header is not valid UTF-8 JSON: {e}") from None
    if not isinstance(header, dict):
        raise SafetensorsError(f"{path}: header must be a JSON object, got {type(header).__name__}")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise SafetensorsError(f"{path}: __metadata__ must map strings to strings, got {metadata!r}")
    entries = []
    for name, info in header.items():
        where = f"{path}: tensor {name!r}"
        if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= info.keys():
            raise SafetensorsError(f"{where}: expected {{'dtype', 'shape', 'data_offsets'}}, got {info!r}")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in DTYPES:
            raise SafetensorsError(f"{where}: unknown dtype {dtype!r} (known: {', '.join(DTYPES)})")
        if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
            raise SafetensorsError(f"{where}: shape must be a list of non-negative ints, got {shape!r}")
        if (not isinstance(offsets, list) or len(offsets) != 2
                or not all(type(o) is int for o in offsets) or not 0 <= offsets[0] <= offsets[1]):
            raise SafetensorsError(f"{where}: data_offsets must be [begin, end] with 0 <= begin <= end, "
                                   f"got {offsets!r}")
        # math.prod, not np.prod: Python ints cannot wrap, so a hostile [2**40, 2**40] cannot come out as 0 bytes
        expected = math.prod(shape) * np.dtype(DTYPES[dtype]).itemsize
        if offsets[1] - offsets[0] != expected:
            raise SafetensorsError(f"{where}: shape {shape} x {dtype} needs {expected} bytes but data_offsets "
                                   f"{offsets} span {offsets[1] - offsets[0]}")
        entries.append((name, dtype, tuple(shape), offsets[0], offsets[1]))
    # The buffer must be tiled exactly: each tensor starts where the previous ended, the last ends at EOF.
    entries.sort(key=lambda e: (e[3], e[4]))
    data_start, buffer_size, cursor, previous = 8 + n, file_size - 8 - n, 0, None
    for name, _, _, begin, end in entries:
        if end > buffer_size:
            raise SafetensorsError(f"{path}: tensor {name!r}: data_offsets [{begin}, {end}] out of range, the "
                                   f"data buffer holds {buffer_size} bytes")
        if begin < cursor:
            raise SafetensorsError(f"{path}: tensor {name!r}: data_offsets [{begin}, {end}] overlap tensor "
                                   f"{previous!r}, which ends at {cursor}")
        if begin > cursor:
            raise SafetensorsError(f"{path}: tensor {name!r}: hole in the data buffer, bytes [{cursor}, {begin})"
                                   f" belong to no tensor")
        cursor, previous = end, name
    if cursor != buffer_size:
        raise SafetensorsError(f"{path}: {buffer_size - cursor} trailing bytes after the last tensor "
                               f"{previous!r} (data buffer is {buffer_size} bytes, tensors cover {cursor})")
    return entries, metadata, data_start


def _read_head(path: str):
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) == 8:
            (n,) = struct.unpack("<Q", head)
            if n <= size - 8 and n <= _MAX_HEADER:
                head += f.read(n)
    return size, head


def read_header(path) -> dict:
    """Validated header without the tensors: {name: {"dtype", "shape", "data_offsets"}} in file order."""
    path = os.fspath(path)
    entries, _, _ = _parse_header(path, *_read_head(path))
    return {name: {"dtype": dt, "shape": list(shape), "data_offsets": [b, e]} for name, dt, shape, b, e in entries}


def read_metadata(path) -> dict:
    """The file's "__metadata__" str->str map ({} when absent), without loading any tensor."""
    path = os.fspath(path)
    return _parse_header(path, *_read_head(path))[1]


def load_file(path, mmap: bool = True) -> dict:
    """{name: ndarray} in file order; memory-mapped copy-on-write unless mmap=False (then read into memory)."""
    path = os.fspath(path)
    size, head = _read_head(path)
    entries, _, data_start = _parse_header(path, size, head)
    if size == data_start:  # nothing but the header (no tensors, or only empty ones): mmap rejects length 0
        buffer = np.zeros(0, dtype=np.uint8)
    elif mmap:
        with open(path, "rb") as f:
            # ACCESS_COPY: pages are shared with the page cache until written; writes never reach the file.
            buffer = np.frombuffer(_mmap.mmap(f.fileno(), 0, access=_mmap.ACCESS_COPY), dtype=np.uint8)
    else:
        with open(path, "rb") as f:
            buffer = np.frombuffer(bytearray(f.read()), dtype=np.uint8)  # bytearray: writable arrays
    tensors = {}
    for name, dtype, shape, begin, end in entries:
        raw = buffer[data_start + begin:data_start + end].view(DTYPES[dtype]).reshape(shape)
        tensors[name] = bf16_to_float32(raw) if dtype == "BF16" else raw
    return tensors


def load_sharded(path) -> dict:
    """All tensors of a sharded checkpoint: `path` is model.safetensors.index.json or its directory."""
    path = os.fspath(path)
    index_path = os.path.join(path, "model.safetensors.index.json") if os.path.isdir(path) else path
    try:
        with open(index_path, encoding="utf-8") as f:
            weight_map = json.load(f)["weight_map"]
    except FileNotFoundError:
        raise FileNotFoundError(f"load_sharded: no index file {index_path!r}") from None
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as e:
        raise SafetensorsError(f"{index_path}: expected JSON with a 'weight_map' {{tensor: shard file}} ({e})") \
            from None
    if not isinstance(weight_map, dict):
        raise SafetensorsError(f"{index_path}: 'weight_map' must map tensor names to shard files")
    directory = os.path.dirname(index_path)
    shards, tensors = {}, {}
    for name, shard in weight_map.items():
        if shard not in shards:
            shard_path = os.path.join(directory, shard)
            if not os.path.exists(shard_path):
                raise FileNotFoundError(f"{index_path}: tensor {name!r} lives in shard {shard!r}, "
                                        f"which is missing ({shard_path})")
            shards[shard] = load_file(shard_path)
        if name not in shards[shard]:
            raise SafetensorsError(f"{index_path}: tensor {name!r} is mapped to shard {shard!r}, "
                                   f"which does not contain it")
        tensors[name] = shards[shard][name]
    return tensors


def load_checkpoint_dir(path) -> dict:
    """Tensors of a Hugging Face model directory: model.safetensors, else model.safetensors.index.json."""
    path = os.fspath(path)
    if os.path.isfile(path):  # a file given directly: pick by its kind
        return load_sharded(path) if path.endswith(".json") else load_file(path)
    single = os.path.join(path, "model.safetensors")
    index = os.path.join(path, "model.safetensors.index.json")
    if os.path.exists(single):
        return load_file(single)
    if os.path.exists(index):
        return load_sharded(index)
    hint = " (pytorch_model.bin is a torch pickle: convert it to safetensors with transformers first)" \
        if os.path.exists(os.path.join(path, "pytorch_model.bin")) else ""
    raise FileNotFoundError(f"load_checkpoint_dir: {path!r} has neither model.safetensors nor "
                            f"model.safetensors.index.json{hint}")


# ------------------------------------------------------------------------------------------------ writing

def _prepare(name, value, dtype):
    """(safetensors dtype, contiguous little-endian array to write) for one tensor, checking its kind."""
    if not isinstance(name, str):
        raise TypeError(f"save_file: tensor names must be str, got {name!r}")
    if name == "__metadata__":
        raise ValueError("save_file: '__metadata__' is reserved for the metadata map, not a tensor name")
    arr = to_numpy(value)
    if dtype is not None and arr.dtype.kind == "f":  # the optional cast applies to floating tensors only
        if dtype == "BF16":
            return "BF16", float32_to_bf16(arr.astype(np.float32, copy=False))
        arr = arr.astype(DTYPES[dtype], copy=False)
    st = _NUMPY_TO_ST.get(arr.dtype.newbyteorder("="))
    if st is None:
        raise TypeError(f"save_file: tensor {name!r} has dtype {arr.dtype}, which safetensors cannot store "
                        f"(supported: {', '.join(str(np.dtype(v)) for v in DTYPES.values())})")
    return st, np.asarray(arr, dtype=DTYPES[st], order="C")  # not ascontiguousarray: it makes 0-d into 1-d


def save_file(tensors: dict, path, metadata: dict | None = None, dtype: str | None = None) -> None:
    """Write {name: array-like} as safetensors, atomically, in the reference order (dtype size, then name).

    dtype: None keeps each dtype; "F32", "F16" or "BF16" casts the floating tensors (BF16 rounds to nearest even).
    """
    path = os.fspath(path)
    if dtype not in (None, "F64", "F32", "F16", "BF16"):
        raise ValueError(f"save_file: dtype must be None, 'F64', 'F32', 'F16' or 'BF16', got {dtype!r}")
    if metadata is not None and not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise TypeError(f"save_file({path!r}): metadata must map str to str, got {metadata!r}")
    prepared = {name: _prepare(name, value, dtype) for name, value in tensors.items()}
    order = sorted(prepared, key=lambda n: (_WRITE_RANK.index(prepared[n][0]), n))
    header, offset = {}, 0
    if metadata:
        header["__metadata__"] = metadata
    for name in order:
        st, arr = prepared[name]
        header[name] = {"dtype": st, "shape": list(arr.shape), "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)  # pad so the data buffer starts 8-byte aligned
    with atomic_open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name in order:
            arr = prepared[name][1]
            if arr.size:
                f.write(memoryview(arr.reshape(-1).view(np.uint8)))
