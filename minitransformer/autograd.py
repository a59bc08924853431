"""Reverse-mode autograd: the Function base class, the backward engine and no_grad.

Every differentiable primitive is a `Function` subclass with `forward(*arrays)` and `backward(grad)`.
`Function.apply` runs forward on the inputs' arrays and, when a gradient is wanted, records the function as
the output's creator. `backward()` then walks the recorded graph in reverse topological order.
"""
import contextlib

from . import backend

_grad_enabled = True
Tensor = None  # set by tensor.py once the class exists (tensor.py imports this module, so not the other way)


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
        """Run forward on the inputs' data and record the graph edge when any input requires grad.

        forward returns one array, or a tuple of arrays: then the first is the differentiable output and the others
        come back as tensors outside the graph (attention's weights), and apply returns the tuple of tensors."""
        if backend.multi_device() and len(inputs) > 1:  # until a second device is used every array is on the CPU
            check_same_device(cls.__name__, inputs)
        fn = cls()
        result = fn.forward(*[t.data for t in inputs], **options)
        outputs = [Tensor._wrap(a) for a in result] if isinstance(result, tuple) else [Tensor._wrap(result)]
        out = outputs[0]
        if _grad_enabled and cls.differentiable and out.data.dtype.kind == "f":  # int/bool outputs: no grad
            for t in inputs:
                if t.requires_grad:
                    fn.inputs = inputs
                    fn.freed = False
                    out.requires_grad = True
                    out._creator = fn
                    break
        return tuple(outputs) if isinstance(result, tuple) else out

    def release(self):
        """Drop what forward saved and the links to the inputs, so the graph's memory is freed after backward
        even while the output is still referenced (a list of losses must not keep every activation alive)."""
        self.__dict__.clear()
        self.inputs, self.freed = (), True


def check_same_device(op, tensors):
    """A RuntimeError naming the op and every device when the inputs do not all live on one device."""
    devices = [t.device for t in tensors]
    for d in devices[1:]:  # a few string comparisons in the common case; the set is built only for the error
        if d != devices[0]:
            raise RuntimeError(f"{op}: tensors are on different devices ({', '.join(sorted(set(devices)))}); "
                               "move them to one device with .to(device) first")


FREED = ("backward through the graph a second time: its saved arrays were freed after the first backward(); "
         "call backward(retain_graph=True) the first time")


def topological_order(root):
    """Every node that leads to `root` and requires grad, inputs before outputs (iterative: no recursion limit).
    A node whose graph an earlier backward() freed is an error here, before any leaf's .grad has changed."""
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
            if node._creator.freed:
                raise RuntimeError(FREED)
            for parent in node._creator.inputs:
                if parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def run_backward(root, grad, retain_graph=False):
    """Propagate d(root)/d(node) to every leaf; leaves accumulate into .grad, intermediates keep nothing."""
    # BEGIN SOLUTION t1.3 backward engine
    grads = {id(root): grad}
    for node in reversed(topological_order(root)):
        node_grad = grads.pop(id(node), None)
        if node_grad is None:
            continue
        fn = node._creator
        if fn is None:  # a leaf: accumulate across backward() calls until zero_grad
            if node_grad.dtype != node.data.dtype:  # float32 leaf used beside float64: its grad stays float32
                node_grad = node_grad.astype(node.data.dtype)
            if node.grad is None:  # its own writable copy: backward may hand out read-only or shared views
                node.grad = Tensor._wrap(node_grad.copy())
            else:
                node.grad = Tensor._wrap(node.grad.data + node_grad)
            continue
        parent_grads = fn.backward(node_grad)
        if len(parent_grads) != len(fn.inputs):
            raise RuntimeError(f"{type(fn).__name__}.backward returned {len(parent_grads)} gradients for "
                               f"{len(fn.inputs)} inputs")
        for parent, parent_grad in zip(fn.inputs, parent_grads):
            if parent_grad is None or not parent.requires_grad:
                continue
            if parent_grad.shape != parent.data.shape:
                raise RuntimeError(f"{type(fn).__name__}.backward returned a gradient of shape "
                                   f"{tuple(parent_grad.shape)} for an input of shape {parent.shape}")
            previous = grads.get(id(parent))  # a node used twice (b = a + a) sums both contributions
            grads[id(parent)] = parent_grad if previous is None else previous + parent_grad
        if not retain_graph:
            fn.release()
    # END SOLUTION
