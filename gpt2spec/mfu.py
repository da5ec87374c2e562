"""Model FLOPs utilisation (MFU): how much of the accelerator's peak a run turns into model arithmetic.

    MFU = (tokens per second x FLOPs per token) / peak FLOPs per second

FLOPs per token (the PaLM appendix B / nanoGPT convention, so numbers compare with theirs):

    training (forward + backward) = 6 N + 12 n_layer n_embd T
    forward only                  = 2 N +  4 n_layer n_embd T        (exactly 1/3 of training)

* ``6 N``: every weight takes part in one multiply-add per token forward (2 FLOPs) and two backward
  (input and weight gradients, 4 FLOPs). **N counts every parameter except the position table
  ``wpe``**: a lookup is not arithmetic. The token table ``wte`` *is* counted, once: it is tied to
  ``lm_head``, whose matmul costs 2 C V per token. Biases and LayerNorm weights are counted too (they
  are < 0.1% of N and keep N equal to ``parameters() - wpe``); padded vocabulary rows are not.
* ``12 n_layer n_embd T``: attention's two matmuls (q k^T and att v) cost 2 T C each per token and
  layer forward, times 3 with backward. Counted for the full T x T square, although the causal mask
  makes half of it unnecessary (flash attention skips it): that is the convention MFU figures use.
* Not counted: softmax, GELU, LayerNorm arithmetic, the loss, the optimizer (all O(N) or less).

The peak is bf16 dense tensor-core throughput (no sparsity), looked up by CUDA device name; set
``GPT2SPEC_PEAK_TFLOPS`` (or pass ``peak_flops``) to override it, e.g. for a CPU or an unlisted GPU.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # any config with the contract's fields will do; the reference's names them
    from reference.config import GPTConfig

# Published bf16 dense peaks (FLOP/s), first match wins: put specific names before general ones.
# torch.cuda.get_device_name() says e.g. "NVIDIA H100 80GB HBM3" (SXM), "NVIDIA H100 PCIe",
# "NVIDIA A100-SXM4-80GB".
PEAK_BF16_FLOPS: tuple[tuple[str, float], ...] = (
    ("H100 PCIe", 756e12),
    ("H100 NVL", 835e12),
    ("H100", 989e12),  # SXM5
    ("H200 NVL", 835e12),
    ("H200", 989e12),  # SXM; same tensor cores as H100 SXM, more and faster memory
    ("GH200", 989e12),
    ("B200", 2250e12),
    ("A100", 312e12),  # SXM4 and PCIe alike
    ("A10G", 70e12),
    ("A10", 125e12),
    ("L40S", 362e12),
    ("L4", 121e12),
)
PEAK_ENV = "GPT2SPEC_PEAK_TFLOPS"


def flop_params(config: GPTConfig) -> int:
    """N: the parameters that take part in matmuls per token — everything but ``wpe`` (see module doc).

    Per layer 12 C^2 weights (c_attn 3C^2, attn c_proj C^2, c_fc 4C^2, mlp c_proj 4C^2) and 13 C biases
    and LayerNorm parameters; then the tied wte/lm_head (V C) and ln_f (2 C).
    """
    C, L, V = config.n_embd, config.n_layer, config.vocab_size
    return L * (12 * C * C + 13 * C) + V * C + 2 * C


def flops_per_token(config: GPTConfig, T: int, *, training: bool = True) -> int:
    """FLOPs to process one token of a length-T sequence: 6N + 12 L C T training, a third of it forward."""
    train = 6 * flop_params(config) + 12 * config.n_layer * config.n_embd * T
    return train if training else train // 3


def peak_flops(device_name: str, peak_flops: float | None = None) -> float | None:
    """bf16 dense peak FLOP/s for a device name; the override (argument or $GPT2SPEC_PEAK_TFLOPS) wins.
    None when unknown (a CPU, say): MFU is then not reported rather than made up."""
    if peak_flops is not None:
        return peak_flops
    if os.environ.get(PEAK_ENV):
        return float(os.environ[PEAK_ENV]) * 1e12
    for key, flops in PEAK_BF16_FLOPS:
        if key.lower() in device_name.lower():
            return flops
    return None


def mfu(
    tokens_per_second: float,
    config: GPTConfig,
    T: int,
    device_name: str,
    *,
    training: bool = True,
    peak: float | None = None,
) -> float | None:
    """Achieved / peak FLOP/s (0..1), or None when the device's peak is unknown."""
    p = peak_flops(device_name, peak)
    if p is None:
        return None
    return tokens_per_second * flops_per_token(config, T, training=training) / p
