"""Week 5: the data loader.  Spec: spec/test_data.py

Read the token array as an endless stream: batch i of rank r covers stream positions
``[(i*W + r)*B*T, (i*W + r + 1)*B*T + 1)`` (W = world_size), taken modulo the array length.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch


def as_token_tensor(tokens: Any) -> torch.Tensor:
    """A 1-D int64 tensor from a list, a NumPy array (often uint16) or a tensor."""
    raise NotImplementedError(
        "week 5: as_token_tensor — return a 1-D torch.int64 tensor holding the same ids. GPT-2 ids reach 50256: "
        "they fit uint16 but not int16, and torch supports few ops on torch.uint16, so widen through NumPy "
        "(np.asarray(tokens).astype(np.int64)); for a torch.uint16 tensor use .numpy() first."
    )


class DataLoader:
    """``next_batch()`` returns ``(x, y)``, both (B, T) int64, with ``y[b, t] == x[b, t+1]`` in the stream."""

    def __init__(self, tokens: Sequence[int] | np.ndarray | torch.Tensor, B: int, T: int, rank: int = 0, world_size: int = 1):
        self.tokens = as_token_tensor(tokens)
        self.B, self.T, self.rank, self.world_size = B, T, rank, world_size
        self.batches = 0  # batches each rank has read so far: the loader's whole state

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError(
            "week 5: DataLoader.next_batch — start = (self.batches * world_size + rank) * B * T; take the B*T + 1 "
            "tokens from there, wrapping with % len(self.tokens) (never drop the tail); x = buf[:-1].view(B, T), "
            "y = buf[1:].view(B, T); then self.batches += 1."
        )

    # Used by save_checkpoint / load_checkpoint (week 6): the position is all a resumed run needs.
    def state_dict(self) -> dict[str, int]:
        return {"batches": self.batches}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.batches = int(state["batches"])
