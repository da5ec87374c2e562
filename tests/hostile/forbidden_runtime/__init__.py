"""Calls tiktoken at test time and swallows the error (graded with the static check off, to show that
the run-time guard alone catches it): importing the oracle is free, calling it costs the test."""

from dataclasses import dataclass


@dataclass
class GPTConfig:
    block_size: int = 1024
    vocab_size: int = 50257
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768

    def __post_init__(self) -> None:
        try:
            import tiktoken

            tiktoken.get_encoding("gpt2")
        except Exception:
            pass
