"""Lesson 1 — backpropagation, by hand and by machine.

A neural network is one long expression; training needs the derivative of its loss with respect to every
parameter. Writing those derivatives out by hand does not scale, and measuring them numerically costs two
evaluations per parameter. Reverse-mode automatic differentiation gets all of them for the price of about one
more evaluation: every operation records where its inputs came from, and `backward()` walks that record from
the output back to the inputs, multiplying local derivatives by the chain rule.

In this lesson we
1. build a small expression graph by hand and look at it,
2. call backward() and check every gradient against a finite difference, in a table,
3. see two details that matter: a value used twice collects gradient from both uses, and broadcasting is undone,
4. plot a function, its autograd derivative and the numeric derivative on one figure.

The code you are reading runs on `minitransformer/autograd.py` (the engine) and `minitransformer/ops/`
(one Function per operation). The classroom tasks t1.1–t1.4 ask you to write those pieces yourself.

Run:  python lessons/01_autograd.py          (the figure goes to lessons/figures/)
"""
import os
import pathlib

import matplotlib

matplotlib.use("Agg")  # no window: we only save PNGs
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minitransformer as mt  # noqa: E402

QUICK = os.environ.get("MT_LESSON_QUICK") == "1"  # the test suite sets this; the lesson is fast anyway
FIGURES = pathlib.Path(__file__).resolve().parent / "figures"
FIGURES.mkdir(parents=True, exist_ok=True)

# ---------------------------------------------------------------- 1. an expression graph, built by hand
# f(a, b, c) = tanh(a * b + c) * a  — three inputs, four operations. float64, so the numeric check below is
# accurate to ~1e-10 (in float32 a finite difference is only good to ~1e-3).
a = mt.tensor(0.7, dtype="float64", requires_grad=True)
b = mt.tensor(-1.3, dtype="float64", requires_grad=True)
c = mt.tensor(0.4, dtype="float64", requires_grad=True)

u = a * b          # u = a b
v = u + c          # v = u + c
w = v.tanh()       # w = tanh v
f = w * a          # f = w a      (a is used twice: here and in u)

# Every non-leaf tensor knows the Function that made it and that Function's inputs: that is the graph.
print("1. the graph that f remembers (each node: the op that made it, and its inputs)")
names = {id(a): "a", id(b): "b", id(c): "c", id(u): "u", id(v): "v", id(w): "w", id(f): "f"}
for node in (f, w, v, u):
    fn = node._creator
    print(f"   {names[id(node)]} = {type(fn).__name__:<5} of ({', '.join(names[id(t)] for t in fn.inputs)})")
print(f"   a, b, c are leaves: {a.is_leaf and b.is_leaf and c.is_leaf}")

# ---------------------------------------------------------------- 2. backward, and a finite-difference check
# backward() visits f, w, v, u in reverse topological order. At each node it multiplies the incoming gradient
# by the local derivative (the op's backward) and passes the result to the node's inputs:
#   df/dw = a,   df/dv = a (1 - w^2),   df/du = df/dv,   df/dc = df/dv,   df/db = df/du * a,
#   df/da = df/du * b + w      <- two paths into a, summed
f.backward()

# The check is the definition of a derivative: nudge one input by +-eps, see how f moves.
# Central differences (f(x+eps) - f(x-eps)) / 2 eps are accurate to eps^2 ~ 1e-12, far below what we compare.
def f_of(av, bv, cv):
    return np.tanh(av * bv + cv) * av


values = {"a": 0.7, "b": -1.3, "c": 0.4}
eps = 1e-6
print("\n2. every gradient of f = tanh(a*b + c) * a, autograd vs finite difference")
print(f"   {'input':<6}{'autograd':>14}{'numeric':>14}{'|difference|':>15}")
worst = 0.0
for name, leaf in (("a", a), ("b", b), ("c", c)):
    up = dict(values, **{name: values[name] + eps})
    down = dict(values, **{name: values[name] - eps})
    numeric = float(f_of(up["a"], up["b"], up["c"]) - f_of(down["a"], down["b"], down["c"])) / (2 * eps)
    grad = leaf.grad.item()
    worst = max(worst, abs(grad - numeric))
    print(f"   {name:<6}{grad:>14.8f}{numeric:>14.8f}{abs(grad - numeric):>15.2e}")
print(f"   largest difference: {worst:.1e}  <- notice: agreement to ~1e-10, the finite difference's own error")
# The same check, for any function and every element, is one call (it is what the test suite runs on every op):
print(f"   mt.gradcheck on the same function: {mt.gradcheck(lambda a, b, c: (a * b + c).tanh() * a, a, b, c)}")

# Intermediate results do not keep a gradient (that would cost memory for nothing), and the graph is freed:
print(f"   intermediates keep no .grad: u.grad is {u.grad}, v.grad is {v.grad}")
try:
    f.backward()
except RuntimeError as err:
    print(f"   a second backward() is refused: {str(err)[:68]}...")

# ---------------------------------------------------------------- 3. two details: reuse and broadcasting
# (i) A value used twice. b2 = x + x is 2x, so d(b2)/dx = 2: the engine must SUM the gradients arriving along
# both edges, not let the second overwrite the first.
x = mt.tensor(3.0, dtype="float64", requires_grad=True)
(x + x).backward()
print(f"\n3. d(x + x)/dx = {x.grad.item():.1f}  <- both uses of x contribute")

# (ii) Broadcasting. Adding a bias of shape (3,) to a batch of shape (4, 3) copies the bias into every row;
# in backward the copies' gradients are summed back into the one bias (ops/broadcast.py: unbroadcast).
h = mt.tensor(np.ones((4, 3)), dtype="float64")
bias = mt.tensor([0.1, 0.2, 0.3], dtype="float64", requires_grad=True)
(h + bias).sum().backward()
print(f"   bias of shape (3,) added to 4 rows: its gradient is {bias.grad.numpy()}  <- one per row, summed")

# ---------------------------------------------------------------- 4. a function and its derivative, plotted
# g(x) = tanh(3x) exp(-x^2/2) + x sigmoid(x), made only of our primitives. One backward() gives g'(x) at every
# point at once: the loss sum_i g(x_i) has d/dx_i = g'(x_i), because the points do not interact.
points = 61 if QUICK else 401
xs = mt.tensor(np.linspace(-3, 3, points), dtype="float64", requires_grad=True)


def g(t):
    return (3 * t).tanh() * (-(t * t) / 2).exp() + t.sigmoid() * t


g(xs).sum().backward()
auto = xs.grad.numpy()
grid = xs.numpy()
with mt.no_grad():  # plain evaluations, no graph needed
    numeric = (g(mt.tensor(grid + eps, dtype="float64")).numpy() -
               g(mt.tensor(grid - eps, dtype="float64")).numpy()) / (2 * eps)
print(f"\n4. g'(x) on {points} points: largest |autograd - numeric| = {np.abs(auto - numeric).max():.1e}")

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(grid, g(mt.tensor(grid, dtype="float64")).numpy(), label="g(x) = tanh(3x) exp(-x²/2) + x sigmoid(x)")
ax.plot(grid, auto, label="g'(x) by autograd", linewidth=3, alpha=0.5)
ax.plot(grid[::4], numeric[::4], "k.", label="g'(x) by central differences")
ax.axhline(0, color="grey", linewidth=0.5)
ax.set_xlabel("x")
ax.legend(loc="lower right", fontsize=8)
ax.set_title("One backward() gives the derivative at every point")
fig.tight_layout()
path = FIGURES / "01_autograd_derivative.png"
fig.savefig(path, dpi=100)
print(f"   saved {path.relative_to(FIGURES.parent.parent)}  <- notice: the dots sit on the thick curve")
