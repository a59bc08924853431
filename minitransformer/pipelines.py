"""mt.pipeline(task, model=...): a trained model ready to call on raw text, as Hugging Face's pipelines are.

    classify = mt.pipeline("text-classification", model="runs/latest")
    classify(["I love it.", "the worst film"])    # [{"label": "positive", "score": 0.97}, {"label": ...}]
    classify("I love it.", top_k=None)            # every label, best first: [{"label", "score"}, ...]
    classify("I love it.", explain=True)          # + "explanation": why (mt.explain.Explanation, words shaded)
    ner = mt.pipeline("token-classification", model="runs/ner")       # token_pipeline.py

`model` is a run directory written by `train` (model.npz) or a fine-tuned Hugging Face BERT directory
(config.json + model.safetensors, as `train --pretrained` writes), or a classifier object with `tokenizer=` (and
optionally `label_names=`, `max_length=`), as transformers' pipeline takes one. One class per task, in TASKS.
Scores use the temperature `train --calibrate` stored with the run, as `predict` does. explain=True (or a method
name: "integrated_gradients", "gradient_x_input", "attention_rollout" and their aliases) adds to each returned
{"label", "score"} an "explanation": the mt.explain.Explanation of that label for that text, as `predict --explain`
computes it (integrated gradients refined to 1% completeness, the same temperature); .as_dict() makes it JSON.
"""
import numpy as np

from . import run_dir
from .token_pipeline import TokenClassificationPipeline

FUNCTIONS = ("softmax", "sigmoid", "none")
UNSET = object()    # top_k not given: the best label only, one dict per text of a list (transformers' legacy form)


class TextClassificationPipeline:
    """texts -> labels with scores, shaped as transformers' TextClassificationPipeline returns them:

        pipe("text") -> [{"label", "score"}]                pipe(["a", "b"]) -> [{"label", "score"}, {...}]
        pipe("text", top_k=None) -> [{...}, ...] every label, best first; top_k=k: the best k
        pipe(["a", "b"], top_k=k or None) -> [[{...}, ...], [{...}, ...]] one ranked list per text

    function_to_apply: "softmax" over the classes (default), "sigmoid" per class, or "none" (the raw logits).
    explain: False (default), True (integrated gradients) or a method name: each dict gains "explanation", the
    attributions of its label (in probability units; in logits for function_to_apply "none" or "sigmoid").
    """

    def __init__(self, model, tokenizer=None, device="cpu", batch_size=64, top_k=UNSET, function_to_apply="softmax",
                 explain=False, label_names=None, max_length=None):
        if isinstance(model, str) or hasattr(model, "__fspath__"):
            self.model, self.tokenizer, self.label_names, self.max_length = run_dir.load(model, device, "model")
            self.temperature = run_dir.temperature(model)  # 1.0 unless train --calibrate stored one
        else:                                              # a model object, as transformers' pipeline takes one
            from .explain.explanation import label_names_of
            if tokenizer is None or not callable(getattr(model, "forward", None)):
                raise TypeError("text-classification: model is a directory, or a classifier object together with "
                                f"its tokenizer=...; got {type(model).__name__} and tokenizer={tokenizer!r}")
            self.model, self.tokenizer, self.temperature = model.eval(), tokenizer, 1.0
            self.label_names = label_names_of(model, label_names)
            cfg = model.config
            self.max_length = getattr(cfg, "max_len", None) or getattr(cfg, "max_position_embeddings", 512)
        self.max_length = max_length or self.max_length
        self.batch_size, self.top_k, self.function_to_apply = batch_size, top_k, function_to_apply
        self.explain = explain
        self._check(top_k, function_to_apply, explain)

    def _check(self, top_k, function_to_apply, explain):
        if top_k not in (UNSET, None) and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
            raise ValueError(f"top_k must be a positive int or None (every label), got {top_k!r}")
        if function_to_apply not in FUNCTIONS:
            raise ValueError(f"function_to_apply must be one of {FUNCTIONS}, got {function_to_apply!r}")
        if not isinstance(explain, bool):
            from .explain import method_name
            method_name(explain)                            # a ValueError listing the methods

    def scores(self, texts, function_to_apply="softmax"):
        """(N, C) float64 scores of a list of texts: softmax / sigmoid of the logits / temperature, or the logits."""
        z = run_dir.predict_logits(self.model, self.tokenizer, list(texts), self.max_length, self.batch_size)
        if function_to_apply != "none":
            z = z / self.temperature
        if function_to_apply == "softmax":
            z = np.exp(z - z.max(axis=1, keepdims=True))
            return z / z.sum(axis=1, keepdims=True)
        return 1 / (1 + np.exp(-z)) if function_to_apply == "sigmoid" else z

    def __call__(self, texts, top_k=UNSET, function_to_apply=None, explain=None):
        top_k = self.top_k if top_k is UNSET else top_k
        function_to_apply = function_to_apply or self.function_to_apply
        explain = self.explain if explain is None else explain
        self._check(top_k, function_to_apply, explain)
        single = isinstance(texts, str)
        batch = [texts] if single else list(texts)
        for i, text in enumerate(batch):
            if not isinstance(text, str):
                raise TypeError(f"text-classification: input {i} is a {type(text).__name__}; expected a string or a "
                                "list of strings")
        results, classes = [], []
        for row in self.scores(batch, function_to_apply):
            order = np.argsort(-row, kind="stable")[:1 if top_k is UNSET else top_k]
            results.append([{"label": self.label_names[c], "score": float(row[c])} for c in order])
            classes.append(order)
        if explain is not False:
            self._add_explanations(batch, results, classes, "integrated_gradients" if explain is True else explain,
                                   "probability" if function_to_apply == "softmax" else "logit")
        if single:
            return results[0]
        return [ranked[0] for ranked in results] if top_k is UNSET else results

    def _add_explanations(self, texts, results, classes, method, output):
        """Each result dict gains "explanation": why its label (class id in `classes`), for its text
        (explain.explain, as predict --explain computes it)."""
        from .explain import explain
        for text, ranked, ids in zip(texts, results, classes):
            for d, c in zip(ranked, ids):
                d["explanation"] = explain(self.model, self.tokenizer, text, method=method, target=int(c),
                                           label_names=self.label_names,
                                           max_length=self.max_length, output=output, tolerance=0.01,
                                           temperature=self.temperature)[0]

    def __repr__(self):
        return f"TextClassificationPipeline(labels={self.label_names}, max_length={self.max_length})"


TASKS = {"text-classification": TextClassificationPipeline,
         "sentiment-analysis": TextClassificationPipeline,       # transformers' alias for the same task
         "token-classification": TokenClassificationPipeline,
         "ner": TokenClassificationPipeline}


def pipeline(task, model="runs/latest", **kwargs):
    """The pipeline for `task` (a key of TASKS) around the model directory `model`; kwargs go to its class."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; known tasks: {', '.join(sorted(TASKS))}")
    if "explain" in kwargs and TASKS[task] is not TextClassificationPipeline:
        raise ValueError(f"{task}: explain= is for text-classification; explain a token's tag with "
                         "mt.explain.explain(model, tokenizer, text, position=PIECE)")
    return TASKS[task](model, **kwargs)
