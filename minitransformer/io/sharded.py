"""Writing a checkpoint as safetensors shards + `model.safetensors.index.json`, the layout transformers writes.

    model-00001-of-00003.safetensors ... model-00003-of-00003.safetensors
    model.safetensors.index.json   {"metadata": {"total_size": bytes, "total_parameters": n},
                                    "weight_map": {tensor name: shard file}}

Tensors go into shards greedily in the order given, a new shard starting when the next tensor would push the
current one past max_shard_size; a tensor larger than the limit gets a shard of its own at once, ahead of the one
being filled (huggingface_hub's split_state_dict_into_shards_factory, so our shards are the ones transformers makes).
Everything fits in one shard -> a single `model.safetensors` and no index. Reading is safetensors.load_sharded.
"""
from __future__ import annotations

import json
import os
import re

import numpy as np

from .checkpoint import atomic_write_text, to_numpy
from .safetensors import save_file

INDEX_NAME = "model.safetensors.index.json"
_SHARD_RE = re.compile(r"model-\d{5}-of-\d{5}\.safetensors")
# Decimal units as transformers reads them ("5GB" = 5e9 bytes); the binary ones spelled KiB/MiB/GiB/TiB.
_UNITS = {"": 1, "B": 1, "KB": 10 ** 3, "MB": 10 ** 6, "GB": 10 ** 9, "TB": 10 ** 12,
          "KIB": 2 ** 10, "MIB": 2 ** 20, "GIB": 2 ** 30, "TIB": 2 ** 40}


def parse_size(size) -> int:
    """Bytes from an int or a string: "50GB" = 50·10⁹, "500MB", "2GiB" = 2·2³⁰, "20KB"."""
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        value = int(size)
    else:
        match = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*([KMGT]I?B|B)?\s*", str(size).upper())
        if match is None:
            raise ValueError(f"max_shard_size: expected bytes as an int or a string like '5GB', '500MB' or '2GiB', "
                             f"got {size!r}")
        value = int(float(match.group(1)) * _UNITS[match.group(2) or ""])
    if value <= 0:
        raise ValueError(f"max_shard_size must be positive, got {size!r}")
    return value


def split_shards(sizes: dict, max_bytes: int) -> list:
    """[[names of shard 1], ...]: greedy in order; a tensor over the limit alone in its own shard, appended when met."""
    shards, current, used = [], [], 0
    for name, nbytes in sizes.items():
        if nbytes > max_bytes:
            shards.append([name])
            continue
        if current and used + nbytes > max_bytes:
            shards.append(current)
            current, used = [], 0
        current.append(name)
        used += nbytes
    return shards + [current] if current or not shards else shards


def save_sharded(tensors: dict, directory, max_shard_size="50GB", metadata: dict | None = None,
                 dtype: str | None = None) -> list:
    """Write tensors into `directory` as model.safetensors, or as shards + index when they exceed max_shard_size;
    remove the files of an earlier save that the new one does not use (a stale model.safetensors would win over
    the new index when loading). Returns the paths written."""
    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    arrays = {name: to_numpy(value) for name, value in tensors.items()}
    itemsize = {"F16": 2, "BF16": 2, "F32": 4, "F64": 8}  # the bytes a float takes once cast to `dtype`
    if dtype is not None and dtype not in itemsize:
        raise ValueError(f"save_sharded: dtype must be None, 'F64', 'F32', 'F16' or 'BF16', got {dtype!r}")
    sizes = {name: a.size * (itemsize[dtype] if dtype and a.dtype.kind == "f" else a.dtype.itemsize)
             for name, a in arrays.items()}
    groups = split_shards(sizes, parse_size(max_shard_size))
    if len(groups) == 1:
        files = {"model.safetensors": groups[0]}
    else:
        files = {f"model-{i:05d}-of-{len(groups):05d}.safetensors": g for i, g in enumerate(groups, 1)}
    written = []
    for filename, names in files.items():
        save_file({n: arrays[n] for n in names}, os.path.join(directory, filename), metadata=metadata, dtype=dtype)
        written.append(os.path.join(directory, filename))
    if len(files) > 1:
        index = {"metadata": {"total_size": int(sum(sizes.values())),
                              "total_parameters": int(sum(a.size for a in arrays.values()))},
                 "weight_map": {n: f for f, names in files.items() for n in sorted(names)}}
        index["weight_map"] = dict(sorted(index["weight_map"].items()))
        written.append(os.path.join(directory, INDEX_NAME))
        atomic_write_text(written[-1], json.dumps(index, indent=2) + "\n")
    for name in os.listdir(directory):  # only our own file names: nothing else in the directory is touched
        path = os.path.join(directory, name)
        if (name in ("model.safetensors", INDEX_NAME) or _SHARD_RE.fullmatch(name)) and path not in written:
            os.remove(path)
    return written
