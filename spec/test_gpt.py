"""Week 3: the assembled GPT — embeddings, blocks, ln_f, tied lm_head; forward, loss, init,
loading HF state dicts. Graded against a seeded random HF ``GPT2LMHeadModel``.

Tolerances (measured on the reference and on tests/impls, CPU, torch 2.13; see docs/TOLERANCES.md):
fp64 errors are <= 1e-14; at 124M fp32 the worst logits error is 3.5e-6 and gradients use 1/32 of their
bound, over 3 seeds x 3 implementations. The bounds below leave a >= 28x margin over the worst measured error
(>= 100x at the tiny shape) and the weakest listed bug is still 47x above them (fp32, tiny).
"""

from __future__ import annotations

import functools
import math

import pytest
import torch
import torch.nn.functional as F

from . import diagnose
from .assertions import assert_close, assert_equal
from .hints import loaded_weights_report, needs
from .oracles import GPT2_SMALL, TINY, contract_grads, hf_lm, load_into
from .strategies import seeded

pytestmark = pytest.mark.week3

TOLERANCE = {  # dtype -> (logits/loss atol, gradient atol, gradient rtol)
    torch.float32: (1e-4, 1e-5, 1e-3),
    torch.float64: (1e-10, 1e-12, 1e-9),
}
SHAPES = {"tiny": TINY, "124M": GPT2_SMALL}
BTV = ("B", "T", "V")
HINT = (
    "if the attention/LayerNorm/MLP/Block tests pass, look at the assembly: positions are "
    "wpe(arange(T)) added to wte(idx); ln_f comes after the last block; lm_head is tied to wte."
)


@functools.lru_cache(maxsize=2)
def hf_reference(shape_name: str) -> torch.nn.Module:
    """Seeded random GPT2LMHeadModel, built once per shape (callers never keep its grads)."""
    return hf_lm(SHAPES[shape_name], seed=1234)


def make_gpt(impl, shape_name: str, dtype: torch.dtype):
    hf = hf_reference(shape_name).to(dtype)
    ours = impl.GPT(impl.GPTConfig(**SHAPES[shape_name])).to(dtype).eval()
    return load_into(ours, hf, what="GPT"), hf


def batch(vocab_size: int, B: int = 2, T: int = 16, seed: int = 0):
    """Random (idx, targets), with the edge ids 0 and V-1 always among both: with the run's secret seed a
    random draw left token 0 out of the targets ~70% of the time, so a loss with ignore_index=0 passed or
    failed by luck."""
    g = torch.Generator().manual_seed(seeded(seed))
    idx, targets = torch.randint(0, vocab_size, (B, T), generator=g), torch.randint(0, vocab_size, (B, T), generator=g)
    for t in (idx, targets):
        t.view(-1)[[0, -1]] = torch.tensor([0, vocab_size - 1])
    return idx, targets


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["fp32", "fp64"])
@pytest.mark.parametrize("shape_name", ["tiny", pytest.param("124M", marks=pytest.mark.slow)])
@needs("block")
def test_parity_with_hf(impl, shape_name, dtype):
    """Clause: logits, loss and the gradient of every parameter equal HF's GPT2LMHeadModel holding the same
    weights, for a tiny config and the real 124M shape, in fp32 and fp64. The loss is the mean cross-entropy
    of logits against targets, which are already the next tokens (HF's labels are shifted; ours are not).
    Catches: a missing position embedding, ln_f skipped, loss summed instead of averaged, ignore_index=0 in
    the loss (token 0 is always among the targets), targets shifted again, an untied head (its gradient
    differs), and every component bug that reaches the output."""
    logit_atol, grad_atol, grad_rtol = TOLERANCE[dtype]
    ours, hf = make_gpt(impl, shape_name, dtype)
    idx, targets = batch(SHAPES[shape_name]["vocab_size"])
    try:
        logits, loss = ours(idx, targets)
        expected_logits = hf(idx).logits
        expected_loss = F.cross_entropy(expected_logits.flatten(0, 1), targets.flatten())
        assert_close(logits, expected_logits, atol=logit_atol, what="logits", dims=BTV, hint=HINT)
        assert_close(
            loss,
            expected_loss,
            atol=logit_atol,
            what="loss",
            hint="loss = F.cross_entropy(logits.view(-1, V), targets.view(-1)): mean, unshifted",
        )
        loss.backward()
        expected_loss.backward()
        expected = contract_grads(hf)
        for name, p in ours.named_parameters():
            assert p.grad is not None, f"{name} received no gradient"
            want = expected[name]
            assert_close(
                p.grad,
                want,
                atol=grad_atol,
                rtol=grad_rtol,
                what=f"dloss/d{name}",
                hint="wte's gradient must include lm_head's: tie them (same Parameter)",
            )
    except AssertionError as exc:  # say which component diverges first, and which known bug it looks like
        raise AssertionError(f"{exc}\n{diagnose.explain(ours, hf, idx, targets)}") from None
    finally:
        hf.zero_grad(set_to_none=True)
        hf.float()


@pytest.mark.slow  # builds the 124M model
def test_parameter_count_124M(impl):
    """Clause: GPT(GPTConfig()) has 124,439,808 parameters (tied head counted once, wpe included).
    Catches: an untied lm_head (+38.6M), a biased lm_head (+50,257), a vocab padded to 50,304 by default
    (+36,096), missing ln_f (-1,536)."""
    n = sum(p.numel() for p in impl.GPT(impl.GPTConfig()).parameters())
    known = {  # difference -> the usual cause
        38_597_376: "an untied lm_head (a second 50,257 x 768 matrix)",
        50_257: "a bias on lm_head",
        36_096: "a vocabulary padded to 50,304 (47 extra rows of 768 in the tied wte/lm_head): GPTConfig() must "
        "keep GPT-2's 50,257",
        38_669_568: "a vocabulary padded to 50,304 and an untied lm_head",
        -1_536: "no ln_f",
    }
    assert n == 124_439_808, f"{n:,} parameters, expected 124,439,808 (difference {n - 124_439_808:+,}): " + known.get(
        n - 124_439_808, "; ".join(f"{d:+,} would be {why}" for d, why in known.items())
    )


def test_weight_tying_shares_storage(impl):
    """Clause: lm_head.weight is the very same tensor as transformer.wte.weight, and lm_head has no bias.
    Catches: copying wte into lm_head once (they drift apart in training), a bias on lm_head."""
    model = impl.GPT(impl.GPTConfig(**TINY))
    wte, head = model.transformer.wte.weight, model.lm_head.weight
    assert head.data_ptr() == wte.data_ptr(), "lm_head.weight must *be* wte.weight: self.lm_head.weight = wte.weight"
    assert getattr(model.lm_head, "bias", None) is None, "lm_head must have no bias"
    with torch.no_grad():
        wte[0, 0] += 1.0
    assert_equal(
        head[0, 0],
        wte[0, 0],
        what="lm_head.weight[0, 0] after wte.weight[0, 0] += 1",
        hint=("changing wte did not change lm_head: they are copies, not tied"),
    )


def test_init_statistics(impl):
    """Clause: GPT-2 init: every Linear/Embedding weight ~ N(0, 0.02); the residual projections
    (attn.c_proj, mlp.c_proj) ~ N(0, 0.02/sqrt(2*n_layer)); Linear biases zero; LayerNorm weight 1, bias 0.
    Catches: PyTorch's default (Kaiming-uniform) init, the missing 1/sqrt(2*n_layer) scaling, std 0.01/1.0, the
    scaling by n_head instead of n_layer (so the two differ here), the depth taken from len(self.transformer),
    which is 4 (wte, wpe, h, ln_f; so n_layer is not 4 here: v34 author).
    Tolerance: 5% of the std, > 8 standard errors for the smallest tensor here (16k elements)."""
    shape = dict(block_size=64, vocab_size=512, n_layer=3, n_head=8, n_embd=256)
    torch.manual_seed(0)
    model = impl.GPT(impl.GPTConfig(**shape))
    scaled = 0.02 / math.sqrt(2 * shape["n_layer"])
    for name, p in model.named_parameters():
        p = p.detach()
        if name.endswith("c_proj.weight"):
            want = scaled
        elif name.endswith("weight") and p.dim() == 2:
            want = 0.02
        elif "ln" in name and name.endswith("weight"):
            assert_equal(p, torch.ones_like(p), what=f"{name} at init", hint="LayerNorm weights start at ones")
            continue
        else:
            assert_equal(p, torch.zeros_like(p), what=f"{name} at init", hint="biases start at zeros")
            continue
        std, mean = p.std().item(), p.mean().item()
        assert abs(std - want) <= 0.05 * want, f"{name}: std {std:.5f}, expected {want:.5f}" + (
            " (= 0.02/sqrt(2*n_layer): residual projections are scaled)" if want == scaled else ""
        )
        assert abs(mean) <= 0.1 * want, f"{name}: mean {mean:.2e}, expected ~0"


def test_every_token_has_an_embedding_at_init(impl):
    """Clause: at init every token of the vocabulary, the last one included, has its own N(0, 0.02) row in wte
    (and so in the tied lm_head): no real token's row starts at zero.
    Catches: the vocabulary-padding rows zeroed from vocab_size - 1 instead of vocab_size (v27 author): the last
    real token's embedding and output row start at zero, which test_init_statistics cannot see (one row of 512
    moves the std by 0.1%). A row of 256 draws of N(0, 0.02) is all zero with probability 0."""
    shape = dict(block_size=64, vocab_size=512, n_layer=2, n_head=4, n_embd=256)
    torch.manual_seed(0)
    model = impl.GPT(impl.GPTConfig(**shape))
    wte = model.transformer.wte.weight.detach()[: shape["vocab_size"]]
    zero = (wte.abs().amax(dim=-1) == 0).nonzero().flatten().tolist()
    assert not zero, (
        f"after GPT(GPTConfig(vocab_size=512)), the wte rows of tokens {zero[:8]} are all zero: those tokens start "
        "with no embedding (and, tied, no output row). Only the padding rows past vocab_size (if you pad) may be "
        "zeroed: weight[config.vocab_size:], not weight[config.vocab_size - 1:]"
    )


@needs("block")
def test_loss_whichever_ids_the_targets_hold(impl):
    """Clause: the loss is the mean cross-entropy of the logits against the targets, whichever ids the targets
    hold: here none reaches the upper half of the vocabulary (test_parity_with_hf always holds 0 and V-1).
    Catches: a cross-entropy through ``F.one_hot(targets)`` without ``num_classes=V``, which sizes the one-hot
    rows by the largest target (v26 author): right whenever V-1 is among the targets, a shape error otherwise."""
    ours, hf = make_gpt(impl, "tiny", torch.float64)
    V = TINY["vocab_size"]
    idx, _ = batch(V, seed=3)
    targets = torch.randint(0, V // 2, idx.shape, generator=torch.Generator().manual_seed(seeded(4)))
    with torch.no_grad():
        _, loss = ours(idx, targets)
        expected = F.cross_entropy(hf(idx).logits.flatten(0, 1), targets.flatten())
    assert_close(
        loss,
        expected,
        atol=TOLERANCE[torch.float64][0],
        what=f"loss on targets below {V // 2} (vocab_size {V})",
        hint="the loss's classes are the vocabulary's V ids, not the largest target + 1: use "
        "F.cross_entropy(logits.view(-1, V), targets.view(-1)), or F.one_hot(targets, num_classes=V)",
    )


@pytest.mark.parametrize("B,T", [(1, 1), (3, 7), (2, 32)], ids=["single-token", "short", "full-block"])
def test_shapes_with_and_without_targets(impl, B, T):
    """Clause: forward(idx[B,T]) -> (logits[B,T,V], None); with targets -> (logits, scalar loss).
    Catches: returning only the last position's logits (during training, or at inference as nanoGPT does), a
    loss of shape [B], logits of [B*T, V]."""
    model = impl.GPT(impl.GPTConfig(**TINY))
    idx, targets = batch(TINY["vocab_size"], B, T)
    out = model(idx)
    assert isinstance(out, tuple) and len(out) == 2, f"forward must return (logits, loss), got {type(out).__name__}"
    logits, loss = out
    if T > 1 and tuple(logits.shape) == (B, 1, TINY["vocab_size"]):
        raise AssertionError(
            f"the contract asks for logits at every position when targets is None; yours returned T=1 for T={T} "
            "(nanoGPT returns only the last position at inference): return logits[B, T, V] and let generate take "
            "logits[:, -1, :] (CONTRACT.md [W3-forward])"
        )
    assert tuple(logits.shape) == (B, T, TINY["vocab_size"]), f"logits shape {tuple(logits.shape)} != (B, T, V)"
    assert loss is None, f"loss must be None without targets, got {loss!r}"
    logits, loss = model(idx, targets)
    assert tuple(logits.shape) == (B, T, TINY["vocab_size"]), f"logits shape {tuple(logits.shape)} with targets"
    assert isinstance(loss, torch.Tensor) and loss.dim() == 0, f"loss must be a scalar tensor, got {loss!r}"


def test_sequence_longer_than_block_size_raises(impl):
    """Clause: forward on T > block_size raises ValueError or AssertionError that names the problem.
    Catches: silently truncating, or an IndexError deep inside the position embedding."""
    model = impl.GPT(impl.GPTConfig(**TINY))
    idx = torch.zeros(1, TINY["block_size"] + 1, dtype=torch.long)
    with pytest.raises((ValueError, AssertionError)) as excinfo:
        model(idx)
    assert str(excinfo.value), "the error must say what is wrong (sequence length vs block_size)"


def hf_state_with_biases(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """An HF state dict whose Linear biases are not zero (GPT-2's init leaves them 0, so a loader that skipped
    them, e.g. every key containing "attn.bias", which drops c_attn.bias too, would load the right values by
    chance)."""
    g = torch.Generator().manual_seed(seeded(77))
    linear = ("c_attn.bias", "c_proj.bias", "c_fc.bias")
    return {k: v + 0.02 * torch.randn(v.shape, generator=g) if k.endswith(linear) else v for k, v in state.items()}


def test_from_hf_state_dict(impl):
    """Clause: GPT.from_hf_state_dict(state_dict, config) loads a GPT2LMHeadModel state dict: drops the
    attention mask buffers (attn.bias / attn.masked_bias, present in older checkpoints) and transposes
    the Conv1D weights (c_attn, c_proj, c_fc): every parameter then equals HF's (compared as parameters, not
    logits, so that a forward-pass bug does not fail this test too).
    Catches: not transposing (a shape error or, for the square attn.c_proj, a silently wrong weight, named in
    the message), choking on buffers, skipping c_attn.bias with the buffers (its biases are made nonzero)."""
    hf = hf_reference("tiny")
    state = hf_state_with_biases(dict(hf.state_dict()))
    T = TINY["block_size"]
    for i in range(TINY["n_layer"]):  # what checkpoints saved by transformers < 4.27 still carry
        state[f"transformer.h.{i}.attn.bias"] = torch.tril(torch.ones(T, T, dtype=torch.bool))[None, None]
        state[f"transformer.h.{i}.attn.masked_bias"] = torch.tensor(-1e4)
    model = impl.GPT.from_hf_state_dict(state, impl.GPTConfig(**TINY))
    assert_loaded(impl, model, state, "from_hf_state_dict")


def test_from_hf_state_dict_of_gpt2model(impl):
    """Clause: from_hf_state_dict also loads a bare GPT2Model state dict (keys ``wte.weight``, ``h.0....``,
    no ``transformer.`` prefix and no ``lm_head``): the head is the tied embedding.
    Catches: requiring the GPT2LMHeadModel prefix, leaving the head or layers at their random init."""
    hf = hf_reference("tiny")
    state = hf_state_with_biases(dict(hf.transformer.state_dict()))
    model = impl.GPT.from_hf_state_dict(state, impl.GPTConfig(**TINY))
    assert_loaded(impl, model, state, "from_hf_state_dict(GPT2Model state dict)")


def assert_loaded(impl, model: torch.nn.Module, state: dict[str, torch.Tensor], how: str) -> None:
    """Every parameter of the loaded model equals the state dict's, in the contract's layout (exact copies). The
    parameters, not the logits: a bug in the forward pass has its own tests and must not fail this one."""
    __tracebackhide__ = True
    assert impl.run(isinstance, model, torch.nn.Module), (
        f"{how} must return the model, got {impl.run(type, model).__name__}"
    )
    wrong = loaded_weights_report(model, state)
    shown = wrong[:6] + ([f"... and {len(wrong) - 6} more"] if len(wrong) > 6 else [])
    assert not wrong, (
        f"{how}: {len(wrong)} parameters differ from the state dict: " + "; ".join(shown) + "\nHint: HF's Conv1D "
        "weights (c_attn, c_proj, c_fc) are stored (in, out): transpose them; keys without 'transformer.' belong "
        "under transformer; lm_head is tied to wte"
    )
