"""DataLoader: cut a long 1-D array of token ids into (x, y) training batches.

The token array is read as an endless stream: batch i of rank r covers stream positions
``[(i*W + r)*B*T, (i*W + r + 1)*B*T + 1)`` (W = world_size), taken modulo the array length.
So consecutive batches are contiguous, ranks read disjoint slices, and at the end of the
data the stream wraps to the start without skipping a single token. Concatenating the
ranks' batches in rank order gives exactly the batch one process with ``B*W`` rows reads:
that is what lets DDP on W processes reproduce one big-batch step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch


def as_token_tensor(tokens: Any) -> torch.Tensor:
    """A 1-D int64 tensor from a list, a NumPy array (uint16 on disk, as nanoGPT writes them) or a tensor.

    GPT-2 ids go up to 50256: they fit uint16 but not int16, and torch's embedding wants int64.
    Widening through NumPy first keeps every id exact whatever the input dtype.
    """
    if isinstance(tokens, torch.Tensor):
        t = tokens.detach().cpu()
        if t.dtype in (torch.uint16, torch.uint32):  # few torch ops support these; widen bit-exactly
            t = torch.from_numpy(t.numpy().astype(np.int64))
        return t.to(torch.int64).flatten()
    return torch.from_numpy(np.asarray(tokens).astype(np.int64).reshape(-1))


class DataLoader:
    """``next_batch()`` returns ``(x, y)``, both (B, T) int64, with ``y[b, t] == x[b, t+1]`` in the stream."""

    def __init__(
        self, tokens: Sequence[int] | np.ndarray | torch.Tensor, B: int, T: int, rank: int = 0, world_size: int = 1
    ):
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is not in [0, world_size={world_size})")
        self.tokens = as_token_tensor(tokens)
        if len(self.tokens) < 2:
            raise ValueError(f"need at least 2 tokens to make one (x, y) pair, got {len(self.tokens)}")
        self.B, self.T, self.rank, self.world_size = B, T, rank, world_size
        self.batches = 0  # batches each rank has read so far: the loader's whole state

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        B, T = self.B, self.T
        start = (self.batches * self.world_size + self.rank) * B * T
        # B*T + 1 tokens: the extra one is the target of the last position.
        positions = (start + torch.arange(B * T + 1)) % len(self.tokens)
        buf = self.tokens[positions]
        x = buf[:-1].view(B, T)  # inputs
        y = buf[1:].view(B, T)  # targets: the next token of each input
        self.batches += 1
        return x, y

    def reset(self) -> None:
        self.batches = 0

    # A checkpoint stores this so a resumed run reads the batches it would have read.
    # It does not depend on the rank, so one file resumes every rank of a DDP run.
    def state_dict(self) -> dict[str, int]:
        return {"batches": self.batches}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.batches = int(state["batches"])
