"""Every name of DESIGN.md's public surface is reachable after a plain `import minitransformer as mt`, as a
PyTorch user would reach torch.optim or torch.nn without importing them separately."""
import subprocess
import sys

PUBLIC = """
mt.tensor mt.no_grad mt.manual_seed mt.gradcheck mt.cat mt.stack mt.where mt.Tensor
mt.functional.softmax mt.functional.log_softmax mt.functional.layer_norm mt.functional.gelu mt.functional.relu
mt.functional.dropout mt.functional.embedding mt.functional.linear mt.functional.cross_entropy
mt.functional.scaled_dot_product_attention
mt.nn.Module mt.nn.Parameter mt.nn.Linear mt.nn.Embedding mt.nn.LayerNorm mt.nn.Dropout mt.nn.Sequential
mt.nn.ModuleList mt.nn.MultiHeadAttention mt.nn.FeedForward mt.nn.TransformerEncoderLayer
mt.nn.TransformerEncoder mt.nn.SinusoidalPositionalEncoding
mt.optim.SGD mt.optim.Adam mt.optim.AdamW mt.optim.get_linear_schedule_with_warmup mt.optim.clip_grad_norm
mt.models.TransformerClassifier
mt.tokenizer.WordPieceTokenizer.from_vocab_file mt.tokenizer.WordPieceTokenizer.train
mt.tokenizer.WordPieceTokenizer.from_pretrained
mt.data.load_dataset mt.data.DataLoader
mt.explain.explain mt.explain.integrated_gradients mt.explain.gradient_x_input mt.explain.attention_rollout
""".split()


def test_the_public_surface_is_reachable_from_one_import():
    # A fresh interpreter: in this process other tests have already imported the submodules.
    code = "import minitransformer as mt\nfor name in %r:\n    eval(name)\n" % (PUBLIC,)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
