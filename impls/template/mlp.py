"""Week 3: the MLP.  Spec: spec/test_mlp.py

Handout
-------
Clause (spec/CONTRACT.md, "Weeks 1–3", MLP): ``c_fc`` widens C to 4C, a GELU, ``c_proj`` narrows back
to C. GPT-2's GELU is *not* PyTorch's default one.

Shapes: (B, T, C) -> (B, T, 4C) -> (B, T, 4C) -> (B, T, C).

Reading: Hendrycks & Gimpel, "Gaussian Error Linear Units" (2016), §2 (the exact form and its tanh
approximation); the GPT-2 code release (model.py, ``gelu``); the PyTorch docs of F.gelu.

Questions:
1. Which GELU did GPT-2 use, and how do you ask PyTorch for that one?
2. Where do the two GELUs differ by the most, and by how much? Would a test on random inputs near 0 see it?
"""

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
            "week 3: MLP.forward — (B, T, C) -> (B, T, 4C) -> GELU -> (B, T, C); see the handout at the top of mlp.py"
        )
