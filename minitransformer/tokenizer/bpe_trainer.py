"""Learn byte-level BPE merges from text, as Hugging Face tokenizers' BpeTrainer does for ByteLevelBPETokenizer.

1. Count the pre-tokenised pieces of every text (byte_level.pretokenize), each spelled in byte-level characters.
2. The vocabulary starts with the special tokens, then the 256 byte characters (and any other character seen),
   sorted by code point.
3. Repeat until the vocabulary is full: take the most frequent adjacent pair (ties: the smaller pair of ids),
   stop if it occurs fewer than `min_frequency` times, add left + right as a new token, replace the pair in
   every word that has it, and update the pair counts from the words that changed.

The bookkeeping copies the library's so the same corpus gives the same vocabulary and merges, quirks included:
the heap holds (count, pair, words) entries and an entry whose count is stale is re-filed; a merge rewrites only
the words its entry lists; and a word's merge reports the pair counts it changed the way tokenizers' `Word::merge`
does (the merged pair's own count is left as it was). The learned merges are returned in rank order; a pair
merged twice keeps its later rank, as the library's merge map does.
"""
import heapq
import itertools
from collections import Counter, defaultdict

from tqdm import tqdm

from .byte_level import bytes_to_unicode, pretokenize, to_byte_symbols


def count_pieces(texts):
    """Counter of byte-level pieces over an iterable of texts (each text is pre-tokenised on its own)."""
    if isinstance(texts, str):
        raise TypeError("train expects an iterable of texts, got a single str (wrap it in a list)")
    counts = Counter()
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{i}] must be a str, got {type(text).__name__}: {text!r:.60}")
        counts.update(to_byte_symbols(piece) for piece in pretokenize(text))
    return counts


def merge_word(word, a, b, new):
    """Replace each (a, b) in `word` (a list of ids, left to right) by `new`, in place. Returns the pair-count
    changes [((left, right), ±1), ...] in the order tokenizers' Word::merge reports them."""
    changes, i = [], 0
    while i < len(word):
        if word[i] == a and i + 1 < len(word) and word[i + 1] == b:
            if i > 0:
                changes += [((word[i - 1], a), -1), ((word[i - 1], new), 1)]
            word[i:i + 2] = [new]
            if i < len(word) - 1:
                changes += [((b, word[i + 1]), -1), ((new, word[i + 1]), 1)]
        i += 1
    return changes


def train_bpe(piece_counts, vocab_size=30000, min_frequency=2, special_tokens=(), show_progress=None):
    """(vocab {token: id}, merges [(left, right), ...] in rank order) learned from {piece: count}."""
    tokens = []
    for token in [*special_tokens, *sorted(set(bytes_to_unicode().values()) | set("".join(piece_counts)))]:
        if token not in tokens:
            tokens.append(token)
    vocab = {t: i for i, t in enumerate(tokens)}
    pieces = sorted(piece_counts)  # a fixed order: the result must not depend on how the corpus was counted
    words = [[vocab[c] for c in piece] for piece in pieces]
    counts = [piece_counts[piece] for piece in pieces]

    pair_counts, where = defaultdict(int), defaultdict(set)
    for w, word in enumerate(words):
        for pair in zip(word, word[1:]):
            pair_counts[pair] += counts[w]
            where[pair].add(w)
    heap, order = [], itertools.count()  # entries (-count, pair, arrival, words): most frequent, smallest pair first

    def file(table):
        for pair, positions in table.items():
            if pair_counts[pair] > 0:
                heapq.heappush(heap, (-pair_counts[pair], pair, next(order), positions))

    file(where)
    merges = []
    todo = max(vocab_size - len(vocab), 0)
    with tqdm(total=todo, desc="BPE merges", unit="token",
              disable=not (show_progress if show_progress is not None else todo >= 2000)) as bar:
        while len(vocab) < vocab_size and heap:
            count, pair, _, positions = heapq.heappop(heap)
            if -count != pair_counts[pair]:  # stale: file it again under its present count
                heapq.heappush(heap, (-pair_counts[pair], pair, next(order), positions))
                continue
            if -count < max(min_frequency, 1):
                break  # the most frequent pair is too rare: so is every other one
            new_token = tokens[pair[0]] + tokens[pair[1]]
            if new_token not in vocab:
                vocab[new_token] = len(tokens)
                tokens.append(new_token)
                bar.update(1)
            new = vocab[new_token]
            merges.append(pair)
            changed = defaultdict(set)
            for w in positions:
                for p, delta in merge_word(words[w], pair[0], pair[1], new):
                    pair_counts[p] += delta * counts[w]
                    if delta > 0:
                        changed[p].add(w)
            file(changed)
    ranks = {pair: rank for rank, pair in enumerate(merges)}  # a pair merged twice keeps its last rank
    return vocab, [(tokens[a], tokens[b]) for (a, b), _ in sorted(ranks.items(), key=lambda item: item[1])]
