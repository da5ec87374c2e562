"""A correct GPTConfig that hangs in one test (the first one) where pytest-timeout's SIGALRM cannot
reach it (the signal is blocked, as in a hang inside C code): only the grader's own per-test watchdog
can stop it, and the other test must still be graded, in a fresh interpreter."""

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
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            while True:
                pass
