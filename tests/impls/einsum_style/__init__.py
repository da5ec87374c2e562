"""GPT-2 written with einsum attention, an explicit boolean mask and a hand-written softmax; and (for the
training command, gpt2spec/training/train.py) its own BPE tokenizer, data loader and training loop.

Independent of reference/: written from spec/CONTRACT.md and the spec tests only.
"""

from .attention import CausalSelfAttention
from .config import GPTConfig
from .data import DataLoader
from .layers import MLP, LayerNorm
from .model import GPT, Block
from .tokenizer import Tokenizer
from .training import configure_optimizers, get_lr, load_checkpoint, save_checkpoint, train_step

__all__ = ["GPT", "MLP", "Block", "CausalSelfAttention", "DataLoader", "GPTConfig", "LayerNorm", "Tokenizer"]
__all__ += ["configure_optimizers", "get_lr", "load_checkpoint", "save_checkpoint", "train_step"]
