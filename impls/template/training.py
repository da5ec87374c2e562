"""Week 6: the training loop's pieces.  Spec: spec/test_training.py

GPT-2's recipe as nanoGPT and build-nanogpt reproduce it: AdamW(0.9, 0.95), weight decay on matrices
only, linear warmup then cosine decay to a floor, gradient clipping, gradient accumulation.
"""

from __future__ import annotations

import math  # noqa: F401
import os
from typing import Any

import torch
import torch.distributed as dist  # noqa: F401
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP  # noqa: F401

from .data import DataLoader


def configure_optimizers(
    model: nn.Module,
    weight_decay: float,
    learning_rate: float,
    betas: tuple[float, float] = (0.9, 0.95),
    eps: float = 1e-8,
) -> torch.optim.AdamW:
    raise NotImplementedError(
        "week 6: configure_optimizers — two parameter groups: p.dim() >= 2 with weight_decay, the rest (biases, "
        "LayerNorm) with weight_decay 0.0; every parameter in exactly one group (model.parameters() yields the "
        "tied wte/lm_head weight once). Return torch.optim.AdamW(groups, lr=learning_rate, betas=betas, eps=eps)."
    )


def get_lr(step: int, max_lr: float, min_lr: float, warmup_steps: int, max_steps: int) -> float:
    raise NotImplementedError(
        "week 6: get_lr — during warmup (step < warmup_steps) max_lr * (step + 1) / warmup_steps, so step 0 is not "
        "0; at and after max_steps min_lr; in between cosine decay: ratio = (step - warmup) / (max_steps - warmup), "
        "min_lr + 0.5 * (1 + cos(pi * ratio)) * (max_lr - min_lr)."
    )


def train_step(
    model: nn.Module, optimizer: torch.optim.Optimizer, batches: list[tuple[torch.Tensor, torch.Tensor]], max_norm: float
) -> tuple[torch.Tensor, torch.Tensor]:
    raise NotImplementedError(
        "week 6: train_step — optimizer.zero_grad(); for each (x, y): loss = model(x, y)[1] / len(batches), "
        "backward, add loss.detach() to the running loss (under DDP set model.require_backward_grad_sync only on "
        "the last micro-batch); under DDP all_reduce the running loss (SUM, then / world size); "
        "norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm) BEFORE optimizer.step(); "
        "return (loss, norm)."
    )


def save_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loader: DataLoader,
    step: int,
    *,
    extra: dict[str, Any] | None = None,
) -> None:
    raise NotImplementedError(
        "week 6: save_checkpoint — torch.save a dict with the model's state_dict (model.module's under DDP), "
        "optimizer.state_dict(), loader.state_dict(), step, torch.get_rng_state() and the extra dict."
    )


def load_checkpoint(
    path: str | os.PathLike[str], model: nn.Module, optimizer: torch.optim.Optimizer, loader: DataLoader
) -> int:
    raise NotImplementedError(
        "week 6: load_checkpoint — torch.load(path, weights_only=False), then load_state_dict into model, "
        "optimizer and loader, torch.set_rng_state(...), and return the saved step."
    )
