"""Week 6: the training loop's pieces.  Spec: spec/test_training.py

Handout
-------
Clause (spec/CONTRACT.md, "Weeks 5–6"): GPT-2's recipe as nanoGPT and build-nanogpt reproduce it —
AdamW with betas (0.9, 0.95), weight decay on some parameters only, a learning rate that warms up and
then decays along a cosine to a floor, gradient accumulation over micro-batches, gradient clipping,
and checkpoints from which a run resumes bit for bit. The contract gives the exact schedule values.

Shapes: micro-batches are (x, y) pairs of (B, T) int64; the loss and the gradient norm are scalars.

Reading: Loshchilov & Hutter, "Decoupled Weight Decay Regularization" (AdamW, 2019); the GPT-3 paper,
appendix B (the training details nanoGPT follows); Karpathy's "Let's reproduce GPT-2 (124M)" (the
second and third hours); the PyTorch docs of torch.optim.AdamW, torch.nn.utils.clip_grad_norm_,
DistributedDataParallel (``no_sync`` / ``require_backward_grad_sync``) and torch.distributed.all_reduce;
torch.save / torch.load and torch.get_rng_state.

Questions:
1. configure_optimizers: which parameters should *not* be decayed, and what simple property of a
   parameter tensor tells them apart? How do you make sure the tied embedding/LM-head matrix is in
   exactly one group?
2. get_lr: what is the rate at step 0 — is it 0? At which steps must it equal max_lr, and from which
   step on is it min_lr? Sketch the curve before you write it.
3. train_step with k micro-batches: what must you do to each micro-batch's loss so that the summed
   gradients equal those of one batch holding all k? When do you zero the gradients, and why not at
   the end of the step?
4. Clipping: before or after optimizer.step(), and which norm does the caller want returned?
5. Under DDP each rank sees its own micro-batches: who averages the gradients, and what must you do
   so that the loss you return is the mean over all ranks?
6. Checkpoints: list everything that changes while a run trains (model, optimizer moments, the loader's
   position, random number generators, the step). What happens to a resumed run if one is missing?
"""

from __future__ import annotations

import math  # noqa: F401
import os
from typing import Any

import torch
import torch.distributed as dist  # noqa: F401
from torch import nn

from .data import DataLoader


def configure_optimizers(
    model: nn.Module,
    weight_decay: float,
    learning_rate: float,
    betas: tuple[float, float] = (0.9, 0.95),
    eps: float = 1e-8,
) -> torch.optim.AdamW:
    raise NotImplementedError(
        "week 6: configure_optimizers — AdamW with two parameter groups; training.py's handout, question 1"
    )


def get_lr(step: int, max_lr: float, min_lr: float, warmup_steps: int, max_steps: int) -> float:
    raise NotImplementedError("week 6: get_lr — linear warmup, then cosine decay to min_lr; training.py's handout, question 2")


def train_step(
    model: nn.Module, optimizer: torch.optim.Optimizer, batches: list[tuple[torch.Tensor, torch.Tensor]], max_norm: float
) -> tuple[torch.Tensor, torch.Tensor]:
    raise NotImplementedError(
        "week 6: train_step — one optimizer step over the micro-batches, returns (loss, grad_norm); "
        "training.py's handout, questions 3-5"
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
    raise NotImplementedError("week 6: save_checkpoint — everything a resumed run needs; training.py's handout, question 6")


def load_checkpoint(
    path: str | os.PathLike[str], model: nn.Module, optimizer: torch.optim.Optimizer, loader: DataLoader
) -> int:
    raise NotImplementedError(
        "week 6: load_checkpoint — restore it all into the given objects, return the step; training.py's handout, "
        "question 6"
    )
