"""Labelled text datasets: TSV (SST-2 style), CSV and JSONL files with a header, or plain Python lists."""
import csv
import io
import json
import os


class TextDataset:
    """Texts with integer labels; label_names[i] is the name of label id i (kept with the model)."""

    def __init__(self, texts, labels, label_names, source="<list>"):
        if len(texts) != len(labels):
            raise ValueError(f"{source}: {len(texts)} texts but {len(labels)} labels")
        self.texts = list(texts)
        self.labels = [int(y) for y in labels]
        self.label_names = [str(name) for name in label_names]
        self.source = source
        for i, y in enumerate(self.labels):
            if not 0 <= y < len(self.label_names):
                raise ValueError(f"{source}: label id {y} at index {i} is outside 0..{len(self.label_names) - 1} "
                                 f"(label names {self.label_names})")

    @classmethod
    def from_lists(cls, texts, labels, label_names=None):
        """From Python lists: labels as names (mapped like a file's) or as ids 0..C-1."""
        texts = list(texts)
        labels = list(labels)
        for i, text in enumerate(texts):
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"<list>: text at index {i} is {text!r}; expected a non-empty string")
        if all(isinstance(y, (int,)) and not isinstance(y, bool) for y in labels):
            if label_names is None:                       # ids given without names: name them by their number
                label_names = [str(i) for i in range(max(labels, default=-1) + 1)]
            return cls(texts, labels, label_names)
        names = [str(y) for y in labels]
        label_names = infer_label_names(names) if label_names is None else list(label_names)
        return cls(texts, [_label_id(name, label_names, "<list>", f"index {i}") for i, name in enumerate(names)],
                   label_names)

    @property
    def num_labels(self):
        """How many classes the label names define."""
        return len(self.label_names)

    def __len__(self):
        return len(self.texts)

    def __getitem__(self, index):
        """(text, label id) for an int; a TextDataset with the same label names for a slice."""
        if isinstance(index, slice):
            return TextDataset(self.texts[index], self.labels[index], self.label_names, self.source)
        return self.texts[index], self.labels[index]

    def __repr__(self):
        return f"TextDataset({len(self)} texts from {self.source}, label_names={self.label_names})"


def infer_label_names(names):
    """Sorted distinct label names; numerically sorted when every name is an integer ("2" before "10")."""
    distinct = set(names)
    try:
        return sorted(distinct, key=int)
    except ValueError:
        return sorted(distinct)


def _label_id(name, label_names, path, where):
    """The id of a label name, or an error naming the label, where it was found and the known labels."""
    try:
        return label_names.index(name)
    except ValueError:
        raise ValueError(f"{path}: {where}: unknown label {name!r}; known labels are {list(label_names)} "
                         "(pass the training split's label_names to read validation/test splits)") from None


def _column(columns, name, path, kind):
    """Index of a column in a header, or an error naming it and listing the available ones."""
    if name not in columns:
        raise ValueError(f"{path}: no {kind} column {name!r}; available columns: {list(columns)}")
    return columns.index(name)


def _read_text(path):
    """The file's text; bytes that are not UTF-8 give an error naming the file and the line they are on."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        return raw.decode("utf-8-sig")               # -sig: a byte-order mark (Excel's UTF-8 CSV) is not text
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise ValueError(f"{path}: line {line}: not valid UTF-8 ({e.reason}, byte 0x{raw[e.start]:02x}); "
                         "save the file as UTF-8") from None


def _csv_records(f, path):
    """(first line, last line, row) per CSV record: a quoted field may span lines, an unclosed quote many."""
    reader = csv.reader(f)
    while True:
        first = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise ValueError(f"{path}: line {first}: malformed CSV ({e})") from None
        yield first, reader.line_num, row


def _read_delimited(path, text_column, label_column, delimiter):
    """(texts, label names, line numbers) from a TSV or CSV file with a header row."""
    rows = []
    f = io.StringIO(_read_text(path), newline="")
    if delimiter == "\t":
        # SST-2 TSVs are unquoted (sentences contain bare '"'), so split on tabs only, as pandas' QUOTE_NONE.
        records = ((n, n, line.rstrip("\r\n").split("\t")) for n, line in enumerate(f, start=1))
    else:
        records = _csv_records(f, path)
    header = next(records, None)
    if header is None:
        raise ValueError(f"{path}: the file is empty; expected a header row naming the columns")
    header = [h.strip() for h in header[2]]
    t = _column(header, text_column, path, "text")
    y = _column(header, label_column, path, "label")
    for first, last, row in records:
        if not any(field.strip() for field in row):
            continue                                   # blank lines (a trailing newline) are skipped
        if len(row) != len(header):
            hint = " (a tab inside the text?)" if delimiter == "\t" else ""
            if last > first:                           # the csv module read on past the end of the line
                hint = f" (the record runs on to line {last}: an unclosed quote?)"
            raise ValueError(f"{path}: line {first}: expected {len(header)} fields {header}, found {len(row)}{hint}")
        rows.append((row[t], row[y].strip(), first))
    return rows


def _read_jsonl(path, text_column, label_column):
    """(text, label name, line number) rows from a JSON Lines file: one object per line."""
    rows = []
    for line, raw in enumerate(io.StringIO(_read_text(path), newline=None), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: line {line}: bad JSON ({e.msg} at column {e.colno})") from None
        if not isinstance(obj, dict):
            raise ValueError(f"{path}: line {line}: expected a JSON object, found {type(obj).__name__}")
        for name, kind in ((text_column, "text"), (label_column, "label")):
            if name not in obj:
                raise ValueError(f"{path}: line {line}: no {kind} column {name!r}; "
                                 f"available columns: {list(obj)}")
        text, label = obj[text_column], obj[label_column]
        if not isinstance(text, str):
            raise ValueError(f"{path}: line {line}: text {text!r} is a {type(text).__name__}, expected a string")
        if isinstance(label, (dict, list)) or label is None:
            raise ValueError(f"{path}: line {line}: label {label!r} is not a string or a number")
        rows.append((text, str(label).strip(), line))
    return rows


READERS = {".tsv": "tsv", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def load_dataset(path, text_column="sentence", label_column="label", label_names=None, format=None, split=None,
                 cache_dir=None):
    """Read a TSV/CSV (with a header) or JSONL file into a TextDataset; the reader is chosen by extension.

    label_names=None builds the mapping from this file (sorted names); pass the training split's
    `label_names` when reading validation/test so every split uses the same ids.
    A dataset name instead of a path ("movie-reviews", "bbc-news", ...: data/registry.py) fetches that dataset
    once into the cache and returns its {"train", "validation", "test"} TextDatasets, or the one `split`.
    """
    from .registry import DATASETS, SHIPPED, load_named
    if isinstance(path, str) and (path in DATASETS or path == SHIPPED) and not os.path.exists(path):
        return load_named(path, split=split, cache_dir=cache_dir)
    path = os.fspath(path)
    if format is None:
        ext = os.path.splitext(path)[1].lower()
        if ext not in READERS:
            raise ValueError(f"{path}: cannot tell the format from the extension {ext!r}; name the file with one "
                             f"of {', '.join(sorted(READERS))} (from Python: format='tsv'|'csv'|'jsonl')")
        format = READERS[ext]
    if format not in ("tsv", "csv", "jsonl"):
        raise ValueError(f"unknown format {format!r}; expected 'tsv', 'csv' or 'jsonl'")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"dataset file not found: {path}")
    if format == "jsonl":
        rows = _read_jsonl(path, text_column, label_column)
    else:
        rows = _read_delimited(path, text_column, label_column, "\t" if format == "tsv" else ",")
    for text, label, line in rows:
        if not text.strip():
            raise ValueError(f"{path}: line {line}: empty text in column {text_column!r}")
        if not label:
            raise ValueError(f"{path}: line {line}: empty label in column {label_column!r}")
    if label_names is None:
        label_names = infer_label_names(label for _, label, _ in rows)
    label_names = [str(name) for name in label_names]
    labels = [_label_id(label, label_names, path, f"line {line}") for _, label, line in rows]
    return TextDataset([text for text, _, _ in rows], labels, label_names, source=path)
