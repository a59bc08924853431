"""GPT2Config: the hyper-parameters of a GPT-2 model, read from and written to Hugging Face's `config.json`.

Field names and defaults are Hugging Face's (`n_embd`, `n_layer`, `n_head`, `n_positions`; the 124M "gpt2"
model), so a `config.json` written by transformers means the same here. The generic names (`hidden_size`,
`num_hidden_layers`, `num_attention_heads`, `max_position_embeddings`) read as aliases, as transformers'
`attribute_map` does. For a model that trains on a laptop CPU, start from `GPT2Config.tiny(vocab_size)`.

Keys we do not use (`summary_type`, `task_specific_params`, ...) are kept in `extra` and written back.
"""
import dataclasses
import json
import os
from typing import Optional

from .bert_config import ACTIVATIONS, read_json_object

ALIASES = {"hidden_size": "n_embd", "num_hidden_layers": "n_layer", "num_attention_heads": "n_head",
           "max_position_embeddings": "n_positions"}


@dataclasses.dataclass
class GPT2Config:
    vocab_size: int = 50257
    n_positions: int = 1024                    # the longest sequence (learned position table rows)
    n_embd: int = 768
    n_layer: int = 12
    n_head: int = 12
    n_inner: Optional[int] = None              # None: 4 * n_embd, the MLP's width
    activation_function: str = "gelu_new"      # the tanh form of GELU, as GPT-2 was trained
    resid_pdrop: float = 0.1
    embd_pdrop: float = 0.1
    attn_pdrop: float = 0.1
    layer_norm_epsilon: float = 1e-5
    initializer_range: float = 0.02
    scale_attn_weights: bool = True            # divide the scores by sqrt(head_dim)
    scale_attn_by_inverse_layer_idx: bool = False  # and by (layer index + 1) (Mistral's stability trick)
    reorder_and_upcast_attn: bool = False      # a float16 trick; float32 math is the same either way
    use_cache: bool = True
    bos_token_id: Optional[int] = 50256
    eos_token_id: Optional[int] = 50256
    pad_token_id: Optional[int] = None
    tie_word_embeddings: bool = True
    add_cross_attention: bool = False
    architectures: Optional[list] = None
    extra: dict = dataclasses.field(default_factory=dict, repr=False)

    def __post_init__(self):
        for name in ("vocab_size", "n_positions", "n_embd", "n_layer", "n_head"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"GPT2Config: {name} must be a positive int, got {value!r}")
        if self.n_embd % self.n_head:
            raise ValueError(f"GPT2Config: n_embd {self.n_embd} is not a multiple of n_head {self.n_head} (each "
                             "head gets n_embd / n_head features)")
        if self.activation_function not in ACTIVATIONS:
            raise ValueError(f"GPT2Config: activation_function {self.activation_function!r} is not supported; "
                             f"expected one of {', '.join(ACTIVATIONS)}")
        if self.add_cross_attention:
            raise ValueError("GPT2Config: add_cross_attention=True (an encoder-decoder GPT-2) is not supported")
        if not self.tie_word_embeddings:
            raise ValueError("GPT2Config: tie_word_embeddings=False is not supported; the LM head is the token "
                             "embedding matrix, as in GPT-2")

    # ------------------------------------------------------------------ Hugging Face's generic names
    hidden_size = property(lambda self: self.n_embd)
    num_hidden_layers = property(lambda self: self.n_layer)
    num_attention_heads = property(lambda self: self.n_head)
    max_position_embeddings = property(lambda self: self.n_positions)

    @property
    def head_dim(self):
        return self.n_embd // self.n_head

    @property
    def inner_dim(self):
        return self.n_inner if self.n_inner is not None else 4 * self.n_embd

    @classmethod
    def tiny(cls, vocab_size, **overrides):
        """A small GPT-2 for CPU lessons and tests: 2 layers, n_embd 64, 4 heads, 128 positions."""
        sizes = dict(vocab_size=vocab_size, n_embd=64, n_layer=2, n_head=4, n_positions=128,
                     bos_token_id=None, eos_token_id=None)
        sizes.update(overrides)
        return cls(**sizes)

    # ------------------------------------------------------------------ dict / JSON
    @classmethod
    def from_dict(cls, d, **overrides):
        d = dict(d, **overrides)
        for alias, name in ALIASES.items():
            if alias in d:
                d.setdefault(name, d.pop(alias))
        model_type = d.pop("model_type", "gpt2")
        if model_type not in ("gpt2", None):
            raise ValueError(f"GPT2Config: model_type {model_type!r} is not a GPT-2 model (expected 'gpt2')")
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        known = {k: v for k, v in d.items() if k in names}
        extra = {k: v for k, v in d.items() if k not in names and k != "extra"}
        extra.update(d.get("extra") or {})
        return cls(**known, extra=extra)

    def to_dict(self):
        d = dict(self.extra)
        for f in dataclasses.fields(self):
            if f.name != "extra":
                d[f.name] = getattr(self, f.name)
        d["model_type"] = "gpt2"
        if d["architectures"] is None:
            del d["architectures"]
        return d

    @classmethod
    def from_json_file(cls, path, **overrides):
        return cls.from_dict(read_json_object(path), **overrides)

    @classmethod
    def from_pretrained(cls, directory, **overrides):
        path = os.path.join(os.fspath(directory), "config.json")
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{directory}: no config.json (expected a Hugging Face model directory with "
                                    "config.json + model.safetensors)")
        return cls.from_json_file(path, **overrides)

    def to_json_string(self):
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    def save_pretrained(self, directory):
        from ..io.checkpoint import atomic_write_text
        os.makedirs(directory, exist_ok=True)
        atomic_write_text(os.path.join(directory, "config.json"), self.to_json_string())
