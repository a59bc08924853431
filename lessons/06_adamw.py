"""Lesson 6 — AdamW: why the weight decay has to be decoupled, and the learning-rate schedule.

Weight decay pulls every weight a little toward 0 at each step, a prior that says "prefer small weights".
With plain SGD there are two ways to write it and they are the same thing:

    L2 regularisation:  add wd/2 · ‖w‖² to the loss, i.e. add wd·w to the gradient
    weight decay:       w ← w · (1 − lr·wd) before the gradient step

With Adam they are not. Adam divides each gradient by sqrt(v), a running size of that weight's gradients.
If the decay rides on the gradient (Adam + L2, what torch.optim.Adam(weight_decay=...) does), it is divided
too, so how hard a weight is decayed depends on its gradient history. AdamW (Loshchilov & Hutter, 2019) takes
the decay out of the adaptive step: every weight shrinks by the same factor (1 − lr·wd), then Adam moves it.

We see it on the smallest model that shows it: a linear regression y = X·w with autograd, where the
features come in three units — like a length measured in metres, in decimetres and in centimetres: the
same kind of signal, numbers 100× apart. Then we plot the warmup/decay schedule used to train Transformers.

Run:  python lessons/06_adamw.py          (figures go to lessons/figures/)
"""
import os
import pathlib

import matplotlib

matplotlib.use("Agg")  # no window: we only save PNGs
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minitransformer as mt  # noqa: E402
from minitransformer.optim import (SGD, Adam, AdamW, get_constant_schedule_with_warmup,  # noqa: E402
                                   get_cosine_schedule_with_warmup, get_linear_schedule_with_warmup)

QUICK = os.environ.get("MT_LESSON_QUICK") == "1"  # the test suite sets this: fewer steps, same story
STEPS = 400 if QUICK else 2000
FIGURES = pathlib.Path(__file__).resolve().parent / "figures"
FIGURES.mkdir(parents=True, exist_ok=True)
np.set_printoptions(precision=3, suppress=True)

# ---------------------------------------------------------------- 1. the data: one signal, three units
# 12 features, 4 in each unit. The true weights are all of size ~1, so every feature matters, but a feature
# in small units moves y (and so the loss, and so its gradient) 100x less than one in large units.
rng = np.random.default_rng(0)
n, UNITS = 256, (0.1, 1.0, 10.0)
scales = np.repeat(UNITS, 4)
w_true = rng.choice([-1.0, 1.0], 12) * rng.uniform(0.5, 1.5, 12)
X = rng.standard_normal((n, 12)) * scales
y = X @ w_true + 0.01 * rng.standard_normal(n)
# One more feature that is 0 in every training example (think: a word that never occurs in this data set).
# Its weight starts at 1 (left over from pre-training, say); the data will never push on it.
X = np.concatenate([X, np.zeros((n, 1))], axis=1)  # (256, 13)
w_start = np.zeros(13)
w_start[12] = 1.0
X_t, y_t = mt.tensor(X), mt.tensor(y)  # float32, like the rest of the library

# ---------------------------------------------------------------- 2. the model and the loop
LR, WD = 0.02, 0.1


def train(make_optimizer, steps=STEPS):
    """Full-batch training of y ≈ X·w on the loss ½·mean((X·w − y)²); returns w after every step."""
    w = mt.tensor(w_start, requires_grad=True)
    optimizer = make_optimizer([w])
    history = []
    for _ in range(steps):
        loss = ((X_t @ w - y_t) ** 2).mean() * 0.5  # (256,) residuals -> scalar
        optimizer.zero_grad()
        loss.backward()  # w.grad = Xᵀ(X·w − y)/n: the unused feature's entry is exactly 0
        optimizer.step()
        history.append(w.numpy().copy())
    return np.array(history)  # (steps, 13)


RUNS = {
    "SGD + L2": lambda ps: SGD(ps, lr=0.009, weight_decay=WD),  # 0.009: about the largest stable lr here
    "Adam, no decay": lambda ps: Adam(ps, lr=LR),
    "Adam + L2": lambda ps: Adam(ps, lr=LR, weight_decay=WD),
    "AdamW": lambda ps: AdamW(ps, lr=LR, weight_decay=WD),
}
histories = {name: train(make) for name, make in RUNS.items()}


def kept(history):
    """Learned weight / true weight, averaged per unit group: 1 = fully learned, 0 = decayed away. (steps, 3)"""
    ratio = history[:, :12] / w_true
    return ratio.reshape(len(history), 3, 4).mean(axis=2)


print(f"After {STEPS} steps, the fraction of each true weight that was learned, per unit of its feature:")
print(f"{'':16s}" + "".join(f"{'units ' + str(u):>12s}" for u in UNITS))
for name, history in histories.items():
    print(f"{name:16s}" + "".join(f"{k:12.3f}" for k in kept(history)[-1]))

# Where does Adam + L2 end? Where the gradient of loss + wd/2·‖w‖² is zero — the ridge solution, which we can
# solve in closed form. Adam's sqrt(v) changes the path, not the destination.
X12 = X[:, :12]
ridge = np.linalg.solve(X12.T @ X12 / n + WD * np.eye(12), X12.T @ y / n)
gap = np.abs(histories["Adam + L2"][-1, :12] - ridge).max()
print(f"\nAdam + L2 ends at the closed-form ridge solution: largest difference {gap:.1e}.")
print("Ridge keeps s²/(s² + wd) of a weight whose feature has size s:",
      ", ".join(f"units {u}: {u * u / (u * u + WD):.3f}" for u in UNITS))
adamw_kept = kept(histories["AdamW"])[-1].min()
print(f"Notice: with L2 the features in small units lose most of their weight: their loss is flat (curvature\n"
      f"s²), so the pull wd·w outweighs it, and Adam's sqrt(v) rescales both together — it changes the path,\n"
      f"not the destination. AdamW's decay bypasses sqrt(v): it takes lr·wd of every weight per step, and the\n"
      f"normalised gradient step wins the weights back in every unit group ({adamw_kept:.0%} or more kept here).")

fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), sharey=True)
for g, (ax, unit) in enumerate(zip(axes, UNITS)):
    for name, history in histories.items():
        ax.plot(kept(history)[:, g], label=name)
    ax.axhline(unit * unit / (unit * unit + WD), color="gray", ls="--", lw=1, label="ridge: s²/(s²+wd)")
    ax.set_title(f"features in units of {unit}")
    ax.set_xlabel("step")
    ax.set_ylim(-0.05, 1.1)
axes[0].set_ylabel("learned / true weight")
axes[0].legend(fontsize=8)
fig.suptitle(f"Weight decay wd={WD}: Adam + L2 ends at the ridge solution (dashed), AdamW keeps most of "
             "every weight")
fig.tight_layout()
fig.savefig(FIGURES / "06_weight_decay.png", dpi=100)

# ---------------------------------------------------------------- 3. a weight the data never touches
# Its gradient is exactly 0, so only the decay moves it. AdamW and SGD: w·(1 − lr·wd)ᵗ, an exponential whose
# speed wd sets. Adam + L2: the "gradient" is wd·w alone, Adam divides it by its own size, and every step
# moves the weight by about lr whatever wd is — a decay strength of 0.1 or 0.001 gives nearly the same curve.
dead = {f"{name}, wd={wd}": train(lambda ps, cls=cls, wd=wd: cls(ps, lr=LR, weight_decay=wd))[:, 12]
        for name, cls in (("Adam + L2", Adam), ("AdamW", AdamW)) for wd in (WD, WD / 100)}
steps = np.arange(1, STEPS + 1)
print(f"\nThe unused weight (starts at 1.0) after 25 / {STEPS} steps:")
for name, curve in dead.items():
    print(f"  {name:22s} {curve[24]:.3f} / {curve[-1]:.3f}")
off = np.abs(dead[f"AdamW, wd={WD}"] - (1 - LR * WD) ** steps).max()
print(f"  AdamW, wd={WD} follows (1 − lr·wd)ᵗ: largest difference {off:.1e} over {STEPS} steps.")
print("Notice: in Adam + L2 the decay strength hardly matters for such a weight; in AdamW it is the whole story.")

fig, ax = plt.subplots(figsize=(6.5, 4))
for name, curve in dead.items():
    ax.plot(steps, curve, label=name, ls="--" if name.endswith(f"={WD / 100}") else "-")  # the L2 pair overlaps
ax.plot(steps, (1 - LR * WD) ** steps, "k:", lw=1, label="(1 − lr·wd)ᵗ")
ax.set_xlabel("step")
ax.set_ylabel("weight of the unused feature")
ax.set_title("A weight with zero gradient: only the decay moves it")
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(FIGURES / "06_unused_weight.png", dpi=100)

# ---------------------------------------------------------------- 4. the learning-rate schedule
# Transformers are trained with a warmup: the lr climbs from 0 over the first steps (Adam's v is still a poor
# estimate then, and big early steps can wreck the attention weights), then decays to 0 by the last step.
# A schedule multiplies each group's initial lr; constructing it already sets step 0 (lr = 0 with warmup).
total, warmup, peak = 1000, 100, 5e-4
curves = {}
for name, make in [("linear (BERT)", lambda o: get_linear_schedule_with_warmup(o, warmup, total)),
                   ("cosine", lambda o: get_cosine_schedule_with_warmup(o, warmup, total)),
                   ("constant", lambda o: get_constant_schedule_with_warmup(o, warmup))]:
    schedule = make(AdamW([mt.tensor([0.0], requires_grad=True)], lr=peak))
    lrs = []
    for _ in range(total + 1):
        lrs.append(schedule.get_last_lr()[0])
        schedule.step()  # in training: after optimizer.step(), once per batch
    curves[name] = lrs
linear = curves["linear (BERT)"]
print(f"\nLinear warmup/decay, peak {peak}: step 0 → {linear[0]}, step {warmup // 2} → {linear[warmup // 2]:.2e}, "
      f"step {warmup} → {linear[warmup]:.2e}, step {total} → {linear[total]}")
print("Notice: the first update is taken at lr 0, the peak is reached exactly at the end of warmup, and the lr\n"
      "is 0 again at the last step (cosine gets there smoothly, constant never does).")

fig, ax = plt.subplots(figsize=(6.5, 4))
for name, lrs in curves.items():
    ax.plot(lrs, label=name)
ax.axvline(warmup, color="gray", ls="--", lw=1, label="end of warmup")
ax.set_xlabel("step")
ax.set_ylabel("learning rate")
ax.set_title(f"Warmup {warmup} steps, then decay over {total}")
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(FIGURES / "06_lr_schedule.png", dpi=100)
print(f"\nFigures: {', '.join(sorted(p.name for p in FIGURES.glob('06_*.png')))} in {FIGURES}")
