"""GPT-2 written with per-head loops over slices of c_attn and functional helpers.

Independent of reference/ and of einsum_style: written from spec/CONTRACT.md and the spec tests only.
"""

from .gpt2 import GPT, MLP, Block, CausalSelfAttention, GPTConfig, LayerNorm

__all__ = ["GPT", "MLP", "Block", "CausalSelfAttention", "GPTConfig", "LayerNorm"]
