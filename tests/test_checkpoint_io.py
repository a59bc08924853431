""".npz checkpoints with a JSON meta record, atomic writes, and host conversion of device/tensor arrays."""
import json
import os
import zipfile

import numpy as np
import pytest

from minitransformer.io import checkpoint as ckpt
from minitransformer.io import atomic_write_bytes, atomic_write_text, load_npz, save_npz, to_numpy


def test_round_trip_arrays_and_meta(tmp_path):
    arrays = {"encoder.w": np.arange(12, dtype=np.float32).reshape(3, 4), "step": np.array(7, np.int64),
              "mask": np.array([True, False]), "half": np.array([0.5], np.float16)}
    meta = {"epoch": 3, "loss": np.float32(0.25), "history": np.array([1.0, 0.5]), "name": "héllo"}
    save_npz(tmp_path / "ck.npz", arrays, meta)
    back, m = load_npz(tmp_path / "ck.npz")
    assert list(back) == list(arrays)
    for name, arr in arrays.items():
        assert back[name].dtype == arr.dtype and back[name].shape == arr.shape
        np.testing.assert_array_equal(back[name], arr)
    assert m == {"epoch": 3, "loss": 0.25, "history": [1.0, 0.5], "name": "héllo"}


def test_file_is_a_plain_npz_with_meta_as_utf8_json(tmp_path):
    # Independent reader: NumPy itself, and the zip directory; the meta record decodes with json alone.
    save_npz(tmp_path / "ck.npz", {"a": np.ones(2)}, {"k": [1, 2]}, compress=True)
    with zipfile.ZipFile(tmp_path / "ck.npz") as z:
        assert sorted(z.namelist()) == ["__meta__.npy", "a.npy"]
    with np.load(tmp_path / "ck.npz") as data:
        assert data["__meta__"].dtype == np.uint8
        assert json.loads(data["__meta__"].tobytes()) == {"k": [1, 2]}


def test_no_meta_gives_none_and_exact_path_is_kept(tmp_path):
    save_npz(tmp_path / "weights.bin", {"a": np.zeros(1)})  # no ".npz" appended behind our back
    assert os.listdir(tmp_path) == ["weights.bin"]
    arrays, meta = load_npz(tmp_path / "weights.bin")
    assert meta is None and list(arrays) == ["a"]


def test_save_npz_rejects_reserved_name_and_bad_meta(tmp_path):
    with pytest.raises(ValueError, match="'__meta__' is reserved"):
        save_npz(tmp_path / "x.npz", {"__meta__": np.zeros(1)})
    with pytest.raises(TypeError, match="meta is not JSON serializable.*set"):
        save_npz(tmp_path / "x.npz", {}, {"bad": {1, 2}})
    with pytest.raises(TypeError, match="'o' has dtype object"):
        save_npz(tmp_path / "x.npz", {"o": np.array([None, 1], dtype=object)})
    assert os.listdir(tmp_path) == []


def test_load_npz_missing_and_corrupt(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        load_npz(tmp_path / "nope.npz")
    save_npz(tmp_path / "ck.npz", {"a": np.arange(1000)}, {"k": 1})
    blob = (tmp_path / "ck.npz").read_bytes()
    (tmp_path / "trunc.npz").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match=r"trunc\.npz.*not a readable \.npz checkpoint"):
        load_npz(tmp_path / "trunc.npz")
    (tmp_path / "junk.npz").write_bytes(b"this is not a zip file at all")
    with pytest.raises(ValueError, match=r"junk\.npz"):
        load_npz(tmp_path / "junk.npz")
    np.save(tmp_path / "single.npy", np.zeros(2))
    with pytest.raises(ValueError, match="single .npy array"):
        load_npz(tmp_path / "single.npy")
    np.savez(tmp_path / "badmeta.npz", __meta__=np.frombuffer(b"{not json", np.uint8))
    with pytest.raises(ValueError, match="'__meta__' record is not valid"):
        load_npz(tmp_path / "badmeta.npz")


def test_failed_write_leaves_old_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "ck.npz"
    save_npz(path, {"a": np.arange(3)}, {"epoch": 1})

    def exploding_savez(f, **arrays):  # dies half-way, after some bytes reached the temp file
        f.write(b"PK partial")
        raise RuntimeError("killed mid-write (simulated)")
    monkeypatch.setattr(ckpt.np, "savez", exploding_savez)
    with pytest.raises(RuntimeError, match="simulated"):
        save_npz(path, {"a": np.arange(5)}, {"epoch": 2})
    monkeypatch.undo()
    arrays, meta = load_npz(path)
    assert arrays["a"].tolist() == [0, 1, 2] and meta == {"epoch": 1}
    assert os.listdir(tmp_path) == ["ck.npz"]  # the temp file was removed


def test_atomic_write_helpers(tmp_path, monkeypatch):
    atomic_write_text(tmp_path / "sub" / "a.json", '{"x": "é"}')  # creates the directory
    assert (tmp_path / "sub" / "a.json").read_text(encoding="utf-8") == '{"x": "é"}'
    atomic_write_bytes(tmp_path / "b.bin", b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    monkeypatch.setattr(ckpt.os, "replace", lambda src, dst: (_ for _ in ()).throw(OSError("no rename")))
    with pytest.raises(OSError, match="no rename"):
        atomic_write_bytes(tmp_path / "b.bin", b"new")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert sorted(os.listdir(tmp_path)) == ["b.bin", "sub"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_atomic_files_get_the_mode_a_plain_open_would_give(tmp_path):
    # the temp file comes from mkstemp (0600): without a chmod every checkpoint would be private to its owner
    mask = os.umask(0o027)
    try:
        atomic_write_text(tmp_path / "new.json", "{}")
        (tmp_path / "plain.json").write_text("{}")
        assert os.stat(tmp_path / "new.json").st_mode & 0o777 == os.stat(tmp_path / "plain.json").st_mode & 0o777 \
            == 0o640
        os.chmod(tmp_path / "new.json", 0o604)               # replacing a file keeps that file's mode
        save_npz(tmp_path / "new.json", {"a": np.zeros(1)})
        assert os.stat(tmp_path / "new.json").st_mode & 0o777 == 0o604
    finally:
        os.umask(mask)


def test_to_numpy_duck_types():
    class FakeCupyArray:  # what matters is the module name and .get(), as for cupy.ndarray
        __module__ = "cupy._core.core"

        def get(self):
            return np.array([1, 2])

    class FakeTensor:
        def __init__(self):
            self.detached = False

        def detach(self):
            self.detached = True
            return self

        def numpy(self):
            assert self.detached, "detach() first, as torch requires for tensors needing grad"
            return np.array([3.0], np.float32)

    assert to_numpy(FakeCupyArray()).tolist() == [1, 2]
    out = to_numpy(FakeTensor())
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.tolist() == [3.0]
    assert to_numpy([[1, 2]]).shape == (1, 2)
    a = np.zeros(3)
    assert to_numpy(a) is a


# ---------------------------------------------------------------------------------------------- the golden fixture

GOLDEN = os.path.join(os.path.dirname(__file__), "fixtures", "minilm_golden.npz")


def test_minilm_golden_fixture_contents():
    assert os.path.getsize(GOLDEN) < 200_000
    g, meta = load_npz(GOLDEN)
    B, T = g["input_ids"].shape
    assert (B, T) == (4, 24) and len(meta["sentences"]) == 4
    assert g["attention_mask"].sum(1).tolist() == [12, 5, 24, 22]
    assert g["hidden_states_16"].shape == (7, B, T, 16) and g["pooler_output_16"].shape == (B, 16)
    np.testing.assert_array_equal(g["hidden_states_16"][-1], g["last_hidden_state_16"])
    assert g["pair_token_type_ids"][0].tolist() == [0] * 9 + [1] * 11
    for key in ("attention_layer0_head0", "attention_layer5_head0"):
        att = g[key]
        np.testing.assert_allclose(att.sum(-1), 1, atol=1e-5)  # every query row, padded ones too
        assert np.all(att[g["attention_mask"][:, None, :].repeat(T, 1) == 0] == 0)  # padded keys get nothing
    assert set(meta["versions"]) >= {"torch", "transformers"}


def test_minilm_golden_matches_numpy_embeddings_and_first_attention(bert_dir):
    """Recompute the embedding layer and layer 0 head 0's attention from the checkpoint with NumPy alone.

    This ties the fixture to the checkpoint (and our safetensors reader) without torch: tokens via vocab.txt,
    embeddings = LayerNorm(word + position + token type), eps 1e-12; attention = softmax(q k^T / sqrt(32) + mask).
    """
    from minitransformer.io import load_file
    g, meta = load_npz(GOLDEN)
    vocab = (bert_dir / "vocab.txt").read_text(encoding="utf-8").splitlines()
    assert [[vocab[i] for i in row] for row in g["input_ids"]] == meta["tokens"]
    sd = load_file(bert_dir / "model.safetensors")
    ids, types, mask = g["input_ids"], g["token_type_ids"], g["attention_mask"]
    T = ids.shape[1]
    x = (sd["embeddings.word_embeddings.weight"][ids] + sd["embeddings.position_embeddings.weight"][:T]
         + sd["embeddings.token_type_embeddings.weight"][types]).astype(np.float64)
    x = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-12)
    h0 = x * sd["embeddings.LayerNorm.weight"] + sd["embeddings.LayerNorm.bias"]       # (B, T, 384)
    np.testing.assert_allclose(h0[..., :16], g["hidden_states_16"][0], atol=1e-5)
    q = h0 @ sd["encoder.layer.0.attention.self.query.weight"].T + sd["encoder.layer.0.attention.self.query.bias"]
    k = h0 @ sd["encoder.layer.0.attention.self.key.weight"].T + sd["encoder.layer.0.attention.self.key.bias"]
    scores = q[..., :32] @ k[..., :32].transpose(0, 2, 1) / np.sqrt(32)                # head 0: (B, T, T)
    scores = np.where(mask[:, None, :] == 1, scores, -np.inf)
    att = np.exp(scores - scores.max(-1, keepdims=True))
    att /= att.sum(-1, keepdims=True)
    np.testing.assert_allclose(att, g["attention_layer0_head0"], atol=1e-5)
