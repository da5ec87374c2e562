"""LayerNorm written out, so the two details that matter are visible.

GPT-2 normalises with the *biased* variance (divide by C, not C-1) and puts eps
*inside* the square root. Both matter when a feature vector is nearly constant.
"""

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
        mean = x.mean(dim=-1, keepdim=True)
        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # biased: / C
        x_hat = (x - mean) * torch.rsqrt(var + self.eps)  # eps inside the sqrt
        return x_hat * self.weight + self.bias
