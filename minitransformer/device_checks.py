"""Input checks that never make a GPU wait: token ids and labels in range, attention masks of 0s and 1s.

A check reads a value computed from the data (the smallest and largest id, whether any label is out of range).
On data in host memory (NumPy arrays, lists: what a DataLoader yields, before the model moves it to the device)
that read is free, and `require` raises at once, before anything changes. On data already on a GPU the read
would make Python wait for every kernel queued before it, once per check, several times per training step; so
there the values stay on the device and the check is queued. `flush()` reads every queued check in one transfer
and raises the first failure, with the message the immediate check would have given. The training loop flushes
at its logging intervals and at the end of each epoch (training.py), evaluation at its end, and a queue that
reaches MAX_PENDING checks flushes itself. Until then the GPU computes with the bad values as CuPy does
(an out-of-range index wraps around): the error comes late, but it comes.
"""
from . import backend

MAX_PENDING = 64
_pending = []  # (evidence: tuple of 0-d device arrays, verdict: function(*numbers) -> exception or None)


def _on_host(value):
    return backend.device_of(value) == "cpu" if hasattr(value, "dtype") else True


def require(evidence, verdict):
    """Check `verdict(*values)` (an exception to raise, or None) on the values of `evidence`, a tuple of 0-d arrays
    (or numbers): now when they are in host memory, at the next flush() when they are on a device."""
    if all(_on_host(e) for e in evidence):
        error = verdict(*(e.item() if hasattr(e, "item") else e for e in evidence))
        if error is not None:
            raise error
        return
    _pending.append((evidence, verdict))
    if len(_pending) >= MAX_PENDING:
        flush()


def pending():
    """How many device checks wait for the next flush()."""
    return len(_pending)


def flush():
    """Read every queued check in one transfer per device and raise the first failure (the queue is emptied
    either way)."""
    if not _pending:
        return
    queued = list(_pending)
    del _pending[:]
    by_device = {}
    for evidence, _ in queued:
        for e in evidence:
            if not _on_host(e):
                by_device.setdefault(backend.device_of(e), []).append(e)
    read = {}
    for device, arrays in by_device.items():
        xp = backend.array_module(arrays[0])
        values = backend.to_numpy(xp.stack([xp.asarray(a, dtype="float64") for a in arrays]))  # the one read
        read.update(zip(map(id, arrays), values.tolist()))
    for evidence, verdict in queued:
        error = verdict(*(read[id(e)] if not _on_host(e) else e for e in evidence))
        if error is not None:
            raise error
