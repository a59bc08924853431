"""Reference tier: the tokenizer against live Hugging Face code on text the fixtures do not hold (random Unicode,
every basic-tokenizer setting, never_split, the call options, offsets) and the vocabulary trainer against the
`tokenizers` library. Run with /opt/refvenv/bin/python -m pytest -m reference tests/test_tokenizer_hf.py."""
import itertools
import json
import pathlib
import random
import unicodedata
from collections import Counter

import pytest

from conftest import REPO
from minitransformer.data import shipped_path
from minitransformer.tokenizer import BasicTokenizer, WordPieceTokenizer

transformers = pytest.importorskip("transformers")
pytestmark = pytest.mark.reference


def slow_tokenizer_class():
    """The pure-Python BertTokenizer REFERENCE.md describes: transformers 5 renamed it, 4 calls it BertTokenizer."""
    try:
        from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy
        return BertTokenizerLegacy
    except ImportError:
        return transformers.BertTokenizer


# Characters chosen to hit every rule: controls and format characters, odd whitespace, accents and combining
# marks, CJK (and the Japanese/Korean scripts that are not CJK to BERT), ligatures, full-width forms, emoji.
POOL = [chr(c) for c in [*range(0, 0x250), *range(0x300, 0x370), *range(0x2000, 0x2070), *range(0x3000, 0x3100),
                         *range(0x4E00, 0x4E20), *range(0xFB00, 0xFB10), *range(0xFF00, 0xFF70), *range(0xAC00, 0xAC08),
                         0x1F600, 0x1F44D, 0x1F3FD, 0x20000, 0xE0001, 0x10FFFF, 0xFFFD, 0xD7FF, 0x0130, 0x03A3]]
TRICKY = ["Café déjà vu naïve", "北京欢迎你 東京", "안녕하세요 こんにちは カタカナ", "a\x00b\x01c\u200bd\ufeffe\u00adf",
          "x" * 150, "supercalifragilisticexpialidocious" * 3, "[CLS] hi [SEP] [MASK]x", "don't won't I'm",
          "tab\tnew\nline\r\x0bvt\x0cff\x1c\x85end", "ﬁne ﬂow Å Ω", "e\u0301 \u0301 \u0301\u0301", "$100 + 5% ^_^ ~`|",
          "\u2028line\u2029para\u00a0nbsp\u3000ideo", "", "   ", "ΣΑΣ σας İstanbul ß", "‘quotes’ “double” — dash"]


def random_texts(n, seed=0):
    rng = random.Random(seed)
    return TRICKY + ["".join(rng.choice(POOL) for _ in range(rng.randint(0, 25))) for _ in range(n)]


@pytest.fixture(scope="module")
def vocab_path(tmp_path_factory):
    from conftest import bert_reference_dir
    path = bert_reference_dir() / "vocab.txt"
    if not path.exists():
        pytest.skip(f"reference BERT vocab not found at {path}: run `bash .ci/fetch_reference`")
    return path


@pytest.mark.parametrize("settings", [{}, {"do_lower_case": False}, {"strip_accents": False},
                                      {"do_lower_case": False, "strip_accents": True},
                                      {"tokenize_chinese_chars": False}], ids=str)
def test_ids_equal_the_slow_hf_tokenizer_on_random_unicode(vocab_path, settings):
    ref = slow_tokenizer_class()(str(vocab_path), **settings)
    ours = WordPieceTokenizer.from_vocab_file(vocab_path, **settings)
    for text in random_texts(600 if settings else 2000):
        assert ours.encode(text) == ref.encode(text), repr(text)
        assert ours.tokenize(text) == ref.tokenize(text), repr(text)


def test_never_split_equals_the_slow_hf_tokenizer(vocab_path):
    never_split = ["[FOO]", "Café", "hello", "e-mail"]
    ref = slow_tokenizer_class()(str(vocab_path), never_split=never_split)
    ours = WordPieceTokenizer.from_vocab_file(vocab_path, never_split=never_split)
    for text in ["[FOO] bar", "Café café CAFÉ", "hello HELLO hello, there", "e-mail E-MAIL", "[MASK] [FOO]x"]:
        assert ours.tokenize(text) == ref.tokenize(text), repr(text)
        assert ours.encode(text) == ref.encode(text), repr(text)


SENTENCE_WORDS = "the movie was not good but acting superb unbelievably , . ! ? don't café 北京 xylophonist".split()


def sentences(rng, n):
    return [" ".join(rng.choice(SENTENCE_WORDS) for _ in range(rng.randint(0, 12))) for _ in range(n)]


def test_calls_with_pairs_padding_and_truncation_equal_the_slow_hf_tokenizer(vocab_path):
    ref = slow_tokenizer_class()(str(vocab_path), model_max_length=512)    # ours defaults to BERT's 512
    ours = WordPieceTokenizer.from_vocab_file(vocab_path)
    rng = random.Random(1)
    options = itertools.product([False, True, "longest", "max_length"],
                                [False, True, "longest_first", "only_first", "only_second"], [None, 5, 8, 12, 20],
                                [False, True])
    checked = 0
    for padding, truncation, max_length, pair in options:
        a, b = sentences(rng, 3), sentences(rng, 3)
        args = (a, b) if pair else (a,)
        kwargs = dict(padding=padding, truncation=truncation, max_length=max_length)
        try:
            mine = dict(ours(*args, **kwargs))
        except ValueError as e:
            # only_first / only_second that cannot make room: HF logs an error and returns the ids uncut, we raise
            assert "cannot truncate" in str(e) and truncation in ("only_first", "only_second")
            continue
        expected = dict(ref(*args, return_token_type_ids=True, **kwargs))
        assert mine == expected, (kwargs, pair)
        checked += 1
    assert checked > 120


def test_offsets_equal_the_rust_hf_tokenizer_where_its_ids_agree(vocab_path):
    # The Rust tokenizer differs from the slow one on some Unicode (final sigma; it keeps unassigned code points,
    # which the slow one deletes, and may still give the same [UNK]), and where NFD reorders combining marks its
    # alignments follow the reordered string (ours: each original character): those texts are left out. On the
    # rest, where both give the same ids, the character spans must match.
    fast = transformers.BertTokenizerFast.from_pretrained(str(vocab_path.parent))   # vocab_file= is gone in v5
    ours = WordPieceTokenizer.from_vocab_file(vocab_path)
    rng = random.Random(2)
    texts = random_texts(400, seed=3) + [" ".join(s.split()[:8]) + "  Héllo,wörld!" for s in sentences(rng, 50)]
    compared = 0
    for text in texts:
        if any(unicodedata.category(ch) == "Cn" for ch in text) or \
                unicodedata.normalize("NFD", text) != "".join(unicodedata.normalize("NFD", ch) for ch in text):
            continue
        ref = fast(text, return_offsets_mapping=True)
        mine = ours(text, return_offsets_mapping=True)
        if ref["input_ids"] != mine["input_ids"]:
            continue
        assert [tuple(s) for s in mine["offset_mapping"]] == [tuple(s) for s in ref["offset_mapping"]], repr(text)
        compared += 1
    assert compared > 250


def first_open_tie(texts, merges):
    """The first step of a plain replay of `merges` where the tokenizers library might pick another pair.

    It breaks ties by the smaller (left id, right id); its ids for '##x' characters follow hash-map order (ours:
    code point order), and so do those of tokens merged inside a group of equal counts. A tie is open when the
    tied pairs share a token (taking one changes the other's count) and their order rests on such ids.
    """
    counts = Counter(m[3] for m in merges)
    unsure = {new for left, right, new, count, _ in merges if counts[count] > 1}

    def rests_on_unsure_ids(a, b):
        x, y = (a[0], b[0]) if a[0] != b[0] else (a[1], b[1])
        return all(t in unsure or (t.startswith("##") and len(t) == 3) for t in (x, y))

    basic = BasicTokenizer()
    words = Counter(token for text in texts for token in basic.tokenize(text))
    spelled = {w: [w[0]] + ["##" + c for c in w[1:]] for w in words}
    for step, (left, right, new, *_) in enumerate(merges):
        pairs = Counter()
        for w, seq in spelled.items():
            for pair in zip(seq, seq[1:]):
                pairs[pair] += words[w]
        best = max(pairs.values())
        tied = [p for p, c in pairs.items() if c == best]
        if any(set(a) & set(b) and rests_on_unsure_ids(a, b) for i, a in enumerate(tied) for b in tied[i + 1:]):
            return step
        for w, seq in spelled.items():
            i, out = 0, []
            while i < len(seq):
                if seq[i:i + 2] == [left, right]:
                    out.append(new)
                    i += 2
                else:
                    out.append(seq[i])
                    i += 1
            spelled[w] = out
    return len(merges)


def test_bpe_training_makes_the_merges_of_the_tokenizers_library():
    # tokenizers' BpeTrainer with a '##' prefix is what its WordPieceTrainer runs, and it names its merges. Its
    # ties go to ids in hash-map order, so runs of it differ from each other inside a group of equal counts, and
    # for good after an open tie (see first_open_tie). Up to there the merges must be the same, group by group.
    tokenizers = pytest.importorskip("tokenizers")
    lines = pathlib.Path(shipped_path("train")).read_text(encoding="utf-8").splitlines()
    texts = [line.split("\t")[0] for line in lines[1:]]
    texts = texts[:3000]
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    ref = tokenizers.Tokenizer(tokenizers.models.BPE(unk_token="[UNK]", continuing_subword_prefix="##"))
    ref.normalizer = tokenizers.normalizers.BertNormalizer(lowercase=True)
    ref.pre_tokenizer = tokenizers.pre_tokenizers.BertPreTokenizer()
    ref.train_from_iterator(texts, tokenizers.trainers.BpeTrainer(
        vocab_size=1000, min_frequency=2, limit_alphabet=1000, continuing_subword_prefix="##",
        special_tokens=specials, show_progress=False))
    ref_merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" "))
                  for m in json.loads(ref.to_str())["model"]["merges"]]
    ours = WordPieceTokenizer.train(texts, vocab_size=1000, min_frequency=2, limit_alphabet=1000)
    assert len(ours.merges) == len(ref_merges)
    stop = first_open_tie(texts, ours.merges[:150])
    assert stop >= 40, "too few forced merges to compare"
    merges, counts = [(left, right) for left, right, *_ in ours.merges], [m[3] for m in ours.merges]
    for k in [k for k in range(1, stop + 1) if counts[k] != counts[k - 1]]:
        assert set(merges[:k]) == set(ref_merges[:k]), f"merges made by the end of count level {counts[k - 1]}"


def load_fixture_script(name):
    """A tests/fixtures/make_*.py script as a module (its functions compute the stored reference values live)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "fixtures" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lower_casing_equals_hugging_face_on_every_code_point(vocab_path):
    """Every code point, just before a word-final 'Σ' and after a word-initial one: our lower-casing equals the slow
    BertTokenizer's own lower-casing step, character for character; and the Rust normalizer's, except on code
    points that this Python's Unicode tables leave unassigned (the slow tokenizer and we delete those as Cn)."""
    from minitransformer.tokenizer.basic import lower_case
    make = load_fixture_script("make_lowercase_cases")
    cps = [c for c in make.code_points() if c != 10]  # "\n" separates the cases
    words = [make.TEMPLATE.format(chr(c)) for c in cps]
    text = "\n".join(words)
    ours = lower_case(text)
    assert ours == make.slow_lowercase(slow_tokenizer_class()(str(vocab_path)))(text)
    rust = make.rust_lowercase()(text).split("\n")
    differ = [c for c, mine, theirs in zip(cps, ours.split("\n"), rust) if mine != theirs]
    assert all(unicodedata.category(chr(c)) == "Cn" for c in differ), [hex(c) for c in differ]
    assert len(differ) < 100 and len(rust) == len(words)


def test_the_lowercase_fixture_is_what_hugging_face_gives_now():
    stored = json.loads((REPO / "tests" / "fixtures" / "bert_uncased_lowercase_cases.json").read_text("utf-8"))
    live = load_fixture_script("make_lowercase_cases").reference_cases()
    if live["meta"]["unicodedata"] != stored["meta"]["unicodedata"]:
        pytest.skip("this Python's Unicode tables differ from those the fixture was made with")
    assert live["cases"] == stored["cases"]


def test_the_call_options_fixture_is_what_hugging_face_gives_now():
    stored = [json.loads(line) for line in
              (REPO / "tests" / "fixtures" / "bert_uncased_call_options.jsonl").read_text("utf-8").splitlines()]
    live = load_fixture_script("make_call_options").reference_lines()
    assert [{k: v for k, v in c.items() if k != "transformers"} for c in live] == \
        [{k: v for k, v in c.items() if k != "transformers"} for c in stored]


def plain(value):
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def same_as_fast(fast, ours, args, kwargs):
    """Both raise, or the same fields, word_ids and sequence_ids for every row. Where the fast tokenizer panics
    (a stride too large) or windows a pair under longest_first that cuts both sequences, we raise a ValueError;
    without return_overflowing_tokens we ignore the stride, as the slow tokenizer (the fast one panics)."""
    try:
        ref = fast(*args, **kwargs)
    except BaseException as e:  # the Rust panic is a BaseException
        ref = e
    try:
        mine = ours(*args, **kwargs)
    except ValueError as e:
        assert isinstance(ref, BaseException) or "would cut both sequences" in str(e), (args, kwargs, e)
        return False
    if isinstance(ref, BaseException):  # Rust checks the stride also when no overflow is asked for (and panics)
        assert "stride" in str(ref) and not kwargs.get("return_overflowing_tokens"), (args, kwargs, ref)
        return False
    assert {k: plain(v) for k, v in mine.items()} == {k: plain(v) for k, v in ref.items()}, (args, kwargs)
    rows = len(ref["input_ids"]) if isinstance(plain(ref["input_ids"])[0], list) else 1
    for i in range(rows):
        assert mine.word_ids(i) == ref.word_ids(i) and mine.sequence_ids(i) == ref.sequence_ids(i), (args, kwargs)
    return True


def known_difference(slow, fast, args, kwargs, single_pair):
    """A call where the slow and fast tokenizers differ and we follow the slow one (see the test below)."""
    truncation = kwargs.get("truncation")
    if truncation is None:
        truncation = kwargs.get("max_length") is not None and not kwargs.get("padding")
    if (len(args) == 1 and truncation == "only_second") or (single_pair and not args[1]):
        return True
    if len(args) == 2 and truncation in (True, "longest_first") and kwargs.get("max_length"):
        cut = dict(truncation=True, max_length=kwargs["max_length"],
                   add_special_tokens=kwargs.get("add_special_tokens", True),
                   is_split_into_words=kwargs.get("is_split_into_words", False))
        return slow(*args, **cut)["input_ids"] != fast(*args, **cut)["input_ids"]
    return False


def test_random_calls_with_every_option_equal_the_fast_tokenizer(vocab_path):
    """Random texts, pairs and batches with random options. Left out, each a known difference between the slow
    and fast tokenizers where we follow the slow one: a single text with truncation='only_second' (slow ignores
    it, fast raises), an empty single text_pair (fast drops it), and pairs whose longest_first cut differs between
    the two (slow: one token at a time from the longer, the second on a tie; fast: split the budget in halves)."""
    transformers.logging.set_verbosity_error()
    fast = transformers.BertTokenizerFast.from_pretrained(str(vocab_path.parent))
    slow = slow_tokenizer_class()(str(vocab_path))
    ours = WordPieceTokenizer.from_vocab_file(vocab_path)
    rng = random.Random(7)
    compared = 0
    for _ in range(700):
        pair, batch = rng.random() < 0.4, rng.random() < 0.7
        texts = lambda: [" ".join(sentences(rng, 2)) for _ in range(3)] if batch else " ".join(sentences(rng, 2))
        a, b = texts(), (texts() if pair else None)
        kwargs = dict(padding=rng.choice([False, True, "max_length"]), max_length=rng.choice([None, 6, 9, 12, 16]),
                      truncation=rng.choice([None, True, "only_first", "only_second", False]),
                      return_special_tokens_mask=rng.random() < .5, return_length=rng.random() < .5,
                      return_offsets_mapping=rng.random() < .5, return_overflowing_tokens=rng.random() < .5,
                      stride=rng.choice([0, 0, 1, 2]), pad_to_multiple_of=rng.choice([None, None, 8]),
                      add_special_tokens=rng.random() < .85, padding_side=rng.choice(["left", "right"]))
        side = rng.choice(["left", "right"])
        fast.truncation_side = slow.truncation_side = ours.truncation_side = side
        args = (a, b) if pair else (a,)
        if not known_difference(slow, fast, args, kwargs, pair and not batch):
            compared += same_as_fast(fast, ours, args, kwargs)
    assert compared > 400


def test_is_split_into_words_and_word_ids_equal_the_fast_tokenizer(vocab_path):
    transformers.logging.set_verbosity_error()
    fast = transformers.BertTokenizerFast.from_pretrained(str(vocab_path.parent))
    ours = WordPieceTokenizer.from_vocab_file(vocab_path)
    for text in random_texts(800, seed=5):  # word_ids of plain text, wherever the ids agree
        ref, mine = fast(text), ours(text)
        if ref["input_ids"] == mine["input_ids"]:
            assert mine.word_ids() == ref.word_ids(), repr(text)
    rng = random.Random(1)
    pool = "Hello world! New\u00a0York e-mail don't [MASK] café ΟΔΟΣ 北京 x".split(" ") + ["", " ", "a b", "\x00"]
    compared = 0
    for _ in range(500):
        batch, pair = rng.random() < .5, rng.random() < .3
        words = lambda: [rng.choice(pool) for _ in range(rng.randint(0, 8))]
        a = [words() for _ in range(3)] if batch else words()
        b = ([words() for _ in range(3)] if batch else words()) if pair else None
        kwargs = dict(is_split_into_words=True, return_offsets_mapping=rng.random() < .5,
                      padding=rng.choice([False, True]), truncation=rng.choice([None, "only_first"]),
                      max_length=rng.choice([None, 8, 12]), return_overflowing_tokens=rng.random() < .3,
                      stride=rng.choice([0, 1]))
        args = (a, b) if pair else (a,)
        if not known_difference(ours, fast, args, kwargs, pair and not batch):  # ours follows the slow cut
            compared += same_as_fast(fast, ours, args, kwargs)
    assert compared > 300
