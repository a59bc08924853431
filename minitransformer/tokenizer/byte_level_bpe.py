"""ByteLevelBPETokenizer: GPT-2's tokenizer (byte-level pieces -> BPE tokens -> ids), Hugging Face-shaped.

    tok = ByteLevelBPETokenizer.from_pretrained("gpt2_dir")            # vocab.json + merges.txt
    tok = ByteLevelBPETokenizer.train(texts, vocab_size=1000, special_tokens=["<|endoftext|>"])
    tok.encode("Hello world")  -> [..]; tok.decode(ids) -> "Hello world"; tok(texts, padding=True) -> BatchEncoding

Nothing is ever unknown: any text is UTF-8 bytes and every byte is a token, so decode(encode(text)) == text for
every text, and decode_bytes(encode(b)) == b for every byte string (bytes that are not UTF-8 travel as
surrogate escapes through the pre-tokeniser). Special tokens typed in the text ("<|endoftext|>") stay whole.
Ids equal Hugging Face tokenizers' ByteLevelBPETokenizer on the same vocab.json + merges.txt, and a vocabulary
trained here equals one that library trains on the same texts (bpe_trainer.py).
"""
import json
import os
import re

from . import bpe
from .byte_level import from_byte_symbols, pretokenize, to_byte_symbols
from .encoding import PADDING, check_option, to_batch_encoding

_FILES = ("vocab.json", "merges.txt", "tokenizer_config.json")
_ROLES = ("bos_token", "eos_token", "unk_token", "pad_token")


class ByteLevelBPETokenizer:
    """Byte-level BPE over a vocabulary {token: id} and merges [(left, right), ...] in rank order."""

    def __init__(self, vocab, merges, special_tokens=(), add_prefix_space=False, bos_token=None, eos_token=None,
                 unk_token=None, pad_token=None, padding_side="right", model_max_length=1024, source="vocabulary"):
        self.vocab = dict(vocab)
        self.merges = [tuple(m) for m in merges]
        bpe.check_merges(self.vocab, self.merges, source)
        self.ranks = {pair: rank for rank, pair in enumerate(self.merges)}
        self.ids_to_tokens = {i: t for t, i in self.vocab.items()}
        roles = dict(bos_token=bos_token, eos_token=eos_token, unk_token=unk_token, pad_token=pad_token)
        self.special_tokens = list(dict.fromkeys([*special_tokens, *(t for t in roles.values() if t)]))
        missing = [t for t in self.special_tokens if t not in self.vocab]
        if missing:
            raise ValueError(f"{source}: special tokens {missing} are not in the vocabulary")
        for role, token in roles.items():
            setattr(self, role, token)
        self.add_prefix_space, self.model_max_length = add_prefix_space, model_max_length
        self.padding_side = padding_side
        names = sorted(self.special_tokens, key=len, reverse=True)  # longest first, as HF's added-token trie
        self._special_re = re.compile("(" + "|".join(map(re.escape, names)) + ")") if names else None
        self._cache = {}

    # ----- construction and files -----
    @classmethod
    def train(cls, texts, vocab_size=30000, min_frequency=2, special_tokens=(), show_progress=None, **kwargs):
        """Learn merges from an iterable of texts (each pre-tokenised on its own); defaults as Hugging Face's
        ByteLevelBPETokenizer.train. The first special token also becomes bos/eos (and unk) unless given."""
        from .bpe_trainer import count_pieces, train_bpe
        special_tokens = list(special_tokens)
        vocab, merges = train_bpe(count_pieces(texts), vocab_size, min_frequency, special_tokens, show_progress)
        if special_tokens:
            for role in ("bos_token", "eos_token", "unk_token"):
                kwargs.setdefault(role, special_tokens[0])
        return cls(vocab, merges, special_tokens, source="trained vocabulary", **kwargs)

    @classmethod
    def train_from_files(cls, paths, **kwargs):
        """train() on the lines of text files, each line with its '\\n' ending kept, as tokenizers reads files."""
        paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)

        def lines():
            for path in paths:
                with open(path, "rb") as f:  # binary: split on b"\n" only, keep the ending and any "\r"
                    for n, line in enumerate(f, 1):
                        try:
                            yield line.decode("utf-8")
                        except UnicodeDecodeError as e:
                            raise ValueError(f"{path}:{n}: not UTF-8 ({e.reason} at byte {e.start})") from None
        return cls.train(lines(), **kwargs)

    @classmethod
    def from_files(cls, vocab_file, merges_file, **kwargs):
        """A tokenizer from a vocab.json and a merges.txt (GPT-2's own files, or ones saved by either library)."""
        source = f"{os.fspath(vocab_file)} + {os.fspath(merges_file)}"
        return cls(bpe.load_vocab_json(vocab_file), bpe.load_merges_txt(merges_file), source=source, **kwargs)

    @classmethod
    def from_pretrained(cls, directory, **overrides):
        """From a directory with vocab.json + merges.txt (and tokenizer_config.json when present: special tokens,
        add_prefix_space, padding_side, model_max_length). With no config and '<|endoftext|>' in the vocabulary,
        that is bos, eos and unk, as Hugging Face's GPT2Tokenizer."""
        directory = os.fspath(directory)
        paths = [os.path.join(directory, name) for name in _FILES]
        if not (os.path.isfile(paths[0]) and os.path.isfile(paths[1])):
            raise FileNotFoundError(f"{directory}: expected vocab.json and merges.txt (a GPT-2 tokenizer directory)")
        kwargs = {}
        if os.path.isfile(paths[2]):
            with open(paths[2], encoding="utf-8") as f:
                config = json.load(f)
            for key in (*_ROLES, "special_tokens", "add_prefix_space", "padding_side", "model_max_length"):
                value = config.get(key)
                if isinstance(value, dict):
                    value = value.get("content")  # transformers' serialised AddedToken
                if value is not None:
                    kwargs[key] = value
        vocab = bpe.load_vocab_json(paths[0])
        if not kwargs and "<|endoftext|>" in vocab:
            kwargs = dict(bos_token="<|endoftext|>", eos_token="<|endoftext|>", unk_token="<|endoftext|>")
        kwargs.update(overrides)
        return cls(vocab, bpe.load_merges_txt(paths[1]), source=directory, **kwargs)

    def save(self, directory):
        """Write vocab.json, merges.txt and tokenizer_config.json; returns their paths."""
        os.makedirs(directory, exist_ok=True)
        paths = [os.path.join(directory, name) for name in _FILES]
        bpe.save_vocab_json(self.vocab, paths[0])
        bpe.save_merges_txt(self.merges, paths[1])
        config = {"tokenizer_class": "GPT2Tokenizer", "add_prefix_space": self.add_prefix_space,
                  "special_tokens": self.special_tokens, "padding_side": self.padding_side,
                  "model_max_length": self.model_max_length,
                  **{role: getattr(self, role) for role in _ROLES if getattr(self, role) is not None}}
        with open(paths[2], "w", encoding="utf-8") as f:
            json.dump(config, f, indent=2, ensure_ascii=False)
            f.write("\n")
        return paths

    save_pretrained = save

    # ----- vocabulary -----
    @property
    def vocab_size(self):
        return len(self.vocab)

    def __len__(self):
        return len(self.vocab)

    def get_vocab(self):
        return dict(self.vocab)

    def token_id(self, role):
        """The id of a role's token ('eos_token', 'pad_token', ...), or None when the role is unset."""
        token = getattr(self, role)
        return None if token is None else self.vocab[token]

    eos_token_id = property(lambda self: self.token_id("eos_token"))
    bos_token_id = property(lambda self: self.token_id("bos_token"))
    pad_token_id = property(lambda self: self.token_id("pad_token"))

    # ----- text -> tokens / ids -----
    def _piece_ids(self, piece):
        """Ids of one pre-tokenised piece, remembered: a text repeats its words."""
        ids = self._cache.get(piece)
        if ids is None:
            ids = [self.vocab[t] for t in bpe.bpe_merge(to_byte_symbols(piece), self.ranks)]
            if len(self._cache) >= 100_000:
                self._cache.clear()
            self._cache[piece] = ids
        return ids

    def _plain_ids(self, text):
        if self.add_prefix_space and text and not text.startswith(" "):
            text = " " + text  # GPT-2 sees a first word as it sees every other: after a space
        return [i for piece in pretokenize(text) for i in self._piece_ids(piece)]

    def encode(self, text):
        """Text (str, or bytes: any byte string) -> token ids. Special tokens in a str stay single ids."""
        if isinstance(text, (bytes, bytearray)):
            return self._plain_ids(bytes(text).decode("utf-8", "surrogateescape"))
        if not isinstance(text, str):
            raise TypeError(f"encode takes a str or bytes, got {type(text).__name__}: {text!r:.60}")
        if self._special_re is None:
            return self._plain_ids(text)
        ids = []
        for i, part in enumerate(self._special_re.split(text)):
            ids += [self.vocab[part]] if i % 2 else self._plain_ids(part)  # odd parts: the special tokens
        return ids

    def tokenize(self, text):
        """Text -> token strings in byte-level characters ('Ġworld' for ' world')."""
        return [self.ids_to_tokens[i] for i in self.encode(text)]

    def __call__(self, text, padding=False, truncation=None, max_length=None, return_tensors=None,
                 padding_side=None, return_attention_mask=True):
        """A text or a batch of texts -> BatchEncoding(input_ids, attention_mask). padding=True pads to the
        longest on `padding_side` (default self.padding_side; 'left' for generation) with pad_token, which GPT-2
        lacks: set tok.pad_token = tok.eos_token first. truncation keeps the first max_length tokens."""
        single = isinstance(text, (str, bytes))
        texts = [text] if single else list(text)
        padding = check_option(padding, PADDING, "padding")
        side = padding_side or self.padding_side
        if side not in ("left", "right"):
            raise ValueError(f"padding_side must be 'left' or 'right', got {side!r}")
        if truncation is None:
            truncation = max_length is not None and padding is None
        if (truncation or padding == "max_length") and max_length is None:
            max_length = self.model_max_length
        rows = []
        for t in texts:
            ids = self.encode(t)[:max_length] if truncation else self.encode(t)
            rows.append({"input_ids": ids, "attention_mask": [1] * len(ids)})
        if padding:
            if self.pad_token is None:
                raise ValueError("padding needs a pad token and this tokenizer has none (GPT-2 has none); set "
                                 "tok.pad_token = tok.eos_token (the mask hides the pads from the model)")
            length = max_length if padding == "max_length" else max(len(r["input_ids"]) for r in rows)
            for r in rows:
                pad = length - len(r["input_ids"])
                for key, value in (("input_ids", self.pad_token_id), ("attention_mask", 0)):
                    r[key] = [value] * pad + r[key] if side == "left" else r[key] + [value] * pad
        if not return_attention_mask:
            for r in rows:
                del r["attention_mask"]
        return to_batch_encoding(rows, single, return_tensors)

    # ----- ids -> text -----
    def decode_bytes(self, ids, skip_special_tokens=False):
        """Ids -> the exact bytes they stand for (special tokens as their UTF-8 text unless skipped)."""
        if hasattr(ids, "tolist"):
            ids = ids.tolist()
        ids = [ids] if isinstance(ids, int) else ids
        out, special = [], set(self.special_tokens)
        for i in ids:
            token = self.ids_to_tokens.get(int(i))
            if token is None:
                raise ValueError(f"decode: id {i} is not in the vocabulary (0..{len(self.vocab) - 1})")
            if token in special:
                out.append(b"" if skip_special_tokens else token.encode("utf-8"))
            else:
                out.append(from_byte_symbols(token))
        return b"".join(out)

    def decode(self, ids, skip_special_tokens=False):
        """Ids -> text; bytes that do not form UTF-8 (a sequence cut inside a character) become U+FFFD, as in HF."""
        return self.decode_bytes(ids, skip_special_tokens).decode("utf-8", "replace")

    def batch_decode(self, batch, **kwargs):
        return [self.decode(ids, **kwargs) for ids in batch]

    def __repr__(self):
        return (f"ByteLevelBPETokenizer(vocab_size={self.vocab_size}, merges={len(self.merges)}, "
                f"special_tokens={self.special_tokens}, add_prefix_space={self.add_prefix_space})")
