"""Weeks 1-2: causal self-attention (``CausalSelfAttention``), graded against HF's GPT2Attention.

Contract: ``c_attn`` = nn.Linear(C, 3C) producing [q | k | v] with heads contiguous,
``c_proj`` = nn.Linear(C, C), ``forward(x[B,T,C]) -> [B,T,C]``, causal, scaled by 1/sqrt(head_dim).
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given

from . import variants
from .assertions import assert_close, assert_finite
from .hints import attention_symptom
from .oracles import contract_grads, hf_attention, load_into, run_hf_attention
from .strategies import AttentionShape, attention_shapes, seeded, seeds

pytestmark = pytest.mark.week1

BTC = ("B", "T", "C")
PARITY_HINT = (
    "common causes: scores not scaled by 1/sqrt(head_dim) (or scaled by 1/sqrt(C)); heads split with the "
    "wrong reshape (view(B, T, n_head, hd) then transpose(1, 2) is HF's layout); q, k, v taken from c_attn's "
    "output in the wrong order; softmax over the wrong dim; missing causal mask; c_proj not applied."
)


def make_attention(impl, shape: AttentionShape, seed: int = 0, dtype=torch.float64):
    """The implementation's attention and HF's, holding the same random weights."""
    hf = hf_attention(shape.config(), seed, dtype)
    ours = impl.CausalSelfAttention(impl.GPTConfig(**shape.config())).to(dtype).eval()
    load_into(ours, hf, what="CausalSelfAttention")
    return ours, hf


def x_of(shape: AttentionShape, seed: int, dtype=torch.float64) -> torch.Tensor:
    g = torch.Generator().manual_seed(seeded(seed))
    return torch.randn(shape.B, shape.T, shape.C, generator=g, dtype=dtype)


@pytest.mark.parametrize(
    "B,T,n_head,head_dim",
    [(1, 1, 1, 8), (2, 7, 2, 4), (3, 16, 4, 16), (1, 5, 12, 64)],
    ids=["T1", "two-heads", "four-heads", "gpt2-width"],
)
def test_output_shape_and_dtype(impl, B, T, n_head, head_dim):
    """Clause: forward maps x[B,T,C] to [B,T,C] in x's dtype, for any B, T <= block_size, n_head | C.
    Catches: returning per-head tensors, forgetting to merge heads, dropping c_proj, hard-coded float32."""
    shape = AttentionShape(B, T, n_head, head_dim)
    attn = impl.CausalSelfAttention(impl.GPTConfig(**shape.config(block_size=32)))
    for dtype in (torch.float32, torch.float64):
        y = attn.to(dtype)(x_of(shape, 0, dtype))
        assert isinstance(y, torch.Tensor), f"forward must return a tensor, got {type(y).__name__}"
        assert tuple(y.shape) == (B, T, shape.C), (
            f"output shape {tuple(y.shape)} != (B, T, C) = {(B, T, shape.C)}; merge the heads back with "
            "y.transpose(1, 2).contiguous().view(B, T, C)"
        )
        assert y.dtype == dtype, f"output dtype {y.dtype} for {dtype} input: do not hard-code a dtype"


@pytest.mark.scaffold  # the template provides these parameters: 0 points
def test_parameter_layout(impl):
    """Clause: c_attn is nn.Linear(C, 3C) with bias and c_proj nn.Linear(C, C) with bias — HF's names.
    Catches: separate q/k/v projections, bias=False, or extra parameters that HF weights cannot fill."""
    shape = AttentionShape(1, 4, 4, 8)
    attn = impl.CausalSelfAttention(impl.GPTConfig(**shape.config()))
    params = {k: tuple(v.shape) for k, v in attn.named_parameters()}
    expected = {"c_attn.weight": (96, 32), "c_attn.bias": (96,), "c_proj.weight": (32, 32), "c_proj.bias": (32,)}
    assert params == expected, f"parameters {params} != contract {expected}"


@pytest.mark.parametrize(
    "B,T,n_head,head_dim",
    [(2, 9, 1, 16), (2, 9, 4, 8), (1, 24, 3, 5), (1, 6, 12, 64)],
    ids=["one-head", "four-heads", "odd-head-dim", "gpt2-width"],
)
def test_parity_with_hf(impl, B, T, n_head, head_dim):
    """Clause: output equals HF's GPT2Attention (eager, causal mask) holding the same weights, in fp64.
    Catches: wrong scale (1/sqrt(C) or none), wrong head split/merge, q/k/v order, softmax dim, missing
    mask. If 'one-head' passes and the multi-head cases fail, the head split or merge is the bug."""
    shape = AttentionShape(B, T, n_head, head_dim)
    ours, hf = make_attention(impl, shape, seed=1)
    x = x_of(shape, seed=2)
    with torch.no_grad():
        got, want = ours(x), run_hf_attention(hf, x)
        hint = PARITY_HINT  # unless a known bug reproduces the output: then name it (spec/hints.py)
        if isinstance(got, torch.Tensor) and not variants.same(got, want):
            hint = attention_symptom(got, hf, x, n_head, otherwise=PARITY_HINT)
        assert_close(got, want, atol=1e-10, what="attention output", dims=BTC, hint=hint)


def test_gradients_match_hf(impl):
    """Clause: backward through attention gives HF's gradients for x and every parameter (fp64).
    Catches: in-place ops that break autograd, detached intermediates, masks applied after softmax."""
    shape = AttentionShape(2, 8, 4, 8)
    ours, hf = make_attention(impl, shape, seed=3)
    x = x_of(shape, seed=4)
    x_ours, x_hf = x.clone().requires_grad_(), x.clone().requires_grad_()
    w = torch.randn(shape.B, shape.T, shape.C, generator=torch.Generator().manual_seed(seeded(5)), dtype=torch.float64)
    (ours(x_ours) * w).sum().backward()
    (run_hf_attention(hf, x_hf) * w).sum().backward()
    assert_close(x_ours.grad, x_hf.grad, atol=1e-10, what="dL/dx", dims=BTC)
    hf_grads = contract_grads(hf)
    for name, p in ours.named_parameters():
        assert p.grad is not None, f"{name} received no gradient: is it used in forward?"
        assert_close(p.grad, hf_grads[name], atol=1e-10, what=f"dL/d{name}")


def test_one_module_serves_every_length(impl):
    """Clause: one attention module answers any T <= block_size, call after call: each output equals HF's for its
    own T, whatever lengths came before.
    Catches: a causal mask built on the first call and kept on the module, never rebuilt for another length (v30
    author): every other test builds a fresh module per length, while a model's forward and generation (without a
    KV cache) call the same module at a new length every step."""
    ours, hf = make_attention(impl, AttentionShape(2, 16, 2, 8), seed=11)
    before: list[int] = []
    for T in (5, 9, 3, 5):
        x = x_of(AttentionShape(2, T, 2, 8), seed=12 + T)
        after = f"after calls at T={before}" if before else "the module's first call"
        hint = "build the causal mask for this call's T (or slice a block_size buffer to [:T, :T]); never keep one "
        hint += "made for the first call's length"
        with torch.no_grad():
            try:
                got = ours(x)
            except Exception as err:
                raise AssertionError(f"attention at T={T}, {after}, raised {err!r}\nHint: {hint}") from err
            assert_close(got, run_hf_attention(hf, x), atol=1e-10, what=f"attention output at T={T}, {after}",
                         dims=BTC, hint=hint)  # fmt: skip
        before.append(T)


@given(shape=attention_shapes, t=seeds, seed=seeds)
def test_causality(impl, shape, t, seed):
    """Clause: output at position <= t depends only on inputs at positions <= t (Hypothesis picks t, shapes).
    Catches: a missing or transposed causal mask, a mask built for the wrong length, is_causal=False."""
    t = t % shape.T
    attn, _ = make_attention(impl, shape, seed=seed % 1000)
    x = x_of(shape, seed)
    perturbed = x.clone()
    perturbed[:, t + 1 :] += 3.0 * torch.randn_like(perturbed[:, t + 1 :])
    with torch.no_grad():
        y, y_perturbed = attn(x), attn(perturbed)
    assert_close(
        y_perturbed[:, : t + 1],
        y[:, : t + 1],
        atol=1e-12,
        what=f"output at positions <= {t} after changing positions > {t}",
        dims=BTC,
        hint="position t attends to a later position: mask scores above the diagonal with -inf before softmax",
    )


@pytest.mark.parametrize("T", [1, 64], ids=["T=1", "T=block_size"])
def test_finite_at_extremes(impl, T):
    """Clause: no NaN/inf for a single token or a full block, even with large activations (fp32).
    Catches: masking with -inf *after* softmax, a mask of zeros times -inf (NaN), softmax without
    max-subtraction overflowing, a mask buffer shorter than block_size."""
    shape = AttentionShape(2, T, 4, 16)
    attn = impl.CausalSelfAttention(impl.GPTConfig(**shape.config(block_size=64))).eval()
    with torch.no_grad():
        for p in attn.parameters():
            p.mul_(25.0)  # large scores: exp() overflows unless softmax subtracts the max
        y = attn(30.0 * x_of(shape, 6, torch.float32))
    hint = ""  # the symptom names the bug: NaN at position 0 and only there is a mask that hides the diagonal
    bad = ~torch.isfinite(y)
    if bad.any() and bool(bad[:, 0].all()) and not bool(bad[:, 1:].any()):
        hint = (
            "every output at position 0, and only there, is NaN: position 0 has no key it may attend to, so the "
            "causal mask hides the diagonal (tril(..., diagonal=-1) or triu(0)): a position must attend to itself"
        )
    assert_finite(y, what=f"attention output at T={T}", dims=BTC, hint=hint)


def test_masked_positions_get_no_weight_however_low_the_scores(impl):
    """Clause: a future position gets zero weight whatever the scores of the positions a query may see: the mask is
    -inf (GPT-2's TF code subtracts 1e10, which also holds here), not a moderate negative number.
    Catches: scores filled with -1e4 (old Hugging Face's masked_bias) or -1e5 where a position is masked; when
    every score a query may see is lower still, the softmax puts its weight on the future (test_causality's
    random scores never are)."""
    shape = AttentionShape(1, 4, 1, 8)
    ours, hf = make_attention(impl, shape, seed=3)
    x = x_of(shape, 3)
    C = shape.C
    with torch.no_grad():  # keys = -queries, so that q.k = -|q|^2 on the diagonal: position 0 sees only that
        w, b = hf.c_attn.weight, hf.c_attn.bias  # Conv1D: columns [q | k | v]
        q = x @ w[:, :C] + b[:C]
        scale = (1e6 * shape.head_dim**0.5 / q.pow(2).sum(-1).min()).sqrt()  # every diagonal score <= -1e6
        w[:, :C] *= scale
        b[:C] *= scale
        w[:, C : 2 * C] = -w[:, :C]
        b[C : 2 * C] = -b[:C]
        load_into(ours, hf, what="CausalSelfAttention")
        assert_close(
            ours(x), run_hf_attention(hf, x), atol=1e-8, what="attention output, every visible score <= -1e6",
            dims=BTC, hint="a masked score must be -inf (masked_fill(mask, float('-inf'))), not a finite number "
            "such as -1e4: a query whose visible scores are all lower attends to the future",
        )  # fmt: skip


def test_input_not_mutated(impl):
    """Clause: forward does not modify its input x, and its output is that of an untouched copy of x.
    Catches: in-place ops on x (x += ..., x.mul_()), which corrupt the residual stream in a Block;
    and a NaN output, which would make "the same output" hold vacuously."""
    shape = AttentionShape(2, 6, 2, 8)
    attn, _ = make_attention(impl, shape)
    x = x_of(shape, 7)
    before = x.clone()
    with torch.no_grad():
        y = attn(x)
        assert_close(x, before, atol=0.0, what="input x after forward", dims=BTC, hint="do not modify x in place")
        assert_close(y, attn(before.clone()), atol=0.0, what="output on x vs on a copy of x", dims=BTC)


def test_batch_elements_independent(impl):
    """Clause: each batch element is attended independently.
    Catches: a reshape that mixes batch and time (view(B*T, ...) in the wrong order) or heads across batch."""
    shape = AttentionShape(3, 5, 2, 8)
    attn, _ = make_attention(impl, shape, seed=8)
    x = x_of(shape, 9)
    other = x.clone()
    other[1:] = torch.randn_like(other[1:])
    with torch.no_grad():
        assert_close(
            attn(other)[0],
            attn(x)[0],
            atol=1e-12,
            what="batch element 0 when elements 1.. change",
            dims=("T", "C"),
            hint="batch elements leak into each other: check reshape/transpose order",
        )
