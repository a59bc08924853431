"""TransformerTokenClassifier: token ids -> encoder -> one tag distribution per token (named-entity recognition).

    h0     = dropout(E[ids] * sqrt(d_model) + PE[:T])            (B, T, D)  the same body as TransformerClassifier
    h      = encoder(h0, keep-mask of the real tokens)             (B, T, D)
    logits = dropout(h) Wᵀ + b                                    (B, T, C)  every token, no pooling
    loss   = mean over positions with label != -100 of -log softmax(logits)[label]

    model = TransformerTokenClassifier(vocab_size=2000, num_labels=9, id2label={0: "O", 1: "B-PER", ...})
    out = model(input_ids, attention_mask, labels=tags)   # out.loss, out.logits (B, T, C)
    model.save("tagger.npz"); model = TransformerTokenClassifier.load("tagger.npz")

Labels of -100 do not count: special tokens, padding and (by default) the later WordPieces of a word get it when
word tags are aligned to pieces (data/tagging.py), as in Hugging Face's BertForTokenClassification.
"""
import dataclasses
from typing import Dict, List, Optional

from .. import functional as F
from .. import nn
from ..io.checkpoint import load_npz, save_npz
from ..tensor import Tensor
from .classifier import TransformerClassifier

FORMAT = "minitransformer.TransformerTokenClassifier"


@dataclasses.dataclass
class TransformerTokenClassifierConfig:
    """Everything needed to rebuild the model (saved with its weights); id2label names the tags (BIO: O, B-X, I-X)."""
    vocab_size: int
    num_labels: int
    d_model: int = 128
    num_heads: int = 4
    num_layers: int = 2
    d_ff: int = 512
    max_len: int = 512
    dropout: float = 0.1
    pad_id: int = 0
    norm_first: bool = False
    id2label: Optional[Dict[int, str]] = None

    def __post_init__(self):
        name = type(self).__name__
        for key in ("vocab_size", "num_labels", "d_model", "num_heads", "num_layers", "d_ff", "max_len"):
            if int(getattr(self, key)) <= 0:
                raise ValueError(f"{name}: {key} must be positive, got {getattr(self, key)}")
        if self.d_model % self.num_heads != 0:
            raise ValueError(f"{name}: d_model={self.d_model} is not divisible by num_heads={self.num_heads}")
        if not 0 <= self.pad_id < self.vocab_size:
            raise ValueError(f"{name}: pad_id={self.pad_id} is outside the vocabulary 0..{self.vocab_size - 1}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"{name}: dropout must be in [0, 1), got {self.dropout}")
        if self.id2label is None:
            self.id2label = {i: f"LABEL_{i}" for i in range(self.num_labels)}  # Hugging Face's default names
        self.id2label = {int(k): str(v) for k, v in self.id2label.items()}  # JSON turns the keys into strings
        if sorted(self.id2label) != list(range(self.num_labels)):
            raise ValueError(f"{name}: id2label must name each of the {self.num_labels} labels 0..{self.num_labels - 1}"
                             f" once, got keys {sorted(self.id2label)}")

    @property
    def label2id(self):
        return {v: k for k, v in self.id2label.items()}


@dataclasses.dataclass
class TokenClassifierOutput:
    logits: Tensor  # (B, T, C)
    loss: Optional[Tensor] = None  # scalar mean cross-entropy over the labels != -100, when labels were given
    attentions: Optional[List[Tensor]] = None  # one (B, H, T, T) per layer when asked, outside the graph


class TransformerTokenClassifier(nn.Module):
    """A Transformer encoder with a tagging head on every token (see the module docstring for the math).

    Initialisation and parameter names are TransformerClassifier's (embedding.weight, encoder.layers.{i}...,
    head.weight, head.bias), so an encoder trained for one task loads into the other with load_state_dict."""

    def __init__(self, vocab_size, num_labels, d_model=128, num_heads=4, num_layers=2, d_ff=512, max_len=512,
                 dropout=0.1, pad_id=0, norm_first=False, id2label=None):
        super().__init__()
        cfg = TransformerTokenClassifierConfig(vocab_size, num_labels, d_model, num_heads, num_layers, d_ff,
                                               max_len, dropout, pad_id, norm_first, id2label)
        self.config = cfg
        self._build_body(cfg)  # TransformerClassifier's body and parameter names
        self.head = nn.Linear(d_model, num_labels)

    @classmethod
    def from_config(cls, config):
        if isinstance(config, dict):
            config = TransformerTokenClassifierConfig(**config)
        return cls(**dataclasses.asdict(config))

    # the same input checks as the sentence classifier (they name this class in their errors)
    _build_body = TransformerClassifier._build_body
    _ids = TransformerClassifier._ids
    _attention_mask = TransformerClassifier._attention_mask
    _inputs_embeds = TransformerClassifier._inputs_embeds
    _embed = TransformerClassifier._embed
    get_input_embeddings = TransformerClassifier.get_input_embeddings

    def forward(self, input_ids=None, attention_mask=None, labels=None, return_attentions=False, inputs_embeds=None,
                output_attentions=False):
        """As TransformerClassifier.forward (input_ids or inputs_embeds, output_attentions), one class per token."""
        x, keep, ids = self._embed(input_ids, attention_mask, inputs_embeds)  # (B, T, D), (B, T), (B, T)
        h, attentions = self.encoder(x, F.padding_mask(keep), return_weights=True)  # mask (B, 1, 1, T)
        logits = self.head(self.head_dropout(h))  # (B, T, C)
        loss = None
        if labels is not None:
            labels = F.as_tensor(labels)  # where it is: cross_entropy checks host labels before it moves them
            if labels.shape != ids.shape:
                raise ValueError(f"TransformerTokenClassifier: labels must be (batch, seq_len) = {ids.shape}, one tag "
                                 f"id (or -100) per token, got shape {labels.shape}")
            loss = F.cross_entropy(logits, labels, ignore_index=-100)
        wanted = output_attentions or return_attentions
        return TokenClassifierOutput(logits=logits, loss=loss, attentions=attentions if wanted else None)

    def save(self, path):
        """Weights + config (tag names included) to one .npz (written atomically)."""
        meta = {"format": FORMAT, "version": 1, "config": dataclasses.asdict(self.config)}
        save_npz(path, self.state_dict(), meta)
        return path

    @classmethod
    def load(cls, path, device="cpu"):
        """A model rebuilt from the config in `path` with its weights, on `device`, in eval mode."""
        arrays, meta = load_npz(path)
        if not meta or meta.get("format") != FORMAT:
            raise ValueError(f"TransformerTokenClassifier.load: {path!r} is not a TransformerTokenClassifier "
                             f"checkpoint (meta format {None if not meta else meta.get('format')!r}, expected "
                             f"{FORMAT!r})")
        model = cls.from_config(meta["config"])
        model.load_state_dict(arrays)
        return model.to(device).eval()

    def extra_repr(self):
        cfg = self.config
        return f"num_labels={cfg.num_labels}, pad_id={cfg.pad_id}, {'pre' if cfg.norm_first else 'post'}-LN"
