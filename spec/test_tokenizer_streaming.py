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
