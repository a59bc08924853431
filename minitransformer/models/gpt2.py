"""GPT-2 models, Hugging Face-shaped: GPT2Model (the decoder stack) and GPT2LMHeadModel (next-token prediction).

    model = GPT2LMHeadModel.from_pretrained("path/to/gpt2_dir")
    out = model(input_ids, attention_mask=mask, labels=input_ids)      # out.loss, out.logits, out.past_key_values
    ids = model.generate(input_ids, max_new_tokens=20)                 # greedy, with the KV cache (generation.py)

Parameter names are Hugging Face's (`transformer.h.0.attn.c_attn.weight`, `transformer.ln_f.bias`, ...), so
checkpoints load name for name (pretrained.py); the LM head is the token embedding matrix (tied: logits = h Eᵀ),
which is why a checkpoint holds no `lm_head.weight` of its own. The layers are in gpt2_layers.py.

    h0 = Dropout(wte[ids] + wpe[positions]);  h_l = block_l(h_{l-1});  logits = ln_f(h_L) wteᵀ
"""
import math

from .. import backend
from .. import functional as F
from .. import nn
from ..tensor import Tensor
from . import pretrained
from .bert import ModelOutput
from .bert_layers import _ids_tensor
from .generation import GenerationMixin
from .gpt2_config import GPT2Config
from .gpt2_layers import GPT2Block, causal_keep_mask
from .inputs import keep_mask


class GPT2PreTrainedModel(nn.Module):
    """What every GPT-2 model shares: the config, Hugging Face's initialisation, from/save_pretrained."""
    config_class = GPT2Config
    base_model_prefix = "transformer"
    head_roots = ("lm_head",)  # top-level names of heads: never under the `transformer.` prefix
    ignored_suffixes = (".attn.bias", ".attn.masked_bias")  # the causal-mask buffers older checkpoints carry
    tied_aliases = {}

    def __init__(self, config):
        super().__init__()
        if not isinstance(config, GPT2Config):
            raise TypeError(f"{type(self).__name__} needs a GPT2Config, got {type(config).__name__}")
        self.config = config

    def init_weights(self):
        """Hugging Face's init: weights and embeddings ~ N(0, initializer_range), biases 0, LayerNorm 1 and 0, and
        each residual projection (`c_proj.weight`) ~ N(0, initializer_range / sqrt(2 n_layer)), GPT-2's scaling
        for the 2 n_layer sums into the residual stream. Seeded by mt.manual_seed."""
        std = self.config.initializer_range
        for name, p in self.named_parameters():
            xp = backend.array_module(p.data)
            leaf = name.rsplit(".", 1)[-1]
            if name.split(".")[-2].startswith("ln_"):  # ln_1, ln_2, ln_f
                value = xp.ones(p.shape) if leaf == "weight" else xp.zeros(p.shape)
            elif leaf == "bias":
                value = xp.zeros(p.shape)
            else:
                scale = std / math.sqrt(2 * self.config.n_layer) if name.endswith("c_proj.weight") else std
                value = backend.generator(p.device).standard_normal(p.shape) * scale
            p.data = backend.asarray(value, dtype=p.dtype, device=p.device)

    @classmethod
    def from_pretrained(cls, directory, device="cpu", output_loading_info=False, ignore_mismatched_sizes=False,
                        **config_overrides):
        """Load a Hugging Face GPT-2 directory (config.json + model.safetensors, or shards + index). Checkpoints
        with or without the `transformer.` prefix load either way; the `attn.bias` mask buffers are ignored.
        output_loading_info=True returns (model, {missing_keys, unexpected_keys, mismatched_keys})."""
        return pretrained.from_pretrained(cls, directory, device=device, output_loading_info=output_loading_info,
                                          ignore_mismatched_sizes=ignore_mismatched_sizes, **config_overrides)

    def save_pretrained(self, directory, max_shard_size="50GB"):
        """config.json + model.safetensors, loadable back here and by transformers' GPT2LMHeadModel."""
        return pretrained.save_pretrained(self, directory, max_shard_size=max_shard_size)


class GPT2Model(GPT2PreTrainedModel):
    """Token + learned position embeddings -> n_layer pre-LN causal blocks -> ln_f. Keys have no prefix."""

    def __init__(self, config, init_weights=True):
        super().__init__(config)
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.n_positions, config.n_embd)
        self.drop = nn.Dropout(config.embd_pdrop)
        self.h = nn.ModuleList([GPT2Block(config, i) for i in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        if init_weights:
            self.init_weights()

    def forward(self, input_ids, past_key_values=None, attention_mask=None, position_ids=None, use_cache=None,
                output_attentions=False, output_hidden_states=False):
        """input_ids (B, T) integers; past_key_values: per layer (k, v), each (B, H, past, d), from an earlier call
        with use_cache=True; attention_mask (B, past + T) of 1s (real) and 0s (padding, e.g. on the left);
        position_ids (B, T), default past..past+T-1 for every row. Returns last_hidden_state (B, T, D),
        past_key_values (when use_cache, default config.use_cache), hidden_states, attentions."""
        device = self.wte.weight.device  # the ids go where the embedding table is
        input_ids = _ids_tensor(input_ids, device)
        if input_ids.ndim != 2:
            raise ValueError(f"GPT2Model: input_ids must be (batch, seq_len), got shape {input_ids.shape}")
        B, T = input_ids.shape
        use_cache = self.config.use_cache if use_cache is None else use_cache
        past = self._check_past(past_key_values, B)
        if past + T > self.config.n_positions:
            raise ValueError(f"GPT2Model: {past} cached + {T} new positions exceed n_positions "
                             f"{self.config.n_positions}; truncate the input or generate fewer tokens")
        xp = backend.array_module(input_ids.data)
        keep = causal_keep_mask(T, past, xp) if T > 1 else None  # one new token may see every cached one
        if attention_mask is not None:  # 1/0 ints, bools or floats, covering the cached positions too
            mask = keep_mask(attention_mask, input_ids, "GPT2Model", shape=(B, past + T),
                             shape_note="(batch, past + seq_len): the cached positions too")
            padding = mask[:, None, None, :]  # (B, 1, 1, past + T): padded keys are dropped
            keep = padding if keep is None else keep & padding  # (B, 1, T, past + T)
        if position_ids is None:
            positions = self.wpe.weight[past:past + T]  # (T, D): the same for every row, broadcast
        else:
            position_ids = _ids_tensor(position_ids, device)
            if position_ids.shape != (B, T):
                raise ValueError(f"GPT2Model: position_ids has shape {position_ids.shape}; expected {(B, T)}")
            positions = self.wpe(position_ids)  # (B, T, D)
        x = self.drop(self.wte(input_ids) + positions)  # (B, T, D)
        presents, hidden_states, attentions = [] if use_cache else None, [] if output_hidden_states else None, \
            [] if output_attentions else None
        for i, block in enumerate(self.h):
            if output_hidden_states:
                hidden_states.append(x)
            x, present, weights = block(x, keep, past_key_values[i] if past else None, use_cache)
            if use_cache:
                presents.append(present)
            if output_attentions:
                attentions.append(weights)  # (B, H, T, past + T), outside the graph
        x = self.ln_f(x)
        if output_hidden_states:
            hidden_states.append(x)  # as Hugging Face: the last entry is after ln_f
        return ModelOutput(last_hidden_state=x, past_key_values=tuple(presents) if use_cache else None,
                           hidden_states=tuple(hidden_states) if output_hidden_states else None,
                           attentions=tuple(attentions) if output_attentions else None)

    def _check_past(self, past_key_values, B):
        """The number of cached positions (0 without a cache), after checking the cache's structure."""
        if past_key_values is None or len(past_key_values) == 0:
            return 0
        if len(past_key_values) != self.config.n_layer:
            raise ValueError(f"GPT2Model: past_key_values has {len(past_key_values)} layers, the model "
                             f"{self.config.n_layer}; pass the past_key_values an earlier call returned")
        k = past_key_values[0][0]
        shape = (B, self.config.n_head, k.shape[2], self.config.head_dim)
        if tuple(k.shape) != shape:
            raise ValueError(f"GPT2Model: cached keys have shape {tuple(k.shape)}; expected (batch, heads, past, "
                             f"head_dim) = {shape}")
        return k.shape[2]


class GPT2LMHeadModel(GenerationMixin, GPT2PreTrainedModel):
    """logits = ln_f(h) wteᵀ over the vocabulary at every position; loss = cross-entropy of position t's logits
    against token t + 1 (labels are shifted inside the model, as in Hugging Face: pass labels=input_ids), over the
    labels that are not -100."""
    tied_aliases = {"lm_head.weight": "transformer.wte.weight"}

    def __init__(self, config):
        super().__init__(config)
        self.transformer = GPT2Model(config, init_weights=False)
        self.init_weights()

    @property
    def lm_head_weight(self):
        return self.transformer.wte.weight  # (V, D): tied, not a parameter of its own

    def forward(self, input_ids, past_key_values=None, attention_mask=None, position_ids=None, labels=None,
                use_cache=None, output_attentions=False, output_hidden_states=False, logits_to_keep=0):
        """As GPT2Model.forward, plus labels (B, T) for the loss and logits_to_keep: 0 for logits at every
        position (B, T, V), n for the last n positions only (generation needs the last one). Returns loss,
        logits, past_key_values, hidden_states, attentions."""
        out = self.transformer(input_ids, past_key_values, attention_mask, position_ids, use_cache,
                               output_attentions, output_hidden_states)
        h = out.last_hidden_state  # (B, T, D)
        if logits_to_keep:
            if labels is not None:
                raise ValueError("GPT2LMHeadModel: labels need the logits at every position; do not pass "
                                 "logits_to_keep with labels")
            h = h[:, -logits_to_keep:]  # (B, n, D)
        logits = F.linear(h, self.lm_head_weight)  # (B, T, V)
        loss = None if labels is None else self.loss(logits, labels)
        return ModelOutput(loss=loss, logits=logits, past_key_values=out.past_key_values,
                           hidden_states=out.hidden_states, attentions=out.attentions)

    def loss(self, logits, labels):
        """Mean cross-entropy of logits[:, t] against labels[:, t + 1] over labels != -100."""
        labels = _ids_tensor(labels, logits.device)
        if labels.shape != logits.shape[:2]:
            raise ValueError(f"GPT2LMHeadModel: labels have shape {labels.shape}; expected the input's "
                             f"{logits.shape[:2]} (pass labels=input_ids; the model shifts them)")
        xp = backend.array_module(labels.data)
        shifted = xp.full_like(labels.data, -100)  # (B, T): the last position has no next token
        shifted[:, :-1] = labels.data[:, 1:]
        return F.cross_entropy(logits, Tensor._wrap(shifted), ignore_index=-100)
