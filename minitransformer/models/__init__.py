"""mt.models: TransformerClassifier and TransformerTokenClassifier here; BERT (bert.py) and GPT-2 (gpt2.py) are
imported on first use of their names."""
from .classifier import ClassifierOutput, TransformerClassifier, TransformerClassifierConfig
from .token_classifier import TokenClassifierOutput, TransformerTokenClassifier, TransformerTokenClassifierConfig

_LAZY = {"BertConfig": "bert_config", "BertModel": "bert", "BertForSequenceClassification": "bert",
         "BertForMaskedLM": "bert", "BertForTokenClassification": "bert", "GPT2Config": "gpt2_config",
         "GPT2Model": "gpt2", "GPT2LMHeadModel": "gpt2"}


def __getattr__(name):
    # BERT and GPT-2 pull in safetensors and the pretrained loader: import it only when asked for
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'minitransformer.models' has no attribute {name!r}")


__all__ = ["TransformerClassifier", "TransformerClassifierConfig", "ClassifierOutput", "TransformerTokenClassifier",
           "TransformerTokenClassifierConfig", "TokenClassifierOutput", *_LAZY]
