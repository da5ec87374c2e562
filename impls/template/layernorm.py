"""Week 3: LayerNorm.  Spec: spec/test_layernorm.py

Handout
-------
Clause (spec/CONTRACT.md, "Weeks 1–3", LayerNorm): normalise each vector over its last dimension
(size ndim), then scale by ``weight`` and shift by ``bias``; eps = 1e-5; the same numbers as
``F.layer_norm`` — but write the computation yourself.

Shapes: x (..., ndim); the mean and variance you compute: (..., 1); weight and bias: (ndim,).

Reading: Ba, Kiros & Hinton, "Layer Normalization" (2016), §3; the PyTorch docs of nn.LayerNorm
(the formula, and which variance they use); Karpathy's "Building makemore Part 3" (batch norm,
the same idea over the other axis).

Questions:
1. Biased or unbiased variance: divide by ndim or by ndim - 1? Which does PyTorch's own LayerNorm use,
   and what does ``Tensor.var`` do by default?
2. Where does eps go — added to the variance, or to the standard deviation? When does it matter?
   (Try a vector whose entries are all nearly equal.)
3. Which dimension do you reduce over, and how do you keep the result broadcastable against x?
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
        raise NotImplementedError(
            "week 3: LayerNorm.forward — normalise over the last dim, then weight and bias; "
            "see the handout at the top of layernorm.py (do not call F.layer_norm)"
        )
