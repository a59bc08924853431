"""The README's results table: test accuracy on each named dataset for TF-IDF + logistic regression (NumPy,
bench/tfidf.py), our Transformer trained from scratch with `train`'s defaults, and all-MiniLM-L6-v2 fine-tuned
with `train --pretrained minilm`'s defaults, beside published numbers.

    python bench/results.py                                   # every dataset and model (hours on 2 CPU cores)
    python bench/results.py --models tfidf scratch            # the quick columns
    python bench/results.py --datasets movie-reviews --models minilm
    python bench/results.py --table                           # print the table from what is recorded

Each measurement is written to bench/results.json as soon as it is done (with the date, the training time and
the load average: times on a shared machine say little, so the table leaves them out), so a long table can be
filled over several runs; a model not yet measured shows as "-".
The split is each dataset's fixed one (data/registry.py), the same for all three models.
"""
import argparse
import json
import os
import pathlib
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
import minitransformer  # noqa: E402,F401  (before NumPy: the OpenBLAS setting it makes)
from minitransformer.cli import main as cli  # noqa: E402
from minitransformer.data import DATASETS, load_dataset  # noqa: E402

RESULTS = REPO / "bench" / "results.json"
MODELS = {"tfidf": "TF-IDF + logistic regression", "scratch": "Transformer from scratch (`train`)",
          "minilm": "MiniLM fine-tuned (`train --pretrained minilm`)"}
# Character 1-2-grams for Chinese, which has no spaces between words; word unigrams elsewhere (scikit-learn's
# default TfidfVectorizer).
TFIDF = {"chinese-reviews": dict(analyzer="char", ngram_range=(1, 2))}
PUBLISHED = {
    "movie-reviews": "NB-SVM bigrams 0.794, MNB 0.790 (Wang & Manning 2012); CNN 0.761-0.815 (Kim 2014); "
                     "10-fold CV on all 10,662 sentences",
    "rotten-tomatoes": "-",
    "bbc-news": "-",
    "chinese-reviews": "-",
}


def measure_tfidf(name):
    import tfidf
    data = load_dataset(name)
    started = time.perf_counter()
    accuracy = tfidf.tfidf_logistic_regression(data["train"], data["test"], **TFIDF.get(name, {}))
    return {"accuracy": accuracy, "train_seconds": time.perf_counter() - started}


def measure_cli(name, extra):
    """test accuracy and training time of `python -m minitransformer train --dataset NAME ...` (its defaults)."""
    with tempfile.TemporaryDirectory() as out:
        code = cli(["train", "--dataset", name, *extra, "--quiet", "--output-dir", out])
        if code:
            raise SystemExit(f"train --dataset {name} {' '.join(extra)} failed with exit code {code}")
        metrics = json.loads((pathlib.Path(out) / "metrics.json").read_text())
    return {"accuracy": metrics["test_accuracy"], "macro_f1": metrics["test_macro_f1"],
            "train_seconds": metrics["train_wall_time_s"], "settings": metrics["settings"]}


MEASURE = {"tfidf": measure_tfidf, "scratch": lambda name: measure_cli(name, []),
           "minilm": lambda name: measure_cli(name, ["--pretrained", "minilm"])}


def record(name, model, result):
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    result.update(date=time.strftime("%Y-%m-%d %H:%M"), load_average=round(os.getloadavg()[0], 1),
                  cpus=os.cpu_count())
    results.setdefault(name, {})[model] = result
    RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")


def table():
    """The markdown table of what results.json holds."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    lines = ["| dataset | " + " | ".join(MODELS.values()) + " | published |",
             "| --- | " + " | ".join("---" for _ in MODELS) + " | --- |"]
    for name in DATASETS:
        cells = []
        for model in MODELS:
            r = results.get(name, {}).get(model)
            cells.append("-" if r is None else f"{r['accuracy']:.3f}")
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {PUBLISHED[name]} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--table", action="store_true", help="only print the table of recorded results")
    args = parser.parse_args(argv)
    if not args.table:
        for name in args.datasets:
            for model in args.models:
                print(f"== {name}: {MODELS[model]}", flush=True)
                result = MEASURE[model](name)
                record(name, model, result)
                print(f"   test accuracy {result['accuracy']:.4f} ({result['train_seconds']:.0f} s)", flush=True)
    print(table())


if __name__ == "__main__":
    main()
