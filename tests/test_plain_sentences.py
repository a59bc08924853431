"""Plain sentences come out right after training on the shipped corpus. Before the generator was fixed, its
'love' stood mostly in negative rows ("didn't love") and 'worst' never occurred, so the trained model read
"I love it." as negative and "the worst film I have ever seen" as positive (issue 17). The slow test with the
command line's defaults is in test_transformer_vs_bow.py; this one trains a small model for three epochs."""
import minitransformer as mt
from minitransformer import run_dir
from minitransformer.data import DataLoader, load_dataset
from minitransformer.models import TransformerClassifier
from minitransformer.tokenizer import WordPieceTokenizer
from minitransformer.training import fit

# What a reader types first: no negation, no contrast, the words' own polarity decides.
POSITIVE = ["I love it.", "I loved it.", "The best film I have ever seen.", "A superb film.", "It was great.",
            "What a lovely meal."]
NEGATIVE = ["I hate it.", "This was the worst film I have ever seen.", "The worst film.", "A dull, lifeless film.",
            "It was terrible."]


def test_a_small_model_trained_on_the_shipped_corpus_gets_plain_sentences_right():
    mt.manual_seed(0)
    train = load_dataset("shipped", split="train")
    tokenizer = WordPieceTokenizer.train(train.texts, vocab_size=1000, show_progress=False)
    model = TransformerClassifier(tokenizer.vocab_size, 2, d_model=32, num_heads=4, num_layers=1, d_ff=128,
                                  max_len=64, pad_id=tokenizer.pad_token_id, pooling="mean")
    loader = DataLoader(train, tokenizer, batch_size=32, shuffle=True, bucket_by_length=True, max_length=64)
    fit(model, loader, epochs=3, progress=False, log=None)
    positive = run_dir.predict_proba(model, tokenizer, POSITIVE + NEGATIVE, max_length=64)[:, 1]
    wrong = [(text, round(float(p), 3)) for text, p, label in zip(POSITIVE + NEGATIVE, positive,
                                                                  [1] * len(POSITIVE) + [0] * len(NEGATIVE))
             if (p > 0.5) != label]
    assert not wrong, f"P(positive) of misread plain sentences: {wrong}"
