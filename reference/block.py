"""A transformer block: pre-LayerNorm residual branches, attention then MLP."""

from __future__ import annotations

import torch
from torch import nn

from .attention import CausalSelfAttention, KVCache
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

    def forward(self, x: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        # Pre-LN: normalise the *input* of each branch and leave the residual stream
        # itself untouched, so gradients flow straight from the loss to the embeddings.
        x = x + self.attn(self.ln_1(x), cache)
        x = x + self.mlp(self.ln_2(x))
        return x
