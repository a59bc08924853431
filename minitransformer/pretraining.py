"""Masked-language-model pretraining of a BERT on unlabeled text, and the bridge to fine-tuning.

    texts = read_texts([shipped_path("train")])               # sentences only: labels are never read
    tokenizer = WordPieceTokenizer.train(texts, vocab_size=2000)
    model = BertForMaskedLM(BertConfig.tiny(tokenizer.vocab_size, pad_token_id=tokenizer.pad_token_id))
    history = pretrain(model, MaskedLMLoader(texts, tokenizer), epochs=3)   # training.fit with an MLM evaluate
    save_pretrained_dir(model, tokenizer, "runs/mlm")         # config.json, model.safetensors, vocab.txt, ...
    clf, tok = classifier_from_pretrained("runs/mlm", label_names=["negative", "positive"])

The objective: for the ~15% of tokens the masking recipe chose (models/masking.py), predict the original token
from the corrupted sentence: loss = mean over chosen positions of -log p(original | context). Masks are drawn
afresh for every batch of every epoch (dynamic masking, as RoBERTa does), seeded by (seed, epoch, batch).
pretrain() scores only those positions (masked_lm_loss): the model's forward, like Hugging Face's, decodes all.
"""
import csv
import json
import os

import numpy as np

from . import backend
from . import functional as F
from .autograd import no_grad
from .data import DataLoader, TextDataset
from .data.loader import collate
from .models.bert import BertForMaskedLM, BertForSequenceClassification, ModelOutput
from .models.masking import IGNORE_INDEX, mask_tokens
from .nn import Module
from .tensor import Tensor
from .training import count_correct, fit


def read_texts(paths, text_column="sentence"):
    """Sentences from .txt (one per non-empty line), .tsv/.csv (the `text_column` column) or .jsonl files."""
    texts = []
    for path in [paths] if isinstance(paths, (str, os.PathLike)) else paths:
        path = os.fspath(path)
        ext = os.path.splitext(path)[1].lower()
        with open(path, encoding="utf-8", newline="") as f:
            if ext in (".tsv", ".csv"):
                rows = csv.DictReader(f, delimiter="\t" if ext == ".tsv" else ",")
                if text_column not in (rows.fieldnames or []):
                    raise ValueError(f"{path}: no {text_column!r} column (columns: {rows.fieldnames}); "
                                     "pass --text-column")
                texts += [row[text_column] for row in rows if row[text_column] and row[text_column].strip()]
            elif ext == ".jsonl":
                texts += [json.loads(line)[text_column] for line in f if line.strip()]
            else:
                texts += [line.strip() for line in f if line.strip()]
    if not texts:
        raise ValueError(f"no text found in {paths}")
    return texts


class MaskedLMLoader(DataLoader):
    """A DataLoader over plain texts whose batches are masked for MLM: {input_ids (corrupted), attention_mask,
    labels (original id where chosen, -100 elsewhere)}, all (B, T) int64.

    bucket_by_length batches texts of similar length together (DataLoader's option), so a batch is padded to
    about its own length rather than to the longest text that happened to be drawn with it: on the shipped
    corpus (3-29 words) that halves the tokens a step computes."""

    def __init__(self, texts, tokenizer, batch_size=32, shuffle=True, seed=0, max_length=64, mlm_probability=0.15,
                 bucket_by_length=False):
        if tokenizer.mask_token_id is None:
            raise ValueError("MaskedLMLoader: the tokenizer has no [MASK] token; masked-LM pretraining needs one")
        dataset = TextDataset(texts, [0] * len(texts), ["unlabeled"], source="unlabeled texts")
        super().__init__(dataset, tokenizer, batch_size=batch_size, shuffle=shuffle, seed=seed, max_length=max_length,
                         bucket_by_length=bucket_by_length)
        self.mlm_probability = mlm_probability

    def collate(self, indices):
        batch = collate(self.tokenizer, [self.dataset.texts[i] for i in indices], max_length=self.max_length)
        rng = np.random.default_rng([self.seed, self.epoch, self._batch_index])  # this batch's own mask stream
        ids, labels = mask_tokens(batch["input_ids"], self.tokenizer.mask_token_id, self.tokenizer.vocab_size,
                                  special_ids=self.tokenizer.all_special_ids, attention_mask=batch["attention_mask"],
                                  rng=rng, mlm_probability=self.mlm_probability)
        return {"input_ids": ids, "attention_mask": batch["attention_mask"], "labels": labels}


def masked_lm_loss(model, input_ids, attention_mask, labels):
    """(loss, logits (n, V), targets (n,)) over the n positions whose label is not -100, for a BertForMaskedLM.

    The same loss as model(input_ids, attention_mask, labels=labels).loss, which (as in Hugging Face) decodes
    every one of the B*T positions and then ignores those not chosen (85% of them at the usual 15%). In a small
    BERT that decoder (dense + gelu + LayerNorm, the (D, V) projection, a softmax over V) is much of a step, so
    the hidden states of the chosen positions are gathered first and only those n rows are decoded.
    """
    labels = np.asarray(labels)
    chosen = labels != IGNORE_INDEX  # (B, T)
    h = model.bert(input_ids, attention_mask).last_hidden_state  # (B, T, D)
    logits = model.cls(h[backend.asarray(chosen, device=h.device)])  # (n, D) -> (n, V); backward scatters back
    targets = labels[chosen]  # (n,)
    return F.cross_entropy(logits, Tensor._wrap(backend.asarray(targets, device=h.device))), logits, targets


class ChosenPositionsLM(Module):
    """What pretrain() hands to training.fit: `mlm` (a BertForMaskedLM, whose weights it trains) behind a forward
    that computes masked_lm_loss. Its logits are the (n, V) rows of the n chosen positions only, which fit's
    count_correct reads against the chosen labels (no (B, T, V) array is ever built).
    state_dict()/load_state_dict() are the masked LM's own, so checkpoints carry its names."""

    def __init__(self, mlm):
        super().__init__()
        self.mlm = mlm

    def forward(self, input_ids, attention_mask=None, labels=None):
        loss, logits, _ = masked_lm_loss(self.mlm, input_ids, attention_mask, labels)
        return ModelOutput(loss=loss, logits=logits)

    def state_dict(self):
        return self.mlm.state_dict()

    def load_state_dict(self, state, strict=True):
        return self.mlm.load_state_dict(state, strict)


def evaluate_masked_lm(model, loader):
    """{"loss", "accuracy"} over the chosen positions of one pass of `loader`, in eval mode without grad:
    loss = mean over chosen positions of -log p(original token), accuracy = fraction whose argmax is it.

    The loader is rewound to epoch 0 first, so every call draws the same masks and epochs compare fairly.
    `model` is a BertForMaskedLM (its .bert and .cls are used directly: only the chosen positions are decoded).
    fit(..., evaluate_fn=evaluate_masked_lm) reports these as val_loss / val_accuracy.
    """
    was_training = model.training
    model.eval()
    loader.set_epoch(0)
    total_loss = correct = count = 0
    try:
        with no_grad():
            for batch in loader:
                loss, logits, _ = masked_lm_loss(model, batch["input_ids"], batch["attention_mask"], batch["labels"])
                right, n = count_correct(logits, batch["labels"])  # n: the chosen positions in this batch
                correct, count, total_loss = correct + right, count + n, total_loss + loss.item() * n
    finally:
        model.train(was_training)
    return {"loss": total_loss / max(count, 1), "accuracy": correct / max(count, 1)}


def pretrain(model, loader, epochs=3, lr=5e-4, weight_decay=0.01, warmup_ratio=0.1, clip_norm=1.0, val_loader=None,
             log=print, log_every=50, **fit_options):
    """Masked-LM pretraining is training.fit() on masked batches: the same AdamW (no decay on biases/LayerNorm),
    linear warmup and decay, clipping and train_step; only the score changes (evaluate_masked_lm), and the
    training forward decodes the chosen positions only (ChosenPositionsLM: same loss and gradients, fewer FLOPs).

    Returns fit's history: per step "step", "loss", "lr"; per epoch "train_loss" and "train_accuracy" (over the
    masked tokens) and, with a val_loader, "val_loss" and "val_accuracy". fit_options go to fit (checkpoint_dir,
    resume_from, progress, ...); without a progress bar a line is logged every `log_every` steps.
    """
    fit_options.setdefault("progress", False)
    return fit(ChosenPositionsLM(model), loader, val_loader, epochs=epochs, lr=lr, weight_decay=weight_decay,
               warmup_ratio=warmup_ratio, clip_norm=clip_norm, log=log, log_every=log_every,
               evaluate_fn=lambda wrapped, val: evaluate_masked_lm(wrapped.mlm, val), **fit_options)


def fill_mask(model, tokenizer, text, top_k=3):
    """For each [MASK] in `text`: the top_k (token, probability) the masked-LM predicts there."""
    enc = tokenizer([text], return_tensors="np")
    ids = np.asarray(enc["input_ids"])  # (1, T)
    with no_grad():
        logits = model(ids, np.asarray(enc["attention_mask"])).logits.numpy()[0]  # (T, V)
    answers = []
    for position in np.flatnonzero(ids[0] == tokenizer.mask_token_id):
        z = logits[position] - logits[position].max()
        p = np.exp(z) / np.exp(z).sum()  # softmax over the vocabulary
        best = np.argsort(-p)[:top_k]
        answers.append([(tokenizer.convert_ids_to_tokens([int(i)])[0], float(p[i])) for i in best])
    return answers


def save_pretrained_dir(model, tokenizer, directory):
    """A Hugging Face-format directory: config.json + model.safetensors + vocab.txt + tokenizer_config.json."""
    model.save_pretrained(directory)
    tokenizer.save(directory)
    return directory


def classifier_from_pretrained(directory, label_names, device="cpu", **config_overrides):
    """(BertForSequenceClassification with a fresh head for `label_names`, the directory's tokenizer).
    For `train --pretrained DIR` (any Hugging Face BERT directory) and `train --init-from DIR` (ours)."""
    from .tokenizer import WordPieceTokenizer
    tokenizer = WordPieceTokenizer.from_pretrained(directory)
    model = BertForSequenceClassification.from_pretrained(
        directory, id2label={i: str(name) for i, name in enumerate(label_names)}, device=device, **config_overrides)
    return model, tokenizer


def new_masked_lm(tokenizer, hidden_size=64, num_layers=2, num_heads=4, intermediate_size=None, max_length=64,
                  **config_overrides):
    """A freshly initialised BertForMaskedLM sized for `tokenizer`'s vocabulary."""
    from .models.bert_config import BertConfig
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=hidden_size, num_hidden_layers=num_layers,
                        num_attention_heads=num_heads, intermediate_size=intermediate_size or 4 * hidden_size,
                        max_position_embeddings=max(max_length, 16), pad_token_id=tokenizer.pad_token_id,
                        **config_overrides)
    return BertForMaskedLM(config)


def fine_tune(model, loader, val_loader, epochs=2, lr=1e-3, weight_decay=0.01, warmup_ratio=0.1, clip_norm=1.0,
              log=print, **fit_options):
    """training.fit() on labelled batches, quietly (a summary line per epoch, no progress bar); returns fit's
    history, whose "val_accuracy" holds the validation accuracy after each epoch."""
    fit_options.setdefault("progress", False)
    fit_options.setdefault("log_every", None)
    return fit(model, loader, val_loader, epochs=epochs, lr=lr, weight_decay=weight_decay, warmup_ratio=warmup_ratio,
               clip_norm=clip_norm, log=log, **fit_options)
