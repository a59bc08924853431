"""Character spans of tokens in the original text (for NER): align basic tokens back to the characters they came from.

The exact tokens come from the normal path; here each original character is normalised on its own (lower-casing is
per character there too), remembering where it came from. When that per-character view spells the same basic token
(almost always), every WordPiece piece gets its exact span; when NFC joined characters, the token's pieces all get
the whole token's span; if even the token count differs, the whole separator-free word's span.
"""
from .basic import is_cjk, is_control, is_punctuation, is_whitespace, strip_accents


def char_aligned_tokens(word, basic):
    """[(token, [original index of each token character])] from normalising ``word`` one character at a time."""
    tokens, chars, index = [], [], []

    def flush():
        if chars:
            tokens.append(("".join(chars), list(index)))
            chars.clear()
            index.clear()

    for i, ch in enumerate(word):
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or is_control(ch):
            continue
        if is_whitespace(ch):
            flush()
            continue
        if basic.tokenize_chinese_chars and is_cjk(cp):
            flush()
            tokens.append((ch, [i]))
            continue
        if basic.do_lower_case:
            ch = ch.lower()
            if basic.strip_accents is not False:
                ch = strip_accents(ch)
        elif basic.strip_accents:
            ch = strip_accents(ch)
        for c in ch:
            if is_punctuation(c):
                flush()
                tokens.append((c, [i]))
            else:
                chars.append(c)
                index.append(i)
    flush()
    return tokens


def word_piece_spans(word, basic, tokens, pieces_per_token, unk_token="[UNK]"):
    """Spans (relative to ``word``) of the WordPiece pieces of ``word``'s exact basic ``tokens``, in order."""
    aligned = char_aligned_tokens(word, basic)
    if len(aligned) != len(tokens):
        return [(0, len(word))] * sum(len(p) for p in pieces_per_token)
    spans = []
    for token, (spelled, index), pieces in zip(tokens, aligned, pieces_per_token):
        whole = (index[0], index[-1] + 1)
        if spelled != token or pieces == [unk_token]:
            spans += [whole] * len(pieces)
            continue
        pos = 0
        for piece in pieces:
            n = len(piece) - 2 if pos > 0 else len(piece)  # a continuation piece is '##' + its characters
            spans.append((index[pos], index[pos + n - 1] + 1))
            pos += n
    return spans
