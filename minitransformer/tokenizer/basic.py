"""BERT's basic tokenizer, exactly as Hugging Face's slow BertTokenizer: lower, clean, CJK, NFC, accents, punctuation.

The rules (REFERENCE.md, transformers 4.x ``tokenization_bert.py``) are written out once, per character, in
``hf_basic_tokenize``. ``BasicTokenizer.tokenize`` gives the same tokens faster: it first cuts the text at
*separators* (characters that end a word both for Hugging Face and for ``str.split``), which is safe because no
rule looks across a separator, then runs the exact rules on each piece once and caches the result.
"""
import re
import unicodedata

# Characters Hugging Face keeps as word breaks: its whitespace (space, \t \n \r, category Zs) plus U+2028/U+2029,
# which its final ``str.split()`` also breaks on. (\x0b \x0c \x1c-\x1f \x85 look like whitespace to Python but are
# control characters that Hugging Face deletes, joining their neighbours.) tests check this list against Unicode.
SEPARATORS = " \t\n\r\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
SEPARATOR_RE = re.compile(f"[{SEPARATORS}]+")
WORD_RE = re.compile(f"[^{SEPARATORS}]+")
# When a text has none of these, plain str.split() (fast, in C) cuts exactly at the separators above.
SPLIT_MISMATCH_RE = re.compile("[\x0b\x0c\x1c-\x1f\x85]")

# Printable ASCII that is not a letter or digit is punctuation to BERT (33-47, 58-64, 91-96, 123-126).
_ASCII_WORD_RE = re.compile(r"[A-Za-z0-9]+|[^A-Za-z0-9]")
_ASCII_CONTROLS = {c: None for c in [*range(0, 9), 11, 12, *range(14, 32), 127]}
_CJK_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
               (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))


def is_whitespace(ch):
    """Space, \\t, \\n, \\r and category Zs are whitespace (mapped to a plain space)."""
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def is_control(ch):
    """Every category C* character (Cc Cf Cn Co Cs) is dropped, except \\t \\n \\r which are whitespace."""
    return ch not in "\t\n\r" and unicodedata.category(ch).startswith("C")


def is_punctuation(ch):
    """ASCII 33-47, 58-64, 91-96, 123-126 (so `$ + ^` count) and every category P* character."""
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_cjk(cp):
    """CJK Unified Ideographs and their extensions; Hangul, Hiragana and Katakana are not included."""
    return any(lo <= cp <= hi for lo, hi in _CJK_RANGES)


def lower_case(text):
    """Each character lower-cased on its own, as BERT does: 'ΟΔΟΣ' -> 'οδοσ', 'İ' -> 'i̇' (i + U+0307), 'ẞ' -> 'ß'.

    Hugging Face's slow BertTokenizer lower-cases the text one character at a time before its basic tokenizer
    runs, and the Rust normalizer maps each char alone. str.lower() on a whole word applies Unicode's one context
    rule (Final_Sigma: a word-final 'Σ' becomes 'ς', a different vocabulary entry), which BERT never does.
    """
    return "".join([ch.lower() for ch in text])


def strip_accents(text):
    """NFD-decompose, then drop every combining mark (category Mn): 'café' -> 'cafe'."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def split_on_punctuation(token):
    """Every punctuation character becomes its own token; runs of other characters stay together."""
    out, word = [], []
    for ch in token:
        if is_punctuation(ch):
            if word:
                out.append("".join(word))
                word = []
            out.append(ch)
        else:
            word.append(ch)
    if word:
        out.append("".join(word))
    return out


def clean_text(text, tokenize_chinese_chars=True):
    """Drop NUL, U+FFFD and control characters, map whitespace to ' ', put spaces around CJK ideographs."""
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or is_control(ch):
            continue
        if is_whitespace(ch):
            out.append(" ")
        elif tokenize_chinese_chars and is_cjk(cp):
            out.append(f" {ch} ")
        else:
            out.append(ch)
    return "".join(out)


def hf_basic_tokenize(text, do_lower_case=True, strip_accents_=None, tokenize_chinese_chars=True,
                      never_split=()):
    """The reference rules, in Hugging Face's order, one character at a time (slow; the oracle for the fast path)."""
    if do_lower_case:
        # first, as BertTokenizer.tokenize does (special tokens are cut out before this), so never_split then
        # compares lower-cased words; HF's basic tokenizer lower-cases again later, a no-op on lower-case text
        text = lower_case(text)
    text = unicodedata.normalize("NFC", clean_text(text, tokenize_chinese_chars))
    tokens = []
    for token in text.split():
        if token not in never_split:
            if do_lower_case:
                if strip_accents_ is not False:
                    token = strip_accents(token)
            elif strip_accents_:
                token = strip_accents(token)
            # HF asks again after lower-casing: 'E-MAIL' -> 'e-mail' stays whole when never_split holds 'e-mail'
            tokens.extend([token] if token in never_split else split_on_punctuation(token))
        else:
            tokens.append(token)
    return " ".join(tokens).split()  # a token may have become empty (a lone accent): drop it, as HF does


class BasicTokenizer:
    """Text -> list of basic tokens (words and single punctuation marks), as Hugging Face's BertTokenizer makes them.

    Lower-casing is per character, as BertTokenizer and the Rust tokenizer do it (HF's BasicTokenizer class, called
    on its own, lower-cases whole words and so writes a word-final 'Σ' as 'ς'; BertTokenizer never reaches that).
    """

    def __init__(self, do_lower_case=True, strip_accents=None, tokenize_chinese_chars=True, never_split=None,
                 cache_size=500_000):
        self.do_lower_case = do_lower_case
        self.strip_accents = strip_accents
        self.tokenize_chinese_chars = tokenize_chinese_chars
        self.never_split = frozenset(never_split or ())
        self.cache_size = cache_size
        self._cache = {}

    def __repr__(self):
        return (f"BasicTokenizer(do_lower_case={self.do_lower_case}, strip_accents={self.strip_accents}, "
                f"tokenize_chinese_chars={self.tokenize_chinese_chars})")

    def tokenize(self, text):
        """Basic tokens of ``text``; any str works, however odd its characters."""
        if not isinstance(text, str):
            raise TypeError(f"BasicTokenizer.tokenize expects a str, got {type(text).__name__}")
        out = []
        for word in split_words(text):
            out += self.tokenize_word(word)
        return out

    def tokenize_word(self, word):
        """Basic tokens of one separator-free piece of text, cached: real text repeats its words constantly."""
        tokens = self._cache.get(word)
        if tokens is None:
            tokens = self._tokenize_word_uncached(word)
            if len(self._cache) >= self.cache_size:
                self._cache.clear()  # crude but bounded; a real corpus refills the hot words at once
            self._cache[word] = tokens
        return tokens

    def _tokenize_word_uncached(self, word):
        if word.isascii() and not self.never_split:
            # ASCII needs none of NFC, accents or CJK: drop controls, lower, split letters/digits from punctuation
            word = word.translate(_ASCII_CONTROLS)
            if self.do_lower_case:
                word = word.lower()
            return tuple(_ASCII_WORD_RE.findall(word))
        return tuple(hf_basic_tokenize(word, self.do_lower_case, self.strip_accents, self.tokenize_chinese_chars,
                                       self.never_split))


def split_words(text):
    """Cut text at separators (see SEPARATORS): str.split() when it agrees, a regex when the text has odd controls."""
    if SPLIT_MISMATCH_RE.search(text) is None:
        return text.split()
    return WORD_RE.findall(text)
