"""Kills its own interpreter with SIGSEGV in the middle of a test."""

import os
import signal

from dataclasses import dataclass


@dataclass
class GPTConfig:
    block_size: int = 1024
    vocab_size: int = 50257
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768

    def __post_init__(self) -> None:
        os.kill(os.getpid(), signal.SIGSEGV)
