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
    # fast path: round the embedding table up to a multiple of this (64 -> 50304 rows at 124M), so the
    # LM-head matmul has GPU-friendly shapes. 1 = no padding (the contract). Not part of the contract.
    vocab_pad_multiple: int = 1

    def __post_init__(self) -> None:
        # Fail at construction, not deep inside a reshape, when the heads cannot tile the width.
        if self.n_embd % self.n_head != 0:
            raise ValueError(f"n_embd={self.n_embd} is not divisible by n_head={self.n_head}")
        if self.vocab_pad_multiple < 1:
            raise ValueError(f"vocab_pad_multiple={self.vocab_pad_multiple} must be >= 1")

    @property
    def padded_vocab_size(self) -> int:
        """Rows of wte / lm_head: vocab_size rounded up to a multiple of vocab_pad_multiple."""
        m = self.vocab_pad_multiple
        return (self.vocab_size + m - 1) // m * m
