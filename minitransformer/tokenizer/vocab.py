"""vocab.txt: one token per line, id = line index; read with errors that name the file and the line."""
import os


def load_vocab(path):
    """Read vocab.txt into {token: id}; a missing file, an empty line, a duplicate or bad UTF-8 names path and line."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise FileNotFoundError(f"vocab file expected, got a directory: {path} (did you mean {path}/vocab.txt?)")
    if not os.path.exists(path):
        raise FileNotFoundError(f"vocab file not found: {path}")
    with open(path, "rb") as f:
        raw = f.read()
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the newline that ends the last line
    if not lines:
        raise ValueError(f"{path}: vocab file is empty (expected one token per line)")
    vocab = {}
    for index, line in enumerate(lines):
        try:
            token = line.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ValueError(f"{path}:{index + 1}: not valid UTF-8 ({e.reason} at byte {e.start})") from None
        token = token[:-1] if token.endswith("\r") else token  # a file saved with Windows line ends
        if token == "":
            raise ValueError(f"{path}:{index + 1}: empty line in vocab file (each line must hold one token)")
        if token in vocab:
            raise ValueError(f"{path}:{index + 1}: duplicate token {token!r} (first on line {vocab[token] + 1})")
        vocab[token] = index
    return vocab


def save_vocab(vocab, path):
    """Write tokens in id order, one a line; ids must be 0..n-1 with no gaps, so that load_vocab gives them back."""
    tokens = sorted(vocab, key=vocab.__getitem__)
    if [vocab[t] for t in tokens] != list(range(len(tokens))):
        raise ValueError("vocab ids must be exactly 0..n-1 to be written as vocab.txt")
    bad = [t for t in tokens if "\n" in t or "\r" in t or t == ""]
    if bad:
        raise ValueError(f"token {bad[0]!r} cannot be written to vocab.txt (empty or contains a line break)")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(t + "\n" for t in tokens))
