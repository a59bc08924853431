"""Token classification (named-entity recognition) for `train --task token-classification`, `evaluate` and
`predict`: the options they add and the functions they run when the task, or the model directory, is a tagger.

    python -m minitransformer train --task token-classification          # the shipped NER corpus, from scratch
    python -m minitransformer train --task token-classification --train my.conll --pretrained DIR
    python -m minitransformer evaluate --model runs/ner --data test.conll
    python -m minitransformer predict --model runs/ner "Jordan Smith flew to Amman on 3 May."

Files are CoNLL (word<TAB or space>tag per line, blank line between sentences) or JSONL ({"tokens", "tags"}); tags
must be IOB2 unless --repair-tags turns an entity-starting I-X into B-X (IOB1 files such as the original
CoNLL-2003). The run directory is described in tagger_run.py.
"""
import json
import os
import time

from .options import UsageError, check_device, check_sizes, existing, option, positive

TASKS = ("text-classification", "token-classification")
# From scratch, measured on the shipped corpus: test entity F1 0.92 after 8 epochs (data/README.md).
DEFAULTS = dict(vocab_size=2000, d_model=64, num_heads=4, num_layers=2, d_ff=256, dropout=0.1, epochs=8,
                batch_size=64, lr=4e-3, weight_decay=0.01, warmup_ratio=0.1, max_length=64, seed=0)
FINE_TUNING = dict(epochs=3, batch_size=32, lr=5e-5, max_length=128)  # BERT-style: small lr, few epochs
SAVED = ("task", "train", "validation", "test", "repair_tags", "vocab", "vocab_size", "d_model", "num_heads",
         "num_layers", "d_ff", "dropout", "epochs", "batch_size", "lr", "weight_decay", "warmup_ratio", "max_length",
         "seed", "device", "init_from")
AGGREGATIONS = ("first", "simple", "average", "max", "none")
# train's options that a tagger does not take (yet): refused by name rather than silently ignored
TEXT_ONLY = ("text_column", "label_column", "pooling", "class_weights", "select_by", "patience", "save_steps",
             "save_checkpoint", "calibrate", "dataset", "validation_split", "test_split")


def add_task_options(parser):
    """train: --task and --repair-tags."""
    group = parser.add_argument_group("task")
    option(group, "--task", choices=TASKS, default=None, shown="text-classification",
           help="text-classification: one label per text (TSV/CSV/JSONL files); token-classification: one BIO tag "
                "per word, named-entity recognition (CoNLL or JSONL files, default the shipped NER corpus)")
    add_repair_option(group)


def add_repair_option(parser):
    parser.add_argument("--repair-tags", action="store_true",
                        help="token classification: turn an I-X that starts an entity into B-X (IOB1 -> IOB2) "
                             "instead of stopping with an error naming it (default: stop)")


def add_predict_options(parser):
    option(parser, "--aggregation", choices=AGGREGATIONS, default="first",
           help="token classification: how pieces become entities, as transformers' aggregation_strategy; first: "
                "each word takes its first piece's tag (what the tagger was trained on)")
    parser.add_argument("--json", action="store_true",
                        help="token classification: one JSON object per text, {\"text\", \"entities\"} "
                             "(default: the text, then one tab-separated line per entity)")


def _shipped(split):
    from ..data.ner_corpus import shipped_path
    return shipped_path(split)


def _read(path, label_names, repair):
    from ..data.conll import load_tagged
    return load_tagged(path, label_names=label_names, on_invalid="repair" if repair else "error")


def _resolve(args):
    """Fill the tagger's defaults (fine-tuning ones with --pretrained), read --resume's settings, check values."""
    from .. import run_dir
    if args.resume:
        saved = run_dir.read_train_args(args.resume)
        epochs, device = args.epochs, args.device
        for key, value in saved.items():
            setattr(args, key, value)
        args.epochs, args.device = epochs or saved["epochs"], device or saved.get("device") or "cpu"
        args.output_dir, args.resume = args.resume, True
        return args
    for name in TEXT_ONLY:
        if getattr(args, name, None) is not None:
            raise UsageError(f"--{name.replace('_', '-')} applies to text classification, not to --task "
                             "token-classification")
    defaults = dict(DEFAULTS, **(FINE_TUNING if args.init_from else {}))
    for key, value in defaults.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    for split in ("train", "validation", "test"):
        if getattr(args, split):
            existing(getattr(args, split), f"--{split}")
    if not args.train:
        if args.validation or args.test:
            raise UsageError("--validation/--test need --train too: the shipped splits go together")
        args.train, args.validation, args.test = _shipped("train"), _shipped("validation"), _shipped("test")
    if args.init_from and not os.path.isfile(os.path.join(args.init_from, "config.json")):
        raise UsageError(f"--pretrained {args.init_from}: no config.json there (expected a Hugging Face BERT "
                         "directory with vocab.txt)")
    args.device = args.device or "cpu"
    args.output_dir = args.output_dir or os.path.join("runs", "latest")
    check_sizes(args)
    args.resume = False
    return args


def _split_validation(train, seed):
    """(train, validation): a seeded tenth of the training sentences held out when no --validation is given."""
    import numpy as np
    order = np.random.default_rng(seed).permutation(len(train))
    n = max(1, len(train) // 10)
    held, kept = sorted(order[:n].tolist()), sorted(order[n:].tolist())
    from ..data.tagging import TaggedDataset
    pick = lambda idx: TaggedDataset([train.words[i] for i in idx], [train.labels[i] for i in idx],  # noqa: E731
                                     train.label_names, train.source)
    return pick(kept), pick(held)


def _model_and_tokenizer(args, train):
    """A fresh TransformerTokenClassifier with a cased WordPiece vocabulary, or a BERT directory with a new head."""
    from ..models import TransformerTokenClassifier
    from ..tokenizer import WordPieceTokenizer
    id2label = dict(enumerate(train.label_names))
    if args.init_from:
        import warnings
        from ..models.bert import BertForTokenClassification
        with warnings.catch_warnings():  # "classifier newly initialized": expected for a new head
            warnings.simplefilter("ignore", UserWarning)
            model = BertForTokenClassification.from_pretrained(args.init_from, id2label=id2label,
                                                               ignore_mismatched_sizes=True)
        model.train()
        args.max_length = min(args.max_length, model.config.max_position_embeddings)
        return model, WordPieceTokenizer.from_pretrained(args.init_from), f"BERT from {args.init_from}, new head"
    if args.resume:
        tokenizer = WordPieceTokenizer.from_pretrained(args.output_dir)
    elif args.vocab:
        tokenizer = WordPieceTokenizer.from_pretrained(args.vocab)
    else:  # cased: capitals are the strongest cue for a name
        tokenizer = WordPieceTokenizer.train(train.texts, vocab_size=args.vocab_size, do_lower_case=False,
                                             show_progress=False)
    model = TransformerTokenClassifier(tokenizer.vocab_size, len(train.label_names), d_model=args.d_model,
                                       num_heads=args.num_heads, num_layers=args.num_layers, d_ff=args.d_ff,
                                       max_len=args.max_length, dropout=args.dropout, pad_id=tokenizer.pad_token_id,
                                       id2label=id2label)
    return model, tokenizer, f"{args.num_layers} layers x d_model {args.d_model} x {args.num_heads} heads"


def run_train(args):
    """train --task token-classification."""
    import minitransformer as mt
    from .. import tagger_run
    from ..data import TaggedDataLoader
    from ..entity_metrics import format_report
    from ..token_classification import evaluate_tagger
    from ..training import fit

    started = time.perf_counter()
    args = _resolve(args)
    device = check_device(args.device)
    mt.manual_seed(args.seed)
    train = _read(args.train, None, args.repair_tags)
    if args.validation:
        validation = _read(args.validation, train.label_names, args.repair_tags)
    else:
        train, validation = _split_validation(train, args.seed)
        print(f"no --validation: {len(validation)} of the training sentences (a seeded tenth) are held out for it")
    test = _read(args.test, train.label_names, args.repair_tags) if args.test else None
    model, tokenizer, description = _model_and_tokenizer(args, train)
    print(f"train: {len(train)} sentences, validation {len(validation)}, test {len(test) if test else 0}; "
          f"tags {train.label_names}; vocabulary {tokenizer.vocab_size} WordPiece tokens")
    print(f"model: {description}, {sum(p.size for p in model.parameters()):,} parameters, on {device}; "
          f"{args.epochs} epochs, batch {args.batch_size}, lr {args.lr}")
    if not args.resume:
        os.makedirs(args.output_dir, exist_ok=True)
        tokenizer.save(args.output_dir)
        tagger_run.write_json(os.path.join(args.output_dir, "train_args.json"),
                              {k: getattr(args, k, None) for k in SAVED} | {"task": tagger_run.TASK})
    loader = dict(tokenizer=tokenizer, max_length=args.max_length)
    train_loader = TaggedDataLoader(train, batch_size=args.batch_size, shuffle=True, seed=args.seed,
                                    bucket_by_length=True, **loader)
    val_loader = TaggedDataLoader(validation, batch_size=256, **loader)
    curve = []

    def evaluate_fn(model, loader):
        result = evaluate_tagger(model, loader)
        curve.append((result["accuracy"], result["f1"]))
        print(f"  validation: entity F1 {result['f1']:.4f} (precision {result['precision']:.4f}, recall "
              f"{result['recall']:.4f}), token accuracy {result['accuracy']:.4f}")
        return result

    history = fit(model, train_loader, val_loader, epochs=args.epochs, lr=args.lr, weight_decay=args.weight_decay,
                  warmup_ratio=args.warmup_ratio, device=device, checkpoint_dir=args.output_dir,
                  resume_from=args.output_dir if args.resume else None, progress=not args.quiet, log=print,
                  log_every=None, evaluate_fn=evaluate_fn)
    result = None
    if test is not None:
        result = evaluate_tagger(model, TaggedDataLoader(test, batch_size=256, **loader))
        print(f"test: entity F1 {result['f1']:.4f} (precision {result['precision']:.4f}, recall "
              f"{result['recall']:.4f}), token accuracy {result['accuracy']:.4f} ({len(test)} sentences, "
              f"{history['wall_time']:.0f} s of training)")
        print(format_report(result["report"]))
    settings = {k: getattr(args, k, None) for k in SAVED}
    tagger_run.finish(args.output_dir, model, history, curve, result, test, settings,
                      wall_time=time.perf_counter() - started)
    print(f"saved {args.output_dir}: the model, vocab.txt, metrics.json, figures/ — try: python -m minitransformer "
          f"predict --model {args.output_dir} \"Jordan Smith flew to Amman on 3 May 2021.\"")
    return 0


def run_evaluate(args):
    """evaluate on a model directory that holds a tagger: entity scores per type and token accuracy."""
    from .. import tagger_run
    from ..data import TaggedDataLoader
    from ..entity_metrics import format_report
    from ..token_classification import evaluate_tagger
    positive(args, ("batch_size",))
    model, tokenizer, names, max_length = tagger_run.load_tagger(args.model_dir, check_device(args.device), "--model")
    path = existing(args.data or _shipped("test"), "--data")
    dataset = _read(path, names, getattr(args, "repair_tags", False))
    result = evaluate_tagger(model, TaggedDataLoader(dataset, tokenizer, batch_size=args.batch_size,
                                                     max_length=max_length))
    entities = sum(row["support"] for name, row in result["report"].items() if not name.endswith(" avg"))
    print(f"{path}: {len(dataset)} sentences, {entities} entities")
    print(f"entity F1         {result['f1']:.4f}  (precision {result['precision']:.4f}, recall {result['recall']:.4f})")
    print(f"entity macro-F1   {result['f1_macro']:.4f}")
    print(f"token accuracy    {result['accuracy']:.4f}")
    print(f"loss              {result['loss']:.4f}")
    print(format_report(result["report"]))
    return 0


def run_predict(args, texts):
    """predict with a tagger: each text, then one line per entity: type, start:end, score, the text's span."""
    from .. import tagger_run
    from ..token_classification import tag_texts
    model, tokenizer, _, max_length = tagger_run.load_tagger(args.model_dir, check_device(args.device), "--model")
    results = tag_texts(model, tokenizer, texts, aggregation_strategy=args.aggregation, max_length=max_length)
    for text, entities in zip(texts, results):
        if args.json:
            print(json.dumps({"text": text, "entities": entities}, ensure_ascii=False))
            continue
        print(text)
        for e in entities:
            kind = e.get("entity_group", e.get("entity"))
            print(f"  {kind}\t{e['start']}:{e['end']}\t{e['score']:.4f}\t{text[e['start']:e['end']]}")
    return 0
