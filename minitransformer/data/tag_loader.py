"""Batches for token classification: tagged sentences -> WordPiece ids with tag ids aligned to the pieces.

    loader = TaggedDataLoader(train, tokenizer, batch_size=32, shuffle=True)
    batch = next(iter(loader))   # input_ids, attention_mask, labels (B, T) int64; -100 where no tag counts

Every sentence is encoded once, when the loader is built (each piece knows its word: encode_words); a batch only
pads. `word_ids` of each sentence stay available
(`loader.encoded[i]["word_ids"]`) to read predictions back per word.
"""
import inspect

import numpy as np

from .loader import DataLoader
from .tagging import IGNORE, align_labels, word_ids_from_offsets


def takes_words(tokenizer):
    """True when the tokenizer's call takes pre-split words and answers word_ids(i) (Hugging Face's
    is_split_into_words=True; ours once issue 18's tokenizer options are in)."""
    try:
        return "is_split_into_words" in inspect.signature(tokenizer.__call__).parameters
    except (TypeError, ValueError):
        return False


def encode_words(tokenizer, sentences, max_length=128):
    """[{"input_ids", "word_ids"}] per sentence (a list of words), with [CLS]/[SEP], truncated to max_length.

    The words are given to the tokenizer as words (is_split_into_words=True, then word_ids(i)) when it takes them;
    otherwise they are joined by spaces and each token's word is found from its character offsets. Both give the
    fast Hugging Face tokenizer's word_ids (tests/test_token_classification_reference.py)."""
    if takes_words(tokenizer):
        encoded = tokenizer([list(words) for words in sentences], is_split_into_words=True, truncation=True,
                            max_length=max_length)
        return [{"input_ids": list(ids), "word_ids": encoded.word_ids(i)}
                for i, ids in enumerate(encoded["input_ids"])]
    texts = [" ".join(words) for words in sentences]
    encoded = tokenizer(texts, truncation=True, max_length=max_length, return_offsets_mapping=True)
    rows = []
    for words, ids, offsets in zip(sentences, encoded["input_ids"], encoded["offset_mapping"]):
        rows.append({"input_ids": list(ids), "word_ids": word_ids_from_offsets(offsets, words)})
    return rows


def pad_rows(rows, pad_id):
    """{"input_ids", "attention_mask", "labels"?} (B, T) int64 arrays from encoded rows, right-padded to the longest;
    padding gets pad_id, attention 0 and label -100."""
    T = max(len(r["input_ids"]) for r in rows)
    B = len(rows)
    input_ids = np.full((B, T), pad_id, dtype=np.int64)
    attention_mask = np.zeros((B, T), dtype=np.int64)
    labels = np.full((B, T), IGNORE, dtype=np.int64) if "labels" in rows[0] else None
    for i, row in enumerate(rows):
        n = len(row["input_ids"])
        input_ids[i, :n] = row["input_ids"]
        attention_mask[i, :n] = 1
        if labels is not None:
            labels[i, :n] = row["labels"]
    batch = {"input_ids": input_ids, "attention_mask": attention_mask}
    if labels is not None:
        batch["labels"] = labels
    return batch


class TaggedDataLoader(DataLoader):
    """DataLoader for a TaggedDataset: the same seeded shuffling, bucketing and resumable state, batches of
    {"input_ids", "attention_mask", "labels"} (B, T) with the tags on each word's first piece (label_all_tokens:
    on every piece, B-X continuing as I-X) and -100 elsewhere."""

    def __init__(self, dataset, tokenizer, batch_size=32, shuffle=False, seed=0, drop_last=False, max_length=128,
                 bucket_by_length=False, label_all_tokens=False):
        super().__init__(dataset, tokenizer, batch_size=batch_size, shuffle=shuffle, seed=seed, drop_last=drop_last,
                         max_length=max_length, bucket_by_length=bucket_by_length)
        self.label_all_tokens = bool(label_all_tokens)
        self.encoded = encode_words(tokenizer, dataset.words, max_length=self.max_length)
        for row, tags in zip(self.encoded, dataset.labels):
            row["labels"] = align_labels(row["word_ids"], tags, self.label_all_tokens, dataset.label_names)
        if bucket_by_length:
            self._lengths = np.array([len(r["input_ids"]) for r in self.encoded])  # exact piece counts

    def collate(self, indices):
        return pad_rows([self.encoded[i] for i in indices], self.tokenizer.pad_token_id)
