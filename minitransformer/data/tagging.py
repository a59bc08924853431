"""Word-level tags for token classification: BIO (IOB2) checks and repair, tag names, a dataset of tagged sentences,
and word tags carried onto WordPiece pieces.

IOB2 (Ramshaw & Marcus 1995, as CoNLL-2003 is distributed by Hugging Face): "O" outside any entity, "B-X" on the first
word of an entity of type X, "I-X" on each later word. "I-X" is legal only after "B-X" or "I-X". The original
CoNLL-2003 files are IOB1 (an entity starts with I-X; B-X only splits two adjacent entities of one type): repairing
turns each I-X that starts an entity into B-X, which converts IOB1 to IOB2 and reads entities the way seqeval's
default mode does (entity_metrics.py).

Pieces: a word's tag goes to its first WordPiece; the later pieces, the special tokens and padding get -100, which the
loss ignores (`label_all_tokens=True` tags every piece instead, a B-X word's later pieces I-X, as transformers'
run_ner.py). The model then predicts one tag per word, read from its first piece.
"""
import bisect

IGNORE = -100
ON_INVALID = ("error", "repair")


def check_bio(sentences, on_invalid="error", source="<list>", lines=None):
    """Check (and with on_invalid="repair", fix) IOB2 tags; returns the list of tag lists (repaired copies).

    sentences: a list of tag lists. A tag must be "O", "B-X" or "I-X" (X non-empty). An "I-X" that does not follow
    "B-X" or "I-X" is an error naming the sentence, the position and the fix, or becomes "B-X" when repairing.
    lines[i][j], when given, is the file line of tag j of sentence i, named in errors."""
    if on_invalid not in ON_INVALID:
        raise ValueError(f"check_bio: on_invalid must be one of {ON_INVALID}, got {on_invalid!r}")
    checked = []
    for i, tags in enumerate(sentences):
        out, prev = [], "O"
        for j, tag in enumerate(tags):
            where = f"{source}: sentence {i}, position {j}" + (f" (line {lines[i][j]})" if lines else "")
            if not isinstance(tag, str) or not (tag == "O" or tag[:2] in ("B-", "I-") and len(tag) > 2):
                raise ValueError(f"{where}: tag {tag!r} is not BIO; expected 'O', 'B-TYPE' or 'I-TYPE'")
            if tag.startswith("I-") and prev[2:] != tag[2:]:
                if on_invalid == "error":
                    raise ValueError(f"{where}: {tag} follows {prev}; in IOB2 an entity starts with B-{tag[2:]} "
                                     f"(an IOB1 file? on_invalid='repair', or --repair-tags on the command line, "
                                     f"turns such tags into B-{tag[2:]})")
                tag = "B-" + tag[2:]
            out.append(tag)
            prev = tag
        checked.append(out)
    return checked


def tag_names(sentences):
    """The tag set in a fixed order: "O" first, then per entity type (sorted) B-X before I-X; a type seen only as I-X
    still gets its B-X (a model must be able to start every entity it can continue)."""
    types = sorted({tag[2:] for tags in sentences for tag in tags if tag != "O"})
    return ["O"] + [f"{prefix}-{t}" for t in types for prefix in ("B", "I")]


class TaggedDataset:
    """Sentences as word lists with one tag per word; label_names[i] is the name of tag id i (kept with the model).

    tags are stored as ids (`labels`, like TextDataset's) and read back as names with `tags`."""

    def __init__(self, words, labels, label_names, source="<list>"):
        if len(words) != len(labels):
            raise ValueError(f"{source}: {len(words)} sentences but {len(labels)} tag lists")
        self.words = [list(w) for w in words]
        self.labels = [[int(y) for y in tags] for tags in labels]
        self.label_names = [str(n) for n in label_names]
        self.source = source
        for i, (w, y) in enumerate(zip(self.words, self.labels)):
            if len(w) != len(y):
                raise ValueError(f"{source}: sentence {i} has {len(w)} words but {len(y)} tags")
            if not w:
                raise ValueError(f"{source}: sentence {i} is empty")
            bad = [t for t in y if not 0 <= t < len(self.label_names)]
            if bad:
                raise ValueError(f"{source}: sentence {i}: tag id {bad[0]} is outside 0..{len(self.label_names) - 1}")

    @classmethod
    def from_lists(cls, words, tags, label_names=None, on_invalid="error", source="<list>", lines=None):
        """From word lists and tag-name lists: checked as IOB2 (see check_bio), tag ids by label_names (default:
        tag_names of these tags; pass the training split's for validation/test so ids agree)."""
        tags = check_bio(tags, on_invalid, source, lines)
        label_names = tag_names(tags) if label_names is None else list(label_names)
        index = {name: i for i, name in enumerate(label_names)}
        ids = []
        for i, sentence in enumerate(tags):
            for j, tag in enumerate(sentence):
                if tag not in index:
                    where = f" (line {lines[i][j]})" if lines else ""
                    raise ValueError(f"{source}: sentence {i}, position {j}{where}: tag {tag!r} is not among the "
                                     f"label names {label_names} (pass the training split's label_names)")
            ids.append([index[t] for t in sentence])
        return cls(words, ids, label_names, source)

    @property
    def tags(self):
        """The tags as names, one list per sentence."""
        return [[self.label_names[y] for y in sentence] for sentence in self.labels]

    @property
    def texts(self):
        """Each sentence as one string, words joined by single spaces (for vocabulary training and bucketing)."""
        return [" ".join(w) for w in self.words]

    @property
    def num_labels(self):
        return len(self.label_names)

    def __len__(self):
        return len(self.words)

    def __getitem__(self, index):
        """(words, tag ids) for an int; a TaggedDataset with the same label names for a slice."""
        if isinstance(index, slice):
            return TaggedDataset(self.words[index], self.labels[index], self.label_names, self.source)
        return self.words[index], self.labels[index]

    def __repr__(self):
        return f"TaggedDataset({len(self)} sentences from {self.source}, label_names={self.label_names})"


def word_ids_from_offsets(offsets, words):
    """The word index of each token, None for special tokens and padding, from the tokenizer's character offsets
    into " ".join(words) (what `word_ids()` gives for `is_split_into_words=True` in Hugging Face).

    offsets: [(start, end)] per token, (0, 0) for the tokens the tokenizer added. A word that yields no token (only
    characters the tokenizer drops) simply has no index in the result."""
    starts, position = [], 0
    for word in words:
        starts.append(position)
        position += len(word) + 1
    return [None if end <= start else bisect.bisect_right(starts, start) - 1 for start, end in offsets]


def align_labels(word_ids, word_labels, label_all_tokens=False, label_names=None):
    """Tag ids per token: a word's tag on its first piece, -100 on later pieces and on tokens without a word.

    label_all_tokens=True gives later pieces the tag too, with B-X turned into I-X (needs label_names), as
    transformers' run_ner.py. word_ids: from word_ids_from_offsets or a tokenizer's encoding.word_ids(i)."""
    b_to_i = None
    if label_all_tokens:
        if label_names is None:
            raise ValueError("align_labels: label_all_tokens=True needs label_names (to turn B-X into I-X)")
        index = {name: i for i, name in enumerate(label_names)}
        b_to_i = [index.get("I-" + name[2:], i) if name.startswith("B-") else i for i, name in enumerate(label_names)]
    out, previous = [], None
    for word in word_ids:
        if word is None:
            out.append(IGNORE)
        elif word != previous:
            out.append(word_labels[word])
        else:
            out.append(b_to_i[word_labels[word]] if b_to_i is not None else IGNORE)
        previous = word
    return out
