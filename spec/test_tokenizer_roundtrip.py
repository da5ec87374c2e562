"""Week 4, encode/decode properties (Hypothesis): round trips, ids below the vocab size, decode of any
ids, partial UTF-8, determinism, pre-token boundaries, and the 256 byte tokens of a fresh Tokenizer.

Contract: spec/CONTRACT.md, "Week 4". Shared helpers: spec/tokenizer_helpers.py.
"""

from __future__ import annotations

import pytest
import regex
from hypothesis import assume, example, given
from hypothesis import strategies as st

from gpt2spec.contract import GPT2_PATTERN

from .assertions import assert_ids_equal
from .strategies import TEXT_FRAGMENTS, text_with_specials, tokenizer_text
from .tokenizer_helpers import (
    MERGE_HINT,
    SPECIALS,
    VOCAB,
    loaded,
    no_network,  # noqa: F401  (autouse: tiktoken is offline during these tests)
    oracle_specials,
    oracle_tokenizer,
    vocab_of,
)

pytestmark = pytest.mark.week4


@given(text=tokenizer_text)
def test_round_trip(impl, text):
    """Clause: decode(encode(s)) == s for any text (emoji, combining marks, CJK, whitespace runs, \\r\\n, tabs,
    NUL; Hypothesis).
    Catches: encoding str characters instead of UTF-8 bytes, dropping whitespace, normalising Unicode."""
    tok = loaded(impl)
    ids = tok.encode(text)
    back = tok.decode(ids)
    assert back == text, f"decode(encode({text!r})) = {back!r} (ids {ids})"


@example(text="line one\nline two\n\n\tindented  two spaces\n")
@given(text=tokenizer_text)
def test_default_pattern_loses_no_text(impl, text):
    """Clause [W4-pattern]: a Tokenizer built without a pattern splits with GPT-2's, whose branches together match
    every character: a fresh Tokenizer() (the 256 byte tokens, no merges) gives decode(encode(s)) == s (Hypothesis;
    the other round trips build the tokenizer with GPT2_PATTERN given, so they never see the default).
    Catches: a default pattern without its final \\s+ alternative (whitespace right before a word, a newline
    before a letter, is matched by no branch and silently dropped), a branch deleted or mistyped."""
    tok = impl.Tokenizer()
    back = tok.decode(tok.encode(text))
    assert back == text, (
        f"a fresh Tokenizer() (your default pattern) gives decode(encode({text!r})) = {back!r}: characters that no "
        "branch of the pattern matches are dropped by regex.findall; the default must be GPT2_PATTERN exactly"
    )


@given(text=text_with_specials(SPECIALS))
def test_ids_are_below_vocab_size(impl, text):
    """Clause: every id encode returns is in 0..len(vocab)-1, special tokens included (Hypothesis).
    Catches: special ids outside the vocab, negative or unmapped ids."""
    tok = loaded(impl)
    ids = tok.encode(text, allowed_special="all")
    n = len(vocab_of(tok))
    bad = [i for i in ids if not 0 <= i < n]
    assert not bad, f"ids {bad[:5]} are outside 0..{n - 1} for {text!r}"


@given(ids=st.lists(st.integers(0, VOCAB - 1), max_size=30))
def test_decode_any_ids_never_raises(impl, ids):
    """Clause: decode accepts any sequence of valid ids, including ones that cut a UTF-8 character, and replaces
    invalid bytes with U+FFFD (errors="replace") (Hypothesis).
    Catches: bytes.decode("utf-8") with the default errors="strict"; decoding each token separately."""
    tok = loaded(impl)
    text = tok.decode(ids)
    expected = b"".join(vocab_of(tok)[i] for i in ids).decode("utf-8", errors="replace")
    assert text == expected, f"decode({ids}) = {text!r}, expected {expected!r}"


def test_decode_partial_utf8_is_replaced(impl):
    """Clause: decoding the single-byte tokens of half an emoji gives U+FFFD, not an exception.
    Catches: errors="strict" (UnicodeDecodeError), errors="ignore" (silently drops the bytes)."""
    tok = impl.Tokenizer()
    ids = tok.encode("🙂")
    assert len(ids) == 4, f"an untrained tokenizer encodes '🙂' as its 4 UTF-8 bytes, got {ids}"
    assert tok.decode(ids[:2]) == "\ufffd", f"decode of 2 of 4 emoji bytes = {tok.decode(ids[:2])!r}, want '\\ufffd'"
    assert tok.decode(ids) == "🙂"


@given(text=tokenizer_text)
def test_encode_is_deterministic(impl, text):
    """Clause: encode depends on the text only: the same text twice, or on a fresh tokenizer, gives the same ids.
    Catches: a cache that returns another piece's ids, state that leaks from one call to the next."""
    tok = loaded(impl)
    first = tok.encode(text)
    assert_ids_equal(tok.encode(text), first, what=f"second encode of {text!r}")
    fresh = impl.Tokenizer.from_ranks(oracle_tokenizer().mergeable_ranks, GPT2_PATTERN, oracle_specials())
    assert_ids_equal(fresh.encode(text), first, what=f"encode of {text!r} on a fresh tokenizer")


@given(a=tokenizer_text, b=tokenizer_text)
def test_concatenation_at_pre_token_boundary(impl, a, b):
    """Clause: when a + b pre-tokenizes as pre-tokens(a) + pre-tokens(b), encode(a + b) == encode(a) + encode(b)
    (Hypothesis).
    Catches: merges that cross pre-token boundaries (no regex split), whole-text state in encode."""
    assume(regex.findall(GPT2_PATTERN, a + b) == regex.findall(GPT2_PATTERN, a) + regex.findall(GPT2_PATTERN, b))
    tok = loaded(impl)
    assert_ids_equal(tok.encode(a + b), tok.encode(a) + tok.encode(b), what=f"encode({a!r} + {b!r})", hint=MERGE_HINT)


def test_vocab_and_byte_tokens(impl):
    """Clause: a fresh Tokenizer() has the 256 single-byte tokens (id b -> bytes([b])), no merges, and the
    untrained tokenizer round-trips any text byte by byte; every fragment of the text strategies round-trips.
    Catches: a vocab that maps ids to str, missing byte tokens (unencodable bytes such as NUL)."""
    tok = impl.Tokenizer()
    vocab = vocab_of(tok)
    assert vocab == {b: bytes([b]) for b in range(256)}, "Tokenizer() must start with the 256 byte tokens"
    assert not dict(tok.merges), "Tokenizer() must start without merges"
    for text in TEXT_FRAGMENTS:
        assert tok.encode(text) == list(text.encode()), f"untrained encode({text!r}) must be its UTF-8 bytes"


def test_decode_unknown_id_raises(impl):
    """Clause: decode (and decode_bytes) of an id outside the vocabulary raises ValueError.
    Catches: skipping unknown ids (decoder.get(i, b"")), a list-based vocab where -1 is the last token,
    a bare KeyError or IndexError."""
    tok = loaded(impl)
    n = len(vocab_of(tok))
    for bad in (n, n + 1000, -1):
        with pytest.raises(ValueError):
            tok.decode([72, bad])
            pytest.fail(f"decode([72, {bad}]) did not raise ValueError (the vocabulary has ids 0..{n - 1})")


def test_mergeable_ranks_exclude_specials(impl):
    """Clause: mergeable_ranks is tiktoken's format: bytes -> rank for every token that is not special
    (specials excluded), equal to vocab without the specials; pattern is the pattern in use.
    Catches: the special tokens mixed into mergeable_ranks (tiktoken keeps them apart), ranks that are not
    the ids, a pattern attribute that is not the one given."""
    tok = loaded(impl)
    specials = dict(tok.special_tokens)
    ranks = dict(tok.mergeable_ranks)
    want = {b: i for i, b in vocab_of(tok).items() if i not in specials.values()}
    leaked = sorted(s for s, i in specials.items() if i in ranks.values() or s.encode() in ranks)
    assert not leaked, f"mergeable_ranks holds the special tokens {leaked}: specials are kept apart (special_tokens)"
    assert ranks == want, "mergeable_ranks must map each non-special token's bytes to its id (= rank)"
    assert tok.pattern == GPT2_PATTERN, f"pattern is {tok.pattern!r}, the tokenizer was built with GPT2_PATTERN"
