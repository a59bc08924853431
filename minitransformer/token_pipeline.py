"""The token-classification pipeline: texts -> named entities with character spans, shaped as transformers'
TokenClassificationPipeline returns them (mt.pipeline("token-classification" or "ner", model=DIR) builds it).

    ner = TokenClassificationPipeline("runs/ner", aggregation_strategy="simple")
    ner("Jordan Smith flew to Amman.")   # [{"entity_group": "PER", "score": 0.99, "word": "Jordan Smith",
                                         #   "start": 0, "end": 12}, {"entity_group": "LOC", ...}]
    ner(["a", "b"])                      # one list per text

aggregation_strategy (transformers' names and rules, token_classification.aggregate): "none" (the default, as in
transformers: one dict per token, {"entity", "score", "index", "word", "start", "end"}), "simple" (neighbouring
tokens of one type grouped, a B- tag starting a new group, score = the mean of the group's), "first" / "average" /
"max" (first a tag per word from its first piece / mean scores / surest piece, then grouped). Tags in
ignore_labels ("O") are dropped. `model`: a token-classification run directory or a BertForTokenClassification
directory, or a model object together with `tokenizer=`.
"""
from .token_classification import AGGREGATIONS, tag_texts


class TokenClassificationPipeline:
    """texts -> entities (see the module docstring)."""

    def __init__(self, model, tokenizer=None, device="cpu", batch_size=32, aggregation_strategy="none",
                 ignore_labels=("O",), max_length=None):
        if isinstance(model, str) or hasattr(model, "__fspath__"):
            from .tagger_run import load_tagger
            self.model, self.tokenizer, _, saved_length = load_tagger(model, device, option="model")
            max_length = max_length or saved_length
        else:
            if tokenizer is None:
                raise ValueError("token-classification: a model object needs its tokenizer (tokenizer=...)")
            self.model, self.tokenizer = model, tokenizer
        self.batch_size, self.max_length, self.ignore_labels = batch_size, max_length, tuple(ignore_labels)
        self.aggregation_strategy = self._check(aggregation_strategy)

    @staticmethod
    def _check(strategy):
        if strategy not in AGGREGATIONS:
            raise ValueError(f"aggregation_strategy must be one of {AGGREGATIONS}, got {strategy!r}")
        return strategy

    def __call__(self, texts, aggregation_strategy=None):
        strategy = self._check(aggregation_strategy or self.aggregation_strategy)
        single = isinstance(texts, str)
        batch = [texts] if single else list(texts)
        for i, text in enumerate(batch):
            if not isinstance(text, str):
                raise TypeError(f"token-classification: input {i} is a {type(text).__name__}; expected a string or "
                                "a list of strings")
        results = tag_texts(self.model, self.tokenizer, batch, aggregation_strategy=strategy,
                            ignore_labels=self.ignore_labels, max_length=self.max_length, batch_size=self.batch_size)
        return results[0] if single else results

    def __repr__(self):
        names = [self.model.config.id2label[i] for i in range(len(self.model.config.id2label))]
        return f"TokenClassificationPipeline(tags={names}, aggregation_strategy={self.aggregation_strategy!r})"
