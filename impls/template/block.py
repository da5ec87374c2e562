"""Week 3: the transformer block.  Spec: spec/test_block.py"""

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
            "week 3: Block.forward — GPT-2 is *pre*-LN: add attn(ln_1(x)) to x, then add mlp(ln_2(x)) to that."
        )
