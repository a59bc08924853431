"""BERT tokenization from first principles: basic tokenizer, WordPiece, vocabulary training (NumPy + tqdm only)."""
from .basic import BasicTokenizer
from .encoding import BatchEncoding
from .tokenizer import WordPieceTokenizer
from .vocab import load_vocab, save_vocab
from .wordpiece import wordpiece_split

__all__ = ["BasicTokenizer", "BatchEncoding", "WordPieceTokenizer", "load_vocab", "save_vocab", "wordpiece_split"]
