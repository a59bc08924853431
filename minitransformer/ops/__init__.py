"""The differentiable primitives: one Function subclass per op, forward and backward side by side."""
from .broadcast import broadcast_shape, unbroadcast  # noqa: F401
from .elementwise import (Abs, Add, Cast, Div, Exp, Log, Mul, Neg, Pow, ReLU, Sigmoid, Sqrt, Sub,  # noqa: F401
                          Tanh)
from .matmul import MatMul  # noqa: F401
from .reduce import Max, Mean, Sum  # noqa: F401
from .shape import (Concatenate, GetItem, MaskedFill, Permute, Reshape, Stack, ToDevice, Where,  # noqa: F401
                    normalize_index, scatter_add)
