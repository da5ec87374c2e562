"""What the spec runs next to the implementation's objects, with ``impl.run(fn, ...)``: in the test's own process
by default, in the implementation's process under ``--isolate`` (gpt2spec/remote), where those objects live.

Keep this module light: it is imported in the implementation's process, so it imports torch only (never
pytest, the oracles or the answer key: the participant's code must not find them loaded there).
"""

from __future__ import annotations

import torch


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Set every group's learning rate, as the contract's training loop does before each step."""
    for group in optimizer.param_groups:
        group["lr"] = lr
