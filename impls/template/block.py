"""Week 3: the transformer block.  Spec: spec/test_block.py

Handout
-------
Clause (spec/CONTRACT.md, "Weeks 1–3", Block): attention, then the MLP, each as a branch *added* to a
residual stream, with a LayerNorm in front of each branch (GPT-2 is "pre-LN").

Shapes: (B, T, C) in, (B, T, C) out; every intermediate is (B, T, C).

Reading: the GPT-2 paper §2.3 ("Layer normalization was moved to the input of each sub-block");
"Attention Is All You Need" §3.1 (the original, post-LN block — the one *not* to copy); Xiong et al.,
"On Layer Normalization in the Transformer Architecture" (2020) for why pre-LN trains more easily.

Questions:
1. Draw the block: which LayerNorm feeds which branch, and what is added to what?
2. If both branches output exactly zero, what must the block return? (test_identity_when_branches_are_silent)
3. How does the post-LN block of the 2017 paper differ, and which output would change?
"""

from __future__ import annotations

import torch
from torch import nn

from .attention import CausalSelfAttention
from .config import GPTConfig
from .layernorm import LayerNorm
from .mlp import MLP


class Block(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = LayerNorm(config.n_embd)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(
            "week 3: Block.forward — two residual branches, pre-LN; see the handout at the top of block.py"
        )
