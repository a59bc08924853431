"""The one dispatch point: which implementation of a kernel runs for the arrays at hand.

Every fused computation is written once as a reference kernel (plain array code through `xp`, in the modules of
this package) and marked `@kernel`. A backend may register a faster equivalent under the same name: the CPU's in
kernels/cpu (row blocks on a thread pool, blocked attention, a faster float32 erf), CUDA's in kernels/cuda. A call
runs the backend's version when there is one, else the reference. The fast ones call the reference on their blocks
(`softmax_forward.reference(block)`), so a formula is never written twice; tests/test_kernels_fast.py holds each
equal to its reference.

`MT_KERNELS=reference` in the environment, or `mt.use_reference_kernels()`, runs the reference everywhere.
A student copy of the repository has no fast kernels at all (the classroom generator leaves them out), so it
always runs the reference kernels: the code the student writes.
"""
import functools
import importlib
import importlib.util
import os

# The fast kernels of each backend, by the module that defines its array type. A backend missing here (or whose
# module is absent, as in a student copy) runs the reference kernels: so does the strict stand-in device.
BACKENDS = {"numpy": "minitransformer.kernels.cpu", "cupy": "minitransformer.kernels.cuda"}
MODES = ("auto", "reference")


def _mode_from_environment():
    mode = os.environ.get("MT_KERNELS", "auto").strip().lower() or "auto"
    if mode not in MODES:
        raise ValueError(f"MT_KERNELS={os.environ['MT_KERNELS']!r} is not a kernel mode: expected one of "
                         f"{', '.join(MODES)} (reference = the plain kernels everywhere)")
    return mode


_reference_only = _mode_from_environment() == "reference"
_tables = {}  # array type -> {kernel name: fast function}


def reference_only():
    """True while every kernel runs its reference implementation."""
    return _reference_only


class use_reference_kernels:
    """Run the reference kernels everywhere (enabled=True) or let backends use their fast ones (False).

    A switch, `mt.use_reference_kernels()`, that stays in force, and a context manager,
    `with mt.use_reference_kernels(): ...`, that restores the previous setting on exit."""

    def __init__(self, enabled=True):
        global _reference_only
        self.previous, _reference_only = _reference_only, bool(enabled)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global _reference_only
        _reference_only = self.previous
        return False


def fast_kernels(array_type):
    """{name: function} of the fast kernels registered for arrays of `array_type` (empty when none)."""
    table = _tables.get(array_type)
    if table is None:
        module = BACKENDS.get(array_type.__module__.split(".")[0])
        table = {}
        if module and importlib.util.find_spec(module) is not None:  # absent in a student copy
            table = importlib.import_module(module).KERNELS
        _tables[array_type] = table
    return table


def kernel(reference):
    """Mark `reference` as a kernel: calls go to the fast version registered for the first argument's array type
    (the first array's, when that argument is a list of arrays), if any (and unless the reference is forced).
    The plain function stays reachable as `.reference`."""
    name = reference.__name__

    @functools.wraps(reference)
    def call(*args, **kwargs):
        if not _reference_only:
            first = args[0][0] if isinstance(args[0], (list, tuple)) and args[0] else args[0]
            fast = fast_kernels(type(first)).get(name)
            if fast is not None:
                return fast(*args, **kwargs)
        return call.reference(*args, **kwargs)

    call.reference = reference
    return call
