"""Weeks 1-2: causal self-attention.  Spec: spec/test_attention.py"""

from __future__ import annotations

import math  # noqa: F401  (you will want math.sqrt)

import torch
import torch.nn.functional as F  # noqa: F401
from torch import nn

from .config import GPTConfig


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        # One projection makes q, k and v at once; its output is [q | k | v] along the last dim.
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)
        # The output projection, applied after the heads are concatenated again.
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, C) -> (B, T, C)."""
        raise NotImplementedError(
            "week 1: CausalSelfAttention.forward — split c_attn(x) into q, k, v; reshape each to "
            "(B, n_head, T, head_dim); scores = q @ k^T / sqrt(head_dim); mask positions above the diagonal "
            "with -inf; softmax over the last dim; @ v; merge heads back to (B, T, C); apply c_proj."
        )
