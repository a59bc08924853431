"""Lesson 4 runs quickly, its shapes and claims hold, and it saves its two figures."""
import re

from conftest import run_lesson


def test_lesson_04_transformer_block_runs_and_its_claims_hold():
    out = run_lesson("04_transformer_block.py", figures=["04_residual_scale.png", "04_parameter_counts.png"])
    for step, shape in [("split_heads(q)", "(2, 4, 6, 4)"), ("scores = q kᵀ / sqrt(d_head)", "(2, 4, 6, 6)"),
                        ("merge_heads(context)", "(2, 6, 16)"), ("inner = GELU(h W1ᵀ + b1)", "(2, 6, 64)"),
                        ("y = LN2(h + inner W2ᵀ + b2)", "(2, 6, 16)")]:
        assert re.search(re.escape(step) + r"\s+" + re.escape(shape), out), f"{step} should print {shape}"
    walk = float(re.search(r"our walk vs layer\(x, mask\): max difference (\S+)", out).group(1))
    assert walk < 1e-6
    assert "padded keys' weights: 0.0" in out
    assert "variance: 1.000..1.000" in out
    post = re.search(r"post-LN: (\S+) after block 1, (\S+) after block 12", out)
    pre = re.search(r"pre-LN:  (\S+) after block 1, (\S+) after block 12", out)
    assert abs(float(post.group(2)) - 1) < 0.01 and float(pre.group(2)) > 1.2
    for part, count in [("attention", "1,088"), ("feed-fwd", "2,128"), ("one block", "3,280")]:
        assert re.search(rf"{part}.*= +{count} +\(module says {count}\)", out), part
    assert "908,802 parameters" in out
