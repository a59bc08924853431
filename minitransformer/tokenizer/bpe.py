"""Byte-pair encoding (Sennrich et al. 2016) as GPT-2 applies it: a word is spelled in symbols, then the learned
merges are applied, the earliest-learned first, until none applies; plus the two files a BPE vocabulary lives in.

    vocab.json    {"token": id, ...}                 every symbol the model knows, with its id
    merges.txt    "#version: 0.2" then "a b" lines   the merges in the order they were learned (line = rank)

Which merge goes next: of all adjacent pairs in the word that have a merge, the one with the lowest rank, and of
equal ranks (the same pair twice) the leftmost: the order of Hugging Face tokenizers' BPE, whose merge queue is
ordered by (rank, position).
"""
import json
import os

MERGES_HEADER = "#version: 0.2"


def bpe_merge(symbols, ranks):
    """Apply merges to a list of symbols (strings): repeatedly join the adjacent pair of lowest rank (leftmost on
    a tie) until no adjacent pair is in `ranks` ({(left, right): rank}). Returns the final list of tokens."""
    symbols = list(symbols)
    while len(symbols) > 1:
        best, where = None, -1
        for i in range(len(symbols) - 1):
            rank = ranks.get((symbols[i], symbols[i + 1]))
            if rank is not None and (best is None or rank < best):  # strict <: the leftmost of equal ranks
                best, where = rank, i
        if best is None:
            break
        symbols[where:where + 2] = [symbols[where] + symbols[where + 1]]
    return symbols


def load_vocab_json(path):
    """{token: id} from a vocab.json, checked: ids must be distinct non-negative integers."""
    path = os.fspath(path)
    with open(path, encoding="utf-8") as f:
        try:
            vocab = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None
    if not isinstance(vocab, dict) or not all(isinstance(i, int) and i >= 0 for i in vocab.values()):
        raise ValueError(f"{path}: expected a JSON object mapping each token to a non-negative integer id")
    if len(set(vocab.values())) != len(vocab):
        raise ValueError(f"{path}: two tokens share an id; every token needs its own")
    return vocab


def load_merges_txt(path):
    """[(left, right), ...] in rank order from a merges.txt (a '#version' first line is skipped, as are blank
    lines). Each line is two tokens separated by one space."""
    path = os.fspath(path)
    merges = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line or n == 1 and line.startswith("#version"):
                continue
            parts = line.split(" ")
            if len(parts) != 2 or not all(parts):
                raise ValueError(f"{path}:{n}: expected two tokens separated by one space, got {line!r}")
            merges.append((parts[0], parts[1]))
    return merges


def save_vocab_json(vocab, path):
    """Write {token: id} sorted by id (as Hugging Face writes it), UTF-8, no ASCII escaping."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(dict(sorted(vocab.items(), key=lambda item: item[1])), f, ensure_ascii=False)


def save_merges_txt(merges, path):
    """Write the '#version: 0.2' header, then one 'left right' line per merge in rank order."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(MERGES_HEADER + "\n")
        for left, right in merges:
            f.write(f"{left} {right}\n")


def check_merges(vocab, merges, source):
    """Every merge's two sides and its result must be in the vocabulary, or encoding would produce unknown ids."""
    for rank, (left, right) in enumerate(merges):
        for token in (left, right, left + right):
            if token not in vocab:
                raise ValueError(f"{source}: merge {rank} ({left!r} {right!r}) needs {token!r}, which is not in "
                                 "the vocabulary; are vocab.json and merges.txt from the same tokenizer?")
