"""Week 3: the MLP — ``c_fc`` (C -> 4C), tanh-approximated GELU, ``c_proj`` (4C -> C).
Graded against HF's GPT2MLP with ``gelu_new``."""

from __future__ import annotations

import pytest
import torch

from .assertions import assert_close
from .oracles import hf_mlp, load_into
from .strategies import seeded

pytestmark = pytest.mark.week3

SHAPE = dict(block_size=16, vocab_size=64, n_layer=1, n_head=4, n_embd=32)
GELU_HINT = "GPT-2 uses the tanh approximation: F.gelu(x, approximate='tanh') (HF's 'gelu_new'), not the exact erf GELU"


def make_mlp(impl, seed: int):
    hf = hf_mlp(SHAPE, seed)
    ours = impl.MLP(impl.GPTConfig(**SHAPE)).double().eval()
    return load_into(ours, hf, what="MLP"), hf


@pytest.mark.scaffold  # the template provides these parameters: 0 points
def test_parameter_layout(impl):
    """Clause: c_fc = nn.Linear(C, 4C) and c_proj = nn.Linear(4C, C), both with bias.
    Catches: a hidden width other than 4C, missing biases, other names."""
    mlp = impl.MLP(impl.GPTConfig(**SHAPE))
    params = {k: tuple(v.shape) for k, v in mlp.named_parameters()}
    expected = {"c_fc.weight": (128, 32), "c_fc.bias": (128,), "c_proj.weight": (32, 128), "c_proj.bias": (32,)}
    assert params == expected, f"parameters {params} != contract {expected}"


def test_shape(impl):
    """Clause: forward maps [B,T,C] to [B,T,C] and keeps the dtype.
    Catches: returning the 4C hidden activations, dropping c_proj."""
    mlp = impl.MLP(impl.GPTConfig(**SHAPE))
    y = mlp(torch.randn(2, 5, 32))
    assert tuple(y.shape) == (2, 5, 32) and y.dtype == torch.float32, f"got {tuple(y.shape)} {y.dtype}"


def test_parity_with_hf(impl):
    """Clause: output equals HF's GPT2MLP (gelu_new) on the same weights, for ordinary activations (fp64).
    Catches: ReLU, a missing activation, c_fc/c_proj swapped."""
    ours, hf = make_mlp(impl, seed=1)
    x = torch.randn(2, 7, 32, generator=torch.Generator().manual_seed(seeded(2)), dtype=torch.float64)
    with torch.no_grad():
        assert_close(ours(x), hf(x), atol=1e-12, what="MLP output", dims=("B", "T", "C"), hint=GELU_HINT)


def test_gelu_is_tanh_approximation(impl):
    """Clause: the activation is GELU's tanh approximation, checked where it differs from exact GELU.
    Catches: F.gelu(x) / nn.GELU() (exact erf), which differ by up to ~5e-4 for |x| in 1..3 and break
    parity with the real GPT-2 weights, and sigmoid-GELU (x * sigmoid(1.702 x))."""
    ours, hf = make_mlp(impl, seed=3)
    # Pre-activations of size ~2 sit where the GELU variants disagree most.
    x = 60.0 * torch.randn(2, 7, 32, generator=torch.Generator().manual_seed(seeded(4)), dtype=torch.float64)
    with torch.no_grad():
        assert_close(
            ours(x), hf(x), atol=1e-9, what="MLP output on large activations", dims=("B", "T", "C"), hint=GELU_HINT
        )
