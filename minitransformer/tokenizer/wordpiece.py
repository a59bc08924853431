"""WordPiece: split one basic token into the longest vocabulary pieces, left to right, '##' marking continuations."""


def wordpiece_split(word, vocab, unk_token="[UNK]", max_input_chars_per_word=100, max_piece_chars=None):
    """Greedy longest-match-first pieces of ``word``; a word over the length limit or with an unmatched piece is [unk].

    ``max_piece_chars`` (the longest vocabulary entry) only saves time: no longer substring can match.
    """
    if len(word) > max_input_chars_per_word:
        return [unk_token]
    longest = max_piece_chars or len(word)
    pieces = []
    start = 0
    # BEGIN SOLUTION t5.1 wordpiece longest match
    while start < len(word):
        end = min(len(word), start + longest)
        piece = None
        while start < end:
            candidate = word[start:end] if start == 0 else "##" + word[start:end]
            if candidate in vocab:
                piece = candidate
                break
            end -= 1
        if piece is None:
            return [unk_token]  # one unmatched piece makes the whole word unknown
        pieces.append(piece)
        start = end
    # END SOLUTION
    return pieces
