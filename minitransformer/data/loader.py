"""DataLoader: seeded shuffling, batching, optional length bucketing, and collate (tokenize + pad) to NumPy."""
import numpy as np

BUCKET_POOL = 50        # bucketing sorts pools of 50 batches' worth of examples: similar lengths, still random


def collate(tokenizer, texts, labels=None, max_length=128):
    """Tokenize texts into {"input_ids", "attention_mask"[, "labels"]} int64 arrays, padded to the longest.

    input_ids, attention_mask: (B, T) with T the longest (truncated) text in this batch; labels: (B,).
    """
    encoded = tokenizer(list(texts), padding=True, truncation=True, max_length=max_length, return_tensors="np")
    input_ids = np.asarray(encoded["input_ids"], dtype=np.int64)              # (B, T)
    attention_mask = np.asarray(encoded["attention_mask"], dtype=np.int64)    # (B, T)
    B = len(texts)
    if input_ids.ndim != 2 or input_ids.shape[0] != B or attention_mask.shape != input_ids.shape:
        raise ValueError(f"collate: the tokenizer returned input_ids {input_ids.shape} and attention_mask "
                         f"{attention_mask.shape} for {B} texts; expected two equal (B={B}, T) arrays")
    # A tokenizer that pads to max_length leaves columns that are padding in every row: drop them, so the
    # batch is as long as its longest text and attention does no work on pure padding.
    used = np.flatnonzero(attention_mask.any(axis=0))
    T = int(used[-1]) + 1 if used.size else 0
    batch = {"input_ids": input_ids[:, :T], "attention_mask": attention_mask[:, :T]}
    if labels is not None:
        batch["labels"] = np.asarray(labels, dtype=np.int64).reshape(B)       # (B,)
    return batch


class DataLoader:
    """Iterate a TextDataset in batches of {"input_ids", "attention_mask", "labels"} NumPy int64 arrays.

    Shuffling is seeded by (seed, epoch): each epoch has its own order, and the same seed repeats it exactly.
    The loader counts epochs itself (one full pass = one epoch) and remembers how many batches of the current
    epoch it has handed out, so `state_dict()` / `load_state_dict()` let a resumed run continue mid-epoch.
    """

    def __init__(self, dataset, tokenizer, batch_size=32, shuffle=False, seed=0, drop_last=False,
                 max_length=128, bucket_by_length=False):
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        if not isinstance(max_length, (int, np.integer)) or max_length < 1:
            raise ValueError(f"DataLoader: max_length must be a positive integer, got {max_length!r}")
        if not callable(tokenizer):
            raise TypeError(f"DataLoader: tokenizer must be callable as tokenizer(texts, padding=True, ...), "
                            f"got {type(tokenizer).__name__}")
        self.dataset = dataset
        self.tokenizer = tokenizer
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.drop_last = bool(drop_last)
        self.max_length = int(max_length)
        self.bucket_by_length = bool(bucket_by_length)
        self.epoch = 0              # the epoch the next (or current) pass belongs to
        self._batch_index = 0       # batches of this epoch already handed out
        # Words approximate tokens well enough to group similar lengths, without tokenizing everything twice.
        self._lengths = np.array([len(t.split()) for t in dataset.texts]) if bucket_by_length else None

    def __len__(self):
        """Number of batches in one epoch."""
        n, b = len(self.dataset), self.batch_size
        return n // b if self.drop_last else (n + b - 1) // b

    def set_epoch(self, epoch):
        """Choose the epoch whose order the next pass uses (a no-op for the current one, so resuming works)."""
        if epoch != self.epoch:
            self.epoch = int(epoch)
            self._batch_index = 0

    def batch_indices(self, epoch=None):
        """The dataset indices of every batch of an epoch (default: the current one), in order."""
        epoch = self.epoch if epoch is None else epoch
        n, b = len(self.dataset), self.batch_size
        rng = np.random.default_rng([self.seed, epoch])     # its own stream: no global random state involved
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        if self.bucket_by_length:
            pool = b * BUCKET_POOL
            order = np.concatenate([chunk[np.argsort(self._lengths[chunk], kind="stable")]
                                    for chunk in np.split(order, range(pool, n, pool))]) if n else order
        batches = [order[i:i + b] for i in range(0, n, b)]
        if self.drop_last and batches and len(batches[-1]) < b:
            batches.pop()
        if self.bucket_by_length and self.shuffle:
            # Sorted pools put short batches first; shuffle the batches so the epoch does not go short-to-long.
            batches = [batches[i] for i in rng.permutation(len(batches))]
        return batches

    def collate(self, indices):
        """The batch dict for these dataset indices."""
        texts = [self.dataset.texts[i] for i in indices]
        labels = [self.dataset.labels[i] for i in indices]
        return collate(self.tokenizer, texts, labels, max_length=self.max_length)

    def __iter__(self):
        """Yield the rest of the current epoch's batches, then move on to the next epoch."""
        batches = self.batch_indices(self.epoch)
        for i in range(self._batch_index, len(batches)):
            self._batch_index = i + 1                   # counted when handed out: a checkpoint after it skips it
            yield self.collate(batches[i])
        self.epoch += 1
        self._batch_index = 0

    def state_dict(self):
        """Where iteration stands: enough to continue the same stream of batches after a restart."""
        return {"epoch": self.epoch, "batch_index": self._batch_index, "seed": self.seed,
                "batch_size": self.batch_size, "num_examples": len(self.dataset)}

    def load_state_dict(self, state):
        """Continue from a state_dict(); the dataset size and batch size must match the saved ones."""
        for key in ("batch_size", "num_examples"):
            mine = self.batch_size if key == "batch_size" else len(self.dataset)
            if key in state and int(state[key]) != mine:
                raise ValueError(f"DataLoader.load_state_dict: saved {key}={state[key]} but this loader has "
                                 f"{mine}; the saved position would point into different batches")
        self.epoch = int(state["epoch"])
        self._batch_index = int(state["batch_index"])
        self.seed = int(state.get("seed", self.seed))

    def __repr__(self):
        return (f"DataLoader({len(self.dataset)} examples, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"seed={self.seed}, drop_last={self.drop_last}, bucket_by_length={self.bucket_by_length})")
