"""Training hyper-parameters: one dataclass, and the presets ``--model`` names."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TrainConfig:
    # model
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    block_size: int = 128
    # batch: total_batch_size tokens per optimizer step = B * T * grad_accum * world_size
    batch_size: int = 16
    total_batch_size: int = 2048
    # schedule
    # 150 steps of 2,048 tokens = ~25 passes over the ~12k BPE tokens of the default corpus: past about
    # 100 steps the 0.9M-parameter model memorises it and the validation loss turns up (measured).
    max_steps: int = 150
    warmup_steps: int = 15
    max_lr: float = 3e-3
    min_lr: float = 3e-4
    weight_decay: float = 0.1
    max_norm: float = 1.0
    # reporting
    eval_interval: int = 25
    eval_iters: int = 20
    sample_interval: int = 75
    sample_tokens: int = 200


PRESETS: dict[str, TrainConfig] = {
    # ~0.9M parameters with a 512-id BPE: trains on 2 CPU cores in a few minutes.
    "small": TrainConfig(),
    # GPT-2 124M with build-nanogpt's recipe: 0.5M tokens per step, 10B tokens in 19073 steps.
    "gpt2": TrainConfig(
        n_layer=12,
        n_head=12,
        n_embd=768,
        block_size=1024,
        batch_size=16,
        total_batch_size=524288,
        max_steps=19073,
        warmup_steps=715,
        max_lr=6e-4,
        min_lr=6e-5,
        eval_interval=250,
        eval_iters=20,
        sample_interval=1000,
        sample_tokens=64,
    ),
}
