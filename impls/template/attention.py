"""Weeks 1-2: causal self-attention.  Spec: spec/test_attention.py

Handout
-------
Clause (spec/CONTRACT.md, "Weeks 1–3", CausalSelfAttention): ``forward`` maps x (B, T, C) to (B, T, C);
position t may use only positions <= t; scores are scaled by 1/sqrt(head_dim); x is not modified.
``c_attn`` makes q, k and v at once: its C*3 output columns are [q | k | v], and inside each third the
n_head heads are contiguous blocks of head_dim = C // n_head columns (Hugging Face's layout, so that
GPT-2's weights load unchanged).

Shapes to keep in mind: x (B, T, C); one head's queries, keys, values (B, T, head_dim);
its score matrix (T, T) per batch element; the output before c_proj (B, T, C) again.

Reading: "Attention Is All You Need" §3.2.1 (scaled dot-product attention) and §3.2.2 (multi-head);
the GPT-2 paper §2.3; Karpathy's "Let's build GPT: from scratch" (the self-attention part);
nanoGPT's model.py.

Questions to answer before you write code:
1. In c_attn(x), which columns belong to head h? Write down the shape in which that grouping is
   visible, *before* heads become a batch dimension. What goes wrong if you go to
   (B, n_head, T, head_dim) in a single reshape? (Test: test_parity_with_hf, one head vs four heads.)
2. Why divide the scores by sqrt(head_dim)? What happens to the softmax when head_dim = 64 and you do not?
3. Where exactly must the causal mask act — before or after the softmax — and what value makes a
   masked position get weight exactly 0? What would the output be if you masked after the softmax?
4. After attending, how do the heads go back side by side so that c_proj sees (B, T, C) in the
   same column order c_attn produced?
"""

from __future__ import annotations

import math  # noqa: F401

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
        """x: (B, T, C) -> (B, T, C). Answer the questions in this file's docstring first."""
        raise NotImplementedError(
            "week 1: CausalSelfAttention.forward — causal multi-head attention, (B, T, C) -> (B, T, C); "
            "see the handout at the top of attention.py"
        )
