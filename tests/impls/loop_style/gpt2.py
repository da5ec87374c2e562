"""The contract's modules, each a thin nn.Module over the helpers in functional.py.

Attention loops over heads explicitly: head h reads rows [h*hd, (h+1)*hd) of the q, k and v
thirds of c_attn's weight, so no reshape of the activations is ever needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from . import functional as fn
from .weights import read_local_checkpoint


@dataclass
class GPTConfig:
    block_size: int = 1024
    vocab_size: int = 50257
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768


class LayerNorm(nn.Module):
    def __init__(self, ndim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return fn.layer_norm(x, self.weight, self.bias)


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        assert config.n_embd % config.n_head == 0, "n_embd must be a multiple of n_head"
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        C, hd = self.n_embd, self.n_embd // self.n_head
        W, b = self.c_attn.weight, self.c_attn.bias
        heads = []
        for h in range(self.n_head):
            rows = [slice(part * C + h * hd, part * C + (h + 1) * hd) for part in range(3)]  # q, k, v rows
            q, k, v = (fn.linear(x, W[r], b[r]) for r in rows)
            heads.append(fn.causal_head(q, k, v))
        return fn.linear(torch.cat(heads, dim=-1), self.c_proj.weight, self.c_proj.bias)


class MLP(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = fn.gelu_tanh(fn.linear(x, self.c_fc.weight, self.c_fc.bias))
        return fn.linear(hidden, self.c_proj.weight, self.c_proj.bias)


class Block(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = LayerNorm(config.n_embd)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        after_attn = x + self.attn(self.ln_1(x))
        return after_attn + self.mlp(self.ln_2(after_attn))


class Transformer(nn.Module):
    """Holds the trunk under the names HF uses (wte, wpe, h, ln_f)."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.h = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = LayerNorm(config.n_embd)


_HF_CONV1D_LAYERS = {"c_attn", "c_proj", "c_fc"}


class GPT(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.transformer = Transformer(config)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tied: one Parameter, two uses
        self._gpt2_init()

    def _gpt2_init(self) -> None:
        with torch.no_grad():
            for name, p in self.named_parameters():  # the tied matrix appears once (as wte)
                if p.dim() == 1:
                    if name.endswith("weight"):
                        p.fill_(1.0)  # LayerNorm gain
                    else:
                        p.zero_()  # Linear and LayerNorm biases
                elif name.endswith("c_proj.weight"):
                    torch.nn.init.normal_(p, mean=0.0, std=0.02 * (2 * self.config.n_layer) ** -0.5)
                else:
                    torch.nn.init.normal_(p, mean=0.0, std=0.02)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        T = idx.size(1)
        if T > self.config.block_size:
            raise ValueError(f"cannot forward {T} tokens: the context is only block_size={self.config.block_size}")
        t = self.transformer
        x = t.wte(idx) + t.wpe.weight[:T]
        for block in t.h:
            x = block(x)
        logits = self.lm_head(t.ln_f(x))
        return logits, (None if targets is None else fn.mean_cross_entropy(logits, targets))

    def generate(
        self,
        idx: torch.Tensor,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        B, T = idx.shape
        out = torch.empty(B, T + max_new_tokens, dtype=torch.long, device=idx.device)
        out[:, :T] = idx
        with torch.no_grad():
            for end in range(T, T + max_new_tokens):
                window = out[:, max(0, end - self.config.block_size) : end]
                last = self(window)[0][:, -1]
                out[:, end] = self._pick(last, temperature, top_k, generator)
        return out

    @staticmethod
    def _pick(logits: torch.Tensor, temperature: float, top_k: int | None, generator) -> torch.Tensor:
        """One token per row from the last position's logits."""
        if temperature == 0.0:
            return torch.argmax(logits, dim=-1)
        probs = torch.softmax(logits / temperature, dim=-1)
        ranked, order = torch.sort(probs, dim=-1, descending=True, stable=True)
        keep = probs.size(-1) if top_k is None else min(top_k, probs.size(-1))
        choice = torch.multinomial(ranked[:, :keep], num_samples=1, generator=generator)
        return order.gather(-1, choice).squeeze(-1)

    @classmethod
    def from_hf_state_dict(cls, state_dict: dict[str, torch.Tensor], config: GPTConfig) -> GPT:
        model = cls(config)
        with torch.no_grad():
            for name, param in model.named_parameters():
                source = _lookup(state_dict, name)
                parts = name.split(".")
                if parts[-1] == "weight" and parts[-2] in _HF_CONV1D_LAYERS:
                    source = source.transpose(0, 1)  # HF Conv1D keeps (in, out)
                if tuple(source.shape) != tuple(param.shape):
                    raise ValueError(f"{name}: checkpoint shape {tuple(source.shape)}, model {tuple(param.shape)}")
                param.copy_(source)
        return model

    @classmethod
    def from_pretrained(cls, name_or_path: str) -> GPT:
        hparams, tensors = read_local_checkpoint(name_or_path)
        config = GPTConfig(
            block_size=hparams["n_positions"],
            vocab_size=hparams["vocab_size"],
            n_layer=hparams["n_layer"],
            n_head=hparams["n_head"],
            n_embd=hparams["n_embd"],
        )
        return cls.from_hf_state_dict(tensors, config)


def _lookup(state_dict: dict[str, torch.Tensor], name: str) -> torch.Tensor:
    """The checkpoint tensor for one of our parameters (GPT2LMHeadModel or bare GPT2Model keys)."""
    short = name.removeprefix("transformer.")
    for key in (name, short):
        if key in state_dict:
            return state_dict[key]
    raise KeyError(f"checkpoint has no tensor for {name}")
