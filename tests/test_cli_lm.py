"""`python -m minitransformer lm train / generate` end to end on a small text, offline."""
import json

import pytest

from minitransformer.cli import main
from minitransformer.models import GPT2LMHeadModel
from tests.conftest import REPO

QUICK = ["--steps", "6", "--eval-every", "3", "--d-model", "16", "--num-heads", "2", "--num-layers", "1",
         "--block-size", "24", "--batch-size", "4", "--vocab-size", "300", "--quiet"]


@pytest.fixture(scope="module")
def lm_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("lm")
    assert main(["lm", "train", "--data", str(REPO / "data" / "hamlet_act1.txt"), "--output-dir", str(out),
                 *QUICK]) == 0
    return out


def test_train_writes_a_hugging_face_directory_and_the_perplexity_curve(lm_run):
    for name in ("config.json", "model.safetensors", "vocab.json", "merges.txt", "tokenizer_config.json",
                 "lm_history.json", "perplexity.png"):
        assert (lm_run / name).is_file(), name
    history = json.loads((lm_run / "lm_history.json").read_text())["history"]
    assert history["eval_step"] == [0, 3, 6] and len(history["loss"]) == 6
    assert history["val_perplexity"][-1] < history["val_perplexity"][0]  # it learned something already
    config = json.loads((lm_run / "config.json").read_text())
    assert config["model_type"] == "gpt2" and config["n_positions"] == 24 and config["vocab_size"] == 300
    assert GPT2LMHeadModel.from_pretrained(lm_run).config.n_embd == 16


def test_generate_repeats_with_a_seed_and_matches_greedy_with_or_without_cache(lm_run, capsys):
    args = ["lm", "generate", "--model-dir", str(lm_run), "--max-new-tokens", "8"]
    assert main([*args, "--seed", "3", "Enter HAMLET"]) == 0
    first = capsys.readouterr()
    assert main([*args, "--seed", "3", "Enter HAMLET"]) == 0
    assert capsys.readouterr().out == first.out and first.out.startswith("Enter HAMLET")
    assert "tokens/s" in first.err
    assert main([*args, "--greedy", "To be"]) == 0
    greedy = capsys.readouterr().out
    assert main([*args, "--greedy", "--no-cache", "To be"]) == 0
    assert capsys.readouterr().out == greedy


def test_generate_reads_prompts_from_stdin(lm_run, capsys, monkeypatch):
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO("first\n\nsecond\n"))
    assert main(["lm", "generate", "--model-dir", str(lm_run), "--max-new-tokens", "3", "--greedy"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("first") and any(line.startswith("second") for line in lines[1:])


@pytest.mark.parametrize("argv, message", [
    (["lm", "train", "--data", "missing.txt"], "--data missing.txt: file not found"),
    (["lm", "train", "--num-heads", "3"], "--num-heads 3 must divide --d-model 128"),
    (["lm", "train", "--steps", "0"], "--steps must be positive"),
    (["lm", "train", "--val-fraction", "0"], "--val-fraction must be in [0, 1)"),
    (["lm", "generate", "--model-dir", "nowhere", "hi"], "--model nowhere: no such directory (train a model there with: python -m minitransformer lm train"),
])
def test_mistakes_are_one_line_errors(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err, err


def test_dataset_offline_trains_on_the_shipped_act_and_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MT_OFFLINE", "1")
    monkeypatch.setenv("MT_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["lm", "train", "--dataset", "hamlet", "--output-dir", str(tmp_path / "run"), *QUICK]) == 0
    captured = capsys.readouterr()
    assert "notice: load_text('hamlet'): could not fetch" in captured.err and "hamlet_act1.txt" in captured.err
    assert "--dataset hamlet, 38,468 characters" in captured.out


def test_too_long_a_generation_is_a_one_line_error(lm_run, capsys):
    assert main(["lm", "generate", "--model-dir", str(lm_run), "--max-new-tokens", "50", "hi"]) == 2
    assert "n_positions 24" in capsys.readouterr().err


def test_every_lm_option_shows_its_default():
    from minitransformer.cli import build_parser
    parser = build_parser()
    lm = next(a for a in parser._actions if a.dest == "command").choices["lm"]
    subs = next(a for a in lm._actions if a.dest == "lm_command").choices
    for name, sub in subs.items():
        for action in sub._actions:
            if action.dest == "help":
                continue
            assert action.help, f"lm {name} {action.option_strings or action.dest} has no help"
            if action.option_strings and action.nargs != 0:
                assert "(default:" in action.help, f"lm {name} {action.option_strings[0]}"
