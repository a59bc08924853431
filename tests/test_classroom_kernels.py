"""A student copy runs the reference kernels only: its fast kernels are left out, so a stubbed fused-op task
fails on a large input as on a small one (the first wave's blocked attention ran a (16, 4, 128, 32) input fine
with t2.5 stubbed), and no other code path in the copy holds the stubbed logic."""
import os
import subprocess
import sys

import pytest

from minitransformer.classroom import generate
from minitransformer.classroom.tree import list_files

SETUP = """
import numpy as np
import minitransformer as mt
import minitransformer.functional as F
from minitransformer.kernels.dispatch import fast_kernels
assert fast_kernels(np.ndarray) == {}, "the student copy has fast kernels"
rng = np.random.default_rng(0)
def leaf(*shape):
    return mt.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
"""

# task -> a call on an input far above every fast kernel's size threshold that needs the task's code
LARGE_CALLS = {
    "t2.1": "x = leaf(64, 128, 256); F.softmax(x).sum().backward()",
    "t2.2": "x = leaf(4096, 1000); F.cross_entropy(x, rng.integers(0, 1000, 4096)).backward()",
    "t2.3": "x = leaf(32, 128, 768); F.layer_norm(x, (768,)).sum().backward()",
    "t2.4": "x = leaf(32, 128, 1536); F.gelu(x).sum().backward()",
    "t2.5": "q = leaf(16, 4, 128, 32); F.scaled_dot_product_attention(q, q, q)",
    "t2.5 masked": "q = leaf(16, 4, 128, 32); F.scaled_dot_product_attention(q, q, q, "
                   "mask=F.padding_mask(np.arange(128)[None] < rng.integers(1, 129, (16, 1))))",
    "t4.1": "p = leaf(4096, 1024); opt = mt.optim.AdamW([p]); p.grad = leaf(4096, 1024); opt.step()",
}


def run_in(copy, code):
    env = dict(os.environ, PYTHONPATH=str(copy), PYTHONDONTWRITEBYTECODE="1")
    env.pop("MT_KERNELS", None)
    return subprocess.run([sys.executable, "-c", SETUP + code], cwd=copy, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("case", LARGE_CALLS)
def test_a_stubbed_fused_op_task_fails_on_a_large_input(tmp_path, case):
    task = case.split()[0]
    copy = tmp_path / "copy"
    generate(copy, [task])
    assert not any(path.startswith("minitransformer/kernels/") and path.count("/") > 2 for path in list_files(copy))
    result = run_in(copy, LARGE_CALLS[case])
    assert result.returncode != 0, f"{case}: the large call ran with {task} stubbed"
    assert f"NotImplementedError: {task}: " in result.stderr, result.stderr[-2000:]


def test_the_reference_copy_runs_the_same_calls(tmp_path):
    """The calls above are valid: in a copy with no task stubbed (fast kernels still left out) they all run."""
    copy = tmp_path / "copy"
    generate(copy, ["t5.2"])  # a tokenizer task: every fused op keeps its solution
    result = run_in(copy, "\n".join(LARGE_CALLS.values()) + "\nprint('ran')")
    assert result.returncode == 0 and "ran" in result.stdout, result.stderr[-2000:]
