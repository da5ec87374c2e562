"""A correct GPTConfig that kills its interpreter (SIGSEGV) in one test only, the first one
(GPTConfig() with the defaults): the other test must still be graded, in a fresh interpreter."""

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
        if self.block_size == 1024:
            os.kill(os.getpid(), signal.SIGSEGV)
