"""Week 1: GPTConfig, the hyper-parameters that fix a GPT-2 model's shape.  Spec: spec/test_config.py

Handout
-------
Clause (spec/CONTRACT.md, "Weeks 1–3", GPTConfig): a dataclass with five integer fields, built by
keyword (``GPTConfig(n_layer=2, n_embd=64)``); its defaults are GPT-2 small, the 124M model.

Reading: the GPT-2 paper, Table 2 (the four model sizes); Hugging Face's GPT2Config (the names
n_positions / n_embd / n_layer / n_head / vocab_size); nanoGPT's model.py; the Python docs of dataclasses.

Questions:
1. What are block_size, vocab_size, n_layer, n_head and n_embd for the 124M model? Where does the
   vocabulary size 50257 come from (merges + bytes + one special token), and why does nanoGPT
   sometimes use 50304 instead — and why is that not the default here?
2. Which combinations of n_embd and n_head make no sense, and where would you rather find out:
   at construction or deep inside a reshape?
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class GPTConfig:
    """Replace this whole class body with the five fields and their defaults (keep the @dataclass)."""

    def __init__(self, **fields: int) -> None:
        raise NotImplementedError("week 1: GPTConfig — the five fields of GPT-2 small; see the handout in config.py")
