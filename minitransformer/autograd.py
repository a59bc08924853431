"""Reverse-mode autograd: the Function base class, the backward engine and no_grad.

Every differentiable primitive is a `Function` subclass with `forward(*arrays)` and `backward(grad)`.
`Function.apply` runs forward on the inputs' arrays and, when a gradient is wanted, records the function as
the output's creator. `backward()` then walks the recorded graph in reverse topological order.
"""
import contextlib

from . import backend

_grad_enabled = True


def is_grad_enabled():
    return _grad_enabled


@contextlib.contextmanager
def no_grad():
    """Inside this block no graph is recorded: outputs never require grad (for evaluation and updates)."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


@contextlib.contextmanager
def enable_grad():
    """Turn graph recording back on inside a no_grad block."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, True
    try:
        yield
    finally:
        _grad_enabled = previous


class Function:
    """One differentiable primitive. Subclasses save what backward needs on `self` during forward."""

    differentiable = True

    def forward(self, *arrays, **options):
        raise NotImplementedError

    def backward(self, grad):
        """Return one gradient array (or None) per input, each shaped like that input."""
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **options):
        """Run forward on the inputs' data and record the graph edge when any input requires grad."""
        from .tensor import Tensor
        check_same_device(cls.__name__, inputs)
        fn = cls()
        out = Tensor._wrap(fn.forward(*[t.data for t in inputs], **options))
        if _grad_enabled and cls.differentiable and any(t.requires_grad for t in inputs):
            fn.inputs = inputs
            fn.freed = False
            out.requires_grad = True
            out._creator = fn
        return out

    def release(self):
        """Drop everything forward saved, so memory is freed once backward has used it."""
        kept = {"inputs": self.inputs}
        self.__dict__.clear()
        self.__dict__.update(kept, freed=True)


def check_same_device(op, tensors):
    devices = {t.device for t in tensors}
    if len(devices) > 1:
        raise RuntimeError(f"{op}: tensors are on different devices ({', '.join(sorted(devices))}); "
                           "move them to one device with .to(device) first")


def topological_order(root):
    """Every node that leads to `root` and requires grad, inputs before outputs (iterative: no recursion limit)."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        if node._creator is not None:
            for parent in node._creator.inputs:
                if parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def run_backward(root, grad, retain_graph=False):
    """Propagate d(root)/d(node) to every leaf; leaves accumulate into .grad, intermediates keep nothing."""
    from .tensor import Tensor
    # BEGIN SOLUTION t1.3 backward engine
    grads = {id(root): grad}
    for node in reversed(topological_order(root)):
        node_grad = grads.pop(id(node), None)
        if node_grad is None:
            continue
        fn = node._creator
        if fn is None:  # a leaf: accumulate across backward() calls until zero_grad
            node.grad = Tensor._wrap(node_grad if node.grad is None else node.grad.data + node_grad)
            continue
        if fn.freed:
            raise RuntimeError("backward through the graph a second time: its saved arrays were freed after "
                               "the first backward(); call backward(retain_graph=True) the first time")
        for parent, parent_grad in zip(fn.inputs, fn.backward(node_grad)):
            if parent_grad is None or not parent.requires_grad:
                continue
            previous = grads.get(id(parent))  # a node used twice (b = a + a) sums both contributions
            grads[id(parent)] = parent_grad if previous is None else previous + parent_grad
        if not retain_graph:
            fn.release()
    # END SOLUTION
