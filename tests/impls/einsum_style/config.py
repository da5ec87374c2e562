from dataclasses import dataclass


@dataclass
class GPTConfig:
    """Hyperparameters; the defaults are GPT-2 small (124M)."""

    block_size: int = 1024
    vocab_size: int = 50257
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
