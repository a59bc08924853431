"""Text classification data: datasets from TSV/CSV/JSONL files or lists, a DataLoader, the shipped corpus."""
from .datasets import TextDataset, infer_label_names, load_dataset  # noqa: F401
from .loader import DataLoader, collate  # noqa: F401

__all__ = ["TextDataset", "load_dataset", "infer_label_names", "DataLoader", "collate"]
