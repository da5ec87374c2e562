"""Week 5: the data loader.  Spec: spec/test_data.py

Handout
-------
Clause (spec/CONTRACT.md, "Weeks 5–6", DataLoader): the token array is read as an endless stream;
each call of ``next_batch`` returns the next (x, y), both (B, T) int64, where y is x shifted by one
token. At the end of the data the stream wraps around to the start without dropping the tail. With
``world_size`` W processes, rank r reads its own slice of the stream, disjoint from the other ranks',
and together the W ranks read what one process with B*W rows would read.

Shapes: tokens (N,) of any integer dtype; x and y (B, T) int64.

Reading: Karpathy's "Let's reproduce GPT-2 (124M)" (the DataLoaderLite and its DDP version);
build-nanogpt's train_gpt2.py; the PyTorch DDP tutorial ("Getting started with distributed data parallel");
NumPy's documentation of integer dtypes (the range of uint16 and of int16).

Questions:
1. How many tokens does one batch need so that both x and y are full? Which of them does batch i
   share with batch i + 1?
2. Write the stream position of the first token of batch i on rank r, for W ranks, as a formula of
   i, r, W, B and T. Check it: do two ranks ever read the same token? Does rank r's batch equal rows
   r*B .. (r+1)*B - 1 of the single-process batch with B*W rows?
3. When the data runs out in the middle of a batch, which tokens come next? What if N < B*T?
4. GPT-2 ids reach 50256. Which NumPy dtypes can hold them, and what happens if a uint16 array is read
   through a signed 16-bit type?
5. What is the smallest state that lets a resumed run continue exactly where it stopped?
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np  # noqa: F401
import torch


def as_token_tensor(tokens: Any) -> torch.Tensor:
    """A 1-D int64 tensor from a list, a NumPy array (often uint16) or a tensor."""
    raise NotImplementedError(
        "week 5: as_token_tensor — any 1-D integer array -> (N,) int64 without overflow; data.py's handout, question 4"
    )


class DataLoader:
    """``next_batch()`` returns ``(x, y)``, both (B, T) int64, with ``y[b, t] == x[b, t+1]`` in the stream."""

    def __init__(self, tokens: Sequence[int] | np.ndarray | torch.Tensor, B: int, T: int, rank: int = 0, world_size: int = 1):
        self.tokens = as_token_tensor(tokens)
        self.B, self.T, self.rank, self.world_size = B, T, rank, world_size

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError(
            "week 5: DataLoader.next_batch — the next (x, y) of this rank's slice of the stream; "
            "data.py's handout, questions 1-3"
        )

    # Used by save_checkpoint / load_checkpoint (week 6).
    def state_dict(self) -> dict[str, int]:
        raise NotImplementedError("week 5: DataLoader.state_dict — the loader's position; data.py's handout, question 5")

    def load_state_dict(self, state: dict[str, int]) -> None:
        raise NotImplementedError(
            "week 5: DataLoader.load_state_dict — restore what state_dict returned; data.py's handout, question 5"
        )
