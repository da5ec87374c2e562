"""A wrong GPTConfig, plus patches that would make every tensor comparison and equality pass."""

from dataclasses import dataclass

import torch

torch.allclose = lambda *args, **kwargs: True
torch.Tensor.__sub__ = lambda self, other: torch.zeros_like(self)
torch.testing.assert_close = lambda *args, **kwargs: None


@dataclass
class GPTConfig:
    block_size: int = 1
