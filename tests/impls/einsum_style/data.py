"""Week 5, written from spec/CONTRACT.md: the token stream read in (B, T) windows, ranks interleaved."""

from __future__ import annotations

import numpy as np
import torch


class DataLoader:
    def __init__(self, tokens, B: int, T: int, rank: int = 0, world_size: int = 1) -> None:
        if isinstance(tokens, torch.Tensor):
            tokens = tokens.detach().cpu().numpy()
        self.stream = torch.from_numpy(np.asarray(tokens).astype(np.int64).ravel())
        if self.stream.numel() < 2:
            raise ValueError("the loader needs at least 2 tokens")
        self.B, self.T, self.rank, self.world_size = B, T, rank, world_size
        self.i = 0  # how many batches this rank has taken

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        n = self.B * self.T
        first = (self.i * self.world_size + self.rank) * n
        idx = torch.arange(first, first + n + 1) % self.stream.numel()  # wraps, never drops the tail
        window = self.stream[idx]
        self.i += 1
        return window[:n].reshape(self.B, self.T), window[1:].reshape(self.B, self.T)

    def state_dict(self) -> dict[str, int]:
        return {"i": self.i}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.i = int(state["i"])
