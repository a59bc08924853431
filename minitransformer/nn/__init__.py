"""mt.nn: modules with PyTorch's names and conventions (Module, Parameter, Linear, ..., TransformerEncoder)."""
from .activation import GELU, ReLU
from .attention import MultiHeadAttention
from .containers import ModuleList, Sequential
from .dropout import Dropout
from .embedding import Embedding
from .encoder import TransformerEncoder, TransformerEncoderLayer
from .feedforward import FeedForward
from .linear import Linear
from .module import Module, Parameter
from .normalization import LayerNorm
from .positional import LearnedPositionalEmbedding, SinusoidalPositionalEncoding, sinusoid_table

__all__ = ["Module", "Parameter", "Sequential", "ModuleList", "Linear", "Embedding", "LayerNorm", "Dropout",
           "GELU", "ReLU", "MultiHeadAttention", "SinusoidalPositionalEncoding", "LearnedPositionalEmbedding",
           "sinusoid_table", "FeedForward", "TransformerEncoderLayer", "TransformerEncoder"]
