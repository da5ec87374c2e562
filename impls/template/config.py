"""GPTConfig: the hyper-parameters that fix a GPT-2 model's shape."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class GPTConfig:
    """Defaults are GPT-2 small (124M). Built by keyword: ``GPTConfig(n_layer=2, n_embd=64)``."""

    block_size: int = 1024  # longest sequence the position table covers
    vocab_size: int = 50257  # 50,000 BPE merges + 256 byte tokens + <|endoftext|>
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768

    def __post_init__(self) -> None:
        # Fail at construction, not deep inside a reshape, when the heads cannot tile the width.
        if self.n_embd % self.n_head != 0:
            raise ValueError(f"n_embd={self.n_embd} is not divisible by n_head={self.n_head}")
