"""Week 3: the assembled GPT-2.  Spec: spec/test_gpt.py, spec/test_generate.py, spec/test_pretrained.py

Handout
-------
Clause (spec/CONTRACT.md, "Weeks 1–3", GPT): token embeddings ``transformer.wte`` (V, C) plus learned
position embeddings ``transformer.wpe`` (block_size, C); the blocks ``transformer.h``; a final LayerNorm
``transformer.ln_f``; an LM head ``lm_head`` (C -> V, no bias) that *is* the token embedding matrix.
Module names follow Hugging Face's GPT2LMHeadModel one for one, so its state dict loads.

Shapes: idx (B, T) int64 -> x (B, T, C) through every block -> logits (B, T, V); loss a scalar.

Reading: the GPT-2 paper §2.3 (model changes, the residual init scaling); Press & Wolf, "Using the
Output Embedding to Improve Language Models" (2017) for weight tying; nanoGPT's model.py;
Karpathy's "Let's reproduce GPT-2 (124M)" (the first hour: the model, tying, init).

Questions:
1. GPT(GPTConfig()) must have exactly 124,439,808 parameters. Count them by hand: which matrix is
   counted once although two modules use it, and how do you make two modules share *one* tensor
   (not a copy that drifts away in training)?
2. Initialisation: which std for every Linear and Embedding weight, which value for biases, and which
   weights get a smaller std? Why does that std depend on n_layer (how many branches add to the
   residual stream)? Where in __init__ do you apply it so that it reaches every submodule?
3. forward: where do the positions 0..T-1 come from, on which device, and what happens when T > block_size?
4. The loss: targets are already the next tokens. Which two shapes does cross-entropy want, and what
   must you *not* do to the targets?
5. generate: what must the model see at each step once the sequence is longer than block_size? Which
   position's logits do you sample from? What does temperature 0 mean, and how does top-k change the
   distribution before sampling? Which argument makes a seeded run reproducible?
6. from_hf_state_dict: HF's GPT-2 uses Conv1D for four of its weight matrices. What is Conv1D's weight
   layout compared with nn.Linear's, which four keys are they, and which entries of an HF state dict are
   buffers rather than weights?
"""

from __future__ import annotations

import json
import math  # noqa: F401
import os
from pathlib import Path

import torch
import torch.nn.functional as F  # noqa: F401
from torch import nn

from .block import Block  # noqa: F401
from .config import GPTConfig
from .layernorm import LayerNorm  # noqa: F401


class GPT(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        raise NotImplementedError(
            "week 3: GPT.__init__ — the modules (names as in HF's GPT2LMHeadModel), the tied LM head and the "
            "GPT-2 initialisation; see the handout at the top of gpt.py (questions 1-2)"
        )

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """idx (B, T) int64 -> (logits (B, T, V), mean cross-entropy against targets, or None)."""
        raise NotImplementedError(
            "week 3: GPT.forward — (B, T) ids -> (B, T, V) logits and the loss; see gpt.py's handout (questions 3-4)"
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
            "week 3: GPT.generate — (B, T) -> (B, T + max_new_tokens); see gpt.py's handout (question 5)"
        )

    # ----------------------------------------------------------------- loading

    @classmethod
    def from_hf_state_dict(cls, state_dict: dict[str, torch.Tensor], config: GPTConfig) -> GPT:
        """Build a model from a ``GPT2LMHeadModel`` (or ``GPT2Model``) state dict."""
        raise NotImplementedError(
            "week 3: GPT.from_hf_state_dict — a model holding HF's weights; see gpt.py's handout (question 6)"
        )

    # Given: reading GPT-2's files from disk (plumbing, not the seminar's subject).
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
