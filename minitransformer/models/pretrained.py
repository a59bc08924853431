"""Hugging Face checkpoint directories: `config.json` + `model.safetensors` (or shards + index) in, the same out.

Loading is a name-for-name copy, because our parameter names are Hugging Face's. What we forgive, as Hugging
Face does: LayerNorm parameters called `gamma`/`beta` (TF-era checkpoints), a missing or extra `bert.` prefix
(a bare BertModel checkpoint into a model with a head, or the reverse), the int64 `position_ids` buffer, and the
MLM decoder's tied names (`cls.predictions.decoder.weight` is the word embedding matrix). What we report, as
transformers 5 does: missing keys in the model's names (left at their fresh N(0, initializer_range) init — a new
head is meant to be trained) and unexpected keys in the checkpoint's names (ignored), with a warning naming them.
A shape mismatch is an error naming the key.
"""
import os
import warnings

import numpy as np

from .. import backend
from ..io.safetensors import load_checkpoint_dir
from ..io.sharded import save_sharded

IGNORED_SUFFIXES = ("position_ids",)  # buffers some checkpoints carry; we compute positions instead
HEAD_ROOTS = ("cls", "classifier")  # top-level names of the heads: never under the `bert.` prefix
# The MLM decoder's tied names -> the parameter they share (transformers' _tied_weights_keys).
TIED_ALIASES = {"cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
                "cls.predictions.decoder.bias": "cls.predictions.bias"}


def rename_key(key):
    """TF-era LayerNorm names -> PyTorch's, as transformers' "legacy" renaming: LayerNorm.gamma -> LayerNorm.weight,
    LayerNorm.beta -> LayerNorm.bias (only LayerNorm's: a `gamma` elsewhere is some other parameter)."""
    return key.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias")


def normalize_keys(tensors, expected, prefix="bert", head_roots=HEAD_ROOTS, ignored_suffixes=IGNORED_SUFFIXES,
                   tied_aliases=None):
    """Checkpoint dict -> ({model key: array}, {model key: checkpoint key}), keyed like the model's state_dict
    (`expected`): LayerNorm renames, the prefix added or removed, the tied decoder's aliases resolved. The second
    dict is for reporting: transformers names an unexpected key as the checkpoint spells it (after renaming).
    The defaults are BERT's; another family passes its own prefix, head roots, ignored buffers and tied aliases
    ({alias: parameter}, resolved whenever the model lacks the alias)."""
    renamed = {rename_key(k): v for k, v in tensors.items() if not k.endswith(tuple(ignored_suffixes))}
    expected = set(expected)
    model_has_prefix = any(k.startswith(prefix + ".") for k in expected)
    ckpt_has_prefix = any(k.startswith(prefix + ".") for k in renamed)

    def model_key(k):
        if model_has_prefix and not ckpt_has_prefix and k.split(".")[0] not in head_roots:
            return f"{prefix}.{k}"  # a bare BertModel checkpoint (embeddings.*, encoder.*, pooler.*) into a head model
        if ckpt_has_prefix and not model_has_prefix and k.startswith(prefix + "."):
            return k[len(prefix) + 1:]  # a head model's checkpoint into a bare BertModel: its heads stay unexpected
        return k

    out, origin = {}, {}
    for k, v in renamed.items():
        out[model_key(k)], origin[model_key(k)] = v, k
    if tied_aliases is None:  # BERT: only a model with the tied MLM head owns the decoder's aliases
        tied_aliases = TIED_ALIASES if "cls.predictions.bias" in expected else {}
    if tied_aliases:
        for alias, target in tied_aliases.items():
            if alias in out and alias not in expected:
                value, source = out.pop(alias), origin.pop(alias)
                if target in expected and target not in out:  # only the alias was saved: it fills the parameter
                    out[target], origin[target] = value, source
    return out, origin


def load_weights(model, tensors, source="the checkpoint", ignore_mismatched_sizes=False):
    """Copy `tensors` into model's parameters by name; returns {missing_keys, unexpected_keys, mismatched_keys}
    and warns about each kind, like Hugging Face. A shape mismatch is an error unless ignore_mismatched_sizes
    (then that parameter keeps its fresh init: e.g. a 3-label classifier checkpoint fine-tuned for 5 labels)."""
    params = dict(model.named_parameters())
    family = {name: getattr(model, name) for name in ("head_roots", "ignored_suffixes", "tied_aliases")
              if hasattr(model, name)}  # GPT-2's; BERT's models use the defaults
    tensors, origin = normalize_keys(tensors, params.keys(), prefix=getattr(model, "base_model_prefix", "bert"),
                                     **family)
    missing = sorted(k for k in params if k not in tensors)
    unexpected = sorted(origin[k] for k in tensors if k not in params)
    mismatched = sorted((k, tuple(v.shape), tuple(params[k].shape)) for k, v in tensors.items()
                        if k in params and tuple(v.shape) != tuple(params[k].shape))
    if mismatched and not ignore_mismatched_sizes:
        lines = "; ".join(f"{k} has shape {a}, the model expects {b}" for k, a, b in mismatched)
        raise ValueError(f"{source}: {lines}. Is config.json the one that goes with these weights? (To start "
                         "these parameters afresh instead, pass ignore_mismatched_sizes=True.)")
    skip = {k for k, _, _ in mismatched}
    for name, value in tensors.items():
        if name in params and name not in skip:
            p = params[name]
            # The model's dtype wins (float16/bfloat16 checkpoints become float32); copy, so no mmap stays alive.
            p.data = backend.asarray(np.array(value, dtype=p.dtype), device=p.device)
    name = type(model).__name__
    if unexpected:
        warnings.warn(f"Some weights of {source} were not used when initializing {name}: {unexpected}. This is "
                      "expected when the checkpoint was trained for another task (e.g. masked LM weights into a "
                      "sequence classifier).", stacklevel=3)
    fresh = missing + [f"{k} (checkpoint {a}, model {b})" for k, a, b in mismatched]
    if fresh:
        warnings.warn(f"Some weights of {name} were not initialized from {source} and are newly initialized "
                      f"(normal, std={model.config.initializer_range}): {fresh}. You should probably train this "
                      "model on a down-stream task to use it for predictions.", stacklevel=3)
    return {"missing_keys": missing, "unexpected_keys": unexpected, "mismatched_keys": mismatched}


def from_pretrained(cls, directory, num_labels=None, device="cpu", output_loading_info=False,
                    ignore_mismatched_sizes=False, **config_overrides):
    """cls(config from directory/config.json) with weights from model.safetensors (or its sharded index)."""
    from .bert_config import BertConfig
    directory = os.fspath(directory)
    config = getattr(cls, "config_class", BertConfig).from_pretrained(directory, **config_overrides)
    if num_labels is not None:
        config.num_labels = num_labels
    model = cls(config)
    info = load_weights(model, load_checkpoint_dir(directory), source=f"the model checkpoint at {directory}",
                        ignore_mismatched_sizes=ignore_mismatched_sizes)
    model = model.to(device)
    model.eval()  # as Hugging Face: a loaded model starts in eval mode; call .train() to fine-tune
    return (model, info) if output_loading_info else model


def save_pretrained(model, directory, max_shard_size="50GB"):
    """Write config.json + model.safetensors (float32, format "pt"), or shards + model.safetensors.index.json when
    the weights exceed max_shard_size (transformers' default 50GB); this package and transformers load both."""
    os.makedirs(directory, exist_ok=True)
    config = model.config
    config.architectures = [type(model).__name__]
    tensors = {name: backend.to_numpy(p.data) for name, p in model.named_parameters()}
    # transformers 5 builds the model in the config's dtype: a `dtype: bfloat16` kept from a bf16 checkpoint we
    # loaded (and widened) would make it load our float32 weights as bfloat16. Record what we write instead.
    written = sorted({str(t.dtype) for t in tensors.values() if t.dtype.kind == "f"})
    if written:
        for key in ("dtype", "torch_dtype"):  # torch_dtype: transformers 4's name for it
            if key == "dtype" or key in config.extra:
                config.extra[key] = written[0] if len(written) == 1 else "float32"
    config.save_pretrained(directory)
    # transformers refuses a safetensors file without metadata format "pt" (or tf/flax/mlx).
    save_sharded(tensors, directory, max_shard_size=max_shard_size, metadata={"format": "pt"})
    return directory
