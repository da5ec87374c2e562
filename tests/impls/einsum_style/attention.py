"""Multi-head causal self-attention via einsum, with the softmax done by hand."""

import torch
from torch import nn


class CausalSelfAttention(nn.Module):
    def __init__(self, config) -> None:
        super().__init__()
        if config.n_embd % config.n_head:
            raise ValueError(f"n_embd={config.n_embd} is not divisible by n_head={config.n_head}")
        self.n_head = config.n_head
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        H, D = self.n_head, C // self.n_head
        q, k, v = self.c_attn(x).split(C, dim=-1)
        # b t (h d) -> b t h d: heads are contiguous slices of the channel dim
        q, k, v = (z.reshape(B, T, H, D) for z in (q, k, v))
        scores = torch.einsum("bqhd,bkhd->bhqk", q, k) * D**-0.5
        allowed = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
        scores = scores.masked_fill(~allowed, float("-inf"))
        # softmax by hand: the diagonal is always allowed, so every row max is finite
        scores = scores - scores.amax(dim=-1, keepdim=True)
        weights = scores.exp()
        weights = weights / weights.sum(dim=-1, keepdim=True)
        y = torch.einsum("bhqk,bkhd->bqhd", weights, v).reshape(B, T, C)
        return self.c_proj(y)
