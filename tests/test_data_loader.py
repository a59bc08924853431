"""DataLoader: batch contents and padding, seeded per-epoch shuffling, drop_last, bucketing, exact resume."""
import ast
import pathlib

import numpy as np
import pytest

from minitransformer.data import DataLoader, TextDataset, collate

REPO = pathlib.Path(__file__).resolve().parents[1]


class FakeTokenizer:
    """Whitespace split to ids (1 + index of the word in a fixed vocabulary), right-padded with 0."""

    def __init__(self, words, pad_to_max_length=False):
        self.vocab = {w: i + 1 for i, w in enumerate(sorted(set(words)))}
        self.pad_to_max_length = pad_to_max_length
        self.calls = 0

    def __call__(self, texts, padding=True, truncation=True, max_length=128, return_tensors="np"):
        assert padding is True and truncation is True and return_tensors == "np"
        self.calls += 1
        ids = [[self.vocab[w] for w in t.split()][:max_length] for t in texts]
        T = max_length if self.pad_to_max_length else max(len(s) for s in ids)
        input_ids = np.zeros((len(ids), T), dtype=np.int64)
        mask = np.zeros((len(ids), T), dtype=np.int64)
        for i, s in enumerate(ids):
            input_ids[i, :len(s)] = s
            mask[i, :len(s)] = 1
        return {"input_ids": input_ids, "attention_mask": mask}

    def decode(self, row):
        inverse = {i: w for w, i in self.vocab.items()}
        return " ".join(inverse[i] for i in row if i != 0)


def make_dataset(n=23, seed=1):
    """Texts 'w<i> x x ...' of varied length so every example is identifiable after decoding."""
    rng = np.random.default_rng(seed)
    texts = [" ".join([f"w{i}"] + ["x"] * int(rng.integers(0, 9))) for i in range(n)]
    return TextDataset.from_lists(texts, [i % 3 for i in range(n)], label_names=["a", "b", "c"])


def tokenizer_for(ds, **kw):
    return FakeTokenizer([w for t in ds.texts for w in t.split()], **kw)


def example_ids(batch, tok):
    """The dataset index of every row of a batch, read back from its first word."""
    return [int(tok.decode(row).split()[0][1:]) for row in batch["input_ids"]]


def epoch_order(loader, tok):
    return [i for batch in loader for i in example_ids(batch, tok)]


def test_batches_hold_the_dataset_in_order_padded_to_the_longest():
    ds = make_dataset()
    tok = tokenizer_for(ds)
    loader = DataLoader(ds, tok, batch_size=5)
    batches = list(loader)
    assert len(loader) == len(batches) == 5 and [len(b["labels"]) for b in batches] == [5, 5, 5, 5, 3]
    for k, batch in enumerate(batches):
        assert set(batch) == {"input_ids", "attention_mask", "labels"}
        assert all(batch[key].dtype == np.int64 for key in batch)
        idx = list(range(5 * k, min(5 * k + 5, len(ds))))
        lengths = [len(ds.texts[i].split()) for i in idx]
        assert batch["input_ids"].shape == (len(idx), max(lengths))             # (B, T): T = longest here
        assert batch["attention_mask"].sum(axis=1).tolist() == lengths
        assert [tok.decode(row) for row in batch["input_ids"]] == [ds.texts[i] for i in idx]
        assert batch["labels"].tolist() == [ds.labels[i] for i in idx]


def test_drop_last_and_len():
    ds = make_dataset(23)
    tok = tokenizer_for(ds)
    assert len(DataLoader(ds, tok, batch_size=5, drop_last=True)) == 4
    assert [len(b["labels"]) for b in DataLoader(ds, tok, batch_size=5, drop_last=True)] == [5] * 4
    assert len(DataLoader(ds, tok, batch_size=23, drop_last=True)) == 1
    assert len(DataLoader(ds, tok, batch_size=24, drop_last=True)) == 0 and len(DataLoader(ds, tok, 24)) == 1
    assert list(DataLoader(ds[:0], tok, batch_size=4)) == []


def test_len_is_the_number_of_batches_iterated_for_every_size_and_batch_size():
    """drop_last drops a partial final batch only: 8 examples in batches of 4 are 2 batches either way (a loader
    that dropped the full last batch too would iterate 1 while len() says 2). Sizes that divide evenly and sizes
    that do not, shuffled and bucketed orders, every batch size up to past the dataset."""
    ds = make_dataset(13)
    tok = tokenizer_for(ds)
    for n in range(0, 14):
        for batch_size in range(1, n + 3):
            for drop_last in (False, True):
                for options in ({}, {"shuffle": True, "seed": 3}, {"bucket_by_length": True, "shuffle": True}):
                    loader = DataLoader(ds[:n], tok, batch_size=batch_size, drop_last=drop_last, **options)
                    sizes = [len(b["labels"]) for b in loader]
                    full, rest = divmod(n, batch_size)
                    expected = [batch_size] * full + ([rest] if rest and not drop_last else [])
                    assert sorted(sizes, reverse=True) == expected, (n, batch_size, drop_last, options)
                    assert len(loader) == len(sizes) == len(loader.batch_indices(0)), (n, batch_size, drop_last)


def test_max_length_truncates_and_padding_to_max_length_is_trimmed():
    ds = make_dataset()
    lengths = [len(t.split()) for t in ds.texts[:4]]
    batch = next(iter(DataLoader(ds, tokenizer_for(ds), batch_size=4, max_length=3)))
    assert batch["input_ids"].shape == (4, 3)
    assert batch["attention_mask"].sum(1).tolist() == [min(n, 3) for n in lengths]
    # A tokenizer that pads every row to max_length: the loader cuts the batch back to its longest text.
    batch = next(iter(DataLoader(ds, tokenizer_for(ds, pad_to_max_length=True), batch_size=4, max_length=50)))
    assert batch["input_ids"].shape == (4, max(lengths)) and max(lengths) < 50


def test_shuffle_is_a_permutation_that_changes_per_epoch_and_repeats_per_seed():
    ds = make_dataset(40)
    tok = tokenizer_for(ds)
    loader = DataLoader(ds, tok, batch_size=6, shuffle=True, seed=7)
    e0, e1 = epoch_order(loader, tok), epoch_order(loader, tok)
    assert sorted(e0) == sorted(e1) == list(range(40))
    assert e0 != e1 and e0 != list(range(40))
    np.random.seed(123)                                      # the global NumPy state must not matter
    again = DataLoader(ds, tok, batch_size=6, shuffle=True, seed=7)
    assert epoch_order(again, tok) == e0 and epoch_order(again, tok) == e1
    assert epoch_order(DataLoader(ds, tok, batch_size=6, shuffle=True, seed=8), tok) != e0
    assert loader.epoch == 2


def test_set_epoch_selects_that_epochs_order():
    ds = make_dataset(30)
    tok = tokenizer_for(ds)
    natural = DataLoader(ds, tok, batch_size=4, shuffle=True, seed=3)
    orders = [epoch_order(natural, tok) for _ in range(3)]
    jumped = DataLoader(ds, tok, batch_size=4, shuffle=True, seed=3)
    jumped.set_epoch(2)
    assert epoch_order(jumped, tok) == orders[2]
    jumped.set_epoch(0)
    assert epoch_order(jumped, tok) == orders[0]


def test_resume_mid_epoch_continues_the_same_stream():
    ds = make_dataset(31)
    tok = tokenizer_for(ds)
    kw = dict(batch_size=4, shuffle=True, seed=11, drop_last=True)
    reference = DataLoader(ds, tok, **kw)
    stream = [example_ids(b, tok) for _ in range(3) for b in reference]   # three uninterrupted epochs

    first = DataLoader(ds, tok, **kw)
    seen = [example_ids(b, tok) for b in first]                           # epoch 0 complete
    for k, batch in enumerate(first):                                     # 3 batches into epoch 1
        seen.append(example_ids(batch, tok))
        if k == 2:
            break
    state = first.state_dict()
    assert state["epoch"] == 1 and state["batch_index"] == 3

    resumed = DataLoader(ds, tok, **kw)                                   # a fresh process
    resumed.load_state_dict(state)
    resumed.set_epoch(1)                                                  # a loop calling set_epoch is fine
    seen += [example_ids(b, tok) for _ in range(2) for b in resumed]      # rest of epoch 1, then epoch 2
    assert seen == stream


def test_resume_needs_the_same_batching():
    ds = make_dataset(20)
    tok = tokenizer_for(ds)
    state = DataLoader(ds, tok, batch_size=4).state_dict()
    with pytest.raises(ValueError, match="batch_size=4 but this loader has 5"):
        DataLoader(ds, tok, batch_size=5).load_state_dict(state)
    with pytest.raises(ValueError, match="num_examples=20 but this loader has 10"):
        DataLoader(ds[:10], tok, batch_size=4).load_state_dict(state)


def test_bucketing_groups_similar_lengths_and_keeps_every_example():
    rng = np.random.default_rng(0)
    texts = [" ".join([f"w{i}"] + ["x"] * int(rng.integers(0, 30))) for i in range(400)]
    ds = TextDataset.from_lists(texts, [0] * 400)
    tok = tokenizer_for(ds)

    def padding_fraction(loader):
        batches = list(loader)
        return 1 - sum(b["attention_mask"].sum() for b in batches) / sum(b["attention_mask"].size for b in batches)

    plain = DataLoader(ds, tok, batch_size=8, shuffle=True, seed=0)
    bucketed = DataLoader(ds, tok, batch_size=8, shuffle=True, seed=0, bucket_by_length=True)
    assert sorted(epoch_order(bucketed, tok)) == list(range(400))
    assert padding_fraction(bucketed) < 0.25 * padding_fraction(plain)
    orders = [epoch_order(DataLoader(ds, tok, batch_size=8, shuffle=True, seed=0, bucket_by_length=True), tok)
              for _ in range(2)]
    assert orders[0] == orders[1]                             # still seeded
    dropped = DataLoader(ds[:397], tok, batch_size=8, shuffle=True, bucket_by_length=True, drop_last=True)
    assert len(dropped) == 49 and all(len(b["labels"]) == 8 for b in dropped)


def test_collate_without_labels_and_bad_tokenizer_output():
    ds = make_dataset(3)
    tok = tokenizer_for(ds)
    batch = collate(tok, ds.texts)
    assert set(batch) == {"input_ids", "attention_mask"} and batch["input_ids"].shape[0] == 3

    def flat_tokenizer(texts, **kw):
        return {"input_ids": np.zeros(len(texts), np.int64), "attention_mask": np.ones(len(texts), np.int64)}
    with pytest.raises(ValueError, match=r"collate: the tokenizer returned input_ids \(3,\)"):
        collate(flat_tokenizer, ds.texts)


def test_bad_arguments():
    ds = make_dataset(3)
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        DataLoader(ds, tokenizer_for(ds), batch_size=0)
    with pytest.raises(TypeError, match="tokenizer must be callable"):
        DataLoader(ds, "bert-base-uncased")


def test_data_package_does_not_import_the_tensor_stack():
    """Data stays NumPy-only: no module under minitransformer/data imports the autograd or the layers."""
    forbidden = ("tensor", "ops", "autograd", "nn", "functional", "models", "optim", "backend")
    for path in (REPO / "minitransformer" / "data").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [a.name for a in node.names] if node.level >= 2 or \
                    (node.module or "").startswith("minitransformer") else []
                assert not any(n.split(".")[-1] in forbidden for n in names), f"{path.name} imports {names}"
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("minitransformer.") and a.name.split(".")[1] in forbidden
                               for a in node.names), f"{path.name} imports {[a.name for a in node.names]}"
