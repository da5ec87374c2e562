"""Week 4, streaming: ``encode_iter`` over chunks equals ``encode`` of the whole text, including cuts
after whitespace runs and a large input.

Contract: spec/CONTRACT.md, "Week 4". Shared helpers: spec/tokenizer_helpers.py.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpt2spec.contract import GPT2_PATTERN

from .assertions import assert_ids_equal
from .strategies import chunkings, text_with_specials
from .tokenizer_helpers import (
    EOT,
    corpus,
    loaded,
    no_network,  # noqa: F401  (autouse: tiktoken is offline during these tests)
)

pytestmark = pytest.mark.week4


@given(data=st.data(), text=text_with_specials((EOT,)))
def test_streaming_equals_encode(impl, data, text):
    """Clause: encode_iter(chunks) yields exactly encode("".join(chunks)), however the text is cut — inside a
    word, a whitespace run, a contraction or a special token (Hypothesis).
    Catches: encoding each chunk on its own (splits words and '<|endoftext|>' at chunk boundaries), re-splitting
    a held-back prefix so a whitespace run ends differently."""
    tok = loaded(impl)
    chunks = data.draw(chunkings(text))
    got = list(tok.encode_iter(iter(chunks), allowed_special="all"))
    assert_ids_equal(got, tok.encode(text, allowed_special="all"), what=f"encode_iter({chunks!r})")


@pytest.mark.parametrize("ws", ["\n\n\n", "  \n\n\n", "\t\n\n\n"], ids=["3-newlines", "spaces", "tab"])
def test_streaming_cut_after_a_whitespace_run(impl, ws):
    """Clause: encode_iter equals encode when a chunk ends inside a whitespace run that the next chunk splits:
    in "a\\n\\n\\nbbb…" the run is the pieces "\\n\\n" + "\\n" (the last newline goes with what follows), but
    "a\\n\\n\\n" alone is one piece "\\n\\n\\n", which this vocabulary holds as one token.
    Catches: a streaming encoder that re-splits the text it has held back instead of keeping the whole
    text's pre-tokens, or emits a trailing whitespace run before seeing what follows it."""
    ranks = {bytes([b]): b for b in range(256)} | {b"\n\n": 256, b"\n\n\n": 257, b"  ": 258}
    tok = impl.Tokenizer.from_ranks(ranks, GPT2_PATTERN, {EOT: 259})
    chunks = ["a" + ws, "b" * 60]
    got = list(tok.encode_iter(iter(chunks)))
    assert_ids_equal(got, tok.encode("".join(chunks)), what=f"encode_iter({chunks!r})")


def test_streaming_a_large_input(impl):
    """Clause: encode_iter consumes an iterator lazily and matches encode on the whole corpus, read in 1 kB chunks
    (also chunks that end in the middle of "  \\n" and of a special token).
    Catches: holding back too little at chunk ends; reading the whole iterator first is allowed but slow."""
    tok = loaded(impl)
    text = corpus() + "  \n  " + EOT + " end  \n"
    chunks = (text[i : i + 1000] for i in range(0, len(text), 1000))
    got = list(tok.encode_iter(chunks, allowed_special="all"))
    assert_ids_equal(got, tok.encode(text, allowed_special="all"), what="encode_iter(corpus in 1 kB chunks)")


# case -> (text, the hint for a mismatch); cut into two chunks at every position by the test below
TWO_CHUNK_CASES = {
    "contractions-without-specials": (
        "we'll see if they're here, or if we'll wait",
        "with no special tokens, hold back at least GPT-2's own lookahead (a contraction such as 'll is decided "
        "3 characters past its start): a hold-back that only covers it together with the longest special token's "
        "length is too short for a tokenizer that has none",
    ),
    "special-token": (
        f"the loader reads its tokens as one endless stream of batches{EOT} and wraps around",
        "hold back the longest special token's length on top of the pre-token lookahead, and cut the buffer at "
        "len(buf) - (lookahead + longest special): a special token split across chunks must not leak out as "
        "plain text ('<|', 'endoftext', ...) before its end arrives",
    ),
    "pre-token-longer-than-the-hold": (
        "the loader reads a pneumonoultramicroscopicsilicovolcanoconiosis-like word and then goes on",
        "a pre-token that runs to the end of the buffer is not settled however early it starts (the next chunk may "
        "extend it): hold back every pre-token whose END is past len(buf) - hold, not only those that start there",
    ),
}


@pytest.mark.parametrize("case", list(TWO_CHUNK_CASES))
def test_streaming_two_chunks_cut_anywhere(impl, case):
    """Clause: encode_iter([a, b]) yields exactly encode(a + b) for every cut of the text into two chunks.
    contractions-without-specials: a tokenizer with no special tokens whose vocabulary holds "'ll" and "'re":
    "… we'l" + "l …" must give the token "'ll", not "'" then "ll" (GPT-2's pattern decides a contraction 3
    characters past its start, so the hold-back must cover that without any special token's length added).
    special-token: "<|endoftext|>" (13 characters) cut anywhere after a 60-character prefix must stay one id.
    Catches: a streaming hold-back of 1 character (shows only without special tokens: the reference's adds the
    longest special token's length), and a cut at len(buf) - lookahead that forgets the special tokens'
    length (a split "<|endoftext" leaks its "<|" as plain text). pre-token-longer-than-the-hold: a 46-character
    pre-token cut inside: a scan that settles pieces by where they start (not end) emits its first half as a
    whole pre-token. The Hypothesis test and the 1 kB chunks of
    test_streaming_a_large_input use a tokenizer with special tokens and rarely cut at these places."""
    text, hint = TWO_CHUNK_CASES[case]
    if case != "contractions-without-specials":
        tok = loaded(impl)
    else:
        ranks = {bytes([b]): b for b in range(256)} | {b"ll": 256, b"'ll": 257, b"re": 258, b"'re": 259}
        tok = impl.Tokenizer.from_ranks(ranks, GPT2_PATTERN, {})
    want = tok.encode(text, allowed_special="all")
    for i in range(1, len(text)):
        chunks = [text[:i], text[i:]]
        got = list(tok.encode_iter(iter(chunks), allowed_special="all"))
        assert_ids_equal(got, want, what=f"encode_iter({chunks!r})", vocab=dict(tok.vocab), hint=hint)


def test_streaming_raises_on_a_disallowed_special_cut_across_chunks(impl):
    """Clause: encode_iter yields exactly what encode of the joined text gives, errors included: by default a
    special token in the text raises ValueError, also when the chunks cut it in two ("<|endof" + "text|>") and
    plenty of text follows it.
    Catches: the disallowed-special check run on each new chunk instead of the buffer (v28 author): neither half
    holds the token, so it is encoded as plain text, and a prompt that smuggles "<|endoftext|>" across a chunk
    boundary passes the check that encode would have made."""
    tok = loaded(impl)
    before, after = "the loader reads its tokens " * 4 + EOT[:7], EOT[7:] + " and wraps around" * 8
    with pytest.raises(ValueError):
        list(tok.encode_iter(iter([before, after])))
        pytest.fail(
            f"encode_iter([..{before[-20:]!r}, {after[:20]!r}..]) did not raise ValueError, where encode of the "
            "joined text does: check the buffer you scan (the text held back plus the new chunk) for disallowed "
            "special tokens, not the new chunk alone"
        )
