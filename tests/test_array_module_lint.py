"""A lint that keeps device code free of NumPy calls on tensor data, so it keeps running on CuPy.

Why a lint and not a GPU run: CI has no GPU, and a bare `np.exp(x)` on a CuPy array either fails or silently
copies to the host, so the only way to catch it without a GPU is to read the source. The rule: in ops/,
the reference kernels (kernels/*.py), functional.py, optim/ and nn/module.py every use of the numpy module (`np.x`, `numpy.x`, `backend.np.x`,
`from numpy import x`) is an offence, except the allow-list below, each entry with its reason. Array math
takes its module from the data instead: `xp = backend.array_module(x); xp.exp(x)`.
(tests/test_nn_layers.py already bans NumPy outright from the other nn/ files; this covers the rest.)
"""
import ast
import pathlib

import pytest

import minitransformer

PACKAGE = pathlib.Path(minitransformer.__file__).parent
CHECKED = ["ops/*.py", "kernels/*.py", "functional.py", "optim/*.py", "nn/module.py"]  # not kernels/cpu: NumPy's own

# np.<name> that never touch array data, so they are right on either backend.
ALLOWED_ANYWHERE = {
    # dtype objects and type checks: compared with `x.dtype`, passed as dtype=, used in isinstance()
    "float16", "float32", "float64", "int32", "int64", "bool_", "dtype", "generic", "ndarray", "integer",
    "floating", "number",
    # shape arithmetic on tuples of ints (np.broadcast_shapes(a.shape, b.shape)), no arrays involved;
    # np.shape(v) returns v.shape when v has one (a CuPy array does), so it never converts the data
    "broadcast_shapes", "shape",
}
# np.<name> that are host-side array functions: fine only where the code has just established that the data
# lives on the host, i.e. inside a function that tests `<module> is np` / `is not np` (e.g. np.add.at, which
# CuPy spells cupyx.scatter_add, or np.empty for a CPU-only thread pool), or when the argument is an explicit
# host copy, `np.array(backend.to_numpy(x))` (state_dict and optimizer checkpoints hand out NumPy arrays).
HOST_ONLY = {"add", "empty", "array", "asarray", "zeros"}


def numpy_names(tree):
    """Names bound to the numpy module in this file (import numpy as np, import numpy)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.asname or alias.name for alias in node.names if alias.name == "numpy"}
    return names


def is_numpy(node, names):
    """`np` (a name bound to numpy) or `backend.np` (the NumPy that backend.py re-exports)."""
    return ((isinstance(node, ast.Name) and node.id in names)
            or (isinstance(node, ast.Attribute) and node.attr == "np"
                and isinstance(node.value, ast.Name) and node.value.id == "backend"))


def guarded_functions(tree, names):
    """Function nodes whose body compares something with `is np` / `is not np`: host-only branches."""
    guarded = set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if (isinstance(node, ast.Compare) and any(isinstance(o, (ast.Is, ast.IsNot)) for o in node.ops)
                        and any(is_numpy(c, names) for c in node.comparators)):
                    guarded.add(fn)
    return guarded


def is_host_copy(call):
    """np.array(backend.to_numpy(...), ...): an explicit transfer to the host."""
    return (isinstance(call, ast.Call) and call.args and isinstance(call.args[0], ast.Call)
            and isinstance(call.args[0].func, ast.Attribute) and call.args[0].func.attr == "to_numpy")


def offences(source, filename="<string>"):
    """(line, text) for every use of NumPy in `source` that is not on the allow-list."""
    tree = ast.parse(source, filename)
    names = numpy_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "numpy":
            found.append((node.lineno, f"from {node.module} import ..."))
    guarded = guarded_functions(tree, names)
    in_guarded = {id(n) for fn in guarded for n in ast.walk(fn)}
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and is_numpy(node.value, names)):
            continue
        if node.attr in ALLOWED_ANYWHERE:
            continue
        parent = parents.get(id(node))
        if node.attr in HOST_ONLY and (id(node) in in_guarded or is_host_copy(parent)):
            continue
        found.append((node.lineno, ast.unparse(parent if isinstance(parent, ast.Call) else node)[:80]))
    return sorted(found)


def checked_files():
    files = sorted({p for pattern in CHECKED for p in PACKAGE.glob(pattern)})
    assert len(files) >= 20, files  # the globs still find the code (a moved folder must not pass silently)
    return files


def test_device_code_calls_no_numpy_on_tensor_data():
    report = []
    for path in checked_files():
        for line, text in offences(path.read_text(encoding="utf-8"), str(path)):
            report.append(f"{path.relative_to(PACKAGE)}:{line}: {text}")
    assert report == [], ("NumPy used on array data in device code; take the module from the data "
                          "(xp = backend.array_module(x)) or extend the allow-list with a reason:\n"
                          + "\n".join(report))


# ---------------------------------------------------------------- the lint itself catches what it should

@pytest.mark.parametrize("source", [
    "import numpy as np\ndef f(x):\n    return np.exp(x)\n",
    "import numpy\ndef f(x):\n    return numpy.sum(x, axis=0)\n",
    "from .. import backend\ndef f(x):\n    return backend.np.zeros_like(x)\n",
    "from numpy import exp\n",
    "import numpy as np\ndef f(x):\n    np.add.at(x, [0], 1)\n",  # unguarded scatter
    "import numpy as np\ndef f(x):\n    return np.array(x)\n",  # not an explicit host copy
    "import numpy as np\ndef f(x):\n    return x.sum(out=np.empty(3))\n",
])
def test_lint_flags_numpy_on_data(source):
    assert offences(source) != []


@pytest.mark.parametrize("source", [
    "import numpy as np\ndef f(x):\n    return x.dtype == np.float64 or isinstance(x, np.ndarray)\n",
    "import numpy as np\ndef f(a, b):\n    return np.broadcast_shapes(a.shape, b.shape)\n",
    "from .. import backend\ndef f(t, i, v):\n    if backend.array_module(t) is backend.np:\n"
    "        backend.np.add.at(t, i, v)\n",
    "import numpy as np\ndef f(p):\n    return np.array(backend.to_numpy(p.data), copy=True)\n",
    "def f(x):\n    xp = backend.array_module(x)\n    return xp.exp(x)\n",
])
def test_lint_allows_dtypes_shapes_guarded_and_host_code(source):
    assert offences(source) == []
