"""Tokenization from first principles: BERT's basic tokenizer + WordPiece, GPT-2's byte-level BPE, vocabulary
training for both (NumPy + tqdm only)."""
from .basic import BasicTokenizer
from .byte_level_bpe import ByteLevelBPETokenizer
from .encoding import BatchEncoding
from .tokenizer import WordPieceTokenizer
from .vocab import load_vocab, save_vocab
from .wordpiece import wordpiece_split

__all__ = ["BasicTokenizer", "ByteLevelBPETokenizer", "BatchEncoding", "WordPieceTokenizer", "load_vocab", "save_vocab", "wordpiece_split"]
