"""Week 3: LayerNorm.  Spec: spec/test_layernorm.py"""

from __future__ import annotations

import torch
from torch import nn


class LayerNorm(nn.Module):
    def __init__(self, ndim: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(
            "week 3: LayerNorm.forward — normalise over the last dim with the *biased* variance "
            "(divide by C) and eps inside the sqrt: (x - mean) / sqrt(var + eps), then * weight + bias. "
            "Write it out; do not call F.layer_norm."
        )
