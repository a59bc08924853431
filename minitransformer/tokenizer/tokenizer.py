"""WordPieceTokenizer: BERT's tokenizer (basic tokens -> WordPiece ids) with Hugging Face's calling conventions."""
import re

from . import pretrained
from .basic import BasicTokenizer, SPLIT_MISMATCH_RE, WORD_RE
from .call import call
from .offsets import word_piece_spans
from .truncation import Segment, check_side
from .wordpiece import wordpiece_split

SPECIAL_ROLES = ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token")
_CLEANUPS = ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
             (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"))


class WordPieceTokenizer:
    """Text -> ids exactly as Hugging Face's BertTokenizer, with every separator-free word's ids cached."""

    def __init__(self, vocab, do_lower_case=True, strip_accents=None, tokenize_chinese_chars=True,
                 unk_token="[UNK]", sep_token="[SEP]", pad_token="[PAD]", cls_token="[CLS]", mask_token="[MASK]",
                 model_max_length=512, max_input_chars_per_word=100, never_split=None, padding_side="right",
                 truncation_side="right", source="vocabulary", cache_size=1_000_000):
        self.vocab = dict(vocab)
        self.ids_to_tokens = {i: t for t, i in self.vocab.items()}
        self.basic = BasicTokenizer(do_lower_case, strip_accents, tokenize_chinese_chars, never_split)
        self.unk_token, self.sep_token, self.pad_token = unk_token, sep_token, pad_token
        self.cls_token, self.mask_token = cls_token, mask_token
        required = {"unk_token": unk_token, "sep_token": sep_token, "pad_token": pad_token, "cls_token": cls_token}
        missing = [f"{role}={tok!r}" for role, tok in required.items() if tok not in self.vocab]
        if missing:
            raise ValueError(f"{source} lacks special tokens the tokenizer needs: {', '.join(missing)} (pass the "
                             "names your vocabulary uses, e.g. unk_token='<unk>', or add them to the vocabulary)")
        if mask_token is not None and mask_token not in self.vocab:
            self.mask_token = None  # [MASK] is only needed for masked-LM pretraining
        self.unk_token_id, self.sep_token_id = self.vocab[unk_token], self.vocab[sep_token]
        self.pad_token_id, self.cls_token_id = self.vocab[pad_token], self.vocab[cls_token]
        self.mask_token_id = self.vocab.get(self.mask_token)
        self.model_max_length = model_max_length
        self.padding_side, self.truncation_side = padding_side, truncation_side
        self.max_input_chars_per_word = max_input_chars_per_word
        self._max_piece = max(map(len, self.vocab))
        self.all_special_tokens = [t for t in (unk_token, sep_token, pad_token, cls_token, self.mask_token) if t]
        self.all_special_ids = [self.vocab[t] for t in self.all_special_tokens]
        # Special tokens typed in the text stay whole (HF's added-token trie): longest name first, case-sensitive.
        names = sorted(set(self.all_special_tokens), key=len, reverse=True)
        self._special_re = re.compile("(" + "|".join(map(re.escape, names)) + ")")
        self._cache, self._cache_size = {}, cache_size  # separator-free word -> its ids
        self._local_words = {}  # the same words -> the basic word of each id within it (None: all one word)
        # HF's tokenize() returns a never_split token as written even when the vocabulary lacks it (its id is [UNK])
        self._never_split_unknown = not self.basic.never_split <= self.vocab.keys()
        self.merges = []  # filled by train(): the merges in the order they were made

    # ----- construction and files (see pretrained.py) -----
    from_vocab_file = classmethod(pretrained.from_vocab_file)
    from_pretrained = classmethod(pretrained.from_pretrained)
    save = pretrained.save
    save_pretrained = pretrained.save  # Hugging Face's name for the same thing

    @classmethod
    def train(cls, texts, vocab_size=8000, min_frequency=2, limit_alphabet=1000, special_tokens=None,
              algorithm="bpe", do_lower_case=True, strip_accents=None, show_progress=None):
        """Learn a vocabulary from an iterable of texts: algorithm 'bpe' (default, as HF tokenizers) or 'likelihood'."""
        from .trainer import train_vocab
        basic = BasicTokenizer(do_lower_case, strip_accents)
        result = train_vocab(texts, basic, vocab_size=vocab_size, min_frequency=min_frequency,
                             limit_alphabet=limit_alphabet, special_tokens=special_tokens, algorithm=algorithm,
                             show_progress=show_progress)
        specials = dict(zip(("pad_token", "unk_token", "cls_token", "sep_token", "mask_token"), result.special_tokens))
        tok = cls(result.vocab, do_lower_case=do_lower_case, strip_accents=strip_accents, source="trained vocabulary",
                  **specials)
        tok.merges = result.merges
        return tok

    # ----- padding and truncation sides (attributes, as in Hugging Face; a call argument overrides them) -----
    @property
    def padding_side(self):
        """Where padding goes: "right" (default) or "left" ([PAD] before [CLS])."""
        return self._padding_side

    @padding_side.setter
    def padding_side(self, value):
        self._padding_side = check_side(value, "padding_side")

    @property
    def truncation_side(self):
        """Which end truncation cuts: "right" (default: keep the start) or "left" (keep the end)."""
        return self._truncation_side

    @truncation_side.setter
    def truncation_side(self, value):
        self._truncation_side = check_side(value, "truncation_side")

    # ----- vocabulary -----
    @property
    def vocab_size(self):
        return len(self.vocab)

    def __len__(self):
        return len(self.vocab)

    def get_vocab(self):
        return dict(self.vocab)

    def convert_tokens_to_ids(self, tokens):
        """Token (or list of tokens) -> id(s); a token not in the vocabulary gives the [UNK] id."""
        if isinstance(tokens, str):
            return self.vocab.get(tokens, self.unk_token_id)
        return [self.vocab.get(t, self.unk_token_id) for t in tokens]

    def convert_ids_to_tokens(self, ids, skip_special_tokens=False):
        """Id (or list of ids) -> token(s); an id outside the vocabulary gives [UNK], as in HF."""
        if isinstance(ids, int) or hasattr(ids, "ndim") and ids.ndim == 0:
            return self.ids_to_tokens.get(int(ids), self.unk_token)
        special = set(self.all_special_ids) if skip_special_tokens else ()
        return [self.ids_to_tokens.get(i, self.unk_token) for i in map(int, ids) if i not in special]

    # ----- text -> tokens / ids -----
    def tokenize(self, text):
        """Text -> WordPiece tokens (special tokens typed in the text are kept whole)."""
        text = self._check_text(text, None)
        if self._never_split_unknown:
            return self._text_tokens(text)
        return [self.ids_to_tokens[i] for i in self._text_ids(text)]

    def _text_tokens(self, text):
        """Tokens as strings, without the id cache (so a never_split token outside the vocabulary stays itself)."""
        tokens = []
        for i, part in enumerate(self._special_re.split(text)):
            if i % 2:
                tokens.append(part)
            else:
                tokens += [piece for word in WORD_RE.findall(part) for pieces in self._word_pieces(word)
                           for piece in pieces]
        return tokens

    def encode(self, text, text_pair=None, add_special_tokens=True, truncation=None, max_length=None):
        """Text (and optional pair) -> one list of ids, with [CLS]/[SEP] unless add_special_tokens=False."""
        return self(text, text_pair, add_special_tokens=add_special_tokens, truncation=truncation,
                    max_length=max_length)["input_ids"]

    def _check_text(self, text, position, what="text"):
        if not isinstance(text, str):
            where = f"{what}[{position}]" if position is not None else what
            raise TypeError(f"{where} must be a str, got {type(text).__name__}: {text!r:.60}")
        return text

    def _word_pieces(self, word):
        """WordPiece pieces of one separator-free word, grouped by basic token."""
        never_split = self.basic.never_split
        return [[token] if token in never_split else
                wordpiece_split(token, self.vocab, self.unk_token, self.max_input_chars_per_word, self._max_piece)
                for token in self.basic._tokenize_word_uncached(word)]

    def _word_ids(self, word):
        """Ids of one separator-free piece of text (the cache-miss path), remembered for the next time it appears,
        with the index of the basic word each id belongs to (None when the piece is one word)."""
        get, unk = self.vocab.get, self.unk_token_id
        groups = self._word_pieces(word)
        ids = [get(piece, unk) for pieces in groups for piece in pieces]
        if len(self._cache) >= self._cache_size:
            self._cache.clear()  # bounded memory; the frequent words come straight back
            self._local_words.clear()
        self._cache[word] = ids
        self._local_words[word] = None if len(groups) <= 1 else [i for i, ps in enumerate(groups) for _ in ps]
        return ids

    def _plain_ids(self, text):
        """Ids of text without special tokens: cut at separators, look each word up in the cache."""
        words = text.split() if SPLIT_MISMATCH_RE.search(text) is None else WORD_RE.findall(text)
        get, ids = self._cache.get, []
        for word in words:
            word_ids = get(word)
            ids += word_ids if word_ids is not None else self._word_ids(word)
        return ids

    def _plain_ids_and_words(self, text, ids, words, first):
        """Append the ids of text without special tokens and the index (from `first`) of the basic word each
        came from; return the next free word index."""
        chunks = text.split() if SPLIT_MISMATCH_RE.search(text) is None else WORD_RE.findall(text)
        get = self._cache.get
        for chunk in chunks:
            chunk_ids = get(chunk)
            if chunk_ids is None:
                chunk_ids = self._word_ids(chunk)
            ids += chunk_ids
            local = self._local_words[chunk]
            if local is None:
                if chunk_ids:
                    words += [first] * len(chunk_ids)
                    first += 1
            else:
                words += [first + w for w in local]
                first += local[-1] + 1
        return first

    def _text_ids(self, text):
        if self._special_re.search(text) is None:
            return self._plain_ids(text)
        ids = []
        for i, part in enumerate(self._special_re.split(text)):
            if i % 2:
                ids.append(self.vocab[part])  # odd parts are the captured special tokens
            elif part:
                ids += self._plain_ids(part)
        return ids

    def _segment(self, text, with_offsets=False, split_into_words=False, words=True):
        """A Segment of `text`: ids, (start, end) character spans when asked, and the word index of every token
        (unless words=False). With split_into_words `text` is a list of words: each token's word is its word's
        index in the list, and its span is within that word (as Hugging Face's fast tokenizer)."""
        if split_into_words:
            ids, offsets, indices = [], [] if with_offsets else None, []
            for i, word in enumerate(text):
                part = self._segment(word, with_offsets, words=False)
                ids += part.ids
                indices += [i] * len(part.ids)
                if with_offsets:
                    offsets += part.offsets
            return Segment(ids, offsets, indices if words else None)
        if with_offsets:
            segment = self._text_ids_and_offsets(text)
            return segment if words else Segment(segment.ids, segment.offsets, None)
        if not words:
            return Segment(self._text_ids(text), None, None)
        ids, indices, first = [], [], 0
        for i, part in enumerate(self._special_re.split(text)):
            if i % 2:  # odd parts are the captured special tokens: a word each
                ids.append(self.vocab[part])
                indices.append(first)
                first += 1
            elif part:
                first = self._plain_ids_and_words(part, ids, indices, first)
        return Segment(ids, None, indices)

    def _text_ids_and_offsets(self, text):
        """A Segment with (start, end) character spans into ``text`` for every token (the slower path, for NER)."""
        ids, spans, words, pos = [], [], [], 0
        for i, part in enumerate(self._special_re.split(text)):
            if i % 2:  # a special token typed in the text spans its own characters
                ids.append(self.vocab[part])
                spans.append((pos, pos + len(part)))
                words.append(words[-1] + 1 if words else 0)
            else:
                for m in WORD_RE.finditer(part):
                    word, base = m.group(), pos + m.start()
                    pieces = self._word_pieces(word)
                    tokens = self.basic._tokenize_word_uncached(word)
                    ids += [self.vocab.get(p, self.unk_token_id) for ps in pieces for p in ps]
                    first = words[-1] + 1 if words else 0
                    words += [first + w for w, ps in enumerate(pieces) for _ in ps]
                    spans += [(base + s, base + e)
                              for s, e in word_piece_spans(word, self.basic, tokens, pieces, self.unk_token)]
            pos += len(part)
        return Segment(ids, spans, words)

    # ----- the Hugging Face-style call (call.py) -----
    __call__ = call

    # ----- ids -> text -----
    def decode(self, ids, skip_special_tokens=False, clean_up_tokenization_spaces=True):
        """Join tokens with spaces, glue '##' pieces on, then HF's clean-up (' ,' -> ',', " n't" -> "n't")."""
        if hasattr(ids, "ndim") and ids.ndim > 1 or (isinstance(ids, (list, tuple)) and ids
                                                     and isinstance(ids[0], (list, tuple))):
            raise ValueError("decode takes one sequence of ids; use batch_decode for a batch")
        tokens = self.convert_ids_to_tokens([ids] if isinstance(ids, int) else ids, skip_special_tokens)
        text = " ".join(tokens).replace(" ##", "").strip()
        if clean_up_tokenization_spaces:
            for old, new in _CLEANUPS:
                text = text.replace(old, new)
        return text

    def batch_decode(self, batch, **kwargs):
        return [self.decode(ids, **kwargs) for ids in batch]

    def __repr__(self):
        return (f"WordPieceTokenizer(vocab_size={self.vocab_size}, do_lower_case={self.basic.do_lower_case}, "
                f"strip_accents={self.basic.strip_accents}, model_max_length={self.model_max_length})")
