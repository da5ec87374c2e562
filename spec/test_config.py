"""Week 1 (scaffolding): GPTConfig — the dataclass every other export is built from."""

from __future__ import annotations

import dataclasses

import pytest

from .oracles import GPT2_SMALL

pytestmark = pytest.mark.week1

DEFAULTS = GPT2_SMALL


def test_defaults_are_gpt2_small(impl):
    """Clause: GPTConfig() is GPT-2 small: block_size=1024, vocab_size=50257, n_layer=12, n_head=12, n_embd=768.
    Catches: a vocab of 50304 (padded) or 50256 (no <|endoftext|>) as the default, a different context length."""
    assert impl.run(dataclasses.is_dataclass, impl.GPTConfig), "GPTConfig must be a dataclass"
    config = impl.GPTConfig()
    got = {k: getattr(config, k, None) for k in DEFAULTS}
    assert got == DEFAULTS, f"GPTConfig() = {got}, expected {DEFAULTS}"


def test_built_by_keyword(impl):
    """Clause: every field can be set by keyword and is stored as given.
    Catches: positional-only construction, fields derived instead of stored."""
    shape = dict(block_size=8, vocab_size=11, n_layer=3, n_head=2, n_embd=6)
    config = impl.GPTConfig(**shape)
    got = {k: getattr(config, k, None) for k in shape}
    assert got == shape, f"GPTConfig(**{shape}) stored {got}"
