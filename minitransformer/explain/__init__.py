"""mt.explain: which words made the model decide? Per-piece attributions for one class, merged into words.

    import minitransformer as mt
    for e in mt.explain.explain(model, tokenizer, ["The plot was not good."], method="ig"):
        print(e.format(color=True)); e.save_html("why.html"); e.save_png("why.png")

Methods (all for the from-scratch TransformerClassifier and the BERT classifiers; any model with
get_input_embeddings() and forward(inputs_embeds=, attention_mask=, output_attentions=) plugs in, and a token
classifier's (B, T, C) logits are explained at a chosen `position`):

    gradient_x_input       x · dF/dx on the input embeddings (gradients.py)
    integrated_gradients   Sundararajan et al. 2017, from a [PAD]/zero baseline, trapezoid rule, convergence delta
    attention_rollout      Abnar & Zuidema 2020, residual-corrected 0.5 A + 0.5 I, heads averaged (rollout.py)

Checks that they mean something (deletion curves, model randomisation) are in checks.py.
"""
from .explanation import ALIASES, METHODS, Explanation, explain, method_name  # noqa: F401
from .gradients import Attribution, gradient_x_input  # noqa: F401
from .integrated import integrated_gradients  # noqa: F401
from .rollout import attention_rollout  # noqa: F401
from .words import Words, group_words, without_words  # noqa: F401
