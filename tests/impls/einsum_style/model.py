"""The block and the assembled GPT: embeddings, a stack of pre-LN blocks, final LayerNorm, tied head."""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .attention import CausalSelfAttention
from .config import GPTConfig
from .layers import MLP, LayerNorm


class Block(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = LayerNorm(config.n_embd)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


# HF's Conv1D layers store (in, out); nn.Linear stores (out, in).
_CONV1D = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")


class GPT(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(
            {
                "wte": nn.Embedding(config.vocab_size, config.n_embd),
                "wpe": nn.Embedding(config.block_size, config.n_embd),
                "h": nn.ModuleList(Block(config) for _ in range(config.n_layer)),
                "ln_f": LayerNorm(config.n_embd),
            }
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight
        self._init_weights()

    def _init_weights(self) -> None:
        residual_std = 0.02 / math.sqrt(2 * self.config.n_layer)
        with torch.no_grad():
            for name, module in self.named_modules():
                if isinstance(module, (nn.Linear, nn.Embedding)):
                    std = residual_std if name.endswith("c_proj") else 0.02
                    module.weight.normal_(0.0, std)
                    if getattr(module, "bias", None) is not None:
                        module.bias.zero_()
            # the tied matrix was drawn twice (wte, then lm_head): both are N(0, 0.02), either is fine

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        B, T = idx.shape
        if T > self.config.block_size:
            raise ValueError(f"sequence length {T} exceeds block_size {self.config.block_size}")
        pos = torch.arange(T, device=idx.device)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)[None]
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(B * T))
        return logits, loss

    @torch.no_grad()
    def generate(
        self,
        idx: torch.Tensor,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -self.config.block_size :])
            logits = logits[:, -1, :]
            if temperature == 0:
                nxt = logits.argmax(dim=-1, keepdim=True)
            else:
                logits = logits / temperature
                if top_k is not None:
                    kth = torch.topk(logits, min(top_k, logits.size(-1)), dim=-1).values[:, -1:]
                    logits = logits.masked_fill(logits < kth, float("-inf"))
                nxt = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator)
            idx = torch.cat((idx, nxt), dim=1)
        return idx

    @classmethod
    def from_hf_state_dict(cls, state_dict: dict[str, torch.Tensor], config: GPTConfig) -> GPT:
        model = cls(config)
        own = model.state_dict()
        converted = {}
        for key, value in state_dict.items():
            if key.endswith((".attn.bias", ".attn.masked_bias")):
                continue  # causal-mask buffers of older HF checkpoints
            if not key.startswith(("transformer.", "lm_head.")):
                key = "transformer." + key  # a GPT2Model state dict has no "transformer." prefix
            converted[key] = value.t() if key.endswith(_CONV1D) else value
        converted.setdefault("lm_head.weight", converted["transformer.wte.weight"])
        missing = sorted(set(own) - set(converted))
        if missing:
            raise KeyError(f"state dict lacks {missing}")
        with torch.no_grad():
            for key, value in own.items():
                value.copy_(converted[key])
        return model

    @classmethod
    def from_pretrained(cls, name_or_path: str) -> GPT:
        """Load real GPT-2 weights from a local directory or the local HF cache; never downloads."""
        import json

        from safetensors.torch import load_file

        directory = _find_local(name_or_path)
        hf = json.loads((directory / "config.json").read_text())
        config = GPTConfig(
            block_size=hf["n_positions"],
            vocab_size=hf["vocab_size"],
            n_layer=hf["n_layer"],
            n_head=hf["n_head"],
            n_embd=hf["n_embd"],
        )
        return cls.from_hf_state_dict(load_file(str(directory / "model.safetensors")), config)


def _find_local(name_or_path: str) -> Path:
    path = Path(name_or_path).expanduser()
    if (path / "config.json").is_file():
        return path
    hub = Path(os.environ.get("HF_HUB_CACHE") or Path(os.environ.get("HF_HOME", "~/.cache/huggingface")) / "hub")
    repo = hub.expanduser() / ("models--" + name_or_path.replace("/", "--"))
    for snapshot in sorted((repo / "snapshots").glob("*")):
        if (snapshot / "config.json").is_file() and (snapshot / "model.safetensors").is_file():
            return snapshot
    raise FileNotFoundError(f"no local GPT-2 weights for {name_or_path!r} (looked in {path} and {repo})")
