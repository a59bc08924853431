"""Tagged-sentence files for token classification: CoNLL columns and JSON Lines, read into a TaggedDataset.

CoNLL (the CoNLL-2003 layout and its many relatives):

    -DOCSTART- -X- -X- O          document separators are skipped
                                  a blank line ends a sentence
    EU NNP B-NP B-ORG             one word per line: the word in the first column, its tag in the last,
    rejects VBZ B-VP O            columns split on tabs when the line has one, else on runs of spaces
    German JJ B-NP B-MISC

JSON Lines: one object per sentence, {"tokens": ["EU", "rejects", ...], "tags": ["B-ORG", "O", ...]} ("words" and
"ner_tags" are accepted too; integer tags need label_names to name them).

    train = load_tagged("data/ner/train.conll")
    test = load_tagged("data/ner/test.conll", label_names=train.label_names)
"""
import io
import json
import os

from .datasets import _read_text
from .tagging import TaggedDataset

FORMATS = {".conll": "conll", ".txt": "conll", ".bio": "conll", ".iob": "conll", ".tsv": "conll",
           ".jsonl": "jsonl", ".ndjson": "jsonl"}
TOKEN_KEYS, TAG_KEYS = ("tokens", "words"), ("tags", "ner_tags")


def read_conll(text, source="<text>"):
    """(sentences of words, sentences of tags, sentences of line numbers) from CoNLL-formatted text."""
    words, tags, lines = [], [], []
    sentence = ([], [], [])

    def close():
        if sentence[0]:
            for out, part in zip((words, tags, lines), sentence):
                out.append(list(part))
                part.clear()

    for number, raw in enumerate(io.StringIO(text, newline=None), start=1):
        line = raw.rstrip("\n")
        if not line.strip():
            close()
            continue
        columns = line.split("\t") if "\t" in line else line.split()
        if columns[0] == "-DOCSTART-":
            close()
            continue
        if len(columns) < 2 or not columns[-1].strip():
            raise ValueError(f"{source}: line {number}: expected a word and its tag separated by a tab or spaces, "
                             f"found {line!r}")
        for part, value in zip(sentence, (columns[0].strip(), columns[-1].strip(), number)):
            part.append(value)
    close()
    return words, tags, lines


def read_tagged_jsonl(text, source="<text>", label_names=None):
    """(sentences of words, sentences of tags, sentences of line numbers) from JSON Lines text."""
    words, tags, lines = [], [], []
    for number, raw in enumerate(io.StringIO(text, newline=None), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as e:
            raise ValueError(f"{source}: line {number}: bad JSON ({e.msg} at column {e.colno})") from None
        if not isinstance(obj, dict):
            raise ValueError(f"{source}: line {number}: expected a JSON object, found {type(obj).__name__}")
        key_w = next((k for k in TOKEN_KEYS if k in obj), None)
        key_t = next((k for k in TAG_KEYS if k in obj), None)
        if key_w is None or key_t is None:
            raise ValueError(f"{source}: line {number}: expected keys 'tokens' and 'tags' (or 'words' / "
                             f"'ner_tags'), found {list(obj)}")
        w, t = obj[key_w], obj[key_t]
        if not isinstance(w, list) or not all(isinstance(x, str) for x in w):
            raise ValueError(f"{source}: line {number}: {key_w!r} must be a list of strings")
        if not isinstance(t, list) or len(t) != len(w):
            raise ValueError(f"{source}: line {number}: {key_t!r} must be a list of {len(w)} tags, one per word")
        if any(isinstance(x, int) and not isinstance(x, bool) for x in t):
            if label_names is None:
                raise ValueError(f"{source}: line {number}: tags are integers; pass label_names to name them")
            if not all(isinstance(x, int) and 0 <= x < len(label_names) for x in t):
                raise ValueError(f"{source}: line {number}: tag ids {t} do not all index label_names "
                                 f"(0..{len(label_names) - 1})")
            t = [label_names[x] for x in t]
        if w:
            words.append(w)
            tags.append([str(x) for x in t])
            lines.append([number] * len(w))
    return words, tags, lines


def load_tagged(path, label_names=None, on_invalid="error", format=None):
    """A TaggedDataset from a CoNLL (.conll/.txt/.bio/.iob/.tsv) or JSON Lines (.jsonl) file.

    Tags are checked as IOB2 (data/tagging.py check_bio): an I-X that starts an entity is an error naming the
    file line, or with on_invalid="repair" becomes B-X (use it for IOB1 files such as the original CoNLL-2003).
    label_names=None takes the tag set of this file; pass the training split's for validation and test."""
    path = os.fspath(path)
    if format is None:
        ext = os.path.splitext(path)[1].lower()
        if ext not in FORMATS:
            raise ValueError(f"{path}: cannot tell the format from the extension {ext!r}; name the file with one "
                             f"of {', '.join(sorted(FORMATS))} (from Python: format='conll'|'jsonl')")
        format = FORMATS[ext]
    if format not in ("conll", "jsonl"):
        raise ValueError(f"unknown format {format!r}; expected 'conll' or 'jsonl'")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"tagged file not found: {path}")
    text = _read_text(path)
    if format == "conll":
        words, tags, lines = read_conll(text, path)
    else:
        words, tags, lines = read_tagged_jsonl(text, path, label_names)
    if not words:
        raise ValueError(f"{path}: no sentences found (expected one 'word tag' per line, blank lines between "
                         "sentences)" if format == "conll" else f"{path}: no sentences found")
    return TaggedDataset.from_lists(words, tags, label_names, on_invalid=on_invalid, source=path, lines=lines)


def write_conll(path, dataset):
    """Write a TaggedDataset as CoNLL: 'word<TAB>tag' lines, a blank line after each sentence (UTF-8, atomic)."""
    from ..io.checkpoint import atomic_write_text
    text = "".join("".join(f"{w}\t{t}\n" for w, t in zip(words, tags)) + "\n"
                   for words, tags in zip(dataset.words, dataset.tags))
    atomic_write_text(os.fspath(path), text)
    return path
