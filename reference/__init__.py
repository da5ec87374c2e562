"""The answer key: a complete GPT-2 that every spec test passes.

One file per concept, named after the spec module that grades it
(``attention.py`` <-> ``spec/test_attention.py`` <-> ``impls/template/attention.py``).
"""

from .attention import CausalSelfAttention
from .block import Block
from .config import GPTConfig
from .data import DataLoader
from .gpt import GPT
from .layernorm import LayerNorm
from .mlp import MLP
from .tokenizer import Tokenizer
from .training import configure_optimizers, get_lr, load_checkpoint, save_checkpoint, train_step

__all__ = [
    "GPT",
    "MLP",
    "Block",
    "CausalSelfAttention",
    "DataLoader",
    "GPTConfig",
    "LayerNorm",
    "Tokenizer",
    "configure_optimizers",
    "get_lr",
    "load_checkpoint",
    "save_checkpoint",
    "train_step",
]
