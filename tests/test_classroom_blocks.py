"""The marker parser and splicer the classroom tools stand on."""
import pytest

from minitransformer.classroom.blocks import MarkerError, find_blocks, replace_bodies, stub_lines

SOURCE = '''def softmax(x):
    """y = exp(x) / sum exp(x)"""
    # BEGIN SOLUTION t2.1 softmax forward
    e = exp(x)
    return e / e.sum()
    # END SOLUTION
'''


def test_find_blocks_reads_id_title_lines_and_indent():
    (block,) = find_blocks(SOURCE, "f.py")
    assert (block.id, block.title, block.begin, block.end, block.indent) == ("t2.1", "softmax forward", 2, 5, "    ")
    assert block.body(SOURCE.splitlines()) == ["    e = exp(x)", "    return e / e.sum()"]


@pytest.mark.parametrize("text, problem", [
    ("# BEGIN SOLUTION t1.1 a\nx = 1\n", "has no END SOLUTION"),
    ("x = 1\n# END SOLUTION\n", "without a BEGIN"),
    ("# BEGIN SOLUTION t1.1 a\n# BEGIN SOLUTION t1.2 b\n# END SOLUTION\n# END SOLUTION\n", "cannot nest"),
])
def test_unbalanced_markers_name_file_and_line(text, problem):
    with pytest.raises(MarkerError, match=problem) as info:
        find_blocks(text, "f.py")
    assert "f.py:" in str(info.value)


def test_stub_keeps_signature_docstring_and_markers_and_compiles():
    (block,) = find_blocks(SOURCE, "f.py")
    stubbed = replace_bodies(SOURCE, {"t2.1": stub_lines(block, "lessons/02_attention.py")})
    assert stubbed.splitlines()[:3] == SOURCE.splitlines()[:3] and "# END SOLUTION" in stubbed
    assert "e / e.sum()" not in stubbed
    namespace = {}
    exec(compile(stubbed, "f.py", "exec"), namespace)
    with pytest.raises(NotImplementedError, match="t2.1: softmax forward — see lessons/02_attention.py"):
        namespace["softmax"](1.0)


def test_splicing_a_body_back_restores_the_source():
    (block,) = find_blocks(SOURCE, "f.py")
    stubbed = replace_bodies(SOURCE, {"t2.1": stub_lines(block, "x")})
    assert replace_bodies(stubbed, {"t2.1": block.body(SOURCE.splitlines())}) == SOURCE
