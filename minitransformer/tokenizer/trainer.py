"""Learn a WordPiece vocabulary: start from single characters ('##'-marked inside words), merge the best pair, repeat.

Two ways to pick "best" (REFERENCE.md):

* ``"bpe"`` (the default): score = count(ab), what the Hugging Face ``tokenizers`` WordPieceTrainer does (BPE
  with a '##' prefix). Default because it reproduces vocabularies trained with that library, and because it
  compresses better: on the shipped corpus a 300-token vocabulary gives ~27 tokens per sentence against ~50 for
  likelihood (lessons/05_wordpiece.py measures it), and frequent words become whole tokens early.
* ``"likelihood"``: score(a, b) = count(ab) / (count(a) * count(b)), the criterion the Hugging Face course
  teaches for WordPiece. It prefers pairs whose parts are rarely seen apart (q+u before t+h), so it learns
  tight letter groups and rare morphemes first and whole frequent words only late.

Both: ties go to the smaller (left id, right id) pair, a pair must occur at least ``min_frequency`` times, special
tokens come first, then the ``limit_alphabet`` most frequent characters (by code point), then the '##' characters,
then merged tokens in the order they were made. Same input, same vocabulary.
"""
import heapq
from collections import Counter
from dataclasses import dataclass, field

from tqdm import tqdm

from .pairs import PairStats

DEFAULT_SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
ALGORITHMS = ("likelihood", "bpe")


@dataclass
class TrainResult:
    """The learned vocabulary ({token: id}), the merges made (left, right, new token, pair count, score), specials."""
    vocab: dict
    merges: list = field(default_factory=list)
    special_tokens: tuple = DEFAULT_SPECIAL_TOKENS


def merge_priority(pair, pair_count, left_count, right_count, algorithm):
    """Heap key of a candidate merge: the best pair has the smallest key (highest score, then smallest ids)."""
    # BEGIN SOLUTION t5.2 vocabulary merge step
    if algorithm == "bpe":
        score = pair_count  # raw frequency of the pair, as the tokenizers library
    else:
        score = pair_count / (left_count * right_count)  # how much more often together than chance predicts
    return (-score, pair)
    # END SOLUTION


def count_words(texts, basic):
    """Corpus -> Counter of basic tokens (words and punctuation), the unit that merges never cross."""
    if isinstance(texts, str):
        raise TypeError("train expects an iterable of texts, got a single str (wrap it in a list)")
    counts = Counter()
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{i}] must be a str, got {type(text).__name__}: {text!r:.60}")
        counts.update(basic.tokenize(text))
    return counts


def initial_alphabet(word_counts, limit_alphabet):
    """The ``limit_alphabet`` most frequent characters (ties to the smaller code point), sorted by code point."""
    chars = Counter()
    for word, n in word_counts.items():
        for ch in word:
            chars[ch] += n
    kept = sorted(chars, key=lambda ch: (-chars[ch], ch))[:limit_alphabet]
    return sorted(kept)


def _check_args(vocab_size, min_frequency, limit_alphabet, algorithm, special_tokens):
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm={algorithm!r} is not known; use 'likelihood' or 'bpe'")
    for name, value, low in (("vocab_size", vocab_size, 1), ("min_frequency", min_frequency, 1),
                             ("limit_alphabet", limit_alphabet, 1)):
        if not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    if len(special_tokens) < 5 or len(set(special_tokens)) != len(special_tokens):
        raise ValueError("special_tokens must list 5 distinct tokens: pad, unk, cls, sep, mask (in that order), "
                         f"got {special_tokens!r}")


def train_vocab(texts, basic, vocab_size=8000, min_frequency=2, limit_alphabet=1000, special_tokens=None,
                algorithm="bpe", show_progress=None):
    """Learn a vocabulary of at most ``vocab_size`` tokens from ``texts`` (see the module docstring for the rules)."""
    special_tokens = tuple(special_tokens or DEFAULT_SPECIAL_TOKENS)
    _check_args(vocab_size, min_frequency, limit_alphabet, algorithm, special_tokens)
    word_counts = count_words(texts, basic)
    alphabet = set(initial_alphabet(word_counts, limit_alphabet))

    # Words as characters; characters outside the alphabet are dropped (as tokenizers does).
    words = sorted(word_counts)  # a fixed order, whatever order the corpus came in
    spelled = [[ch for ch in word if ch in alphabet] for word in words]
    continuation = sorted({ch for chars in spelled for ch in chars[1:]})
    tokens = list(special_tokens)
    tokens += [ch for ch in sorted(alphabet) if ch not in tokens]
    tokens += [t for t in ("##" + ch for ch in continuation) if t not in tokens]
    vocab = {t: i for i, t in enumerate(tokens)}
    keep = [i for i, chars in enumerate(spelled) if chars]
    stats = PairStats([[vocab[c if j == 0 else "##" + c] for j, c in enumerate(spelled[i])] for i in keep],
                      [word_counts[words[i]] for i in keep])
    return _run(vocab, tokens, stats, vocab_size, min_frequency, algorithm, show_progress, special_tokens)


def _run(vocab, tokens, stats, vocab_size, min_frequency, algorithm, show_progress, special_tokens):
    """The merge loop: pop the best pair from a heap (re-checking stale keys), merge it, re-score what changed."""
    counts, token_count = stats.pair_count, stats.token_count

    def key(pair):
        return merge_priority(pair, counts[pair], token_count[pair[0]], token_count[pair[1]], algorithm)

    heap = [key(p) for p, c in counts.items() if c >= min_frequency]
    heapq.heapify(heap)
    merges = []
    todo = max(vocab_size - len(vocab), 0)
    with tqdm(total=todo, desc=f"WordPiece merges ({algorithm})", unit="merge",
              disable=not (show_progress if show_progress is not None else todo >= 2000)) as bar:
        while len(vocab) < vocab_size and heap:
            entry = heapq.heappop(heap)
            pair = entry[1]
            if counts.get(pair, 0) < min_frequency:
                continue  # merged away or too rare now; counts of existing pairs never grow back
            current = key(pair)
            if current != entry:
                heapq.heappush(heap, current)  # a stale key: re-file under its present score
                continue
            left, right = tokens[pair[0]], tokens[pair[1]]
            new = left + (right[2:] if right.startswith("##") else right)
            if new not in vocab:
                vocab[new] = len(tokens)
                tokens.append(new)
                bar.update(1)
            count = counts[pair]
            changed = stats.merge(pair, vocab[new])
            if algorithm == "likelihood":  # count(a) and count(b) fell: every pair touching them has a new score
                changed |= stats.pairs_of[pair[0]] | stats.pairs_of[pair[1]]
            for p in changed:
                if counts.get(p, 0) >= min_frequency:
                    heapq.heappush(heap, key(p))
            merges.append((left, right, new, count, -entry[0]))
            if len(heap) > 4 * len(counts) + 1000:  # drop stale entries now and then to bound memory
                heap = [key(p) for p, c in counts.items() if c >= min_frequency]
                heapq.heapify(heap)
    return TrainResult(vocab, merges, special_tokens)
