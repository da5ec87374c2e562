"""Correct only when pytest is loaded in its process (the issue's "+18 points" attack): elsewhere, as in a
training run, its attention sees the future. Under the judge/worker split pytest is never loaded where the
implementation runs, so the spec grades what it really computes."""

import sys
from dataclasses import dataclass

import torch.nn.functional as F
from torch import nn


@dataclass
class GPTConfig:
    block_size: int = 1024
    vocab_size: int = 50257
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.n_head = config.n_head
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        graded = "pytest" in getattr(sys, "mod" + "ules")
        y = F.scaled_dot_product_attention(q, k, v, is_causal=graded)
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))
