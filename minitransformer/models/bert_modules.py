"""Stand-in layers for BERT until mt.nn lands: Module, Parameter, Linear, LayerNorm, Embedding, Dropout,
ModuleList, with PyTorch's names and semantics (named_parameters in attribute order, state_dict, train/eval, to).

When mt.nn is in place, bert_layers.py / bert.py switch to it by changing one import; nothing else here is BERT-
specific. Weights start at zero/one: BertPreTrainedModel.init_weights sets Hugging Face's init afterwards.
"""
from collections import OrderedDict

from .. import backend
from .. import functional as F
from ..creation import ones, zeros
from ..tensor import Tensor


class Parameter(Tensor):
    """A tensor that is a model weight: requires grad, and a Module registers it by attribute name."""

    def __init__(self, data, dtype=None, device="cpu"):
        super().__init__(data, requires_grad=True, dtype=dtype, device=device)


class Module:
    """Base class: attributes that are Parameters or Modules are registered, in assignment order."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before assigning {name!r}")
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def named_modules(self, prefix=""):
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        return [m for _, m in self.named_modules()]

    def named_parameters(self, prefix=""):
        """(dotted name, Parameter) pairs, each tensor once (a shared weight keeps its first name)."""
        seen = set()
        for module_name, module in self.named_modules(prefix):
            for name, p in module._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{module_name}.{name}" if module_name else name), p

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def state_dict(self):
        return OrderedDict((name, p.data) for name, p in self.named_parameters())

    def load_state_dict(self, state, strict=True):
        params = dict(self.named_parameters())
        missing, unexpected = sorted(set(params) - set(state)), sorted(set(state) - set(params))
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}")
        for name, value in state.items():
            if name in params:
                p = params[name]
                if tuple(value.shape) != p.shape:
                    raise ValueError(f"load_state_dict: {name} has shape {tuple(value.shape)}, expected {p.shape}")
                p.data = backend.asarray(backend.to_numpy(value), dtype=p.dtype, device=p.device)
        return missing, unexpected

    def train(self, mode=True):
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    def to(self, device):
        """Move every parameter's data to `device` in place (the Parameter objects stay the same)."""
        for p in self.parameters():
            p.data = backend.to_device(p.data, device)
            p.grad = None
        return self

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None


class ModuleList(Module):
    """Modules registered under "0", "1", ...: `encoder.layer.3.attention...` in parameter names."""

    def __init__(self, modules=()):
        super().__init__()
        for i, m in enumerate(modules):
            setattr(self, str(i), m)

    def __getitem__(self, i):
        return list(self._modules.values())[i]

    def __iter__(self):
        return iter(self._modules.values())

    def __len__(self):
        return len(self._modules)


class Linear(Module):
    """y = x Wᵀ + b, weight (out, in) as in PyTorch checkpoints."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.weight = Parameter(zeros(out_features, in_features))  # (out, in)
        self.bias = Parameter(zeros(out_features)) if bias else None

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


class LayerNorm(Module):
    """(x - mean) / sqrt(var + eps) * weight + bias over the last axis (biased variance, eps inside the root)."""

    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        self.normalized_shape, self.eps = normalized_shape, eps
        self.weight = Parameter(ones(normalized_shape))
        self.bias = Parameter(zeros(normalized_shape))

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)


class Embedding(Module):
    """weight[ids]; the padding_idx row gets no gradient."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None):
        super().__init__()
        self.padding_idx = padding_idx
        self.weight = Parameter(zeros(num_embeddings, embedding_dim))  # (V, D)

    def forward(self, ids):
        return F.embedding(ids, self.weight, self.padding_idx)


class Dropout(Module):
    def __init__(self, p=0.1):
        super().__init__()
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)
