"""Known bugs, written out: each component of GPT-2 computed the wrong way a participant might write it.

Every builder returns ``{description: fn}`` where ``fn(x)`` computes the component *with that bug* from HF's
weights, on any input. spec/diagnose.py compares a diverging activation with them ("your output matches
this bug exactly"), also inside a whole block when a submodule cannot be observed on its own, and
spec/hints.py does the same for the failing component tests, so that every test a bug fails names the
same bug: hints follow the symptom, not the test.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .oracles import causal_mask

Fn = Callable[[torch.Tensor], torch.Tensor]
EPS = 1e-5


def tolerance(dtype: torch.dtype) -> tuple[float, float]:
    """(atol, rtol) for activations: fp32 errors measured ~3e-6, fp64 ~1e-14 (see spec/test_gpt.py)."""
    return (1e-9, 1e-7) if dtype == torch.float64 else (1e-4, 1e-3)


def same(actual: torch.Tensor, candidate: torch.Tensor) -> bool:
    """Equal within tolerance, NaN where the other is NaN included (a bug that makes NaN is matched by it)."""
    if tuple(actual.shape) != tuple(candidate.shape):
        return False
    a, c = actual.detach().double(), candidate.detach().double()
    both_nan = torch.isnan(a) & torch.isnan(c)
    atol, rtol = tolerance(candidate.dtype if candidate.is_floating_point() else actual.dtype)
    ok = ((a - c).abs() <= atol + rtol * c.abs()) | both_nan
    return bool(ok.all())


def matches(actual: torch.Tensor, variants: dict[str, Fn], x: torch.Tensor) -> list[str]:
    """Descriptions of the variants whose output on ``x`` reproduces ``actual``."""
    hits = []
    for description, fn in variants.items():
        try:
            candidate = fn(x)
        except Exception:
            continue
        if same(actual, candidate):
            hits.append(description)
    return hits


def conv1d(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return x @ module.weight + module.bias  # HF's Conv1D: weight is (in, out)


def hf_attention_fn(hf_attn: nn.Module) -> Fn:
    return lambda x: hf_attn(x, attention_mask=causal_mask(x.shape[1], x.dtype))[0]


def attention(hf_attn: nn.Module, n_head: int) -> dict[str, Fn]:
    def attend(scale: Callable[[int, int], float], diagonal: int | None = 1, split: str = "view", merge: bool = True):
        def run(x: torch.Tensor) -> torch.Tensor:
            B, T, C = x.shape
            hd = C // n_head
            q, k, v = conv1d(hf_attn.c_attn, x).split(C, dim=2)
            if split == "view":
                q, k, v = (t.view(B, T, n_head, hd).transpose(1, 2) for t in (q, k, v))
            else:
                q, k, v = (t.reshape(B, n_head, T, hd) for t in (q, k, v))
            att = (q @ k.transpose(-2, -1)) * scale(C, hd)
            if diagonal is not None:  # mask the scores above (diagonal=1) or on and above (0) the diagonal
                hidden = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(diagonal)
                att = att.masked_fill(hidden, float("-inf"))
            y = att.softmax(dim=-1) @ v
            y = y.transpose(1, 2).reshape(B, T, C) if merge else y.reshape(B, T, C)
            return conv1d(hf_attn.c_proj, y)

        return run

    def head(C: int, hd: int) -> float:
        return hd**-0.5

    return {
        "no causal mask (every position sees the future)": attend(head, diagonal=None),
        "the causal mask hides the diagonal too (tril(..., diagonal=-1) or triu(0)): a position may not attend "
        "to itself, so position 0 attends to nothing and its softmax is NaN": attend(head, diagonal=0),
        "scores scaled by 1/sqrt(n_embd) instead of 1/sqrt(head_dim)": attend(lambda C, hd: C**-0.5),
        "scores scaled by 1/head_dim instead of 1/sqrt(head_dim)": attend(lambda C, hd: 1.0 / hd),
        "scores not scaled at all (missing 1/sqrt(head_dim))": attend(lambda C, hd: 1.0),
        "heads split with view(B, n_head, T, head_dim) instead of view(B, T, n_head, head_dim).transpose(1, 2)": (
            attend(head, split="reshape")
        ),
        "heads split wrong and merged without transposing back": attend(head, split="reshape", merge=False),
        "heads merged without transpose(1, 2) before view(B, T, C)": attend(head, merge=False),
    }


def layernorm(weight: torch.Tensor, bias: torch.Tensor) -> dict[str, Fn]:
    def stats(x: torch.Tensor, dim: int = -1) -> tuple[torch.Tensor, torch.Tensor]:
        mean = x.mean(dim, keepdim=True)
        return mean, (x - mean).pow(2).mean(dim, keepdim=True)

    def with_eps(eps: float) -> Fn:
        def run(x: torch.Tensor) -> torch.Tensor:
            mean, var = stats(x)
            return (x - mean) / torch.sqrt(var + eps) * weight + bias

        return run

    def eps_outside(x: torch.Tensor) -> torch.Tensor:
        mean, var = stats(x)
        return (x - mean) / (var.sqrt() + EPS) * weight + bias

    def no_affine(x: torch.Tensor) -> torch.Tensor:
        mean, var = stats(x)
        return (x - mean) / torch.sqrt(var + EPS)

    def swapped(x: torch.Tensor) -> torch.Tensor:
        mean, var = stats(x)
        return (x - mean) / torch.sqrt(var + EPS) * bias + weight

    def no_centering(x: torch.Tensor) -> torch.Tensor:
        _, var = stats(x)
        return x / torch.sqrt(var + EPS) * weight + bias

    def wrong_dim(x: torch.Tensor) -> torch.Tensor:
        mean, var = stats(x, dim=0)
        return (x - mean) / torch.sqrt(var + EPS) * weight + bias

    def mean_wrong_dim(x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(0, keepdim=True)
        return (x - mean) / torch.sqrt((x - mean).pow(2).mean(-1, keepdim=True) + EPS) * weight + bias

    def unbiased(x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(-1, keepdim=True)
        return (x - mean) / torch.sqrt(x.var(-1, keepdim=True) + EPS) * weight + bias

    return {
        "LayerNorm eps = 1e-12 (GPT-2 uses 1e-5)": with_eps(1e-12),
        "LayerNorm eps = 1e-6 (GPT-2 uses 1e-5)": with_eps(1e-6),
        "LayerNorm eps = 1e-3 (GPT-2 uses 1e-5)": with_eps(1e-3),
        "LayerNorm without eps": with_eps(0.0),
        "unbiased variance (x.var() divides by C-1; GPT-2 divides by C)": unbiased,
        "eps added to the standard deviation instead of the variance": eps_outside,
        "LayerNorm without its weight and bias": no_affine,
        "LayerNorm weight and bias swapped (x_hat * bias + weight)": swapped,
        "LayerNorm without subtracting the mean": no_centering,
        "LayerNorm statistics over the wrong dim (dim 0, not the last one)": wrong_dim,
        "LayerNorm mean over the wrong dim (dim 0, not the last one)": mean_wrong_dim,
    }


def mlp(hf_mlp: nn.Module) -> dict[str, Fn]:
    def with_act(act: Fn) -> Fn:
        return lambda x: conv1d(hf_mlp.c_proj, act(conv1d(hf_mlp.c_fc, x)))

    return {
        "exact (erf) GELU instead of GPT-2's tanh approximation (approximate='tanh')": with_act(F.gelu),
        "ReLU instead of GELU": with_act(F.relu),
        "no activation between c_fc and c_proj": with_act(lambda h: h),
        "sigmoid GELU x * sigmoid(1.702 x) instead of the tanh approximation": with_act(
            lambda h: h * torch.sigmoid(1.702 * h)
        ),
    }


def block(hf_block: nn.Module, n_head: int) -> dict[str, Fn]:
    """The whole block with one known bug inside it: a wiring bug, or one component's bug."""
    ln_1, ln_2, mlp_fn, attn = hf_block.ln_1, hf_block.ln_2, hf_block.mlp, hf_attention_fn(hf_block.attn)

    def pre_ln(ln1: Fn = ln_1, at: Fn = attn, ln2: Fn = ln_2, ml: Fn = mlp_fn) -> Fn:
        def run(x: torch.Tensor) -> torch.Tensor:
            h = x + at(ln1(x))
            return h + ml(ln2(h))

        return run

    def post_ln(x: torch.Tensor) -> torch.Tensor:
        h = ln_1(x + attn(x))
        return ln_2(h + mlp_fn(h))

    def no_residual(x: torch.Tensor) -> torch.Tensor:
        return mlp_fn(ln_2(attn(ln_1(x))))

    def residual_from_normalised(x: torch.Tensor) -> torch.Tensor:
        h = ln_1(x)
        h = h + attn(h)
        return h + mlp_fn(ln_2(h))

    def swapped_branches(x: torch.Tensor) -> torch.Tensor:
        h = x + mlp_fn(ln_2(x))
        return h + attn(ln_1(h))

    out = {
        "post-LN block (the original Transformer): GPT-2 is pre-LN, x = x + attn(ln_1(x))": post_ln,
        "the residual connections are missing: x = x + ..., not x = ...": no_residual,
        "the residual stream is normalised itself (x = ln_1(x); x = x + attn(x)) instead of only the branch "
        "input": residual_from_normalised,
        "ln_1 used before the MLP instead of ln_2": pre_ln(ln2=ln_1),
        "the MLP applied before attention (branches swapped)": swapped_branches,
    }
    for description, fn in attention(hf_block.attn, n_head).items():
        out[f"in attention: {description}"] = pre_ln(at=fn)
    for description, fn in mlp(hf_block.mlp).items():
        out[f"in the MLP: {description}"] = pre_ln(ml=fn)
    for name, ln in (("ln_1", ln_1), ("ln_2", ln_2)):
        for description, fn in layernorm(ln.weight, ln.bias).items():
            out[f"in {name}: {description}"] = pre_ln(**{"ln1" if name == "ln_1" else "ln2": fn})
    return out


def embeddings(hf: nn.Module, idx: torch.Tensor) -> dict[str, Fn]:
    """x = wte(idx) + wpe(arange(T)) and its usual mistakes (the argument of each fn is ignored)."""
    wte, wpe = hf.transformer.wte.weight, hf.transformer.wpe.weight
    T = idx.shape[1]
    tokens = wte[idx]
    return {
        "position embeddings missing: x = wte(idx) without + wpe(arange(T))": lambda _: tokens,
        "positions start at 1 instead of 0": lambda _: tokens + wpe[1 : T + 1],
        "embeddings scaled by sqrt(n_embd) (that is the original Transformer, not GPT-2)": (
            lambda _: tokens * math.sqrt(wte.shape[1]) + wpe[:T]
        ),
    }
