"""Truncation as Hugging Face does it: what a too-long text (or pair) keeps, from which side, and the overflow windows.

Which tokens go follows the slow BertTokenizer (`longest_first` drops one token at a time from the longer sequence,
the second on a tie); the overflow windows (`return_overflowing_tokens` with `stride`) follow the fast tokenizer,
the only one that returns them as extra rows: each window repeats the last `stride` tokens of the one before.
"""
SIDES = ("right", "left")


class Segment:
    """One text's tokens: ids, their (start, end) character spans and the index of the word each came from (the
    basic tokenizer's words, or the caller's words with is_split_into_words); either is None when not asked for."""
    __slots__ = ("ids", "offsets", "words")

    def __init__(self, ids, offsets=None, words=None):
        self.ids, self.offsets, self.words = ids, offsets, words

    def __len__(self):
        return len(self.ids)

    def cut(self, start, stop):
        """Tokens start..stop-1."""
        offsets = None if self.offsets is None else self.offsets[start:stop]
        words = None if self.words is None else self.words[start:stop]
        return Segment(self.ids[start:stop], offsets, words)

    def keep(self, n, side):
        """The first n tokens when cutting from the right, the last n when cutting from the left."""
        return self.cut(0, n) if side == "right" else self.cut(len(self) - n, len(self))


def check_side(value, name):
    """'right' or 'left', or a ValueError naming the argument."""
    if value not in SIDES:
        raise ValueError(f"{name}={value!r} is not understood; use 'right' or 'left'")
    return value


def kept_lengths(la, lb, max_length, strategy, num_special):
    """(tokens kept of the first, of the second) so that they fit in max_length with num_special special tokens.

    longest_first drops one token at a time from the longer sequence (from the second on a tie), as the slow
    Hugging Face tokenizer; only_first / only_second take all from one. lb is None for a single sequence.
    """
    excess = la + (lb or 0) + num_special - max_length
    if excess <= 0:
        return la, lb
    if strategy == "longest_first" and lb is not None:
        # closed form of HF's one-at-a-time loop: first even the lengths out, then alternate, second first
        even = min(excess, abs(la - lb))
        la, lb = (la - even, lb) if la > lb else (la, lb - even)
        rest = excess - even
        return la - rest // 2, lb - (rest - rest // 2)
    if strategy == "only_second" and lb is None:
        return la, lb  # HF ignores only_second for a single sequence
    which, length = ("second", lb) if strategy == "only_second" else ("first", la)
    if length <= excess:
        raise ValueError(f"cannot truncate to max_length={max_length}: {excess} tokens must go but the {which} "
                         f"sequence has only {length} (and {num_special} special tokens are needed); use a larger "
                         f"max_length or truncation='longest_first'")
    return (la, lb - excess) if which == "second" else (la - excess, lb)


def truncate_pair(a, b, max_length, strategy, num_special, side="right"):
    """Segments a (and b) cut to fit in max_length, from the given side (see kept_lengths)."""
    la, lb = kept_lengths(len(a), None if b is None else len(b), max_length, strategy, num_special)
    return a.keep(la, side), (None if b is None else b.keep(lb, side))


def windows(segment, n, stride, side):
    """Windows of n tokens covering the segment, each repeating the last `stride` tokens of the one before: from
    the start when truncating from the right, from the end when from the left (the fast tokenizer's order)."""
    step, length, out = n - stride, len(segment), []
    if length <= n:
        return [segment]
    if side == "right":
        for start in range(0, length, step):
            out.append(segment.cut(start, min(start + n, length)))
            if start + n >= length:
                break
    else:
        for stop in range(length, 0, -step):
            out.append(segment.cut(max(0, stop - n), stop))
            if stop <= n:
                break
    return out


def overflowing_pairs(a, b, max_length, strategy, num_special, stride, side):
    """[(a, b), ...]: the truncated pair, then one more per overflow window (return_overflowing_tokens=True).

    Only one sequence is windowed: the text, or for a pair the one `only_first` / `only_second` names, or the
    longer one under `longest_first` when the shorter keeps all its tokens (question answering puts the question
    first and windows the context with only_second). A window must hold more than `stride` tokens.
    """
    budget = max_length - num_special
    if len(a) + (0 if b is None else len(b)) <= budget:
        return [(a, b)]
    if b is None or strategy == "only_first":
        which = "first"
    elif strategy == "only_second":
        which = "second"
    elif 2 * min(len(a), len(b)) <= budget:
        which = "first" if len(a) > len(b) else "second"
    else:
        raise ValueError(f"return_overflowing_tokens with truncation='longest_first' would cut both sequences of "
                         f"this pair ({len(a)} and {len(b)} tokens into {budget}); use truncation='only_second' or "
                         f"'only_first' to window one of them, or a larger max_length")
    target, other = (a, b) if which == "first" else (b, a)
    room = budget - (0 if other is None else len(other))
    if room <= stride:
        other_note = "" if other is None else f" and the other sequence's {len(other)}"
        raise ValueError(f"stride={stride} must be smaller than the {max(room, 0)} tokens of the {which} sequence "
                         f"that fit in each window (max_length={max_length} minus {num_special} special tokens"
                         f"{other_note}): use a smaller stride or a larger max_length")
    parts = windows(target, room, stride, side)
    return [(part, b) for part in parts] if which == "first" else [(a, part) for part in parts]
