"""The position-wise feed-forward network: expand 4x, GELU, project back."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .config import GPTConfig


class MLP(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # GPT-2 was trained with the tanh approximation of GELU ("gelu_new" in HF);
        # the exact erf GELU differs by up to ~1e-3 and breaks parity with the real weights.
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))
