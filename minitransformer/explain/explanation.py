"""explain(): texts in, one Explanation per text out (pieces attributed, merged into words, ready to show).

    from minitransformer.explain import explain
    for e in explain(model, tokenizer, ["The plot was not good."], method="integrated_gradients"):
        print(e.label, e.score, list(zip(e.words, e.word_attributions.round(3))))
        e.save_html("good.html"); e.save_png("good.png"); print(e.format(color=True))
"""
import dataclasses
import inspect
from typing import List, Optional

import numpy as np

from .gradients import check_model, gradient_x_input
from .integrated import integrated_gradients
from .rollout import attention_rollout
from .words import group_words

METHODS = {"integrated_gradients": integrated_gradients, "gradient_x_input": gradient_x_input,
           "attention_rollout": attention_rollout}
ALIASES = {"ig": "integrated_gradients", "gxi": "gradient_x_input", "grad": "gradient_x_input",
           "rollout": "attention_rollout"}


def method_name(method):
    """The full name of a method or its short alias (ig, gxi/grad, rollout), or a ValueError listing them."""
    name = ALIASES.get(method, method)
    if name not in METHODS:
        raise ValueError(f"explain: unknown method {method!r}; use one of {', '.join(METHODS)} (or "
                         f"{', '.join(ALIASES)})")
    return name


@dataclasses.dataclass
class Explanation:
    """Why the model gave `label` to `text`. Attributions are in the units of `output` (a probability by default:
    "this word added 0.3 to P(positive)"); attention rollout gives shares of the read-out instead (sum 1)."""
    text: str
    method: str
    target: int  # class id explained
    label: str  # its name
    score: float  # F(x): the explained output (the class's probability by default)
    tokens: List[str]  # (T,) the pieces, special tokens included
    offsets: List[tuple]  # (T,) (start, end) character spans; (0, 0) for special tokens
    token_attributions: np.ndarray  # (T,) float64
    words: List[str]  # (W,) as they appear in the text
    word_spans: List[tuple]  # (W,) (start, end)
    word_attributions: np.ndarray  # (W,) float64, each the sum over the word's pieces
    output: str = "probability"
    baseline_score: Optional[float] = None  # F(x'), integrated gradients
    delta: Optional[float] = None  # convergence delta, integrated gradients
    n_steps: Optional[int] = None  # points on the path, integrated gradients

    def format(self, color=False):
        """One line: what was explained, a tab, the text shaded (see shaded)."""
        from .render import format_text
        return format_text(self, color=color)

    def shaded(self, color=False):
        """The text with its words shaded: ANSI backgrounds (color=True), else [word +0.12] markers on the words
        of at least a fifth of the largest |attribution|."""
        from .render import shade
        return shade(self, color=color)

    def to_html(self):
        from .render import to_html
        return to_html(self)

    def save_html(self, path):
        from .render import save_html
        return save_html(self, path)

    def save_png(self, path):
        from .render import plot_highlight
        plot_highlight(self, path)
        return path

    def as_dict(self):
        """JSON-friendly: the words with their attributions, and what was explained."""
        return {"method": self.method, "label": self.label, "target": self.target, "score": self.score,
                "output": self.output, "words": list(self.words),
                "attributions": [float(a) for a in self.word_attributions], "delta": self.delta}


def label_names_of(model, label_names=None):
    """`label_names` when given, else the names in model.config.id2label, else "0", "1", ..."""
    if label_names is not None:
        return list(label_names)
    id2label = getattr(model.config, "id2label", None) or {}
    n = getattr(model.config, "num_labels", None) or getattr(model.config, "num_classes", None) or len(id2label)
    return [str(id2label.get(i, id2label.get(str(i), i))) for i in range(n)]


def explain(model, tokenizer, texts, method="integrated_gradients", target=None, label_names=None, max_length=None,
            n_steps=64, baseline="pad", output="probability", internal_batch_size=None, position=None, tolerance=None,
            temperature=1.0, progress=False):
    """One Explanation per text (a list; a single str gives a one-element list).

    method: "integrated_gradients" (ig), "gradient_x_input" (gxi) or "attention_rollout" (rollout).
    target: the class to explain, an id or a name (default: each text's predicted class). max_length: truncation
    (default: the model's maximum). n_steps, baseline ("pad" or "zero"; [CLS]/[SEP] kept as in the input),
    internal_batch_size and tolerance (refine until |delta| <= tolerance |F(x) - F(x')|, see
    integrated_gradients): integrated gradients only. output: "probability", "logit" or "log_probability".
    position: the piece whose class is explained, for a token classifier. temperature: probabilities are
    softmax(logits / temperature), as a calibrated run predicts them (train --calibrate). progress: a tqdm bar
    over the texts."""
    check_model(model)
    name = method_name(method)
    texts = [texts] if isinstance(texts, str) else list(texts)
    names = label_names_of(model, label_names)
    if isinstance(target, str):
        if target not in names:
            raise ValueError(f"explain: target {target!r} is not one of the labels {names}")
        target = names.index(target)
    cfg = model.config
    max_length = max_length or getattr(cfg, "max_len", None) or getattr(cfg, "max_position_embeddings", 512)
    forward = inspect.signature(model.forward).parameters
    special = tuple(i for i in (tokenizer.cls_token_id, tokenizer.sep_token_id) if i is not None)
    from tqdm import tqdm  # imported here, as progress.py does: a call without a bar does not need it
    results = []
    for text in tqdm(texts, desc=f"explain ({name})", unit="text", disable=not progress):
        enc = tokenizer(text, truncation=True, max_length=max_length, return_offsets_mapping=True)
        ids = enc["input_ids"]
        extra = {"token_type_ids": enc["token_type_ids"]} if "token_type_ids" in forward else {}
        options = dict(target=target, position=position, temperature=temperature, **extra)
        if name == "integrated_gradients":
            options.update(n_steps=n_steps, baseline=baseline, special_ids=special, output=output,
                           internal_batch_size=internal_batch_size, tolerance=tolerance)
        elif name == "gradient_x_input":
            options.update(output=output)
        a = METHODS[name](model, ids, **options)
        tokens = tokenizer.convert_ids_to_tokens(ids)
        words = group_words(text, tokens, enc["offset_mapping"])
        label = names[a.target] if a.target < len(names) else str(a.target)
        results.append(Explanation(text, name, a.target, label, a.score, tokens, list(enc["offset_mapping"]),
                                   a.attributions, words.texts, words.spans, words.sum(a.attributions),
                                   output if name != "attention_rollout" else "share", a.baseline_score, a.delta,
                                   a.n_steps))
    return results
