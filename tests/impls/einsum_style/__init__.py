"""GPT-2 written with einsum attention, an explicit boolean mask and a hand-written softmax.

Independent of reference/: written from spec/CONTRACT.md and the spec tests only.
"""

from .attention import CausalSelfAttention
from .config import GPTConfig
from .layers import MLP, LayerNorm
from .model import GPT, Block

__all__ = ["GPT", "MLP", "Block", "CausalSelfAttention", "GPTConfig", "LayerNorm"]
