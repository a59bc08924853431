"""Checkpoints as .npz with a JSON meta record, written atomically; NumPy only, no tensor-stack import.

Atomic means: the bytes go to a temporary file in the destination's directory, are flushed to disk, and only
then `os.replace` renames it over the destination. A crash or an exception half-way leaves the previous file
untouched (rename within one directory is atomic on POSIX and Windows), never a truncated checkpoint.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zipfile

import numpy as np

META_KEY = "__meta__"  # reserved .npz entry: the meta dict as UTF-8 JSON bytes in a uint8 array


@contextlib.contextmanager
def atomic_open(path, mode="wb", encoding=None):
    """Yield a file object on a temp file next to `path`; on success fsync + os.replace onto `path`."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    # Same directory as the target: os.replace is only atomic within one filesystem.
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would have: the old file's
        # when replacing one, else what the umask allows (so a run directory stays readable to its group)
        os.chmod(tmp, os.stat(path).st_mode & 0o7777 if os.path.exists(path) else 0o666 & ~_umask())
        with os.fdopen(fd, mode, encoding=encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def _umask():
    """The process umask (reading it means setting it; it is put back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path, data: bytes) -> None:
    """Write `data` to `path` so readers see either the old file or the complete new one."""
    with atomic_open(path, "wb") as f:
        f.write(data)


def atomic_write_text(path, text: str, encoding: str = "utf-8") -> None:
    """Write `text` to `path` atomically (see atomic_write_bytes)."""
    with atomic_open(path, "w", encoding=encoding) as f:
        f.write(text)


def to_numpy(x) -> np.ndarray:
    """Host NumPy array from an ndarray, a CuPy array (.get()), a Tensor-like (.numpy()) or anything array-like."""
    if isinstance(x, np.ndarray):
        return x
    # Duck-typed so neither cupy nor torch nor our tensor stack is imported here.
    if type(x).__module__.split(".")[0] == "cupy" and hasattr(x, "get"):
        return np.asarray(x.get())
    if hasattr(x, "numpy") and callable(x.numpy):
        if hasattr(x, "detach") and callable(x.detach):  # torch refuses .numpy() on tensors needing grad
            x = x.detach()
        if hasattr(x, "cpu") and callable(x.cpu) and type(x).__module__.split(".")[0] == "torch":
            x = x.cpu()
        return to_numpy(x.numpy())
    return np.asarray(x)


def _json_default(obj):
    # Training code naturally puts np.float32 losses and small arrays into meta; store them as plain JSON.
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"object of type {type(obj).__name__} is not JSON serializable")


def save_npz(path, arrays: dict, meta: dict | None = None, compress: bool = False) -> None:
    """Write `arrays` (+ `meta` as JSON under the reserved key '__meta__') to exactly `path`, atomically."""
    path = os.fspath(path)
    payload = {}
    for name, value in arrays.items():
        if not isinstance(name, str):
            raise TypeError(f"save_npz({path!r}): array names must be str, got {name!r}")
        if name == META_KEY:
            raise ValueError(f"save_npz({path!r}): the name {META_KEY!r} is reserved for the meta record")
        arr = to_numpy(value)
        if arr.dtype == object:
            raise TypeError(f"save_npz({path!r}): array {name!r} has dtype object; "
                            "only numeric/bool arrays can be stored without pickle")
        payload[name] = arr
    if meta is not None:
        try:
            text = json.dumps(meta, default=_json_default, ensure_ascii=False)
        except (TypeError, ValueError) as e:
            raise TypeError(f"save_npz({path!r}): meta is not JSON serializable: {e}") from None
        payload[META_KEY] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    writer = np.savez_compressed if compress else np.savez
    # A file object (not a name) so NumPy writes exactly there and does not append ".npz".
    with atomic_open(path, "wb") as f:
        writer(f, **payload)


def load_npz(path) -> tuple[dict, dict | None]:
    """Read a file written by save_npz: (arrays, meta); meta is None when none was stored."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load_npz: checkpoint {path!r} does not exist")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single .npy array, expected an .npz archive")
        with data:
            arrays = {name: data[name] for name in data.files}  # eager: the file is closed on return
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as e:
        raise ValueError(f"load_npz: {path!r} is not a readable .npz checkpoint "
                         f"(truncated or corrupt?): {e}") from None
    meta = None
    if META_KEY in arrays:
        raw = arrays.pop(META_KEY)
        try:
            meta = json.loads(raw.astype(np.uint8).tobytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"load_npz: {path!r}: the {META_KEY!r} record is not valid UTF-8 JSON: {e}") from None
    return arrays, meta
