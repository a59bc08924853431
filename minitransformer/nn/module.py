"""Module and Parameter: the containers that hold a model's weights, name them, move them and save them.

A Module registers what is assigned to it: `self.weight = Parameter(...)` becomes a parameter,
`self.attn = MultiHeadAttention(...)` a child module, `self.register_buffer("pe", table)` a buffer (a tensor that
moves with the model but is not trained). Names are dotted paths exactly as PyTorch spells them
(`encoder.layers.0.attention.query.weight`), so weights map one to one onto PyTorch / Hugging Face checkpoints.

Buffers are persistent by default (in `state_dict`, as in PyTorch); a buffer registered with `persistent=False`
is not saved. The sinusoidal position table is non-persistent: it is a pure function of (max_len, d_model),
which the config already stores, so saving it would only add bytes (Hugging Face does the same for position_ids).
"""
import collections
import itertools

import numpy as np

from .. import backend
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that is a model weight: always a float leaf that requires grad (dtype kept, float32 by default)."""

    def __init__(self, data, requires_grad=True, dtype=None, device=None):
        if isinstance(data, Tensor):
            data = data.data
        if dtype is None and hasattr(data, "dtype") and backend.is_float(data.dtype):
            dtype = data.dtype  # keep float64 as float64 (gradchecks); lists and ints fall back to float32
        if device is None:
            device = backend.device_of(data)
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, device=device)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


LoadResult = collections.namedtuple("LoadResult", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of every layer: subclasses set attributes in __init__ and define forward(...)."""

    def __init__(self):
        object.__setattr__(self, "_parameters", collections.OrderedDict())
        object.__setattr__(self, "_buffers", collections.OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", collections.OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning {name!r}")
        if name in self._buffers and (value is None or isinstance(value, Tensor)) \
                and not isinstance(value, Parameter):
            self._buffers[name] = value  # assigning a tensor to a buffer's name updates the buffer
            return
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)  # re-assigning a name replaces whatever it was
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        else:
            object.__setattr__(self, name, value)
            return
        self.__dict__.pop(name, None)

    def __getattr__(self, name):  # only called when normal lookup fails: parameters, buffers, children
        for registry in ("_parameters", "_buffers", "_modules"):
            table = self.__dict__.get(registry)
            if table is not None and name in table:
                return table[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def register_buffer(self, name, tensor, persistent=True):
        """A tensor that moves with .to() but is not trained; saved in state_dict unless persistent=False."""
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(tensor, dtype=getattr(tensor, "dtype", None))
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self.__dict__.pop(name, None)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def register_parameter(self, name, param):
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter({name!r}): expected a Parameter, got {type(param).__name__}")
        self._parameters[name] = param

    def add_module(self, name, module):
        self._modules[name] = module

    # ------------------------------------------------------------------ traversal
    def named_children(self):
        return ((name, m) for name, m in self._modules.items() if m is not None)

    def children(self):
        return (m for _, m in self.named_children())

    def named_modules(self, prefix=""):
        """(dotted name, module) for this module and every descendant, depth first, each module once."""
        seen, stack = set(), [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            kids = [(f"{name}.{k}" if name else k, m) for k, m in module.named_children()]
            stack.extend(reversed(kids))  # reversed so children come out in definition order

    def modules(self):
        return (m for _, m in self.named_modules())

    def _named_members(self, table, prefix=""):
        seen = set()
        for module_name, module in self.named_modules(prefix):
            for name, value in getattr(module, table).items():
                if value is None or id(value) in seen:
                    continue  # a shared (tied) tensor is listed once, under its first name, as in PyTorch
                seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self, prefix=""):
        return self._named_members("_parameters", prefix)

    def parameters(self):
        return (p for _, p in self.named_parameters())

    def named_buffers(self, prefix=""):
        return self._named_members("_buffers", prefix)

    def buffers(self):
        return (b for _, b in self.named_buffers())

    def num_parameters(self, trainable_only=False):
        """Total number of scalars in the parameters (each shared tensor counted once)."""
        return sum(p.size for p in self.parameters() if p.requires_grad or not trainable_only)

    # ------------------------------------------------------------------ modes and gradients
    def train(self, mode=True):
        """Training mode (dropout active) for this module and all children; returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None

    def requires_grad_(self, flag=True):
        for p in self.parameters():
            p.requires_grad = bool(flag)
        return self

    # ------------------------------------------------------------------ device and dtype
    def to(self, device=None, dtype=None):
        """Move (and/or cast) every parameter and buffer IN PLACE, so references held elsewhere (an optimizer)
        see the moved arrays; integer buffers keep their dtype. Returns self."""
        device = None if device is None else backend.parse_device(device)
        dtype = None if dtype is None else backend.get_dtype(dtype)
        if dtype is not None and not backend.is_float(dtype):
            raise ValueError(f"Module.to: dtype must be floating point, got {dtype}")
        for t in list(self.parameters()) + list(self.buffers()):
            for holder in (t, t.grad):
                if holder is None:
                    continue
                data = holder.data if device is None else backend.to_device(holder.data, device)
                if dtype is not None and backend.is_float(data.dtype):
                    data = data.astype(dtype, copy=False)
                holder.data = data
        return self

    def double(self):
        """Cast floating parameters and buffers to float64 (for gradient checks)."""
        return self.to(dtype="float64")

    def float(self):
        return self.to(dtype="float32")

    @property
    def device(self):
        """The device of the first parameter (or buffer); "cpu" for a module holding none. Forward passes ask for it,
        so it stops at the first tensor found instead of listing them all."""
        for t in itertools.chain(self.parameters(), self.buffers()):
            return t.device
        return "cpu"

    # ------------------------------------------------------------------ state
    def state_dict(self):
        """name -> NumPy copy of every parameter and persistent buffer (names as PyTorch would give them)."""
        state = collections.OrderedDict()
        for name, p in self.named_parameters():
            state[name] = np.array(backend.to_numpy(p.data), copy=True)
        for module_name, module in self.named_modules():
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent:
                    key = f"{module_name}.{name}" if module_name else name
                    state.setdefault(key, np.array(backend.to_numpy(b.data), copy=True))
        return state

    def load_state_dict(self, state, strict=True):
        """Copy arrays from `state` into this module's tensors by name (cast to each tensor's dtype and device).
        Every problem is found before anything changes: wrong shapes always raise; missing and unexpected keys
        raise when strict, else come back as (missing_keys, unexpected_keys)."""
        targets = dict(self.named_parameters())
        for module_name, module in self.named_modules():
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent:
                    targets.setdefault(f"{module_name}.{name}" if module_name else name, b)
        missing = [k for k in targets if k not in state]
        unexpected = [k for k in state if k not in targets]
        wrong = [f"{k}: checkpoint {tuple(np.shape(v))}, model {targets[k].shape}"
                 for k, v in state.items() if k in targets and tuple(np.shape(v)) != targets[k].shape]
        problems = []
        if strict and missing:
            problems.append(f"missing keys {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys {unexpected}")
        if wrong:
            problems.append(f"wrong shapes [{'; '.join(wrong)}]")
        if problems:
            raise KeyError(f"load_state_dict for {type(self).__name__}: " + ", ".join(problems)
                           + ". Nothing was loaded.")
        for name, target in targets.items():
            if name in state:
                value = state[name].data if isinstance(state[name], Tensor) else state[name]
                value = backend.asarray(value, dtype=target.dtype, device=target.device)
                target.data[...] = value  # in place: whoever holds the tensor sees the new values
        return LoadResult(missing, unexpected)

    # ------------------------------------------------------------------ calling and printing
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def extra_repr(self):
        """The constructor arguments shown in repr (subclasses override)."""
        return ""

    def __repr__(self):
        """The module tree, each line with its own arguments and the parameter count below it."""
        count = self.num_parameters()
        lines = [f"  ({name}): " + repr(m).replace("\n", "\n  ") for name, m in self.named_children()]
        if not lines:  # a leaf layer fits on one line
            return f"{type(self).__name__}({self.extra_repr()})" + (f"  # {count:,} params" if count else "")
        extra = [f"  {self.extra_repr()}"] if self.extra_repr() else []
        return f"{type(self).__name__}(\n" + "\n".join(extra + lines) + f"\n)  # {count:,} params"
