"""Week 3: the transformer Block — ``ln_1``, ``attn``, ``ln_2``, ``mlp`` in a pre-LN residual
arrangement: x + attn(ln_1(x)), then + mlp(ln_2(.)). Graded against HF's GPT2Block."""

from __future__ import annotations

import pytest
import torch

from .assertions import assert_close
from .hints import needs
from .oracles import contract_grads, hf_block, load_into, run_hf_block
from .strategies import seeded

pytestmark = pytest.mark.week3

SHAPE = dict(block_size=16, vocab_size=64, n_layer=2, n_head=4, n_embd=32)
BTC = ("B", "T", "C")
HINT = (
    "GPT-2 is pre-LN: x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)). Common bugs: post-LN (normalising after the "
    "residual add), one LayerNorm shared by both branches, a missing residual, or attn and mlp swapped."
)


def make_block(impl, seed: int):
    hf = hf_block(SHAPE, seed)
    ours = impl.Block(impl.GPTConfig(**SHAPE)).double().eval()
    return load_into(ours, hf, what="Block"), hf


def x_of(seed: int) -> torch.Tensor:
    return torch.randn(2, 11, 32, generator=torch.Generator().manual_seed(seeded(seed)), dtype=torch.float64)


@needs("attention", "layernorm", "mlp")
def test_parity_with_hf(impl):
    """Clause: output equals HF's GPT2Block on the same weights (fp64).
    Catches: post-LN, a missing residual, a shared LayerNorm, branch order swapped."""
    ours, hf = make_block(impl, seed=1)
    x = x_of(2)
    with torch.no_grad():
        assert_close(ours(x), run_hf_block(hf, x), atol=1e-10, what="Block output", dims=BTC, hint=HINT)


@needs("attention", "layernorm", "mlp")
def test_identity_when_branches_are_silent(impl):
    """Clause: the residual stream passes through untouched: with both c_proj layers zeroed, Block(x) == x.
    Catches: post-LN (the output is normalised), a residual taken from ln_1(x) instead of x, scaling the stream."""
    ours, _ = make_block(impl, seed=3)
    with torch.no_grad():
        for proj in (ours.attn.c_proj, ours.mlp.c_proj):
            proj.weight.zero_()
            proj.bias.zero_()
        x = 4.0 * x_of(4) + 1.0
        assert_close(
            ours(x),
            x,
            atol=1e-12,
            what="Block output with silent branches",
            dims=BTC,
            hint="add each branch to the un-normalised x: x = x + attn(ln_1(x))",
        )


@needs("attention", "layernorm", "mlp")
def test_gradients_match_hf(impl):
    """Clause: gradients of every Block parameter and of x equal HF's (fp64).
    Catches: detached branches, LayerNorms whose parameters are not used, in-place residual adds on x."""
    ours, hf = make_block(impl, seed=5)
    x = x_of(6)
    w = torch.randn_like(x)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    (ours(x1) * w).sum().backward()
    (run_hf_block(hf, x2) * w).sum().backward()
    assert_close(x1.grad, x2.grad, atol=1e-10, what="dL/dx", dims=BTC, hint=HINT)
    hf_grads = contract_grads(hf)
    for name, p in ours.named_parameters():
        expected = hf_grads[name]
        assert p.grad is not None, f"{name} received no gradient: is it used in forward?"
        assert_close(p.grad, expected, atol=1e-10, what=f"dL/d{name}")
