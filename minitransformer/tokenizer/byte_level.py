"""GPT-2's byte level: every byte gets a printable character, and text is cut into pieces before BPE.

Why bytes: a vocabulary of the 256 byte values can spell any text in any script (UTF-8 bytes), so nothing is ever
unknown. Why printable stand-ins (`bytes_to_unicode`): the merges are stored as text (merges.txt), and a space or a
control byte would be invisible or break the file; printable bytes stand for themselves and the rest are shifted
to code points 256 and up ('Ġ' is the space, 'Ċ' the newline).

Pre-tokenisation (Radford et al. 2019, OpenAI's encoder.py) splits text so merges never cross a word boundary:

    's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+

contractions, then a run of letters, of numbers or of other symbols each with at most one leading space, then
runs of whitespace (all but the last space of a run before a word, which that word takes). Python's `re` has no
\\p{L} or \\p{N}, and its \\s also matches \\x1c-\\x1f, which Unicode's White_Space (what the `regex` package and
the Rust tokenizers mean by \\s) does not; so the classes are spelled out from `unicodedata`: letters are the
general categories L*, numbers N*, whitespace the White_Space property. Same matches as GPT-2's regex on every
string whose characters the running Python's Unicode version knows (tests compare against the `regex` package).
"""
import functools
import re
import unicodedata

# The White_Space property (Unicode PropList.txt, unchanged since Unicode 6.3)
WHITE_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
              "\u2028\u2029\u202f\u205f\u3000"


@functools.lru_cache(maxsize=1)
def bytes_to_unicode():
    """{byte: character}: the 188 printable Latin-1 bytes map to themselves, the other 68 to chr(256 + n) in
    byte order (OpenAI's GPT-2 table, which every GPT-2 vocab.json is written in)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) \
        + list(range(ord("®"), ord("ÿ") + 1))
    table, shift = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + shift)  # the unprintable bytes, in order: 0 -> 'Ā', ..., 32 (space) -> 'Ġ'
            shift += 1
    return table


@functools.lru_cache(maxsize=1)
def unicode_to_bytes():
    """The inverse table, {character: byte}."""
    return {c: b for b, c in bytes_to_unicode().items()}


# Letters and numbers live in planes 0-3 (up to CJK extension H in plane 3) and nowhere in planes 4-16, which hold
# only tags, variation selectors, private use and unassigned code points: scanning the first four keeps the
# one-time class building to ~0.1 s.
SCANNED = range(0x40000)


def unicode_classes():
    """(letters, numbers): regex character-class bodies ('\\U00000041-\\U0000005a...') of the code points in the
    general categories L* and N*."""
    ranges = {"L": [], "N": []}
    run_kind, run_start = None, 0
    for cp in [*SCANNED, SCANNED.stop]:
        kind = unicodedata.category(chr(cp))[0] if cp < SCANNED.stop else None
        kind = kind if kind in ranges else None
        if kind != run_kind:
            if run_kind is not None:
                ranges[run_kind].append((run_start, cp - 1))
            run_kind, run_start = kind, cp
    return tuple("".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges[k])
                 for k in "LN")


@functools.lru_cache(maxsize=1)
def gpt2_pattern():
    """GPT-2's pre-tokenisation regex, compiled for Python's `re` with the Unicode classes spelled out."""
    letters, numbers = unicode_classes()  # \p{L}: Lu Ll Lt Lm Lo;  \p{N}: Nd Nl No
    space = "".join(f"\\U{ord(ch):08x}" for ch in WHITE_SPACE)  # \s
    L, N, S, not_S = f"[{letters}]", f"[{numbers}]", f"[{space}]", f"[^{space}]"
    other = f"[^{space}{letters}{numbers}]"  # [^\s\p{L}\p{N}]
    return re.compile(rf"'s|'t|'re|'ve|'m|'ll|'d| ?{L}+| ?{N}+| ?{other}+|{S}+(?!{not_S})|{S}+")


def pretokenize(text):
    """GPT-2's pieces of text, in order; they concatenate back to text exactly."""
    return gpt2_pattern().findall(text)


def to_byte_symbols(piece):
    """A piece of text -> its UTF-8 bytes as byte-level characters ('Ġhello' for ' hello'). Lone surrogates
    (from bytes that were not UTF-8, decoded with errors='surrogateescape') go back to those bytes."""
    table = bytes_to_unicode()
    return "".join(table[b] for b in piece.encode("utf-8", "surrogateescape"))


def from_byte_symbols(symbols):
    """Byte-level characters -> the bytes they stand for (the inverse of to_byte_symbols)."""
    table = unicode_to_bytes()
    try:
        return bytes(table[c] for c in symbols)
    except KeyError as e:
        raise ValueError(f"{symbols!r} is not made of byte-level characters ({e.args[0]!r} is not one of the 256 "
                         "of bytes_to_unicode())") from None
