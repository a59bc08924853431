"""Adjacent-pair statistics over a weighted word list, kept up to date in place as pairs are merged."""
from collections import defaultdict


class PairStats:
    """Counts of tokens and of adjacent token pairs, each word weighted by its corpus frequency."""

    def __init__(self, words, freqs):
        self.words = [list(w) for w in words]  # each word as a list of token ids
        self.freqs = list(freqs)
        self.token_count = defaultdict(int)
        self.pair_count = defaultdict(int)
        self.where = defaultdict(set)  # pair -> indices of words that (may) contain it
        self.pairs_of = defaultdict(set)  # token -> pairs it has been part of (for likelihood re-scoring)
        for w in range(len(self.words)):
            self._count(w, +1)

    def _count(self, w, sign):
        """Add (sign=+1) or remove (sign=-1) word w's tokens and pairs from the counts."""
        word, f = self.words[w], self.freqs[w] * sign
        for t in word:
            self.token_count[t] += f
        for pair in zip(word, word[1:]):
            self.pair_count[pair] += f
            if sign > 0:
                self.where[pair].add(w)
                self.pairs_of[pair[0]].add(pair)
                self.pairs_of[pair[1]].add(pair)

    def merge(self, pair, new_id):
        """Replace each occurrence of pair (left to right, non-overlapping) by new_id; return the pairs that changed."""
        a, b = pair
        changed = set()
        for w in sorted(self.where.pop(pair, ())):  # sorted: the same input always updates in the same order
            word = self.words[w]
            if not any(x == a and y == b for x, y in zip(word, word[1:])):
                continue  # stale index entry: an earlier merge already consumed the pair here
            self._count(w, -1)
            changed.update(zip(word, word[1:]))
            merged, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == a and word[i + 1] == b:
                    merged.append(new_id)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            self.words[w] = merged
            self._count(w, +1)
            changed.update(zip(merged, merged[1:]))
        self.pair_count.pop(pair, None)
        return changed
