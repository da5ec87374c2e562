"""Known bugs, written out: each component of GPT-2 computed the wrong way a participant might write it.

Every builder returns ``{name: fn}`` where ``name`` is the known bug's name in gpt2spec/known_bugs (one
vocabulary: its words and its fix live on the bug) and ``fn(x)`` computes the component *with that bug*
from HF's weights, on any input. Families with a parameter (eps, scale, mask offset, positions) are
measured by spec/probes.py instead of listed here.
spec/diagnose.py compares a diverging activation with them ("your output matches
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
    """Equal within tolerance, NaN where the other is NaN and an infinity where the other has the same one
    included (a bug that makes NaN or inf is matched by it)."""
    if tuple(actual.shape) != tuple(candidate.shape):
        return False
    a, c = actual.detach().double(), candidate.detach().double()
    both_nan = torch.isnan(a) & torch.isnan(c)
    atol, rtol = tolerance(candidate.dtype if candidate.is_floating_point() else actual.dtype)
    ok = ((a - c).abs() <= atol + rtol * c.abs()) | both_nan | (a == c)  # a == c: the same infinity too
    return bool(ok.all())


REFERENCE = "reference"  # the key under which a builder also gives the right computation
EXPLAINS = 1e-2  # a bug reproduces your output when it is 100x closer to it than the right output is


def matches(actual: torch.Tensor, variants: dict[str, Fn], x: torch.Tensor) -> list[str]:
    """Names of the known bugs whose output on ``x`` reproduces ``actual``: equal within tolerance and, when
    the builder gives the right computation, much closer to ``actual`` than it (a bug that changes the output
    less than the tolerance cannot be told from a neighbouring one, e.g. two eps values on large inputs)."""
    right = variants.get(REFERENCE)
    off = _distance(actual, right(x)) if right is not None else None
    hits = []
    for name, fn in variants.items():
        if name == REFERENCE:
            continue
        try:
            candidate = fn(x)
        except Exception:
            continue
        if same(actual, candidate) and (off is None or _distance(actual, candidate) <= EXPLAINS * off):
            hits.append(name)
    return hits


def _distance(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.detach().double(), b.detach().double()
    both_nan = a.isnan() & b.isnan()
    return (a - b).abs().masked_fill(both_nan, 0.0).nan_to_num(nan=math.inf).max().item() if a.numel() else 0.0


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
        REFERENCE: attend(head),
        "no-causal-mask": attend(head, diagonal=None),
        "mask-hides-diagonal": attend(head, diagonal=0),
        "attention-scale-by-C": attend(lambda C, hd: C**-0.5),
        "no-attention-scale": attend(lambda C, hd: 1.0),
        "heads-split-wrong": attend(head, split="reshape"),
        "heads-merged-without-transpose": attend(head, merge=False),
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

    def swapped(x: torch.Tensor) -> torch.Tensor:
        mean, var = stats(x)
        return (x - mean) / torch.sqrt(var + EPS) * bias + weight

    def no_centering(x: torch.Tensor) -> torch.Tensor:
        _, var = stats(x)
        return x / torch.sqrt(var + EPS) * weight + bias

    def wrong_dim(x: torch.Tensor) -> torch.Tensor:
        mean, var = stats(x, dim=0)
        return (x - mean) / torch.sqrt(var + EPS) * weight + bias

    def unbiased(x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(-1, keepdim=True)
        return (x - mean) / torch.sqrt(x.var(-1, keepdim=True) + EPS) * weight + bias

    return {
        REFERENCE: with_eps(EPS),
        "layernorm-eps-1e-12": with_eps(1e-12),
        "unbiased-variance": unbiased,
        "eps-outside-sqrt": eps_outside,
        "layernorm-weight-bias-swapped": swapped,
        "layernorm-no-centering": no_centering,
        "layernorm-wrong-dim": wrong_dim,
    }


def mlp(hf_mlp: nn.Module) -> dict[str, Fn]:
    def with_act(act: Fn) -> Fn:
        return lambda x: conv1d(hf_mlp.c_proj, act(conv1d(hf_mlp.c_fc, x)))

    return {
        REFERENCE: with_act(lambda h: F.gelu(h, approximate="tanh")),
        "exact-gelu": with_act(F.gelu),
        "relu-instead-of-gelu": with_act(F.relu),
        "mlp-no-activation": with_act(lambda h: h),
        "sigmoid-gelu": with_act(lambda h: h * torch.sigmoid(1.702 * h)),
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

    def no_attention_residual(x: torch.Tensor) -> torch.Tensor:
        h = attn(ln_1(x))
        return h + mlp_fn(ln_2(h))

    def residual_from_normalised(x: torch.Tensor) -> torch.Tensor:
        h = ln_1(x)
        h = h + attn(h)
        return h + mlp_fn(ln_2(h))

    def swapped_branches(x: torch.Tensor) -> torch.Tensor:
        h = x + mlp_fn(ln_2(x))
        return h + attn(ln_1(h))

    out = {
        REFERENCE: pre_ln(),
        "post-ln": post_ln,
        "no-attention-residual": no_attention_residual,
        "residual-from-normalised": residual_from_normalised,
        "shared-layernorm": pre_ln(ln2=ln_1),
        "branches-swapped": swapped_branches,
    }
    # a component's bug seen through the block: named as that component's bug
    out |= {name: pre_ln(at=fn) for name, fn in attention(hf_block.attn, n_head).items() if name != REFERENCE}
    out |= {name: pre_ln(ml=fn) for name, fn in mlp(hf_block.mlp).items() if name != REFERENCE}
    ln2_variants = layernorm(ln_2.weight, ln_2.bias)  # a LayerNorm bug is in the class: in ln_1 and ln_2 both
    for name, fn in layernorm(ln_1.weight, ln_1.bias).items():
        out.setdefault(name, pre_ln(ln1=fn, ln2=ln2_variants[name]))
    return out


def embeddings(hf: nn.Module, idx: torch.Tensor) -> dict[str, Fn]:
    """x = wte(idx) + wpe(arange(T)) without the positions (the argument of the fn is ignored; the other
    position mistakes are measured by spec/probes.py)."""
    tokens = hf.transformer.wte.weight[idx]
    positions = hf.transformer.wpe.weight[: idx.shape[1]]
    return {REFERENCE: lambda _: tokens + positions, "no-position-embedding": lambda _: tokens}
