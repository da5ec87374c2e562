"""The training loop's pieces: optimizer groups, learning-rate schedule, one optimizer step, checkpoints.

Each is a plain function so that gpt2spec/training/train.py (the training command) and the spec use the same code,
and a participant can test each piece on its own. The recipe is GPT-2's as nanoGPT and
build-nanogpt reproduce it: AdamW(0.9, 0.95), weight decay on matrices only, linear warmup
then cosine decay to a floor, gradient clipping at 1.0, gradient accumulation.
"""

from __future__ import annotations

import contextlib
import math
import os
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

from .data import DataLoader


def configure_optimizers(
    model: nn.Module,
    weight_decay: float,
    learning_rate: float,
    betas: tuple[float, float] = (0.9, 0.95),
    eps: float = 1e-8,
    *,
    fused: bool | None = None,
) -> torch.optim.AdamW:
    """AdamW with two groups: weight decay for tensors with 2+ dims (matmul weights, embeddings),
    none for the rest (biases, LayerNorm gains). Decaying a gain pulls it towards 0, which is
    not a prior anyone wants; GPT-2, nanoGPT and HF's Trainer all exempt them.

    ``fused=None`` uses the fused CUDA kernel when every parameter is on a GPU.
    """
    params = [p for p in model.parameters() if p.requires_grad]  # parameters() yields a tied weight once
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    if fused is None:
        fused = bool(params) and all(p.is_cuda for p in params)
    return torch.optim.AdamW(groups, lr=learning_rate, betas=betas, eps=eps, fused=fused)


def get_lr(step: int, max_lr: float, min_lr: float, warmup_steps: int, max_steps: int) -> float:
    """Linear warmup over ``warmup_steps`` steps, cosine decay to ``min_lr`` at ``max_steps``, then ``min_lr``.

    Step 0 already trains (lr = max_lr / warmup_steps, never 0); step ``warmup_steps - 1`` and
    step ``warmup_steps`` both use ``max_lr``.
    """
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    if step >= max_steps:
        return min_lr
    decay_ratio = (step - warmup_steps) / (max_steps - warmup_steps)  # 0 -> 1
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # 1 -> 0
    return min_lr + coeff * (max_lr - min_lr)


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: list[tuple[torch.Tensor, torch.Tensor]],
    max_norm: float,
    *,
    autocast_dtype: torch.dtype | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One optimizer step on the gradient accumulated over the micro-batches ``batches``.

    Returns ``(loss, grad_norm)``: the mean loss over the micro-batches (and over all ranks under
    DDP) — what one forward pass on the concatenated batch would report — and the total gradient
    norm *before* clipping, as 0-dim tensors. The learning rate is whatever the caller put in
    ``optimizer.param_groups``; ``autocast_dtype`` (e.g. torch.bfloat16 on CUDA) runs the
    forward passes under autocast.
    """
    optimizer.zero_grad(set_to_none=True)
    n = len(batches)
    loss_accum = torch.zeros(())  # moved to the loss's device and dtype by the first addition
    for i, (x, y) in enumerate(batches):
        if isinstance(model, DDP):
            # All-reduce the gradient once, after the last micro-batch, not after every one.
            model.require_backward_grad_sync = i == n - 1
        amp = torch.autocast(x.device.type, dtype=autocast_dtype) if autocast_dtype else contextlib.nullcontext()
        with amp:
            _, loss = model(x, y)
        # backward() adds into .grad: dividing by n makes the sum a mean over the micro-batches,
        # the same gradient as one batch n times larger.
        loss = loss / n
        loss_accum = loss.detach() + loss_accum.to(loss.device, loss.dtype)
        loss.backward()
    if dist.is_available() and dist.is_initialized():
        # For logging only: the gradients are already averaged by DDP. gloo has no AVG, so SUM / W.
        dist.all_reduce(loss_accum, op=dist.ReduceOp.SUM)
        loss_accum = loss_accum / dist.get_world_size()
    # Clip before the step, so the update uses the clipped gradient.
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss_accum, norm


def save_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loader: DataLoader,
    step: int,
    *,
    extra: dict[str, Any] | None = None,
) -> None:
    """Everything a resumed run needs to continue exactly: weights, AdamW moments, the loader's
    position, the step, and the RNG states (sampling and dropout draw from them)."""
    raw = model.module if isinstance(model, DDP) else model
    state = {
        "model": raw.state_dict(),
        "optimizer": optimizer.state_dict(),
        "loader": loader.state_dict(),
        "step": step,
        "rng": {
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        },
        "extra": extra or {},
    }
    tmp = f"{os.fspath(path)}.tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)  # atomic: a crash mid-save never leaves a truncated checkpoint


def load_checkpoint(
    path: str | os.PathLike[str], model: nn.Module, optimizer: torch.optim.Optimizer, loader: DataLoader
) -> int:
    """Restore what ``save_checkpoint`` wrote into existing objects; return the step saved with it."""
    device = next(model.parameters()).device
    state = torch.load(path, map_location=device, weights_only=False)
    raw = model.module if isinstance(model, DDP) else model
    raw.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    loader.load_state_dict(state["loader"])
    torch.set_rng_state(state["rng"]["torch"].cpu())
    if state["rng"]["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["rng"]["cuda"]])
    return int(state["step"])
