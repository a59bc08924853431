"""How much of a dataset truncation to `max_length` tokens throws away, so a long-text corpus never loses its
tail silently.

    report = truncation_report(tokenizer, dataset.texts, max_length=64)
    print(format_truncation("train", report))
    # train split: 812 of 1,000 texts (81.2%) are longer than --max-length 64 tokens; truncation cuts 93.1% of all
    # tokens (longest text 2,701 tokens)
"""
import numpy as np


def truncation_report(tokenizer, texts, max_length):
    """{"examples", "truncated", "tokens", "tokens_cut", "longest", "max_length"}: token counts of every text
    ([CLS] and [SEP] included, as the model sees them) against `max_length`."""
    texts = list(texts)
    lengths = np.array([len(ids) for ids in tokenizer(texts)["input_ids"]], dtype=np.int64) if texts else \
        np.zeros(0, dtype=np.int64)
    cut = np.maximum(lengths - max_length, 0)                       # tokens each text loses
    return {"examples": len(texts), "truncated": int((cut > 0).sum()), "tokens": int(lengths.sum()),
            "tokens_cut": int(cut.sum()), "longest": int(lengths.max(initial=0)), "max_length": int(max_length)}


def format_truncation(name, report):
    """One line: how many texts are cut and the share of tokens lost (or that none is)."""
    n, k = report["examples"], report["truncated"]
    if not k:
        return f"{name} split: no text is longer than --max-length {report['max_length']} tokens " \
               f"(longest {report['longest']:,})"
    share = report["tokens_cut"] / max(report["tokens"], 1)
    return (f"{name} split: {k:,} of {n:,} texts ({k / n:.1%}) are longer than --max-length "
            f"{report['max_length']} tokens; truncation cuts {share:.1%} of all tokens (longest text "
            f"{report['longest']:,} tokens)")
