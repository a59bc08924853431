"""BERT models, Hugging Face-shaped: BertModel, BertForSequenceClassification, BertForTokenClassification,
BertForMaskedLM.

    model = BertForSequenceClassification.from_pretrained("path/to/bert_dir", num_labels=2)
    out = model(input_ids, attention_mask=mask, token_type_ids=types, labels=y)   # out.loss, out.logits

Parameter names are Hugging Face's (`bert.encoder.layer.0.attention.self.query.weight`, `classifier.weight`,
`cls.predictions.transform.dense.weight`, ...), so checkpoints load name for name (see pretrained.py), and the
outputs carry Hugging Face's names: last_hidden_state, pooler_output, logits, loss, hidden_states, attentions.
The layers themselves are in bert_layers.py.
"""
import warnings

from .. import backend
from .. import functional as F
from .. import nn
from ..creation import zeros
from ..tensor import Tensor
from . import pretrained
from .bert_config import ACTIVATIONS, BertConfig
from .bert_layers import BertEmbeddings, BertEncoder, BertPooler, _ids_tensor
from .inputs import keep_mask


class ModelOutput(dict):
    """A dict whose keys are also attributes (out.logits == out["logits"]); absent outputs read as None."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self.get(name)


class BertPreTrainedModel(nn.Module):
    """What every BERT model shares: the config, Hugging Face's initialisation, from/save_pretrained."""
    base_model_prefix = "bert"

    def __init__(self, config):
        super().__init__()
        if not isinstance(config, BertConfig):
            raise TypeError(f"{type(self).__name__} needs a BertConfig, got {type(config).__name__}")
        self.config = config

    def init_weights(self):
        """Hugging Face's init: Linear/Embedding weights ~ N(0, initializer_range), biases 0, the padding row 0,
        LayerNorm weight 1 and bias 0. Seeded by mt.manual_seed."""
        std = self.config.initializer_range
        for name, p in self.named_parameters():
            xp = backend.array_module(p.data)
            leaf = name.rsplit(".", 1)[-1]
            if "LayerNorm" in name:
                value = xp.ones(p.shape) if leaf == "weight" else xp.zeros(p.shape)
            elif leaf == "bias":
                value = xp.zeros(p.shape)
            else:
                value = backend.generator(p.device).standard_normal(p.shape) * std
            p.data = value.astype(p.dtype)
        embeddings = getattr(getattr(self, self.base_model_prefix, self), "embeddings", None)
        if embeddings is not None and self.config.pad_token_id is not None:
            embeddings.word_embeddings.weight.data[self.config.pad_token_id] = 0  # as nn.Embedding(padding_idx)

    @classmethod
    def from_pretrained(cls, directory, num_labels=None, device="cpu", output_loading_info=False,
                        ignore_mismatched_sizes=False, **config_overrides):
        """Load a Hugging Face directory (config.json + model.safetensors); heads the checkpoint lacks are fresh.
        output_loading_info=True returns (model, {missing_keys, unexpected_keys, mismatched_keys})."""
        return pretrained.from_pretrained(cls, directory, num_labels=num_labels, device=device,
                                          output_loading_info=output_loading_info,
                                          ignore_mismatched_sizes=ignore_mismatched_sizes, **config_overrides)

    def get_input_embeddings(self):
        """The word embedding module (Hugging Face's name): its output is what `inputs_embeds` takes."""
        return getattr(self, self.base_model_prefix, self).embeddings.word_embeddings

    def save_pretrained(self, directory, max_shard_size="50GB"):
        """config.json + model.safetensors (shards + index past max_shard_size, e.g. "500MB"), loadable back here
        and by transformers' from_pretrained."""
        return pretrained.save_pretrained(self, directory, max_shard_size=max_shard_size)


class BertModel(BertPreTrainedModel):
    """The encoder: embeddings -> N post-LN layers -> (optional) pooler. Keys have no `bert.` prefix."""

    def __init__(self, config, add_pooling_layer=True, init_weights=True):
        super().__init__(config)
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None
        if init_weights:  # a model with a head initialises everything once, itself
            self.init_weights()

    def _inputs_embeds(self, x):
        """A floating (B, T, hidden_size) tensor on the model's device, or a ValueError saying what was expected."""
        # an array takes the model's dtype (Tensor() alone would make a float64 array float32)
        x = x if isinstance(x, Tensor) else Tensor(x, dtype=self.embeddings.word_embeddings.weight.dtype,
                                                   device=self.device)
        if x.dtype.kind != "f" or x.ndim != 3 or x.shape[2] != self.config.hidden_size:
            raise ValueError(f"BertModel: inputs_embeds must be floating (batch, seq_len, {self.config.hidden_size}),"
                             f" got shape {x.shape} dtype {x.dtype}")
        return x.to(self.device)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, output_attentions=False,
                output_hidden_states=False, inputs_embeds=None):
        """input_ids (B, T), or inputs_embeds (B, T, hidden) in their place (what get_input_embeddings() gives for
        the ids: positions and token types are still added), as Hugging Face's BertModel."""
        device = self.device
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("BertModel: pass exactly one of input_ids and inputs_embeds")
        if inputs_embeds is None:
            input_ids = _ids_tensor(input_ids, device)
            if input_ids.ndim != 2:
                raise ValueError(f"BertModel: input_ids must be (batch, seq_len), got shape {input_ids.shape}")
        else:
            inputs_embeds = self._inputs_embeds(inputs_embeds)
        shape = input_ids.shape if inputs_embeds is None else inputs_embeds.shape[:2]  # (B, T)
        if token_type_ids is None:  # every token in segment A
            xp = backend.array_module((input_ids if inputs_embeds is None else inputs_embeds).data)
            token_type_ids = Tensor._wrap(xp.zeros(shape, dtype="int64"))  # (B, T)
        token_type_ids = _ids_tensor(token_type_ids, device)
        keep = None
        if attention_mask is not None:  # (B, 1, 1, T) True on real tokens: padded keys are dropped
            source = input_ids if inputs_embeds is None else inputs_embeds
            keep = F.padding_mask(Tensor._wrap(keep_mask(attention_mask, source, "BertModel", shape=shape)))
        x = self.embeddings(input_ids, token_type_ids, inputs_embeds)  # (B, T, D)
        x, hidden_states, attentions = self.encoder(x, keep, output_attentions, output_hidden_states)
        return ModelOutput(last_hidden_state=x, pooler_output=self.pooler(x) if self.pooler is not None else None,
                           hidden_states=tuple(hidden_states) if hidden_states else None,
                           attentions=tuple(attentions) if attentions else None)


def _body_outputs(out, **extra):
    return ModelOutput(extra, hidden_states=out.hidden_states, attentions=out.attentions)


class BertForSequenceClassification(BertPreTrainedModel):
    """logits = classifier(Dropout(pooler_output)); loss as Hugging Face picks it from num_labels and labels:
    1 label -> mean squared error (regression); integer labels -> cross-entropy; float (B, C) -> BCE multi-label.
    The first call with labels fixes config.problem_type (unless set); set it yourself to choose explicitly."""

    def __init__(self, config):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config, init_weights=False)
        p = config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob
        self.dropout = nn.Dropout(p)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.init_weights()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None, output_attentions=False,
                output_hidden_states=False, inputs_embeds=None):
        out = self.bert(input_ids, attention_mask, token_type_ids, output_attentions, output_hidden_states,
                        inputs_embeds=inputs_embeds)
        logits = self.classifier(self.dropout(out.pooler_output))  # (B, num_labels)
        loss = None if labels is None else self.loss(logits, labels)
        return _body_outputs(out, loss=loss, logits=logits)

    def loss(self, logits, labels):
        labels = labels if isinstance(labels, Tensor) else Tensor(labels, device=logits.device)
        if self.config.problem_type is None:
            # Decided by the first labels seen and then kept in the config (so save_pretrained records it), as
            # transformers does: a later call with other labels uses the same loss.
            self.config.problem_type = ("regression" if self.num_labels == 1 else "single_label_classification"
                                        if labels.dtype.kind in "iu" else "multi_label_classification")
        problem = self.config.problem_type
        if problem == "regression":
            diff = logits.reshape(-1) - labels.astype(logits.dtype).reshape(-1)  # (B,)
            return (diff * diff).mean()
        if problem == "single_label_classification":
            if labels.dtype.kind not in "iu":
                raise TypeError(f"BertForSequenceClassification: problem_type is {problem!r} (from the config or an "
                                f"earlier call) but labels are {labels.dtype} of shape {labels.shape}; pass integer "
                                "class ids (batch,), or set config.problem_type = 'multi_label_classification'")
            return F.cross_entropy(logits, labels.reshape(-1))
        if problem == "multi_label_classification":
            if labels.shape != logits.shape:  # broadcasting would silently score the wrong pairs
                raise ValueError(f"BertForSequenceClassification: multi-label labels must have the logits' shape "
                                 f"{logits.shape} (one 0/1 target per class), got {labels.shape}")
            # BCE with logits, stably: max(x, 0) - x y + log(1 + exp(-|x|)), averaged over (B, C).
            y = labels.astype(logits.dtype)
            return (logits.relu() - logits * y + ((-logits.abs()).exp() + 1.0).log()).mean()
        raise ValueError(f"BertForSequenceClassification: unknown problem_type {problem!r}")


class BertForTokenClassification(BertPreTrainedModel):
    """logits = classifier(Dropout(h)) for every token: (B, T, num_labels), no pooler (Hugging Face's layout);
    loss = mean cross-entropy over the positions whose label != -100 (special tokens, padding and the later pieces
    of a word carry -100), as transformers' CrossEntropyLoss(ignore_index=-100). config.id2label names the tags."""

    def __init__(self, config):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config, add_pooling_layer=False, init_weights=False)
        p = config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob
        self.dropout = nn.Dropout(p)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.init_weights()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None, output_attentions=False,
                output_hidden_states=False, inputs_embeds=None):
        out = self.bert(input_ids, attention_mask, token_type_ids, output_attentions, output_hidden_states,
                        inputs_embeds=inputs_embeds)
        logits = self.classifier(self.dropout(out.last_hidden_state))  # (B, T, D) -> (B, T, num_labels)
        loss = None
        if labels is not None:
            labels = _ids_tensor(labels, logits.device)
            if labels.shape != logits.shape[:2]:
                raise ValueError(f"BertForTokenClassification: labels must be (batch, seq_len) = "
                                 f"{logits.shape[:2]}, one tag id (or -100) per token, got shape {labels.shape}")
            loss = F.cross_entropy(logits, labels, ignore_index=-100)  # mean over the counted tokens only
        return _body_outputs(out, loss=loss, logits=logits)


class BertPredictionHeadTransform(nn.Module):
    """LN(act(h W_tᵀ + b_t)): one dense layer before the vocabulary projection."""

    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.act = config.hidden_act

    def forward(self, h):
        approximate = ACTIVATIONS[self.act]
        h = self.dense(h)
        return self.LayerNorm(F.relu(h) if approximate is None else F.gelu(h, approximate=approximate))


class BertLMPredictionHead(nn.Module):
    """logits = transform(h) Eᵀ + bias, with E the word embedding matrix (tied: the decoder has no weight of its
    own, which is why checkpoints may carry `cls.predictions.decoder.weight` and we read it as an alias)."""

    def __init__(self, config, word_embeddings):
        super().__init__()
        self.transform = BertPredictionHeadTransform(config)
        self.bias = nn.Parameter(zeros(config.vocab_size))  # (V,)
        self._tied = [word_embeddings]  # a list: kept out of the module tree, so the weight is registered once

    def forward(self, h):
        return F.linear(self.transform(h), self._tied[0].weight, self.bias)  # (B, T, D) -> (B, T, V)


class BertOnlyMLMHead(nn.Module):
    def __init__(self, config, word_embeddings):
        super().__init__()
        self.predictions = BertLMPredictionHead(config, word_embeddings)

    def forward(self, h):
        return self.predictions(h)


class BertForMaskedLM(BertPreTrainedModel):
    """Predict the original token at every position; loss = cross-entropy over positions whose label != -100
    (the ones the masking recipe chose). No pooler, as in Hugging Face."""

    def __init__(self, config):
        super().__init__(config)
        if not config.tie_word_embeddings:
            warnings.warn("BertForMaskedLM: tie_word_embeddings=False is not supported; the decoder is tied to "
                          "the word embeddings", stacklevel=2)
        self.bert = BertModel(config, add_pooling_layer=False, init_weights=False)
        self.cls = BertOnlyMLMHead(config, self.bert.embeddings.word_embeddings)
        self.init_weights()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None, output_attentions=False,
                output_hidden_states=False, inputs_embeds=None):
        out = self.bert(input_ids, attention_mask, token_type_ids, output_attentions, output_hidden_states,
                        inputs_embeds=inputs_embeds)
        logits = self.cls(out.last_hidden_state)  # (B, T, V)
        loss = None
        if labels is not None:
            labels = _ids_tensor(labels, logits.device)
            loss = F.cross_entropy(logits, labels, ignore_index=-100)  # mean over the chosen positions only
        return _body_outputs(out, loss=loss, logits=logits)
