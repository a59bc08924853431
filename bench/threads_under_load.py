"""Does the default thread policy ever hurt? The lesson and base training steps (bench/train_step.py's configs,
AdamW, forward + backward + step) with the default threads and single-threaded, on a quiet machine and beside one
and two competing busy processes that this script starts and stops itself.

    python bench/threads_under_load.py [--rounds 5] [--steps 3] [--baseline /path/to/other/checkout]

Single-threaded means OPENBLAS_NUM_THREADS=1 MT_NUM_THREADS=1. Each side is a long-lived child process (as a
training run is); the sides take turns, a few steps each per round, with a pause between turns so neither runs
beside the other's idling BLAS threads. `--baseline` adds a third side: the default threads of another checkout
(the code before a change), so "quiet: no worse than before" is measured in the same run.

Prints the median step time of each side and the ratio default / single per condition (target: <= 1.05 under
load), also paired (the median over rounds of the two sides' ratio in the same round, which cancels the drift of
the machine's other load), the load average beside each line, and saves bench/figures/threads_under_load.png.
The other processes of the machine count as load too: read the load average beside the numbers.
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
CONFIGS = {
    "lesson": dict(vocab=4000, d=128, heads=4, layers=2, ff=512, seq=64, batch=32, classes=2),
    "base": dict(vocab=8000, d=256, heads=4, layers=4, ff=1024, seq=128, batch=32, classes=2),
}
SINGLE = {"OPENBLAS_NUM_THREADS": "1", "MT_NUM_THREADS": "1"}
BUSY = "while True: pass"
PAUSE = 0.3  # seconds between turns: BLAS threads that spin after a GEMM settle down


def worker():
    """Child: read 'CONFIG STEPS' lines, answer with the step times (JSON list, seconds)."""
    import numpy as np

    import minitransformer as mt
    from minitransformer.models import TransformerClassifier
    from minitransformer.optim import AdamW

    steps = {}

    def make(name):
        c = CONFIGS[name]
        mt.manual_seed(0)
        model = TransformerClassifier(c["vocab"], c["classes"], d_model=c["d"], num_heads=c["heads"],
                                      num_layers=c["layers"], d_ff=c["ff"], max_len=c["seq"], dropout=0.0)
        rng = np.random.default_rng(0)
        ids = mt.tensor(rng.integers(1, c["vocab"], size=(c["batch"], c["seq"])))
        labels = mt.tensor(rng.integers(0, c["classes"], size=c["batch"]))
        opt = AdamW(model.parameters(), lr=1e-3)

        def step():
            loss = model(ids, labels=labels).loss
            loss.backward()
            opt.step()
            opt.zero_grad()
            return loss.item()
        for _ in range(2):  # warm up: first-touch allocations, thread start
            step()
        return step

    for line in sys.stdin:
        name, count = line.split()
        if name not in steps:
            steps[name] = make(name)
        step = steps[name]
        times = []
        for _ in range(int(count)):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        print(json.dumps(times), flush=True)


def start_side(env_changes, path):
    env = {k: v for k, v in os.environ.items() if k not in SINGLE}
    env.update(env_changes, PYTHONPATH=str(path))
    return subprocess.Popen([sys.executable, __file__, "--worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env=env, cwd=path)


def measure(sides, configs, rounds, steps):
    """{(side, config): [[step times of round 0], ...]}: the sides take turns, reversing the order every round."""
    times = {(side, name): [] for side in sides for name in configs}
    order = list(sides)
    for r in range(rounds):
        for name in configs:
            for side in (order if r % 2 == 0 else order[::-1]):
                time.sleep(PAUSE)
                process = sides[side]
                process.stdin.write(f"{name} {steps}\n")
                process.stdin.flush()
                times[(side, name)].append(json.loads(process.stdout.readline()))
    return times


def paired_ratio(times, side, other, name):
    """The median over rounds of side's median step / other's in the same round: the neighbours' load drifts
    between rounds, and this compares each side only with the turn taken right beside it."""
    rounds = zip(times[(side, name)], times[(other, name)])
    return statistics.median(statistics.median(a) / statistics.median(b) for a, b in rounds)


def plot(table, conditions, configs, sides, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(configs), figsize=(5 * len(configs), 3.8))
    for ax, name in zip([axes] if len(configs) == 1 else axes, configs):
        width = 0.8 / len(sides)
        for i, side in enumerate(sides):
            values = [table[(c, side, name)] * 1e3 for c in conditions]
            ax.bar([j + i * width for j in range(len(conditions))], values, width, label=side)
        ax.set_xticks([j + width * (len(sides) - 1) / 2 for j in range(len(conditions))], conditions)
        ax.set_title(f"{name} train step")
        ax.set_ylabel("median ms / step")
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(exist_ok=True)
    fig.savefig(path, dpi=100)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=3, help="steps per turn")
    parser.add_argument("--configs", default="lesson,base")
    parser.add_argument("--busy", default="0,1,2", help="numbers of competing busy processes")
    parser.add_argument("--baseline", help="another checkout: its default threads as a third side")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker()
    configs = args.configs.split(",")
    side_specs = {"default": ({}, REPO), "single": (SINGLE, REPO)}
    if args.baseline:
        side_specs["baseline default"] = ({}, pathlib.Path(args.baseline).resolve())
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} before")
    sides = {side: start_side(*spec) for side, spec in side_specs.items()}
    table, conditions = {}, []
    try:
        for busy in (int(b) for b in args.busy.split(",")):
            condition = "quiet" if busy == 0 else f"{busy} busy"
            conditions.append(condition)
            hogs = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(busy)]
            try:
                time.sleep(0.5)
                times = measure(sides, configs, args.rounds, args.steps)
            finally:
                for hog in hogs:
                    hog.kill()
                    hog.wait()
            for (side, name), values in times.items():
                table[(condition, side, name)] = statistics.median(t for turn in values for t in turn)
            for name in configs:
                ms = {side: table[(condition, side, name)] * 1e3 for side in sides}
                cells = "  ".join(f"{side} {value:7.1f} ms" for side, value in ms.items())
                line = (f"{condition:7s} {name:6s}  {cells}   default/single {ms['default'] / ms['single']:.2f}"
                        f" (paired {paired_ratio(times, 'default', 'single', name):.2f})")
                if args.baseline:
                    line += f"   default/baseline {paired_ratio(times, 'default', 'baseline default', name):.2f}"
                print(line + f"   load {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        for process in sides.values():
            process.stdin.close()
            process.wait()
    print(f"load average {os.getloadavg()[0]:.2f} after (1 min)")
    figure = REPO / "bench" / "figures" / "threads_under_load.png"
    plot(table, conditions, configs, list(sides), figure)
    print(f"figure: {figure}")


if __name__ == "__main__":
    main()
