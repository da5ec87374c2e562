"""Week 3: the MLP.  Spec: spec/test_mlp.py"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: F401
from torch import nn

from .config import GPTConfig


class MLP(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(
            "week 3: MLP.forward — c_fc, then GELU, then c_proj. GPT-2 uses the tanh approximation of GELU "
            "(look at the `approximate` argument of F.gelu)."
        )
