"""BertConfig: the hyper-parameters of a BERT model, read from and written to Hugging Face's `config.json`.

Defaults are Hugging Face's (bert-base-uncased), on purpose: a `config.json` that leaves a key out must mean
here what it means there (a missing `layer_norm_eps` is 1e-12, not LayerNorm's usual 1e-5). For a model that
trains on a laptop CPU in seconds, start from `BertConfig.tiny(vocab_size)`.

Keys we do not use (`use_cache`, `gradient_checkpointing`, ...) are kept in `extra` and written back, so a
config survives a load → save round trip unchanged apart from the keys we own.
"""
import dataclasses
import json
import os
from typing import Dict, Optional

ACTIVATIONS = {"gelu": "none", "gelu_new": "tanh", "gelu_pytorch_tanh": "tanh", "relu": None}


def read_json_object(path):
    """The dict in a JSON file (a Hugging Face config.json), or a ValueError naming the file and what is wrong."""
    with open(path, encoding="utf-8") as f:
        try:
            d = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(d, dict):
        raise ValueError(f"{path}: expected a JSON object, got {type(d).__name__}")
    return d


@dataclasses.dataclass
class BertConfig:
    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"                     # "gelu" = exact erf form; "gelu_new" = tanh approximation
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0
    initializer_range: float = 0.02
    classifier_dropout: Optional[float] = None   # None: use hidden_dropout_prob (as Hugging Face does)
    id2label: Optional[Dict[int, str]] = None    # None: LABEL_0, LABEL_1 (Hugging Face's default, 2 labels)
    problem_type: Optional[str] = None           # None: chosen from num_labels and the labels' dtype
    tie_word_embeddings: bool = True
    position_embedding_type: str = "absolute"
    architectures: Optional[list] = None
    extra: dict = dataclasses.field(default_factory=dict, repr=False)

    def __post_init__(self):
        if self.id2label is None:
            self.id2label = {0: "LABEL_0", 1: "LABEL_1"}
        self.id2label = {int(k): str(v) for k, v in self.id2label.items()}  # JSON keys are strings
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(f"BertConfig: hidden_size {self.hidden_size} is not a multiple of num_attention_heads "
                             f"{self.num_attention_heads} (each head gets hidden_size / heads features)")
        if self.hidden_act not in ACTIVATIONS:
            raise ValueError(f"BertConfig: hidden_act {self.hidden_act!r} is not supported; expected one of "
                             f"{', '.join(ACTIVATIONS)}")
        if self.position_embedding_type != "absolute":
            raise ValueError(f"BertConfig: position_embedding_type {self.position_embedding_type!r} is not "
                             "supported (only 'absolute', learned position embeddings as in BERT)")

    # ------------------------------------------------------------------ labels
    @property
    def num_labels(self):
        return len(self.id2label)

    @num_labels.setter
    def num_labels(self, n):
        """Changing the label count resets the names to LABEL_i unless they already fit (Hugging Face's rule)."""
        if n != len(self.id2label):
            self.id2label = {i: f"LABEL_{i}" for i in range(int(n))}

    @property
    def label2id(self):
        return {v: k for k, v in self.id2label.items()}

    @property
    def head_dim(self):
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def tiny(cls, vocab_size, **overrides):
        """A small BERT for CPU lessons and tests: 2 layers, hidden 64, 4 heads, 128 positions."""
        sizes = dict(vocab_size=vocab_size, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=256, max_position_embeddings=128)
        sizes.update(overrides)
        return cls(**sizes)

    # ------------------------------------------------------------------ dict / JSON
    @classmethod
    def from_dict(cls, d, **overrides):
        d = dict(d, **overrides)
        if "num_labels" in d and "id2label" not in d:
            d["id2label"] = {i: f"LABEL_{i}" for i in range(int(d["num_labels"]))}
        num_labels = d.pop("num_labels", None)
        d.pop("label2id", None)  # derived from id2label
        model_type = d.pop("model_type", "bert")
        if model_type not in ("bert", None):
            raise ValueError(f"BertConfig: model_type {model_type!r} is not a BERT model (expected 'bert')")
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        known = {k: v for k, v in d.items() if k in names}
        extra = {k: v for k, v in d.items() if k not in names and k != "extra"}
        extra.update(d.get("extra") or {})
        config = cls(**known, extra=extra)
        if num_labels is not None:
            config.num_labels = int(num_labels)
        return config

    def to_dict(self):
        d = dict(self.extra)
        for f in dataclasses.fields(self):
            if f.name != "extra":
                d[f.name] = getattr(self, f.name)
        d["id2label"] = {str(k): v for k, v in self.id2label.items()}
        d["label2id"] = self.label2id
        d["model_type"] = "bert"
        if d["architectures"] is None:
            del d["architectures"]
        return d

    @classmethod
    def from_json_file(cls, path, **overrides):
        return cls.from_dict(read_json_object(path), **overrides)

    @classmethod
    def from_pretrained(cls, directory, **overrides):
        path = os.path.join(directory, "config.json")
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
