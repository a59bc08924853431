"""Pieces back to words: WordPiece splits "unwatchable" into un ##watch ##able, a reader sees one word.

A word is a piece that does not start with "##" together with the "##" pieces after it (the words of Hugging Face's
`word_ids()`: punctuation is its own word); its characters in the text are the span from its first piece's start to
its last piece's end, read from the tokenizer's offsets (return_offsets_mapping=True). Special tokens ([CLS], [SEP],
[PAD]: offsets (0, 0)) belong to no word. Attributions add up within a word, as they are additive over inputs.
"""
import dataclasses
from typing import List, Tuple

import numpy as np


@dataclasses.dataclass
class Words:
    """The words of one text: their text, (start, end) character spans, and the pieces each one holds."""
    texts: List[str]
    spans: List[Tuple[int, int]]
    pieces: List[List[int]]  # indices into the piece sequence

    def __len__(self):
        return len(self.texts)

    def sum(self, values):
        """(W,) float64: values (T,) over the pieces added up per word."""
        values = np.asarray(values, dtype=np.float64)
        return np.array([values[p].sum() for p in self.pieces], dtype=np.float64)


def group_words(text, tokens, offsets):
    """Words of `text` from its pieces `tokens` (T,) and their character `offsets` (T, 2)."""
    if len(tokens) != len(offsets):
        raise ValueError(f"explain: {len(tokens)} tokens but {len(offsets)} offsets; they must pair up")
    texts, spans, pieces = [], [], []
    for i, (token, (start, end)) in enumerate(zip(tokens, offsets)):
        start, end = int(start), int(end)
        if start == end:  # a special token, no characters
            continue
        if token.startswith("##") and pieces and pieces[-1][-1] == i - 1:
            pieces[-1].append(i)
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            pieces.append([i])
            spans.append((start, end))
    texts = [text[s:e] for s, e in spans]
    return Words(texts, spans, pieces)


def without_words(text, spans):
    """`text` with the characters of each (start, end) span removed and the whitespace around them closed up."""
    out, pos = [], 0
    for start, end in sorted(spans):
        out.append(text[pos:start])
        pos = max(pos, end)
    out.append(text[pos:])
    return " ".join("".join(out).split())
