"""Hugging Face's GPT-2 as the oracle, built offline from seeded random weights.

Nothing here downloads: every HF module is constructed from a ``GPT2Config`` and
initialised by a fixed seed. The helpers copy HF weights into an implementation by
the contract's parameter names, transposing HF's Conv1D (in, out) weights.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from types import ModuleType
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from .strategies import seeded

if TYPE_CHECKING:
    from transformers import GPT2Config, GPT2LMHeadModel
    from transformers.models.gpt2.modeling_gpt2 import GPT2MLP, GPT2Attention, GPT2Block

# HF's Conv1D modules store weight as (in, out), the transpose of nn.Linear.
CONV1D_WEIGHTS = ("c_attn.weight", "c_proj.weight", "c_fc.weight")

TINY = dict(block_size=32, vocab_size=96, n_layer=2, n_head=4, n_embd=64)
GPT2_SMALL = dict(block_size=1024, vocab_size=50257, n_layer=12, n_head=12, n_embd=768)


def hf_gpt2() -> ModuleType:
    """transformers' GPT-2 modelling module, imported on first use: importing transformers costs ~4.5 s of CPU
    per interpreter (measured), which every graded interpreter paid at collection even when it ran only
    config, tokenizer or data tests. The grader's in-process mode imports it before its integrity snapshot."""
    from transformers.models.gpt2 import modeling_gpt2

    return modeling_gpt2


def hf_config(block_size: int, vocab_size: int, n_layer: int, n_head: int, n_embd: int) -> GPT2Config:
    """GPT2Config with dropout off and the eager attention path (the plainest math)."""
    config = hf_gpt2().GPT2Config(
        n_positions=block_size,
        n_ctx=block_size,
        vocab_size=vocab_size,
        n_layer=n_layer,
        n_head=n_head,
        n_embd=n_embd,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        activation_function="gelu_new",
        layer_norm_epsilon=1e-5,
        bos_token_id=vocab_size - 1,
        eos_token_id=vocab_size - 1,
    )
    config._attn_implementation = "eager"
    return config


def hf_lm(shape: dict, seed: int, dtype: torch.dtype = torch.float32) -> GPT2LMHeadModel:
    """A GPT2LMHeadModel with GPT-2's init, except that every LayerNorm (ln_1, ln_2, ln_f) gets random weights
    around 1 and random biases around 0: at exactly ones and zeros all LayerNorms compute the same function,
    so a block that reuses ln_1 before the MLP would match HF's forward pass."""
    torch.manual_seed(seeded(seed))
    model = hf_gpt2().GPT2LMHeadModel(hf_config(**shape))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".ln_" in name:
                p.copy_((1.0 if name.endswith("weight") else 0.0) + 0.1 * torch.randn_like(p))
    return model.to(dtype).eval()


def hf_attention(shape: dict, seed: int, dtype: torch.dtype = torch.float64) -> GPT2Attention:
    """A GPT2Attention with GPT-2's init (N(0, 0.02)) plus random biases, so that bias bugs show."""
    torch.manual_seed(seeded(seed))
    module = hf_gpt2().GPT2Attention(hf_config(**shape), layer_idx=0)
    _randomize(module)
    return module.to(dtype).eval()


def hf_mlp(shape: dict, seed: int, dtype: torch.dtype = torch.float64) -> GPT2MLP:
    torch.manual_seed(seeded(seed))
    config = hf_config(**shape)
    module = hf_gpt2().GPT2MLP(4 * config.n_embd, config)
    _randomize(module)
    return module.to(dtype).eval()


def hf_block(shape: dict, seed: int, dtype: torch.dtype = torch.float64) -> GPT2Block:
    torch.manual_seed(seeded(seed))
    module = hf_gpt2().GPT2Block(hf_config(**shape), layer_idx=0)
    _randomize(module)
    return module.to(dtype).eval()


def _randomize(module: nn.Module) -> None:
    """Scale-0.02 random weights *and* biases / LayerNorm affine terms: zeros or ones would hide bugs."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight"):
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            elif name.endswith("bias") and "ln_" in name:
                p.copy_(0.1 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.02 * torch.randn_like(p))
            else:
                p.copy_(0.02 * torch.randn_like(p))


def causal_mask(T: int, dtype: torch.dtype) -> torch.Tensor:
    """HF's additive mask for a standalone attention call: 0 on and below the diagonal."""
    mask = torch.full((T, T), torch.finfo(dtype).min, dtype=dtype).triu(1)
    return mask[None, None]


def run_hf_attention(module: GPT2Attention, x: torch.Tensor) -> torch.Tensor:
    return module(x, attention_mask=causal_mask(x.shape[1], x.dtype))[0]


def run_hf_block(module: GPT2Block, x: torch.Tensor) -> torch.Tensor:
    out = module(x, attention_mask=causal_mask(x.shape[1], x.dtype))
    return out[0] if isinstance(out, tuple) else out


def to_contract_names(hf_state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """HF state dict -> the contract's nn.Linear layout: transpose Conv1D weights, drop mask buffers."""
    out = {}
    for key, tensor in hf_state.items():
        if key.endswith((".attn.bias", ".attn.masked_bias")) or key in ("bias", "masked_bias"):
            continue
        out[key] = tensor.t().contiguous() if key.endswith(CONV1D_WEIGHTS) else tensor.clone()
    return out


def contract_grads(hf_module: nn.Module) -> dict[str, torch.Tensor]:
    """The gradients of an HF module's parameters, in the contract's nn.Linear layout (after backward)."""
    return to_contract_names({name: p.grad for name, p in hf_module.named_parameters()})


def load_into(module: nn.Module, hf_module: nn.Module, *, what: str) -> nn.Module:
    """Copy an HF module's weights into an implementation's module of the same role.

    Buffers the implementation keeps for itself (a causal-mask buffer, say) are allowed;
    parameters must match the contract's names and shapes exactly.
    """
    __tracebackhide__ = True
    state = to_contract_names(hf_module.state_dict())
    if what == "GPT" and "lm_head.weight" not in state:
        state["lm_head.weight"] = state["transformer.wte.weight"]
    params = dict(module.named_parameters(remove_duplicate=False))
    missing = sorted(k for k in params if k not in state)
    unexpected = sorted(k for k in state if k not in params)
    if missing or unexpected:
        raise AssertionError(
            f"{what}: parameter names do not follow the contract (spec/CONTRACT.md). "
            f"Not in HF's GPT-2: {missing or 'none'}; HF parameters you lack: {unexpected or 'none'}"
        )
    for name, tensor in state.items():
        if tuple(params[name].shape) != tuple(tensor.shape):
            raise AssertionError(
                f"{what}: parameter {name} has shape {tuple(params[name].shape)}, the contract says "
                f"{tuple(tensor.shape)} (nn.Linear stores weight as (out, in))"
            )
    with torch.no_grad():
        for name, tensor in state.items():
            params[name].copy_(tensor)
    return module


# ---------------------------------------------------------------- training oracle


def cosine_lr(step: int, max_lr: float, min_lr: float, warmup_steps: int, max_steps: int) -> float:
    """The contract's schedule, written independently of any implementation."""
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    if step >= max_steps:
        return min_lr
    progress = (step - warmup_steps) / (max_steps - warmup_steps)
    return min_lr + (max_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))


def contract_batches(tokens: torch.Tensor, B: int, T: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """The contract's DataLoader (single process), written independently: batch k is x = the B*T tokens from
    k*B*T on, y = x shifted by one, reading on past the end from the start again (wrapping, nothing dropped)."""
    n, position = len(tokens), 0
    while True:
        buf = tokens[(position + torch.arange(B * T + 1)) % n]
        position += B * T
        yield buf[:-1].view(B, T), buf[1:].view(B, T)


def hf_training_losses(
    hf: GPT2LMHeadModel, tokens: torch.Tensor, *, B: int, T: int, micro_steps: int, steps: int, recipe: dict
) -> list[float]:
    """Train an HF GPT2LMHeadModel with plain torch pieces (AdamW, clip_grad_norm_) on the contract's
    batches, and return the loss of each step: the trajectory an implementation must reproduce.

    ``recipe`` holds weight_decay, max_lr, min_lr, warmup_steps, max_steps, max_norm.
    """
    params = list(hf.parameters())
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": recipe["weight_decay"]},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=recipe["max_lr"], betas=(0.9, 0.95), eps=1e-8)
    batches, losses = contract_batches(tokens, B, T), []
    for step in range(steps):
        lr = cosine_lr(step, recipe["max_lr"], recipe["min_lr"], recipe["warmup_steps"], recipe["max_steps"])
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.zero_grad()
        total = 0.0
        for _ in range(micro_steps):
            x, y = next(batches)
            logits = hf(x).logits  # HF's own loss would shift the labels again
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1)) / micro_steps
            loss.backward()
            total += loss.item()
        torch.nn.utils.clip_grad_norm_(params, recipe["max_norm"])
        optimizer.step()
        losses.append(total)
    return losses
