"""Optimizer: parameter groups, per-parameter state, zero_grad, and a state_dict that restores a run exactly.

The layout follows torch.optim so the skills transfer: `param_groups` is a list of dicts, each holding its
`params` and its own hyperparameters (missing ones filled from the optimizer's defaults), and `state` maps a
parameter to its dict of running quantities (step count, moments). Updates are done in place on `p.data`, with
the array module of the data, so no graph is built and the same code runs on NumPy and CuPy.
"""
import numbers

import numpy as np

from .. import backend
from ..autograd import enable_grad
from ..tensor import Tensor
from .flat import FlatGroup, can_flatten


class Optimizer:
    """Base class: subclasses validate their hyperparameters (`_check_group`) and update one parameter (`_update`).

    `_update` is elementwise, so by default it runs once per group on flat arrays holding every parameter
    (optim/flat.py); `multi_tensor = False` (on the class or an instance) updates one parameter at a time.
    `flat_state` names the state arrays kept flat."""

    multi_tensor = True
    flat_state = ()

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.param_groups = []
        self.state = {}  # Tensor -> dict; tensors hash by identity
        self._scratch = {}  # (device, dtype) -> flat array reused for temporaries (never saved)
        self._flat = {}  # group index -> FlatGroup: the group's arrays as views of flat ones (optim/flat.py)
        groups = _as_groups(params)
        checked = []
        for group in groups:
            checked.append(self._prepare_group(group, checked))
        if not any(group["params"] for group in checked):
            raise ValueError(f"{type(self).__name__} got an empty parameter list: pass model.parameters() "
                             "(or a list of tensors / param-group dicts)")
        self.param_groups = checked

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            settings = ", ".join(f"{k}={v}" for k, v in group.items() if k != "params")
            lines.append(f"  group {i}: {len(group['params'])} params, {settings}")
        return "\n".join(lines + [")"])

    # ------------------------------------------------------------------ groups
    def add_param_group(self, group):
        """Append a group (a dict with "params"); its missing hyperparameters come from the defaults."""
        self.param_groups.append(self._prepare_group(group, self.param_groups))

    def _prepare_group(self, group, existing):
        """A validated copy of `group` with defaults filled in; nothing is changed when it is rejected."""
        if not isinstance(group, dict):
            raise TypeError(f"a parameter group must be a dict with a 'params' key, got {type(group).__name__}")
        if "params" not in group:
            raise ValueError(f"a parameter group needs a 'params' key, got keys {sorted(group)}")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for g in existing for p in g["params"]}
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors, but parameter {i} of group "
                                f"{len(existing)} is a {type(p).__name__}")
            if not backend.is_float(p.dtype):
                raise TypeError(f"{type(self).__name__} can only optimize floating-point tensors, but parameter "
                                f"{i} of group {len(existing)} has dtype {p.dtype}")
            if not p.is_leaf:
                raise ValueError(f"parameter {i} of group {len(existing)} is not a leaf tensor (it was computed "
                                 "by an op); optimize the tensor it came from, or .detach() it first")
            if id(p) in seen:
                raise ValueError(f"parameter {i} of group {len(existing)} (shape {p.shape}) appears more than "
                                 "once: a tensor may belong to only one group, once")
            seen.add(id(p))
        filled = dict(self.defaults)
        filled.update({k: v for k, v in group.items() if k != "params"})
        filled["params"] = params
        self._check_group(filled)
        return filled

    def _check_group(self, group):
        """Raise ValueError for a bad hyperparameter; subclasses extend this."""
        lr = group.get("lr")
        if not isinstance(lr, numbers.Real) or isinstance(lr, bool) or not lr >= 0:
            raise ValueError(f"invalid learning rate {lr!r}: expected a number >= 0")
        wd = group.get("weight_decay", 0.0)
        if not isinstance(wd, numbers.Real) or isinstance(wd, bool) or not wd >= 0:
            raise ValueError(f"invalid weight_decay {wd!r}: expected a number >= 0")

    # ------------------------------------------------------------------ the step
    def zero_grad(self, set_to_none=True):
        """Forget the gradients: `.grad = None` (the next backward allocates fresh), or fill them with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.data[...] = 0

    def step(self, closure=None):
        """Update every parameter that has a gradient; `closure` (re-evaluates the loss) is optional."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for index, group in enumerate(self.param_groups):
            hyper = {k: _plain(v) for k, v in group.items() if k != "params"}
            live = [p for p in group["params"] if p.grad is not None]
            for p in live:
                if p.grad.data.shape != p.data.shape:
                    raise ValueError(f"gradient of shape {tuple(p.grad.data.shape)} for a parameter of shape "
                                     f"{p.shape}")
            flat = self._flat_group(index, live)
            if flat is not None:  # every parameter at once: the same kernel on the flat arrays
                self._update(flat.param, flat.gather_grads(), flat.state, hyper)
                flat.publish(self.state)
                continue
            for p in live:
                self._update(p.data, p.grad.data, self.state.setdefault(p, {}), hyper)
        return loss

    def _flat_group(self, index, live):
        """The flat arrays of group `index` for the parameters `live` (optim/flat.py), rebuilt when stale;
        None when they cannot share them (then each parameter is updated alone)."""
        if not self.multi_tensor or len(live) < 2:
            return None
        flat = self._flat.get(index)
        if flat is not None and flat.current(live, self.state):
            return flat
        self._flat.pop(index, None)
        if not can_flatten(live, self.state, self.flat_state):
            return None
        flat = self._flat[index] = FlatGroup(live, self.state, self.flat_state)
        return flat

    def _update(self, param, grad, state, group):
        """Update the array `param` in place from `grad`; `state` is this parameter's dict."""
        raise NotImplementedError(f"{type(self).__name__} must implement _update")

    def _buffer(self, like):
        """A scratch array shaped like `like`, shared by all parameters, so an update allocates nothing."""
        key = (backend.device_of(like), like.dtype)
        flat = self._scratch.get(key)
        if flat is None or flat.size < like.size:
            xp = backend.array_module(like)
            flat = self._scratch[key] = xp.empty_like(like, shape=(like.size,))
        return flat[:like.size].reshape(like.shape)

    # ------------------------------------------------------------------ saving and loading
    def state_dict(self):
        """{"state": {index: {name: ndarray | number}}, "param_groups": [{hyperparameters, "params": [index]}]}.

        Parameters are named by their position across the groups, arrays are copied to NumPy, so the dict can be
        written to disk and loaded into a fresh optimizer built over the same parameters (on any device).
        """
        index, groups, state = 0, [], {}
        for group in self.param_groups:
            saved = {k: v for k, v in group.items() if k != "params"}
            saved["params"] = list(range(index, index + len(group["params"])))
            for p in group["params"]:
                if self.state.get(p):
                    state[index] = {k: _to_saved(v) for k, v in self.state[p].items()}
                index += 1
            groups.append(saved)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore hyperparameters and state exactly; checks the group structure and shapes before changing anything."""
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("expected a dict with 'state' and 'param_groups' (from Optimizer.state_dict())")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"the loaded state has {len(saved_groups)} parameter groups, this optimizer has "
                             f"{len(self.param_groups)}")
        params = []
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"group {i}: the loaded state has {len(saved['params'])} parameters, this "
                                 f"optimizer has {len(group['params'])}")
            params += group["params"]
        new_state = {}
        for key, entry in state_dict["state"].items():
            index = int(key)
            if not 0 <= index < len(params):
                raise ValueError(f"the loaded state names parameter {index}, but there are {len(params)}")
            p = params[index]
            restored = {}
            for name, value in entry.items():
                if _is_array(value) and value.ndim == 0 and not (p.ndim == 0 and value.dtype.kind == "f"):
                    restored[name] = _plain(value)  # a step count that went through np.savez
                elif _is_array(value):
                    if tuple(value.shape) != p.shape:
                        raise ValueError(f"parameter {index}: saved {name!r} has shape {tuple(value.shape)}, "
                                         f"the parameter has shape {p.shape}")
                    array = np.array(backend.to_numpy(value), dtype=p.dtype, copy=True)
                    restored[name] = backend.to_device(array, p.device)
                else:
                    restored[name] = _plain(value)
            new_state[p] = restored
        new_groups = []
        for saved, group in zip(saved_groups, self.param_groups):
            merged = dict(group)
            merged.update({k: _plain(v) for k, v in saved.items() if k != "params"})
            self._check_group(merged)
            new_groups.append(merged)
        # everything checked: now commit
        for group, merged in zip(self.param_groups, new_groups):
            group.update(merged)
        self.state = new_state


def _as_groups(params):
    """Normalise `params` (an iterable of tensors, or of group dicts) to a list of group dicts."""
    if isinstance(params, Tensor):
        raise TypeError("params should be an iterable of Tensors (e.g. model.parameters()), got a single Tensor; "
                        "wrap it in a list")
    if isinstance(params, dict):
        raise TypeError("params should be an iterable of Tensors or of param-group dicts, got one dict; wrap it "
                        "in a list")
    try:
        params = list(params)
    except TypeError:
        raise TypeError(f"params should be an iterable of Tensors or of param-group dicts, got "
                        f"{type(params).__name__}") from None
    if not params:
        raise ValueError("optimizer got an empty parameter list: pass model.parameters() (or a list of tensors)")
    if all(isinstance(p, dict) for p in params):
        return params
    if any(isinstance(p, dict) for p in params):
        raise TypeError("params mixes tensors and param-group dicts: pass one kind only")
    return [{"params": params}]


def _plain(value):
    """NumPy scalars -> Python numbers, so float32 arrays are never upcast by a float64 hyperparameter."""
    if isinstance(value, np.generic):
        return value.item()
    if _is_array(value) and value.ndim == 0:
        return value.item()
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _to_saved(value):
    """A NumPy copy of an array (the optimizer keeps updating its own in place), plain numbers as they are."""
    if _is_array(value):
        return np.array(backend.to_numpy(value), copy=True)
    return _plain(value)


def _is_array(value):
    """A NumPy or CuPy array (not a NumPy scalar, not a Python number)."""
    return hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, np.generic)
