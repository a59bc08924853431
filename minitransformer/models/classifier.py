"""TransformerClassifier: token ids -> encoder -> one vector per sentence -> class logits.

    h0     = dropout(E[ids] * sqrt(d_model) + PE[:T])            (B, T, D)  E token embedding, PE sinusoids
    h      = encoder(h0, keep-mask of the real tokens)             (B, T, D)  post-LN by default
    pooled = h[:, 0]  ("cls")   or  mean of h over real tokens  ("mean")   (B, D)
    logits = dropout(pooled) Wᵀ + b                               (B, C)

    model = TransformerClassifier(vocab_size=4000, num_classes=2)
    out = model(input_ids, attention_mask, labels=y)   # out.loss, out.logits (B, C), out.attentions
    model.save("clf.npz"); model = TransformerClassifier.load("clf.npz")
"""
import dataclasses
import math
from typing import List, Optional

from .. import backend
from .. import functional as F
from .. import nn
from ..io.checkpoint import load_npz, save_npz
from ..ops.embedding import check_ids
from ..tensor import Tensor
from .inputs import keep_mask

POOLINGS = ("cls", "mean")
FORMAT = "minitransformer.TransformerClassifier"


@dataclasses.dataclass
class TransformerClassifierConfig:
    """Everything needed to rebuild the model (saved with its weights)."""
    vocab_size: int
    num_classes: int
    d_model: int = 128
    num_heads: int = 4
    num_layers: int = 2
    d_ff: int = 512
    max_len: int = 512
    dropout: float = 0.1
    pad_id: int = 0
    pooling: str = "cls"
    norm_first: bool = False

    def __post_init__(self):
        for name in ("vocab_size", "num_classes", "d_model", "num_heads", "num_layers", "d_ff", "max_len"):
            if int(getattr(self, name)) <= 0:
                raise ValueError(f"TransformerClassifierConfig: {name} must be positive, got {getattr(self, name)}")
        if self.d_model % self.num_heads != 0:
            raise ValueError(f"TransformerClassifierConfig: d_model={self.d_model} is not divisible by "
                             f"num_heads={self.num_heads}")
        if self.pooling not in POOLINGS:
            raise ValueError(f"TransformerClassifierConfig: unknown pooling {self.pooling!r}, expected one of "
                             f"{POOLINGS}")
        if not 0 <= self.pad_id < self.vocab_size:
            raise ValueError(f"TransformerClassifierConfig: pad_id={self.pad_id} is outside the vocabulary "
                             f"0..{self.vocab_size - 1}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"TransformerClassifierConfig: dropout must be in [0, 1), got {self.dropout}")


@dataclasses.dataclass
class ClassifierOutput:
    logits: Tensor  # (B, C)
    loss: Optional[Tensor] = None  # scalar mean cross-entropy when labels were given
    attentions: Optional[List[Tensor]] = None  # one (B, H, T, T) per layer when asked, outside the graph


class TransformerClassifier(nn.Module):
    """A Transformer encoder with a classification head (see the module docstring for the math).

    Initialisation: Linear layers as PyTorch (U(-1/sqrt(in), 1/sqrt(in))), LayerNorm ones/zeros, token
    embedding N(0, 1/d_model) so that after the sqrt(d_model) scaling tokens have unit variance, comparable to the
    sinusoids (an N(0, 1) table would be scaled to std sqrt(d_model) and drown the positions out). The padding row
    is zero. Parameter names: embedding.weight, encoder.layers.{i}...., head.weight, head.bias."""

    def __init__(self, vocab_size, num_classes, d_model=128, num_heads=4, num_layers=2, d_ff=512, max_len=512,
                 dropout=0.1, pad_id=0, pooling="cls", norm_first=False):
        super().__init__()
        cfg = TransformerClassifierConfig(vocab_size, num_classes, d_model, num_heads, num_layers, d_ff, max_len,
                                          dropout, pad_id, pooling, norm_first)
        self.config = cfg
        self._build_body(cfg)
        self.head = nn.Linear(d_model, num_classes)

    def _build_body(self, cfg):
        """Embedding (scaled to N(0, 1/d)), sinusoids, dropout, the encoder stack and the head's dropout."""
        d_model = cfg.d_model
        self.embedding = nn.Embedding(cfg.vocab_size, d_model, padding_idx=cfg.pad_id)
        self.embedding.weight.data *= self.embedding.weight.dtype.type(1 / math.sqrt(d_model))  # N(0, 1/d)
        self.positional = nn.SinusoidalPositionalEncoding(d_model, cfg.max_len)
        self.dropout = nn.Dropout(cfg.dropout)
        layer = dict(d_model=d_model, num_heads=cfg.num_heads, d_ff=cfg.d_ff, dropout=cfg.dropout,
                     norm_first=cfg.norm_first)
        # a pre-LN stack leaves its output un-normalised: a final LayerNorm, as GPT-2 and ViT do
        self.encoder = nn.TransformerEncoder(layer, cfg.num_layers,
                                             norm=nn.LayerNorm(d_model) if cfg.norm_first else None)
        self.head_dropout = nn.Dropout(cfg.dropout)

    @classmethod
    def from_config(cls, config):
        if isinstance(config, dict):
            config = TransformerClassifierConfig(**config)
        return cls(**dataclasses.asdict(config))

    # ------------------------------------------------------------------ inputs
    def _ids(self, input_ids):
        """An integer (B, T) tensor checked against the vocabulary and max_len, where it is: host ids (a loader's
        NumPy batch) are checked before they move, at no cost; ids already on a GPU at the next
        device_checks.flush() (no host read inside a step). The caller moves them to the model's device."""
        cfg, name = self.config, type(self).__name__
        ids = input_ids if isinstance(input_ids, Tensor) else F.as_tensor(input_ids)
        if ids.dtype.kind not in "iu":
            raise TypeError(f"{name}: input_ids must be integer token ids, got dtype {ids.dtype}")
        if ids.ndim != 2:
            raise ValueError(f"{name}: input_ids must be (batch, seq_len), got shape {ids.shape}")
        if ids.shape[1] > cfg.max_len:
            raise ValueError(f"{name}: sequence length {ids.shape[1]} exceeds max_len={cfg.max_len}; "
                             "truncate the input or build the model with a larger max_len")
        check_ids(ids.data, cfg.vocab_size, message=lambda bad: (
            f"{name}: token id {bad} is out of range for vocab_size={cfg.vocab_size} (ids must be in "
            f"0..{cfg.vocab_size - 1})"))
        return ids

    def _attention_mask(self, ids, attention_mask):
        """(B, T) bool, True on real tokens; default: ids != pad_id."""
        if attention_mask is None:
            return ids.data != self.config.pad_id
        return keep_mask(attention_mask, ids, type(self).__name__)  # 1/0 ints, bools or floats

    # ------------------------------------------------------------------ forward
    def pool(self, h, keep):
        """(B, T, D) -> (B, D): the [CLS] position 0, or the mean over real tokens (padding excluded)."""
        if self.config.pooling == "cls":
            return h[:, 0]  # (B, D)
        weights = keep.astype(h.dtype)  # (B, T) 1.0 on real tokens
        counts = weights.sum(axis=1, keepdims=True)  # (B, 1)
        weights /= backend.array_module(counts).maximum(counts, 1)  # an all-padding row pools to 0, not NaN
        return (h * Tensor._wrap(weights[:, :, None])).sum(axis=1)  # (B, T, D) * (B, T, 1) -> (B, D)

    def get_input_embeddings(self):
        """The token embedding module (Hugging Face's name): its output is what `inputs_embeds` takes."""
        return self.embedding

    def _inputs_embeds(self, inputs_embeds):
        """A floating (B, T, d_model) tensor on the model's device, checked against d_model and max_len."""
        cfg, device, name = self.config, self.device, type(self).__name__
        # an array takes the model's dtype (Tensor() alone would make a float64 array float32)
        x = inputs_embeds if isinstance(inputs_embeds, Tensor) \
            else Tensor(inputs_embeds, dtype=self.embedding.weight.dtype, device=device)
        if x.dtype.kind != "f" or x.ndim != 3 or x.shape[2] != cfg.d_model:
            raise ValueError(f"{name}: inputs_embeds must be floating (batch, seq_len, {cfg.d_model}), got shape "
                             f"{x.shape} dtype {x.dtype}")
        if x.shape[1] > cfg.max_len:
            raise ValueError(f"{name}: sequence length {x.shape[1]} exceeds max_len={cfg.max_len}")
        return x if x.device == device else x.to(device)

    def _embed(self, input_ids, attention_mask, inputs_embeds):
        """(x (B, T, D) the encoder's input, keep (B, T) bool, ids (B, T) or zeros of that shape) from input_ids or
        from inputs_embeds (Hugging Face's argument: what get_input_embeddings() gives for the ids, before the
        sqrt(d_model) scale and the positions, so attributions can differentiate with respect to it)."""
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError(f"{type(self).__name__}: pass exactly one of input_ids and inputs_embeds")
        if inputs_embeds is None:
            ids = self._ids(input_ids)  # (B, T), checked where it is
            embeds = self.embedding(ids)  # (B, T, D): F.embedding checks host ids before it moves them
            ids = ids if ids.device == self.device else ids.to(self.device)
            keep = self._attention_mask(ids, attention_mask)  # (B, T) bool
        else:
            embeds = self._inputs_embeds(inputs_embeds)  # (B, T, D)
            xp = backend.array_module(embeds.data)
            ids = Tensor._wrap(xp.zeros(embeds.shape[:2], dtype="int64"))  # (B, T): only its shape is read
            keep = xp.ones(embeds.shape[:2], dtype=bool) if attention_mask is None \
                else self._attention_mask(ids, attention_mask)
        x = embeds * math.sqrt(self.config.d_model)  # (B, T, D)
        return self.dropout(self.positional(x)), keep, ids  # (B, T, D)

    def forward(self, input_ids=None, attention_mask=None, labels=None, return_attentions=False, inputs_embeds=None,
                output_attentions=False):
        """input_ids (B, T) integers, or inputs_embeds (B, T, D) in their place (see _embed); attention_mask (B, T)
        1 = real token (default: ids != pad_id, or all real with inputs_embeds). output_attentions (or its older
        name return_attentions) adds one (B, H, T, T) weight array per layer, outside the graph."""
        x, keep, ids = self._embed(input_ids, attention_mask, inputs_embeds)  # (B, T, D), (B, T), (B, T)
        h, attentions = self.encoder(x, F.padding_mask(keep), return_weights=True)  # mask (B, 1, 1, T)
        logits = self.head(self.head_dropout(self.pool(h, keep)))  # (B, C)
        loss = None
        if labels is not None:
            labels = F.as_tensor(labels)  # where it is: cross_entropy checks host labels before it moves them
            if labels.shape != (ids.shape[0],):
                raise ValueError(f"TransformerClassifier: labels must be ({ids.shape[0]},), one class per "
                                 f"sentence, got shape {labels.shape}")
            loss = F.cross_entropy(logits, labels)
        wanted = output_attentions or return_attentions
        return ClassifierOutput(logits=logits, loss=loss, attentions=attentions if wanted else None)

    # ------------------------------------------------------------------ checkpoints
    def save(self, path):
        """Weights + config to one .npz (written atomically)."""
        meta = {"format": FORMAT, "version": 1, "config": dataclasses.asdict(self.config)}
        save_npz(path, self.state_dict(), meta)
        return path

    @classmethod
    def load(cls, path, device="cpu"):
        """A model rebuilt from the config in `path` with its weights, on `device`, in eval mode."""
        arrays, meta = load_npz(path)
        if not meta or meta.get("format") != FORMAT:
            raise ValueError(f"TransformerClassifier.load: {path!r} is not a TransformerClassifier checkpoint "
                             f"(meta format {None if not meta else meta.get('format')!r}, expected {FORMAT!r})")
        model = cls.from_config(meta["config"])
        model.load_state_dict(arrays)
        return model.to(device).eval()

    def extra_repr(self):
        cfg = self.config
        return f"pooling={cfg.pooling!r}, pad_id={cfg.pad_id}, {'pre' if cfg.norm_first else 'post'}-LN"
