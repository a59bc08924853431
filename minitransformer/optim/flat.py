"""Multi-tensor updates: a group's parameters, gradients and optimizer state each in one flat array, so a step is
the same update kernel run once over every parameter instead of once per parameter.

A step over 67 parameters was ~10 small array operations per parameter (on a GPU, ~10 kernel launches each, and
the GPU waited on Python). Here each parameter's `.data` and each state array ("exp_avg", "momentum_buffer")
is a view into one flat array per group; the gradients (which backward allocates per parameter) are gathered by
one concatenate; the update kernel then runs once on the flat arrays. The update is elementwise with scalar
hyperparameters, so running it on the concatenation computes, element for element, what it computes on each
parameter alone: the results are identical, not merely close.

The views stay valid until something replaces an array: `module.to(...)`, loading weights (`p.data = ...`),
`optimizer.load_state_dict`. Every step checks, by identity, that the arrays are still the views, and rebuilds
the flat arrays from the current values when they are not. A step where the group's parameters do not all
qualify (mixed dtypes or devices, step counts that differ) runs the per-parameter update instead.
"""
from .. import backend


class FlatGroup:
    """The parameters `params` (all with gradients, one dtype and device) with their data, gradients and the
    state arrays named `names` in flat arrays of shape (total size,), every per-parameter array a view."""

    def __init__(self, params, state, names):
        first = params[0].data
        xp = backend.array_module(first)
        self.params = params
        self.key = tuple(id(p) for p in params)
        self.bounds, total = [], 0
        for p in params:
            self.bounds.append((total, total + p.data.size))
            total += p.data.size
        self.param = self._flatten(xp, [p.data for p in params], first.dtype, total)
        self.data_views = self._views(self.param)
        for p, view in zip(params, self.data_views):
            p.data = view  # the parameter now lives in the flat array
        self.grad = xp.empty((total,), dtype=first.dtype)
        states = [state.get(p, {}) for p in params]
        self.state = {} if "step" not in states[0] else {"step": states[0]["step"]}
        self.state_views = {}
        for name in names:
            arrays = [s.get(name) for s in states]
            if all(a is not None for a in arrays):
                self.state[name] = self._flatten(xp, arrays, first.dtype, total)
        self.publish(state)

    @staticmethod
    def _flatten(xp, arrays, dtype, total):
        flat = xp.empty((total,), dtype=dtype)
        xp.concatenate([a.reshape(-1) for a in arrays], out=flat)  # (total,)
        return flat

    def _views(self, flat):
        return [flat[start:end].reshape(p.shape) for p, (start, end) in zip(self.params, self.bounds)]

    def publish(self, state):
        """Make each parameter's state entries views of the flat state (new flat arrays get their views here)."""
        for p in self.params:
            state.setdefault(p, {})  # as the per-parameter step: an entry, empty for plain SGD
        for name, value in self.state.items():
            if name == "step":
                for p in self.params:
                    state.setdefault(p, {})["step"] = value
                continue
            cached = self.state_views.get(name)
            if cached is None or cached[0] is not value:  # a flat array the update just created
                cached = self.state_views[name] = (value, self._views(value))
            for p, view in zip(self.params, cached[1]):
                entry = state.setdefault(p, {})
                if entry.get(name) is not view:
                    entry[name] = view

    def current(self, params, state):
        """True while `params` are this group's and every array is still the flat arrays' view."""
        if tuple(id(p) for p in params) != self.key:
            return False
        if any(p.data is not view for p, view in zip(params, self.data_views)):
            return False
        step = self.state.get("step")
        for p in params:
            entry = state.get(p, {})
            if entry.get("step") != step:
                return False
        for name, (value, views) in self.state_views.items():
            if self.state.get(name) is not value:
                return False
            if any(state[p].get(name) is not view for p, view in zip(params, views)):
                return False
        return True

    def gather_grads(self):
        """The gradients into the flat gradient array: one concatenate."""
        xp = backend.array_module(self.grad)
        xp.concatenate([p.grad.data.reshape(-1) for p in self.params], out=self.grad)  # (total,)
        return self.grad


def can_flatten(params, state, names):
    """True when `params` can share flat arrays: one dtype and device, and the same optimizer state (all fresh,
    or all at one step count with every named array present or every one absent)."""
    if not params:
        return False
    first = params[0].data
    kind = (type(first), first.dtype, backend.device_of(first))
    states = [state.get(p, {}) for p in params]
    if any((type(p.data), p.data.dtype, backend.device_of(p.data)) != kind for p in params):
        return False
    if any(p.grad.data.dtype != first.dtype or type(p.grad.data) is not type(first) for p in params):
        return False
    if any(s.get("step") != states[0].get("step") for s in states):
        return False
    return all(len({s.get(name) is None for s in states}) == 1 for name in names)
