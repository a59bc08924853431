"""Elementwise ops: binary arithmetic with broadcasting, and the unary functions. dx = dy * f'(x)."""
from .. import backend
from ..autograd import Function
from .broadcast import broadcast_shape, unbroadcast


class Binary(Function):
    """Two inputs that broadcast against each other; shapes are checked before any work."""

    def forward(self, a, b):
        broadcast_shape(type(self).__name__.lower(), a, b)
        self.a, self.b = a, b
        return self.compute(a, b)

    def backward(self, grad):
        # BEGIN SOLUTION t1.2 elementwise backward with broadcasting
        need_a, need_b = (t.requires_grad for t in self.inputs)  # skip work nobody will use
        grad_a, grad_b = self.local_grads(grad, need_a, need_b)
        return (unbroadcast(grad_a, self.a.shape) if need_a else None,
                unbroadcast(grad_b, self.b.shape) if need_b else None)
        # END SOLUTION


class Add(Binary):
    """y = a + b;  da = dy, db = dy"""
    compute = staticmethod(lambda a, b: a + b)

    def local_grads(self, g, need_a, need_b):
        return g, g


class Sub(Binary):
    """y = a - b;  da = dy, db = -dy"""
    compute = staticmethod(lambda a, b: a - b)

    def local_grads(self, g, need_a, need_b):
        return g, (-g if need_b else None)


class Mul(Binary):
    """y = a * b;  da = dy * b, db = dy * a"""
    compute = staticmethod(lambda a, b: a * b)

    def local_grads(self, g, need_a, need_b):
        return (g * self.b if need_a else None), (g * self.a if need_b else None)


class Div(Binary):
    """y = a / b;  da = dy / b, db = -dy * a / b^2"""
    compute = staticmethod(lambda a, b: a / b)

    def local_grads(self, g, need_a, need_b):
        grad_a = g / self.b
        return grad_a, (-grad_a * self.a / self.b if need_b else None)


class Pow(Binary):
    """y = a ** b;  da = dy * b * a^(b-1), db = dy * y * ln(a) (taken as 0 where a <= 0, as PyTorch does)"""

    def compute(self, a, b):
        self.y = a ** b
        return self.y

    def local_grads(self, g, need_a, need_b):
        xp = backend.array_module(g)
        grad_a = g * self.b * self.a ** (self.b - 1) if need_a else None
        grad_b = None
        if need_b:
            positive = self.a > 0
            grad_b = g * self.y * xp.log(xp.where(positive, self.a, 1)) * positive
        return grad_a, grad_b


class Unary(Function):
    """One input; subclasses give y = f(x) and dx from dy."""

    def forward(self, x):
        self.x = x
        self.y = self.compute(x)
        return self.y


class Neg(Unary):
    """y = -x;  dx = -dy"""
    compute = staticmethod(lambda x: -x)
    backward = lambda self, g: (-g,)  # noqa: E731


class Exp(Unary):
    """y = e^x;  dx = dy * y"""
    compute = staticmethod(lambda x: backend.array_module(x).exp(x))
    backward = lambda self, g: (g * self.y,)  # noqa: E731


class Log(Unary):
    """y = ln x;  dx = dy / x"""
    compute = staticmethod(lambda x: backend.array_module(x).log(x))
    backward = lambda self, g: (g / self.x,)  # noqa: E731


class Sqrt(Unary):
    """y = sqrt x;  dx = dy / (2 y)"""
    compute = staticmethod(lambda x: backend.array_module(x).sqrt(x))
    backward = lambda self, g: (g / (2 * self.y),)  # noqa: E731


class Tanh(Unary):
    """y = tanh x;  dx = dy * (1 - y^2)"""
    compute = staticmethod(lambda x: backend.array_module(x).tanh(x))
    backward = lambda self, g: (g * (1 - self.y * self.y),)  # noqa: E731


class ReLU(Unary):
    """y = max(x, 0);  dx = dy * [x > 0]"""
    compute = staticmethod(lambda x: backend.array_module(x).maximum(x, 0))
    backward = lambda self, g: (g * (self.x > 0),)  # noqa: E731


class Sigmoid(Unary):
    """y = 1 / (1 + e^-x), computed without overflow;  dx = dy * y * (1 - y)"""

    @staticmethod
    def compute(x):
        xp = backend.array_module(x)
        e = xp.exp(-xp.abs(x))  # e <= 1, so no overflow for large |x|
        return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))

    backward = lambda self, g: (g * self.y * (1 - self.y),)  # noqa: E731


class Abs(Unary):
    """y = |x|;  dx = dy * sign(x)"""
    compute = staticmethod(lambda x: backend.array_module(x).abs(x))
    backward = lambda self, g: (g * backend.array_module(g).sign(self.x),)  # noqa: E731


class Cast(Function):
    """y = x as another dtype;  dx = dy cast back (nothing flows into a non-float input)."""

    def forward(self, x, dtype):
        self.dtype = x.dtype
        return x.astype(dtype, copy=False)

    def backward(self, g):
        return (g.astype(self.dtype) if backend.is_float(self.dtype) else None,)
