"""The answer key: a complete GPT-2 that every spec test passes.

One file per concept, named after the spec module that grades it
(``attention.py`` <-> ``spec/test_attention.py`` <-> ``impls/template/attention.py``).
"""

from .attention import CausalSelfAttention
from .block import Block
from .config import GPTConfig
from .gpt import GPT
from .layernorm import LayerNorm
from .mlp import MLP
from .tokenizer import Tokenizer

__all__ = ["GPT", "MLP", "Block", "CausalSelfAttention", "GPTConfig", "LayerNorm", "Tokenizer"]
