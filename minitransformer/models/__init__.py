"""mt.models: TransformerClassifier and TransformerTokenClassifier here; BERT (bert.py) is imported on first use
of its names."""
from .classifier import ClassifierOutput, TransformerClassifier, TransformerClassifierConfig
from .token_classifier import TokenClassifierOutput, TransformerTokenClassifier, TransformerTokenClassifierConfig

_LAZY = {"BertConfig": "bert_config", "BertModel": "bert", "BertForSequenceClassification": "bert",
         "BertForMaskedLM": "bert", "BertForTokenClassification": "bert"}


def __getattr__(name):
    # BERT pulls in safetensors and the pretrained loader: import it only when asked for
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'minitransformer.models' has no attribute {name!r}")


__all__ = ["TransformerClassifier", "TransformerClassifierConfig", "ClassifierOutput", "TransformerTokenClassifier",
           "TransformerTokenClassifierConfig", "TokenClassifierOutput", *_LAZY]
