"""fast path: the training-speed switches, in one place so that the model files stay plain.

Used by the benchmarks (spec/bench) and meant for the training command: TF32 matmuls, bf16
autocast, fused AdamW with nanoGPT's weight-decay groups, and optional ``torch.compile``. None of
them changes what the model computes beyond rounding; all of them are no-ops on a CPU.
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch
from torch import nn


def enable_tf32() -> None:
    """Let fp32 matmuls and convolutions use TF32 tensor cores (Ampere and later): ~8x the fp32 rate."""
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True


def autocast(device_type: str) -> contextlib.AbstractContextManager[Any]:
    """bf16 autocast on CUDA (matmuls in bf16, reductions and the loss in fp32); nothing elsewhere.

    bf16 has fp32's exponent range, so unlike fp16 it needs no gradient scaler. On CPUs without
    bf16 matrix units it is slower than fp32, hence CUDA only.
    """
    if device_type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def adamw(
    model: nn.Module,
    lr: float,
    weight_decay: float = 0.1,
    betas: tuple[float, float] = (0.9, 0.95),
    device_type: str = "cpu",
    fused: bool | None = None,
) -> torch.optim.AdamW:
    """AdamW that decays only matrices (weights, embeddings), not biases or LayerNorm parameters,
    fused into one kernel per step on CUDA (``fused=True``) instead of a loop of small kernels.
    ``fused`` overrides that choice (gpt2spec gpu-check measures the step with it off and on)."""
    params = [p for p in model.parameters() if p.requires_grad]  # the tied wte/lm_head appears once
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=betas, fused=device_type == "cuda" if fused is None else fused)


def maybe_compile(model: nn.Module, enabled: bool) -> nn.Module:
    """``torch.compile`` fuses the elementwise ops (LayerNorm, GELU, residual adds) into few kernels;
    the first call compiles (tens of seconds), so only worth it for long runs."""
    return torch.compile(model) if enabled else model  # type: ignore[return-value]
