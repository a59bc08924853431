"""The layers of GPT-2 (Radford et al. 2019), named attribute for attribute as Hugging Face's `modeling_gpt2.py`,
so a checkpoint loads by copying tensors name for name (`h.3.attn.c_attn.weight`, `h.3.mlp.c_fc.bias`, ...).

    block l      a  = h + Dropout(c_proj(CausalMultiHead(ln_1(h))))      ln_1, attn
                 h' = a + Dropout(c_proj(gelu_new(c_fc(ln_2(a)))))       ln_2, mlp

GPT-2 is pre-LN: each sub-layer reads a normalised copy and adds its output to the un-normalised stream, unlike
BERT's LN(x + f(x)). The one change from the encoder's attention is the causal keep-mask: position i may look at
positions 0..i only, so the model cannot peek at the token it is asked to predict. Weights are OpenAI's Conv1D
layout, (in, out): y = x W + b, the transpose of nn.Linear's (out, in).
"""
from .. import backend
from .. import functional as F
from .. import nn
from ..creation import cat, zeros
from ..nn.module import Parameter
from .bert_config import ACTIVATIONS


def causal_keep_mask(T, past, xp):
    """(T, past + T) bool keep-mask: query i (at absolute position past + i) may attend keys 0..past + i."""
    return xp.tri(T, past + T, k=past, dtype=bool)  # lower-triangular, shifted right by the cached length


class Conv1D(nn.Module):
    """y = x W + b with W stored (nx, nf) = (in, out), as OpenAI's GPT-2 and Hugging Face's Conv1D store it."""

    def __init__(self, nf, nx):  # Hugging Face's argument order: out features first
        super().__init__()
        self.nf, self.nx = nf, nx
        self.weight = Parameter(backend.generator("cpu").standard_normal((nx, nf), dtype="float32") * 0.02)
        self.bias = Parameter(zeros(nf))  # (out,)

    def forward(self, x):
        # F.linear wants W as (out, in): the transposed view costs nothing and its GEMM reads W in place
        return F.linear(x, self.weight.T, self.bias)  # (..., nx) -> (..., nf)

    def extra_repr(self):
        return f"nf={self.nf}, nx={self.nx}"


class GPT2Attention(nn.Module):
    """Causal multi-head self-attention; with a cache, the keys and values of earlier positions are reused."""

    def __init__(self, config, layer_idx):
        super().__init__()
        D = config.n_embd
        self.num_heads, self.head_dim, self.layer_idx = config.n_head, config.head_dim, layer_idx
        self.c_attn = Conv1D(3 * D, D)  # q, k, v side by side: (D, 3D)
        self.c_proj = Conv1D(D, D)
        self.attn_pdrop = config.attn_pdrop
        self.resid_dropout = nn.Dropout(config.resid_pdrop)
        # softmax(q kᵀ / sqrt(d)) is what F.scaled_dot_product_attention computes; the config's other scalings are
        # folded into q: none at all (scale_attn_weights=False), or also 1 / (layer index + 1)
        factor = 1.0 if config.scale_attn_weights else self.head_dim ** 0.5
        if config.scale_attn_by_inverse_layer_idx:
            factor /= layer_idx + 1
        self.q_factor = factor

    def forward(self, x, keep, layer_past=None, use_cache=False):
        """x (B, T, D); keep a bool mask broadcastable to (B, H, T, past + T) or None; layer_past (k, v) of
        shape (B, H, past, d) each. Returns (output (B, T, D), present (k, v) or None, weights (B, H, T, past+T))."""
        B, T, D = x.shape
        H, d = self.num_heads, self.head_dim
        qkv = self.c_attn(x).reshape(B, T, 3, H, d).permute(2, 0, 3, 1, 4)  # (B, T, 3D) -> (3, B, H, T, d)
        q, k, v = qkv[0], qkv[1], qkv[2]  # (B, H, T, d) each, views
        if self.q_factor != 1.0:
            q = q * self.q_factor
        if layer_past is not None:  # the cache: keys and values of the positions already seen
            k = cat([layer_past[0], k], axis=2)  # (B, H, past + T, d)
            v = cat([layer_past[1], v], axis=2)
        context, weights = F.scaled_dot_product_attention(q, k, v, mask=keep, dropout_p=self.attn_pdrop,
                                                          training=self.training)  # (B, H, T, d)
        context = context.permute(0, 2, 1, 3).reshape(B, T, D)  # (B, H, T, d) -> (B, T, H, d) -> (B, T, D)
        return self.resid_dropout(self.c_proj(context)), ((k, v) if use_cache else None), weights


class GPT2MLP(nn.Module):
    """Dropout(c_proj(act(c_fc(x)))): widen to n_inner (4 D by default), GELU (tanh form), narrow back."""

    def __init__(self, config):
        super().__init__()
        self.c_fc = Conv1D(config.inner_dim, config.n_embd)
        self.c_proj = Conv1D(config.n_embd, config.inner_dim)
        self.approximate = ACTIVATIONS[config.activation_function]  # "tanh" for gelu_new, None for relu
        self.dropout = nn.Dropout(config.resid_pdrop)

    def forward(self, x):
        h = self.c_fc(x)  # (B, T, n_inner)
        h = F.relu(h) if self.approximate is None else F.gelu(h, approximate=self.approximate)
        return self.dropout(self.c_proj(h))  # (B, T, D)


class GPT2Block(nn.Module):
    """One pre-LN decoder block: x + attn(ln_1(x)), then + mlp(ln_2(.))."""

    def __init__(self, config, layer_idx):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.attn = GPT2Attention(config, layer_idx)
        self.ln_2 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.mlp = GPT2MLP(config)

    def forward(self, x, keep, layer_past=None, use_cache=False):
        a, present, weights = self.attn(self.ln_1(x), keep, layer_past, use_cache)
        x = x + a  # the residual stream stays un-normalised
        return x + self.mlp(self.ln_2(x)), present, weights
