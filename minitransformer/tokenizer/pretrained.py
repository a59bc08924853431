"""Load and save a tokenizer in Hugging Face's layout: vocab.txt + tokenizer_config.json + special_tokens_map.json."""
import json
import os

from .vocab import load_vocab, save_vocab

_CONFIG_KEYS = ("do_lower_case", "strip_accents", "tokenize_chinese_chars", "unk_token", "sep_token", "pad_token",
                "cls_token", "mask_token", "model_max_length", "never_split", "padding_side", "truncation_side")
_SPECIAL_KEYS = ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token")


def from_vocab_file(cls, path, do_lower_case=True, **kwargs):
    """A tokenizer from a BERT vocab.txt (one token per line, id = line index)."""
    return cls(load_vocab(path), do_lower_case=do_lower_case, source=f"vocab file {os.fspath(path)}", **kwargs)


def from_pretrained(cls, directory, **overrides):
    """A tokenizer from a directory holding vocab.txt and, when present, tokenizer_config.json (keyword args win)."""
    directory = os.fspath(directory)
    if os.path.isfile(directory):
        return from_vocab_file(cls, directory, **overrides)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"tokenizer directory not found: {directory}")
    vocab_path = os.path.join(directory, "vocab.txt")
    if not os.path.exists(vocab_path):
        raise FileNotFoundError(f"no vocab.txt in {directory} (a BERT tokenizer directory holds vocab.txt and "
                                "tokenizer_config.json)")
    kwargs = {}
    for name in ("special_tokens_map.json", "tokenizer_config.json"):  # the config wins over the map, as in HF
        config_path = os.path.join(directory, name)
        if os.path.exists(config_path):
            kwargs.update(_read_config(config_path))
    if kwargs.get("model_max_length", 0) > 10**9:
        kwargs.pop("model_max_length")  # HF writes a huge sentinel when the length is unknown
    kwargs.update(overrides)
    return from_vocab_file(cls, vocab_path, **kwargs)


def _read_config(path):
    """The keys of a Hugging Face tokenizer config that this tokenizer understands."""
    try:
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None
    if not isinstance(config, dict):
        raise ValueError(f"{path}: expected a JSON object, got {type(config).__name__}")
    out = {}
    for key in _CONFIG_KEYS:
        if key in config and config[key] is not None or key == "strip_accents" and key in config:
            value = config[key]
            if isinstance(value, dict) and "content" in value:
                value = value["content"]  # HF's serialised AddedToken
            out[key] = value
    return out


def save(self, directory):
    """Write vocab.txt, tokenizer_config.json and special_tokens_map.json (readable by HF's BertTokenizer too)."""
    os.makedirs(directory, exist_ok=True)
    paths = [os.path.join(directory, n) for n in ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json")]
    save_vocab(self.vocab, paths[0])
    specials = {k: getattr(self, k) for k in _SPECIAL_KEYS if getattr(self, k) is not None}
    config = {"tokenizer_class": "BertTokenizer", "do_lower_case": self.basic.do_lower_case,
              "strip_accents": self.basic.strip_accents,
              "tokenize_chinese_chars": self.basic.tokenize_chinese_chars,
              "model_max_length": self.model_max_length, "padding_side": self.padding_side,
              "truncation_side": self.truncation_side, **specials}
    if self.basic.never_split:
        config["never_split"] = sorted(self.basic.never_split)
    for path, content in zip(paths[1:], (config, specials)):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(content, f, indent=2, ensure_ascii=False)
            f.write("\n")
    return paths
