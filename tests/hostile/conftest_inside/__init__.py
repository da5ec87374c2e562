"""A wrong GPTConfig, plus a conftest.py that would turn every failure into a pass if it were loaded."""

from dataclasses import dataclass


@dataclass
class GPTConfig:
    block_size: int = 1
    vocab_size: int = 1
