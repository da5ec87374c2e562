"""The GPT-2 language model: embeddings, a stack of blocks, a tied LM head.

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

from .attention import KVCache
from .block import Block
from .config import GPTConfig
from .layernorm import LayerNorm

# HF's GPT-2 stores these as Conv1D, whose weight is (in, out): the transpose of nn.Linear's.
_CONV1D_SUFFIXES = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")
# Causal-mask buffers that old HF checkpoints carry; they are constants, not weights.
_HF_BUFFER_SUFFIXES = (".attn.bias", ".attn.masked_bias")
# The (tied) matrices with one row per token; with vocab padding they have extra rows HF lacks.
_VOCAB_ROWS = ("transformer.wte.weight", "lm_head.weight")


class GPT(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(config.padded_vocab_size, config.n_embd),  # token embeddings
                wpe=nn.Embedding(config.block_size, config.n_embd),  # learned positions
                h=nn.ModuleList(Block(config) for _ in range(config.n_layer)),
                ln_f=LayerNorm(config.n_embd),
            )
        )
        self.lm_head = nn.Linear(config.n_embd, config.padded_vocab_size, bias=False)
        # Weight tying: the output projection *is* the embedding matrix (same storage),
        # which saves 38.6M parameters at 124M and is how GPT-2 was trained.
        self.lm_head.weight = self.transformer.wte.weight
        self.apply(self._init_weights)
        # GPT-2 scales the two projections that write into the residual stream by
        # 1/sqrt(2·n_layer): each block adds two branches, and the stream's variance
        # would otherwise grow with depth.
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))
        with torch.no_grad():  # fast path: vocab padding. Rows past vocab_size are never looked up
            self.transformer.wte.weight[config.vocab_size :].zero_()  # nor scored (see forward): keep them 0

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        """N(0, 0.02) for every Linear and Embedding, zero biases; LayerNorm keeps (1, 0)."""
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None, cache: list[KVCache] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        T = idx.size(1)
        start = 0 if cache is None else cache[0].length  # fast path: KV cache — idx continues the cached tokens
        if start + T > self.config.block_size:
            raise ValueError(f"sequence length {start + T} exceeds block_size {self.config.block_size}")
        pos = torch.arange(start, start + T, device=idx.device)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)  # (B,T,C) + (T,C) broadcast
        for i, block in enumerate(self.transformer.h):
            x = block(x, None if cache is None else cache[i])
        logits = self.lm_head(self.transformer.ln_f(x))
        if self.config.padded_vocab_size != self.config.vocab_size:
            # fast path: vocab padding. The padded columns are not tokens: drop them here, so they can
            # never be sampled, scored by the loss or seen by a caller. Their gradient is therefore zero.
            logits = logits[..., : self.config.vocab_size].contiguous()
        loss = None
        if targets is not None:
            # targets are already the next tokens: position t is scored against targets[:, t].
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))
        return logits, loss

    @torch.no_grad()
    def generate(
        self,
        idx: torch.Tensor,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator: torch.Generator | None = None,
        use_kv_cache: bool = True,
    ) -> torch.Tensor:
        """Append ``max_new_tokens`` sampled tokens to ``idx`` (B, T) and return (B, T + new).

        ``temperature=0`` means greedy decoding; ``top_k`` keeps the k most likely tokens.
        ``use_kv_cache=False`` recomputes the whole context every step (same tokens, slower).
        """
        # fast path: KV cache. While the sequence fits in block_size, each step feeds only the tokens
        # the cache has not seen yet (the prompt, then one token at a time).
        cache_len = min(self.config.block_size, idx.size(1) + max_new_tokens)
        cache = [KVCache(cache_len) for _ in self.transformer.h] if use_kv_cache else None
        for _ in range(max_new_tokens):
            if cache is not None and idx.size(1) <= cache_len:
                logits, _ = self(idx[:, cache[0].length :], cache=cache)
            else:
                # The position table ends at block_size: condition on the most recent tokens only.
                # Cropping shifts every token's position, so cached keys are stale: recompute from here on.
                cache = None
                idx_cond = idx[:, -self.config.block_size :]
                logits, _ = self(idx_cond)
            logits = logits[:, -1, :]
            if temperature == 0:
                idx_next = logits.argmax(dim=-1, keepdim=True)
            else:
                logits = logits / temperature
                if top_k is not None:
                    kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]
                    logits = logits.masked_fill(logits < kth, float("-inf"))
                probs = F.softmax(logits, dim=-1)
                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)
            idx = torch.cat((idx, idx_next), dim=1)
        return idx

    # ----------------------------------------------------------------- loading

    @classmethod
    def from_hf_state_dict(cls, state_dict: dict[str, torch.Tensor], config: GPTConfig) -> GPT:
        """Build a model from a ``GPT2LMHeadModel`` (or ``GPT2Model``) state dict."""
        model = cls(config)
        ours = model.state_dict()
        for key, tensor in state_dict.items():
            if key.endswith(_HF_BUFFER_SUFFIXES):
                continue
            name = key if key.startswith(("transformer.", "lm_head.")) else f"transformer.{key}"
            if name not in ours:
                raise KeyError(f"unexpected key in HF state dict: {key!r}")
            if name.endswith(_CONV1D_SUFFIXES):
                tensor = tensor.t()
            target = ours[name]
            if name in _VOCAB_ROWS:  # fast path: vocab padding — HF's rows fill the top; padded rows stay 0
                target = target[: config.vocab_size]
            if tensor.shape != target.shape:
                raise ValueError(f"{key}: shape {tuple(tensor.shape)} != expected {tuple(target.shape)}")
            with torch.no_grad():
                target.copy_(tensor)
        return model

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
