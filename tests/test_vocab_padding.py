"""The reference's optional vocab padding (GPTConfig.vocab_pad_multiple): the contract defaults are
untouched, padded logits never leak, and parity with HF's GPT2LMHeadModel still holds."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from reference import GPT, GPTConfig
from spec.assertions import assert_close
from spec.oracles import CONV1D_WEIGHTS, TINY, hf_lm

PADDED = GPTConfig(**TINY, vocab_pad_multiple=64)  # 96 tokens -> 128 rows


def test_defaults_unchanged():
    assert GPTConfig().vocab_pad_multiple == 1 and GPTConfig().padded_vocab_size == 50257
    assert GPTConfig(vocab_pad_multiple=64).padded_vocab_size == 50304  # nanoGPT's padded size
    assert sum(p.numel() for p in GPT(GPTConfig()).parameters()) == 124_439_808
    with pytest.raises(ValueError):
        GPTConfig(vocab_pad_multiple=0)


def test_padded_rows_start_at_zero_and_stay_tied():
    model = GPT(PADDED)
    assert tuple(model.transformer.wte.weight.shape) == (128, TINY["n_embd"])
    assert model.lm_head.weight is model.transformer.wte.weight
    assert model.transformer.wte.weight[TINY["vocab_size"] :].abs().max() == 0


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["fp32", "fp64"])
def test_parity_with_hf(dtype):
    """Logits (B, T, vocab_size — never the padded width), loss and every gradient equal HF's, as in
    spec/test_gpt.py::test_parity_with_hf and with its tolerances; padded rows get zero gradient."""
    atol, grad_atol = (1e-4, 1e-5) if dtype == torch.float32 else (1e-10, 1e-12)
    hf = hf_lm(TINY, seed=1234, dtype=dtype)
    ours = GPT.from_hf_state_dict(hf.state_dict(), PADDED).to(dtype).eval()
    g = torch.Generator().manual_seed(0)
    idx, targets = (torch.randint(0, TINY["vocab_size"], (2, 16), generator=g) for _ in range(2))
    logits, loss = ours(idx, targets)
    expected = hf(idx).logits
    expected_loss = F.cross_entropy(expected.flatten(0, 1), targets.flatten())
    assert_close(logits, expected, atol=atol, what="padded model's logits", dims=("B", "T", "V"))
    assert_close(loss, expected_loss, atol=atol, what="padded model's loss")
    loss.backward()
    expected_loss.backward()
    hf_grads = {n: p.grad for n, p in hf.named_parameters()}
    V = TINY["vocab_size"]
    for name, p in ours.named_parameters():
        want = hf_grads[name].t() if name.endswith(CONV1D_WEIGHTS) else hf_grads[name]
        got = p.grad[:V] if name == "transformer.wte.weight" else p.grad
        assert_close(got, want, atol=grad_atol, rtol=1e-3, what=f"dloss/d{name}")
    assert ours.transformer.wte.weight.grad[V:].abs().max() == 0, "padded rows received a gradient"


def test_padded_logits_never_leak():
    """Even if the padded rows held huge values, they are never scored or sampled."""
    model = GPT(PADDED).eval()
    with torch.no_grad():
        model.transformer.wte.weight[TINY["vocab_size"] :] = 100.0
    idx = torch.randint(0, TINY["vocab_size"], (2, 5), generator=torch.Generator().manual_seed(1))
    logits, _ = model(idx)
    assert logits.shape[-1] == TINY["vocab_size"]
    out = model.generate(idx, max_new_tokens=40, temperature=1.0, generator=torch.Generator().manual_seed(2))
    assert int(out.max()) < TINY["vocab_size"]
