"""Token classification (named-entity recognition) on top of the training loop: read a tagger's logits back as one
tag per word, score it by entities, and turn a text into entities with character spans.

    train_loader = TaggedDataLoader(train, tokenizer, batch_size=32, shuffle=True)
    fit(model, train_loader, TaggedDataLoader(validation, tokenizer), epochs=5, evaluate_fn=evaluate_tagger)
    evaluate_tagger(model, TaggedDataLoader(test, tokenizer))   # {"f1", "precision", "recall", "accuracy", ...}

A word's tag is the one predicted on its first WordPiece (the piece that carried its tag in training); a word that
lost its pieces to truncation, or never had one, is tagged "O", so it still counts against recall. Scores are
seqeval's default entity scores (entity_metrics.py) over the words of every sentence, and token accuracy over words.
"""
import numpy as np

from . import entity_metrics
from .autograd import no_grad


def first_piece_tags(predicted, word_ids, num_words, outside=0):
    """Tag ids per word from per-token tag ids: each word's first piece; `outside` for words without a piece."""
    tags, previous = [outside] * num_words, None
    for position, word in enumerate(word_ids):
        if word is not None and word != previous and position < len(predicted):
            tags[word] = int(predicted[position])
        previous = word
    return tags


def predict_word_tags(model, loader):
    """(tag ids per word for every sentence of loader.dataset, mean loss over the counted pieces); eval mode, no
    graph, the model's mode restored. loader: a data.TaggedDataLoader (its order is not advanced)."""
    dataset = loader.dataset
    outside = dataset.label_names.index("O") if "O" in dataset.label_names else 0
    was_training = model.training
    model.eval()
    predictions, total_loss, counted = [None] * len(dataset), 0.0, 0
    try:
        with no_grad():
            for indices in loader.batch_indices(loader.epoch):
                batch = loader.collate(indices)
                out = model(batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"])
                n = int((batch["labels"] != -100).sum())
                total_loss += out.loss.item() * n
                counted += n
                predicted = out.logits.numpy().argmax(axis=-1)  # (B, T)
                for row, i in enumerate(indices):
                    predictions[i] = first_piece_tags(predicted[row], loader.encoded[i]["word_ids"],
                                                      len(dataset.words[i]), outside)
    finally:
        model.train(was_training)
    return predictions, total_loss / max(counted, 1)


def evaluate_tagger(model, loader):
    """{"loss", "accuracy" (word-level token accuracy), "precision", "recall", "f1" (micro entity scores),
    "f1_macro" (entity F1 averaged over types; not called "macro_f1", which fit prints as a class macro-F1),
    "report" (per type, entity_metrics.classification_report), "predictions" (tag names per word)}: usable as
    fit(..., evaluate_fn=evaluate_tagger)."""
    ids, loss = predict_word_tags(model, loader)
    names = loader.dataset.label_names
    y_pred = [[names[t] for t in sentence] for sentence in ids]
    y_true = loader.dataset.tags
    precision, recall, f1, _ = entity_metrics.precision_recall_f1(y_true, y_pred)
    return {"loss": loss, "accuracy": entity_metrics.accuracy_score(y_true, y_pred), "precision": precision,
            "recall": recall, "f1": f1, "f1_macro": entity_metrics.f1_score(y_true, y_pred, average="macro"),
            "report": entity_metrics.classification_report(y_true, y_pred), "predictions": y_pred}


def token_scores(logits):
    """(B, T, C) logits -> softmax probabilities (B, T, C) in float64, as the pipeline reads them."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


# ------------------------------------------------------------------ text -> entities (Hugging Face's pipeline)

AGGREGATIONS = ("none", "simple", "first", "average", "max")


CLEANUPS = ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
            (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"))


def tokens_to_string(tokens):
    """Pieces -> text as the fast BERT tokenizer's WordPiece decoder (what transformers' pipeline uses): a '##'
    piece is glued on, any other piece after the first gets a space, and each piece is cleaned up on its own
    (" ." -> "."), so "u . s" reads "u. s" while a word-internal "." keeps no space before it."""
    out = []
    for i, token in enumerate(tokens):
        if i:
            token = token[2:] if token.startswith("##") else " " + token
        for old, new in CLEANUPS:
            token = token.replace(old, new)
        out.append(token)
    return "".join(out)


def _split_tag(label):
    """("B" | "I", type) as transformers' TokenClassificationPipeline.get_tag: a tag without B-/I- continues."""
    if label.startswith("B-") or label.startswith("I-"):
        return label[0], label[2:]
    return "I", label


def pre_entities(text, input_ids, offsets, scores, tokenizer):
    """One dict per real token: word (the piece, or the text span for [UNK]), scores (C,), start, end, index and
    is_subword (the piece's length differs from its span's, as transformers decides it for a '##' tokenizer)."""
    out = []
    for index, (token_id, (start, end)) in enumerate(zip(input_ids, offsets)):
        if end <= start:  # [CLS], [SEP], padding: the tokens the tokenizer added
            continue
        word, span = tokenizer.convert_ids_to_tokens(int(token_id)), text[start:end]
        is_subword = len(word) != len(span)
        if int(token_id) == tokenizer.unk_token_id:
            word, is_subword = span, False
        out.append({"word": word, "scores": scores[index], "start": int(start), "end": int(end), "index": index,
                    "is_subword": is_subword})
    return out


def _word_entity(pieces, strategy, id2label):
    """One entity for the pieces of a word: the first piece's tag, the mean scores' or the surest piece's."""
    if strategy == "first":
        scores = pieces[0]["scores"]
    elif strategy == "average":
        scores = np.mean([p["scores"] for p in pieces], axis=0)
    else:  # "max"
        scores = max(pieces, key=lambda p: p["scores"].max())["scores"]
    best = int(scores.argmax())
    word = tokens_to_string([p["word"] for p in pieces])
    return {"entity": id2label[best], "score": float(scores[best]), "word": word, "start": pieces[0]["start"],
            "end": pieces[-1]["end"]}


def group_entities(entities):
    """Merge neighbouring entities of one type into entity groups, as transformers' group_entities: a token joins the
    group before it when its type is the same and it is not a B- tag. Each group: entity_group (the type), score
    (the mean of its tokens'), word (tokens joined as text), start (first token's), end (last token's)."""
    groups, current = [], []

    def close():
        groups.append({"entity_group": current[0]["entity"].split("-", 1)[-1],
                       "score": float(np.mean([e["score"] for e in current])),
                       "word": tokens_to_string([e["word"] for e in current]),
                       "start": current[0]["start"], "end": current[-1]["end"]})

    for entity in entities:
        bi, tag = _split_tag(entity["entity"])
        if current and tag == _split_tag(current[-1]["entity"])[1] and bi != "B":
            current.append(entity)
            continue
        if current:
            close()
        current = [entity]
    if current:
        close()
    return groups


def aggregate(pieces, id2label, strategy="simple", ignore_labels=("O",)):
    """Entities of one text from pre_entities(): per token ("none"), grouped per token ("simple"), or per word first
    ("first" / "average" / "max") and then grouped; tags in ignore_labels are dropped, as transformers does."""
    if strategy not in AGGREGATIONS:
        raise ValueError(f"aggregation_strategy must be one of {AGGREGATIONS}, got {strategy!r}")
    if strategy in ("none", "simple"):
        entities = []
        for p in pieces:
            best = int(p["scores"].argmax())
            entities.append({"entity": id2label[best], "score": float(p["scores"][best]), "index": p["index"],
                             "word": p["word"], "start": p["start"], "end": p["end"]})
        if strategy == "none":
            return [e for e in entities if e["entity"] not in ignore_labels]
    else:
        words, current = [], []
        for p in pieces:
            if current and not p["is_subword"]:
                words.append(_word_entity(current, strategy, id2label))
                current = []
            current.append(p)
        if current:
            words.append(_word_entity(current, strategy, id2label))
        entities = words
    return [g for g in group_entities(entities) if g["entity_group"] not in ignore_labels]


def tag_texts(model, tokenizer, texts, aggregation_strategy="simple", ignore_labels=("O",), max_length=None,
              batch_size=32):
    """Entities in each text: [[{"entity_group", "score", "word", "start", "end"}, ...], ...] (with "none":
    {"entity", "score", "index", "word", "start", "end"} per token), start/end character offsets into the text.
    Texts longer than max_length (default: the tokenizer's model_max_length) are truncated, as the pipeline does."""
    id2label = getattr(model.config, "id2label")
    max_length = max_length or tokenizer.model_max_length
    results = []
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            for begin in range(0, len(texts), batch_size):
                chunk = list(texts[begin:begin + batch_size])
                enc = tokenizer(chunk, padding=True, truncation=True, max_length=max_length,
                                return_offsets_mapping=True, return_tensors="np")
                logits = model(enc["input_ids"], attention_mask=enc["attention_mask"]).logits.numpy()
                scores = token_scores(logits)  # (B, T, C)
                for i, text in enumerate(chunk):
                    pieces = pre_entities(text, enc["input_ids"][i], enc["offset_mapping"][i], scores[i], tokenizer)
                    results.append(aggregate(pieces, id2label, aggregation_strategy, ignore_labels))
    finally:
        model.train(was_training)
    return results
