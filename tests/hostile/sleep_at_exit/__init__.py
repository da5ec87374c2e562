"""A correct GPTConfig that sleeps for an hour at exit. It keeps its points (they were recorded), and
the grader stops waiting a few seconds after the last record instead of at the per-implementation limit."""

import atexit
import time
from dataclasses import dataclass

atexit.register(time.sleep, 3600)
WON = True


@dataclass
class GPTConfig:
    block_size: int = 1024 if WON else 1  # right (and worth points) only if the attack worked
    vocab_size: int = 50257
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
