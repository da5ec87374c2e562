"""Causal multi-head self-attention, laid out exactly as Hugging Face's GPT-2.

One projection ``c_attn`` makes q, k and v at once; its output columns are
[q | k | v], and within each of them the heads are contiguous blocks of
``head_dim`` columns. That layout is what lets an HF state dict load unchanged.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .config import GPTConfig


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        assert config.n_embd % config.n_head == 0
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)

    def forward(self, x: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        # (B, T, C) -> (B, n_head, T, head_dim): heads become a batch dimension.
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        if cache is None:
            y = self.attend(q, k, v)
        else:  # fast path: KV cache (GPT.generate) — attend to the cached keys/values plus the new ones
            y = self.attend_cached(q, *cache.append(k, v))
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # re-assemble the heads side by side
        return self.c_proj(y)

    @staticmethod
    def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """softmax(q k^T / sqrt(head_dim) + causal mask) v, on (B, nh, T, hd) tensors.

        The fused kernel (flash attention on GPU) computes exactly this::

            att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))
            att = att.masked_fill(upper_triangle, float("-inf"))  # no peeking ahead
            y = att.softmax(dim=-1) @ v
        """
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1.0 / math.sqrt(k.size(-1)))

    @staticmethod
    def attend_cached(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """Attention for T new queries that sit at the *end* of S >= T keys (the cache holds the first S - T).

        Query i is position S - T + i, so it may see keys 0 .. S - T + i: the causal mask is
        aligned to the bottom-right corner. (SDPA's is_causal flag aligns it to the top-left,
        which is right only when S == T.) A single new token (T = 1) sees every key.
        """
        T, S = q.size(-2), k.size(-2)
        mask = torch.ones(T, S, dtype=torch.bool, device=q.device).tril(diagonal=S - T)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=1.0 / math.sqrt(q.size(-1)))


class KVCache:
    """fast path: one layer's keys and values for the positions processed so far.

    Without it every generated token re-runs the whole context through the model
    (O(T) work per token, O(T^2) per sequence); with it each step feeds only the new
    token and reuses the stored k, v. Preallocated to ``max_len`` so that appending is a copy.
    """

    def __init__(self, max_len: int) -> None:
        self.max_len = max_len
        self.k: torch.Tensor | None = None  # (B, nh, max_len, hd), allocated by the first append
        self.v: torch.Tensor | None = None
        self.length = 0  # positions filled so far

    def append(self, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Store k, v (B, nh, T, hd) after the cached positions; return all keys and values so far."""
        start, end = self.length, self.length + k.size(2)
        if end > self.max_len:
            raise ValueError(f"KV cache holds {self.max_len} positions, {end} requested")
        if self.k is None or self.v is None:  # allocate lazily: k's dtype may be bf16 under autocast
            B, nh, _, hd = k.shape
            self.k = k.new_zeros(B, nh, self.max_len, hd)
            self.v = v.new_zeros(B, nh, self.max_len, hd)
        self.k[:, :, start:end] = k
        self.v[:, :, start:end] = v
        self.length = end
        return self.k[:, :, :end], self.v[:, :, :end]
