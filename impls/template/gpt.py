"""Week 3: the assembled GPT-2.  Spec: spec/test_gpt.py, spec/test_generate.py

Embeddings, a stack of blocks, a tied LM head.

Module names follow Hugging Face's ``GPT2LMHeadModel`` one for one, so its state
dict loads after transposing the four Conv1D weights (see ``from_hf_state_dict``).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .block import Block
from .config import GPTConfig
from .layernorm import LayerNorm

# HF's GPT-2 stores these as Conv1D, whose weight is (in, out): the transpose of nn.Linear's.
_CONV1D_SUFFIXES = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")
# Causal-mask buffers that old HF checkpoints carry; they are constants, not weights.
_HF_BUFFER_SUFFIXES = (".attn.bias", ".attn.masked_bias")


class GPT(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),  # token embeddings
                wpe=nn.Embedding(config.block_size, config.n_embd),  # learned positions
                h=nn.ModuleList(Block(config) for _ in range(config.n_layer)),
                ln_f=LayerNorm(config.n_embd),
            )
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # weight tying: the head *is* the embedding
        self.apply(self._init_weights)

    def _init_weights(self, module: nn.Module) -> None:
        raise NotImplementedError(
            "week 3: GPT._init_weights — N(0, 0.02) for every nn.Linear and nn.Embedding weight, zeros for "
            "Linear biases; then (after apply) the residual projections *.c_proj.weight get std "
            "0.02 / sqrt(2 * n_layer). LayerNorm keeps its ones/zeros."
        )

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        raise NotImplementedError(
            "week 3: GPT.forward — raise ValueError if T > block_size; x = wte(idx) + wpe(arange(T)); run the "
            "blocks; ln_f; logits = lm_head(x). With targets, loss = F.cross_entropy(logits.view(-1, V), "
            "targets.view(-1)) (targets are already the next tokens). Return (logits, loss or None)."
        )

    @torch.no_grad()
    def generate(
        self,
        idx: torch.Tensor,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Append ``max_new_tokens`` sampled tokens to ``idx`` (B, T) and return (B, T + new).

        ``temperature=0`` means greedy decoding; ``top_k`` keeps the k most likely tokens.
        """
        raise NotImplementedError(
            "week 3: GPT.generate — repeat max_new_tokens times: crop idx to the last block_size tokens, take "
            "the last position's logits, greedy argmax if temperature == 0, else divide by temperature, keep "
            "the top_k logits (others -inf), softmax, torch.multinomial(..., generator=generator), append."
        )

    # ----------------------------------------------------------------- loading

    @classmethod
    def from_hf_state_dict(cls, state_dict: dict[str, torch.Tensor], config: GPTConfig) -> GPT:
        """Build a model from a ``GPT2LMHeadModel`` (or ``GPT2Model``) state dict."""
        raise NotImplementedError(
            "week 3: GPT.from_hf_state_dict — build cls(config) and copy every tensor of the HF state dict into "
            "it: skip keys ending in .attn.bias / .attn.masked_bias, and transpose the Conv1D weights "
            "(attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj): HF stores them (in, out)."
        )

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike[str]) -> GPT:
        """Load real GPT-2 weights from a local directory or the local HF cache; never downloads."""
        directory = _local_hf_snapshot(str(name_or_path))
        hf_config = json.loads((directory / "config.json").read_text())
        config = GPTConfig(
            block_size=hf_config["n_positions"],
            vocab_size=hf_config["vocab_size"],
            n_layer=hf_config["n_layer"],
            n_head=hf_config["n_head"],
            n_embd=hf_config["n_embd"],
        )
        return cls.from_hf_state_dict(_read_hf_weights(directory), config)


def _local_hf_snapshot(name_or_path: str) -> Path:
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return path
    from huggingface_hub import snapshot_download  # only the loader needs the hub client

    repo_ids = [name_or_path] if "/" in name_or_path else [name_or_path, f"openai-community/{name_or_path}"]
    for repo_id in repo_ids:
        try:
            return Path(snapshot_download(repo_id, local_files_only=True))
        except Exception:  # not in the cache under this id; try the next
            continue
    raise FileNotFoundError(f"no local copy of {name_or_path!r}: not a directory and not in the HF cache")


def _read_hf_weights(directory: Path) -> dict[str, torch.Tensor]:
    if (directory / "model.safetensors").exists():
        from safetensors.torch import load_file

        return load_file(str(directory / "model.safetensors"))
    if (directory / "pytorch_model.bin").exists():
        return torch.load(directory / "pytorch_model.bin", map_location="cpu", weights_only=True)
    raise FileNotFoundError(f"{directory} has neither model.safetensors nor pytorch_model.bin")
