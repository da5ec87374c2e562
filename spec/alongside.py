"""What the spec runs next to the implementation's objects, with ``impl.run(fn, ...)``: in the test's own process
by default, in the implementation's process under ``--isolate`` (gpt2spec/remote), where those objects live.

Keep this module light: it is imported in the implementation's process, so it imports torch only (never
pytest, the oracles or the answer key: the participant's code must not find them loaded there).
"""

from __future__ import annotations

import torch
from torch import nn


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Set every group's learning rate, as the contract's training loop does before each step."""
    for group in optimizer.param_groups:
        group["lr"] = lr


def capture(model: nn.Module, components: list[tuple[str, nn.Module]], idx: torch.Tensor) -> dict[str, tuple]:
    """Run ``model(idx)`` with hooks; return each component's (input, output) the first time it runs. The
    component named "embeddings" is read as its module's input (the first block's), the others as outputs."""
    seen: dict[str, tuple] = {}
    handles = []
    for name, module in components:
        if name == "embeddings":
            handles.append(module.register_forward_pre_hook(_pre_hook(name, seen)))
        else:
            handles.append(module.register_forward_hook(_hook(name, seen)))
    try:
        model(idx)
    finally:
        for h in handles:
            h.remove()
    return seen


def first_tensor(x: object) -> torch.Tensor:
    return x[0] if isinstance(x, tuple | list) else x


def _pre_hook(name: str, seen: dict):
    def hook(module, args):
        seen.setdefault(name, (None, first_tensor(args).detach().clone()))

    return hook


def _hook(name: str, seen: dict):
    def hook(module, args, output):
        x = first_tensor(args).detach().clone() if args else None
        seen.setdefault(name, (x, first_tensor(output).detach().clone()))

    return hook
