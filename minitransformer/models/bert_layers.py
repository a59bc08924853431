"""The layers of BERT (Devlin et al. 2018), named attribute for attribute as Hugging Face's `modeling_bert.py`, so
a checkpoint loads by copying tensors name for name (`encoder.layer.3.attention.self.query.weight`, ...).

    embeddings   h0 = Dropout(LN(word[ids] + position[0..T-1] + token_type[types]))
    layer l      a  = LN(h + Dropout(Wo · MultiHead(h)))          attention.self, attention.output
                 h' = LN(a + Dropout(W2 · gelu(W1 · a)))           intermediate, output
    pooler       tanh(Wp · h[:, 0])                                 the [CLS] vector, for sentence tasks

BERT is post-LN: the residual sum is normalised (LN(x + f(x))), unlike the pre-LN blocks of GPT-2 and of
mt.nn's TransformerEncoderLayer(norm_first=True). Linear weights are (out, in): y = x Wᵀ + b.
"""
from .. import functional as F
from .. import nn
from ..tensor import Tensor
from .bert_config import ACTIVATIONS


def _ids_tensor(ids, device):
    """An integer (B, T) tensor on the model's device from a Tensor, NumPy/CuPy array or nested list."""
    t = ids if isinstance(ids, Tensor) else Tensor(ids, device=device)
    if t.dtype.kind not in "iu":
        raise TypeError(f"BERT: token ids must be integers, got dtype {t.dtype}")
    return t if t.device == device else t.to(device)


class BertEmbeddings(nn.Module):
    """h0 = Dropout(LayerNorm(word_embeddings[ids] + position_embeddings[t] + token_type_embeddings[type]))."""

    def __init__(self, config):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)  # HF's name, capital L
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.max_positions = config.max_position_embeddings

    def forward(self, input_ids, token_type_ids, inputs_embeds=None):
        """input_ids (B, T), or inputs_embeds (B, T, D) standing for word_embeddings(input_ids) (then input_ids
        is None), as Hugging Face's BertEmbeddings."""
        B, T = input_ids.shape if inputs_embeds is None else inputs_embeds.shape[:2]
        if T > self.max_positions:
            raise ValueError(f"BERT: sequence length {T} exceeds max_position_embeddings {self.max_positions}; "
                             f"truncate the input (tokenizer(..., truncation=True, max_length={self.max_positions}))")
        words = self.word_embeddings(input_ids) if inputs_embeds is None else inputs_embeds  # (B, T, D)
        # Positions 0..T-1 are the same for every row: slice the table (T, D) and let broadcasting add it.
        positions = self.position_embeddings.weight[:T]  # (T, D)
        types = self.token_type_embeddings(token_type_ids)  # (B, T, D)
        return self.dropout(self.LayerNorm(words + positions + types))


class BertSelfAttention(nn.Module):
    """softmax(Q Kᵀ / sqrt(d_head), padded keys dropped) V for every head at once; Q, K, V = x Wqᵀ, x Wkᵀ, x Wvᵀ."""

    def __init__(self, config):
        super().__init__()
        self.num_heads, self.head_dim = config.num_attention_heads, config.head_dim
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout_p = config.attention_probs_dropout_prob

    def split_heads(self, x):
        B, T, _ = x.shape
        return x.reshape(B, T, self.num_heads, self.head_dim).permute(0, 2, 1, 3)  # (B, T, D) -> (B, H, T, d)

    def forward(self, x, keep_mask):
        q, k, v = self.split_heads(self.query(x)), self.split_heads(self.key(x)), self.split_heads(self.value(x))
        context, probs = F.scaled_dot_product_attention(q, k, v, mask=keep_mask, dropout_p=self.dropout_p,
                                                        training=self.training)  # (B, H, T, d), (B, H, T, T)
        B, H, T, d = context.shape
        context = context.permute(0, 2, 1, 3).reshape(B, T, H * d)  # (B, H, T, d) -> (B, T, H, d) -> (B, T, D)
        return context, probs


class BertSelfOutput(nn.Module):
    """LN(input + Dropout(dense(attention context))): the output projection W_O and the post-LN residual."""

    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden, residual):
        return self.LayerNorm(residual + self.dropout(self.dense(hidden)))


class BertAttention(nn.Module):
    """attention.self (the heads) + attention.output (projection, residual, LayerNorm)."""

    def __init__(self, config):
        super().__init__()
        self.self = BertSelfAttention(config)  # `self.self`: Hugging Face's name, kept for the checkpoint keys
        self.output = BertSelfOutput(config)

    def forward(self, x, keep_mask):
        context, probs = self.self(x, keep_mask)
        return self.output(context, x), probs


class BertIntermediate(nn.Module):
    """act(x W1ᵀ + b1), the widening half of the feed-forward block (hidden -> intermediate_size)."""

    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.act = config.hidden_act

    def forward(self, x):
        h = self.dense(x)  # (B, T, intermediate)
        approximate = ACTIVATIONS[self.act]
        return F.relu(h) if approximate is None else F.gelu(h, approximate=approximate)


class BertOutput(nn.Module):
    """LN(residual + Dropout(h W2ᵀ + b2)), the narrowing half of the feed-forward block and its residual."""

    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden, residual):
        return self.LayerNorm(residual + self.dropout(self.dense(hidden)))


class BertLayer(nn.Module):
    """One post-LN encoder block: attention sub-layer, then feed-forward sub-layer."""

    def __init__(self, config):
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config)

    def forward(self, x, keep_mask):
        a, probs = self.attention(x, keep_mask)
        return self.output(self.intermediate(a), a), probs


class BertEncoder(nn.Module):
    """The stack `encoder.layer.{i}`; optionally collects every layer's input/output and attention weights."""

    def __init__(self, config):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(config) for _ in range(config.num_hidden_layers)])

    def forward(self, x, keep_mask, output_attentions=False, output_hidden_states=False):
        hidden_states, attentions = [x] if output_hidden_states else None, [] if output_attentions else None
        for layer in self.layer:
            x, probs = layer(x, keep_mask)
            if output_hidden_states:
                hidden_states.append(x)  # [0] embeddings, [i] after layer i, as Hugging Face orders them
            if output_attentions:
                attentions.append(probs)  # (B, H, T, T), outside the graph
        return x, hidden_states, attentions


class BertPooler(nn.Module):
    """tanh(h[:, 0] Wpᵀ + bp): the [CLS] token's final vector, through one dense layer (trained on NSP)."""

    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden):
        return self.dense(hidden[:, 0]).tanh()  # (B, T, D) -> (B, D)
