"""The MFU formula (gpt2spec/mfu.py) against a hand count and against torch's FLOP counter."""

from __future__ import annotations

import pytest
import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from gpt2spec.mfu import PEAK_ENV, flop_params, flops_per_token, mfu, peak_flops
from reference import GPT, GPTConfig

TINY = GPTConfig(block_size=32, vocab_size=96, n_layer=2, n_head=4, n_embd=64)


def matmul_flops_per_token(config: GPTConfig, T: int) -> int:
    """Hand count of one token's forward matmuls: 2 FLOPs per multiply-add, listed weight by weight."""
    C, V = config.n_embd, config.vocab_size
    per_layer = [
        2 * C * 3 * C,  # c_attn
        2 * T * C,  # q k^T: T keys, C = n_head * head_dim products each
        2 * T * C,  # att v
        2 * C * C,  # attn.c_proj
        2 * C * 4 * C,  # mlp.c_fc
        2 * 4 * C * C,  # mlp.c_proj
    ]
    return config.n_layer * sum(per_layer) + 2 * C * V  # + the tied lm_head


def bias_and_norm_params(config: GPTConfig) -> int:
    C = config.n_embd
    return config.n_layer * (3 * C + C + 4 * C + C + 2 * 2 * C) + 2 * C  # biases, ln_1, ln_2; ln_f


def test_n_is_every_parameter_but_wpe():
    model = GPT(TINY)
    assert flop_params(TINY) == sum(p.numel() for p in model.parameters()) - model.transformer.wpe.weight.numel()
    assert flop_params(GPTConfig()) == 124_439_808 - 1024 * 768  # the contract's 124M count minus wpe


@pytest.mark.parametrize("T", [1, 16, 1024])
@pytest.mark.parametrize("config", [TINY, GPTConfig()], ids=["tiny", "124M"])
def test_formula_equals_hand_count(config, T):
    """6N + 12 L C T == 3 x (forward matmuls) + 6 x (biases and LayerNorm parameters, which N includes)."""
    hand = 3 * matmul_flops_per_token(config, T) + 6 * bias_and_norm_params(config)
    assert flops_per_token(config, T) == hand
    assert flops_per_token(config, T, training=False) * 3 == flops_per_token(config, T)


def test_124M_figure():
    """GPT-2 small at T=1024: 6 x 123,653,376 + 12 x 12 x 768 x 1024 = 855,166,464 FLOPs per token."""
    assert flops_per_token(GPTConfig(), 1024) == 855_166_464


def test_matches_torch_flop_counter():
    """torch's FlopCounterMode over a real forward + backward (math attention, so its matmuls are counted)
    counts exactly the formula minus the bias/LayerNorm term (it counts matmuls only)."""
    B, T = 2, 16
    model = GPT(TINY)
    idx = torch.randint(0, TINY.vocab_size, (B, T), generator=torch.Generator().manual_seed(0))
    with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
        _, loss = model(idx, idx)
        loss.backward()
    counted = counter.get_total_flops()
    assert counted == B * T * (flops_per_token(TINY, T) - 6 * bias_and_norm_params(TINY))


def test_padding_does_not_count():
    """Padded vocabulary rows are no model arithmetic: MFU is computed for the real vocabulary."""
    assert flop_params(GPTConfig(vocab_pad_multiple=64)) == flop_params(GPTConfig())


def test_peak_table_and_override(monkeypatch):
    monkeypatch.delenv(PEAK_ENV, raising=False)
    assert peak_flops("NVIDIA H100 80GB HBM3") == 989e12
    assert peak_flops("NVIDIA H100 PCIe") == 756e12
    assert peak_flops("NVIDIA H200") == 989e12
    assert peak_flops("NVIDIA A100-SXM4-80GB") == 312e12
    assert peak_flops("NVIDIA L40S") == 362e12 and peak_flops("NVIDIA L4") == 121e12
    assert peak_flops("cpu") is None and mfu(1e6, GPTConfig(), 1024, "cpu") is None
    assert peak_flops("cpu", peak_flops=1e12) == 1e12
    monkeypatch.setenv(PEAK_ENV, "100")
    assert peak_flops("NVIDIA H100 80GB HBM3") == 100e12
    # 124M at T=1024: 400k tokens/s on a 989 TFLOP/s H100 is 34.6% MFU
    monkeypatch.delenv(PEAK_ENV)
    assert mfu(400_000, GPTConfig(), 1024, "NVIDIA H100 80GB HBM3") == pytest.approx(0.3459, abs=1e-4)
