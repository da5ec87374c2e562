"""Week 4, special tokens, by tiktoken's rules: disallowed specials raise, plain text when allowed as
text, the id of an allowed special.

Contract: spec/CONTRACT.md, "Week 4". Shared helpers: spec/tokenizer_helpers.py.
"""

from __future__ import annotations

import pytest

from gpt2spec.contract import GPT2_PATTERN

from .assertions import assert_ids_equal
from .tokenizer_helpers import (
    EOT,
    assert_parity,
    cached,
    loaded,
    no_network,  # noqa: F401  (autouse: tiktoken is offline during these tests)
    oracle_encoding,
    oracle_specials,
    oracle_tokenizer,
)

pytestmark = pytest.mark.week4


def test_disallowed_special_raises(impl):
    """Clause: by default (allowed_special=(), disallowed_special="all") a special token in the text raises
    ValueError, as tiktoken does; so does one that is not in allowed_special while disallowed is "all".
    Catches: silently encoding '<|endoftext|>' from user text (a prompt-injection hole), also when it opens the
    text (a search tested with find(s) > 0)."""
    tok = loaded(impl)
    for text, kwargs in ((f"hi {EOT} there", {}), (f"hi {EOT} there", {"allowed_special": {"<|pad|>"}}),
                         (f"{EOT} first", {})):  # fmt: skip
        with pytest.raises(ValueError):
            tok.encode(text, **kwargs)
            pytest.fail(f"encode({text!r}, **{kwargs}) did not raise ValueError (a special at the very start "
                        "counts: text.find(s) > 0 misses it, >= 0 does not)")  # fmt: skip


def test_special_as_plain_text_when_not_disallowed(impl):
    """Clause: with disallowed_special=() a special token that is not allowed is encoded as ordinary text,
    exactly as tiktoken does; encode_ordinary always does so.
    Catches: always mapping specials to their id, or raising although nothing is disallowed."""
    tok, enc = loaded(impl), oracle_encoding()
    text = f"x{EOT}y <|pad|>"
    assert_parity(tok, enc, text, what="disallowed_special=()", disallowed_special=())
    assert_parity(tok, enc, text, what="allowed {pad}", allowed_special={"<|pad|>"}, disallowed_special=())
    assert_ids_equal(tok.encode_ordinary(text), enc.encode_ordinary(text), what="encode_ordinary")


def test_allowed_special_maps_to_its_id(impl):
    """Clause: an allowed special token becomes its single id, whatever surrounds it; allowed_special="all"
    allows every special; where one special extends another (<|fim|> and <|fim|>_end), the longest wins.
    Catches: special tokens treated as plain text, or merged with the text around them; the specials joined
    into one regex in the order given, so that the shorter <|fim|> (given first) wins inside <|fim|>_end."""
    tok = loaded(impl)
    ids = oracle_specials()
    for text, expected_ids in ((EOT, [ids[EOT]]), (f"{EOT}<|pad|>", [ids[EOT], ids["<|pad|>"]])):
        assert tok.encode(text, allowed_special="all") == expected_ids, f"encode({text!r}) != {expected_ids}"
    got = tok.encode(f"a{EOT}b", allowed_special={EOT})
    assert ids[EOT] in got, f"encode('a{EOT}b', allowed_special={{EOT}}) = {got} lacks id {ids[EOT]}"
    # 16 specials that each extend another, the shorter given first. 16 pairs, not one: a set of allowed specials
    # iterates in hash order, which changes from run to run; an unsorted regex then passes with chance 2**-16.
    n = len(oracle_tokenizer().vocab)
    nested = {s: n + 2 * k + j for k in range(16) for j, s in enumerate((f"<|s{k}|>", f"<|s{k}|>_end"))}
    ranks = oracle_tokenizer().mergeable_ranks
    tok = cached(("nested", impl.name), lambda: impl.Tokenizer.from_ranks(ranks, GPT2_PATTERN, nested))
    for k in range(16):
        text = f"<|s{k}|>_end<|s{k}|>"
        want = [nested[f"<|s{k}|>_end"], nested[f"<|s{k}|>"]]
        got = tok.encode(text, allowed_special="all")
        assert got == want, (
            f"encode({text!r}, allowed_special='all') = {got}, expected {want}, with the specials <|s{k}|> = "
            f"{want[1]} and <|s{k}|>_end = {want[0]} (and 30 others like them): where one special extends "
            "another, the longest wins. Join the specials into the regex longest first (sorted by length), "
            "not in the order given or a set's order"
        )


def test_explicit_disallowed_set(impl):
    """Clause: disallowed_special may be an explicit set: only its specials raise; a special that is neither
    allowed nor in the set is plain text (what encode_ordinary gives).
    Catches: testing disallowed_special for truth instead of == "all" (an explicit set then disallows every
    special), ignoring an explicit set (its specials pass silently)."""
    tok = loaded(impl)
    text = f"x{EOT}y"
    # Plain text is what encode_ordinary gives: comparing with it (not with tiktoken) keeps BPE parity,
    # another clause, out of this test.
    assert_ids_equal(
        tok.encode(text, disallowed_special={"<|pad|>"}),
        tok.encode_ordinary(text),
        what=f"encode({text!r}, disallowed_special={{'<|pad|>'}}): {EOT} is neither allowed nor disallowed",
        hint="a special that is neither allowed nor in the disallowed set is plain text",
    )
    with pytest.raises(ValueError):
        tok.encode(f"a<|pad|>{EOT}", disallowed_special={"<|pad|>"})
        pytest.fail("encode('a<|pad|>...', disallowed_special={'<|pad|>'}) did not raise ValueError")
