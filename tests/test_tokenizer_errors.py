"""User mistakes get errors that say what was wrong and where; the tokenizer package stays off the tensor stack."""
import ast
import pathlib
import subprocess
import sys

import pytest

from minitransformer.tokenizer import WordPieceTokenizer, load_vocab

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
TOK = WordPieceTokenizer({t: i for i, t in enumerate(SPECIALS + ["a", "b", "##b"])})
REPO = pathlib.Path(__file__).resolve().parents[1]


def test_non_string_text_names_type_and_batch_position():
    with pytest.raises(TypeError, match=r"text\[2\] must be a str, got NoneType"):
        TOK(["a", "b", None])
    with pytest.raises(TypeError, match=r"text_pair\[0\] must be a str, got float"):
        TOK(["a"], [1.5])
    with pytest.raises(TypeError, match="text must be a str or a list of str, got int"):
        TOK(7)
    with pytest.raises(TypeError, match="text must be a str, got bytes"):
        TOK.tokenize(b"a")


def test_missing_and_malformed_vocab_files_name_path_and_line(tmp_path):
    with pytest.raises(FileNotFoundError, match="vocab file not found: .*nope.txt"):
        WordPieceTokenizer.from_vocab_file(tmp_path / "nope.txt")
    bad = tmp_path / "vocab.txt"
    bad.write_text("[PAD]\n[UNK]\n\n[CLS]\n")
    with pytest.raises(ValueError, match=r"vocab.txt:3: empty line"):
        load_vocab(bad)
    bad.write_text("[PAD]\n[UNK]\n[PAD]\n")
    with pytest.raises(ValueError, match=r"vocab.txt:3: duplicate token '\[PAD\]' \(first on line 1\)"):
        load_vocab(bad)
    bad.write_bytes(b"[PAD]\n\xff\xfe\n")
    with pytest.raises(ValueError, match=r"vocab.txt:2: not valid UTF-8"):
        load_vocab(bad)
    with pytest.raises(FileNotFoundError, match="no vocab.txt in"):
        WordPieceTokenizer.from_pretrained(tmp_path / "..")


def test_windows_line_ends_are_accepted(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_bytes(b"\r\n".join(t.encode() for t in SPECIALS + ["a"]) + b"\r\n")
    assert WordPieceTokenizer.from_vocab_file(path).encode("a") == [2, 5, 3]


def test_vocab_without_needed_special_tokens(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("[PAD]\n[UNK]\nhello\n")
    with pytest.raises(ValueError, match=r"lacks special tokens .*sep_token='\[SEP\]', cls_token='\[CLS\]'"):
        WordPieceTokenizer.from_vocab_file(path)


def test_max_length_smaller_than_the_special_tokens():
    with pytest.raises(ValueError, match="max_length=1 is smaller than the 2 special tokens"):
        TOK("a b", truncation=True, max_length=1)
    with pytest.raises(ValueError, match="max_length=2 is smaller than the 3 special tokens"):
        TOK("a", "b", truncation=True, max_length=2)
    with pytest.raises(ValueError, match="cannot truncate to max_length=4: 3 tokens must go"):
        TOK("a b a", "b", truncation="only_second", max_length=4)


def test_bad_options_and_ragged_arrays():
    with pytest.raises(ValueError, match="padding='yes' is not understood"):
        TOK("a", padding="yes")
    with pytest.raises(ValueError, match="return_tensors='pt' is not supported"):
        TOK("a", return_tensors="pt")
    with pytest.raises(ValueError, match="needs equal lengths .* pass padding=True"):
        TOK(["a", "a b"], return_tensors="np")
    with pytest.raises(ValueError, match="use batch_decode"):
        TOK.decode([[1, 2]])


def test_hf_defaults_for_max_length_and_single_text_shapes():
    assert TOK("a b a b", max_length=4)["input_ids"] == [2, 5, 6, 3]  # max_length alone truncates, as HF
    out = TOK("a", return_tensors="np")
    assert out.input_ids.shape == (1, 3) and out.attention_mask.tolist() == [[1, 1, 1]]
    assert TOK.convert_ids_to_tokens([5, 999]) == ["a", "[UNK]"]
    assert TOK.decode([2, 5, 7, 3], skip_special_tokens=True) == "ab"


def test_tokenizer_package_imports_only_stdlib_numpy_and_tqdm():
    allowed = set(sys.stdlib_module_names) | {"numpy", "tqdm"}
    for path in (REPO / "minitransformer" / "tokenizer").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [] if node.level else [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 300, f"{path.name} is over 300 lines"


def test_cli_tokenize_prints_tokens_and_ids(bert_dir):
    from minitransformer.cli import main
    proc = subprocess.run([sys.executable, "-m", "minitransformer", "tokenize", "--vocab", str(bert_dir),
                           "Hello, unaffable world!"], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["tokens: [CLS] hello , una ##ffa ##ble world ! [SEP]",
                                        "ids:    101 7592 1010 14477 20961 3468 2088 999 102"]
    assert main(["tokenize", "--vocab", str(bert_dir), "--no-lower-case", "--no-special-tokens", "Hello"]) == 0


def test_cli_user_mistakes_are_one_line_errors(tmp_path, capsys):
    from minitransformer.cli import main
    assert main(["tokenize", "--vocab", str(tmp_path / "missing.txt"), "hi"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --vocab ") and "missing.txt: not found" in err and err.count("\n") == 1
    (tmp_path / "vocab.txt").write_text("[PAD]\n\n")
    assert main(["tokenize", "--vocab", str(tmp_path / "vocab.txt"), "hi"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "vocab.txt:2: empty line" in err and err.count("\n") == 1
