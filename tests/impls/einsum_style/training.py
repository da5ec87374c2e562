"""Week 6, written from spec/CONTRACT.md: optimizer groups, schedule, one step, checkpoints."""

from __future__ import annotations

import math

import torch
import torch.distributed as dist


def configure_optimizers(model, weight_decay: float, learning_rate: float, betas=(0.9, 0.95), eps: float = 1e-8):
    matrices, vectors = [], []
    for p in model.parameters():  # yields the tied wte/lm_head weight once
        if p.requires_grad:
            (matrices if p.ndim >= 2 else vectors).append(p)
    groups = [{"params": matrices, "weight_decay": weight_decay}, {"params": vectors, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=learning_rate, betas=betas, eps=eps)


def get_lr(step: int, max_lr: float, min_lr: float, warmup_steps: int, max_steps: int) -> float:
    if step >= max_steps:
        return min_lr
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    progress = (step - warmup_steps) / (max_steps - warmup_steps)
    return min_lr + (max_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2


def train_step(model, optimizer, batches, max_norm: float):
    optimizer.zero_grad(set_to_none=True)
    total = 0.0
    for k, (x, y) in enumerate(batches):
        if hasattr(model, "require_backward_grad_sync"):
            model.require_backward_grad_sync = k == len(batches) - 1
        loss = model(x, y)[1] / len(batches)
        loss.backward()
        total = total + loss.detach()
    total = torch.as_tensor(total)
    if dist.is_available() and dist.is_initialized():
        dist.all_reduce(total)
        total = total / dist.get_world_size()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return total, norm


def save_checkpoint(path, model, optimizer, loader, step: int) -> None:
    model = getattr(model, "module", model)
    torch.save(
        {
            "weights": model.state_dict(),
            "adamw": optimizer.state_dict(),
            "loader": loader.state_dict(),
            "step": step,
            "rng": torch.get_rng_state(),
        },
        path,
    )


def load_checkpoint(path, model, optimizer, loader) -> int:
    saved = torch.load(path, map_location="cpu", weights_only=False)
    getattr(model, "module", model).load_state_dict(saved["weights"])
    optimizer.load_state_dict(saved["adamw"])
    loader.load_state_dict(saved["loader"])
    torch.set_rng_state(saved["rng"])
    return int(saved["step"])
