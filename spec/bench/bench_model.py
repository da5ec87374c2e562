"""Model throughput: forward, training step and generation tokens/s for each selected implementation,
with the reference and Hugging Face's GPT2LMHeadModel timed in the same rounds as baselines.

    pytest spec/bench --bench [--impl=NAME,...]       # JSON in .benchmarks/gpt2spec-bench.json

Method: pytest-benchmark's pedantic mode, one call per round, after warmup rounds. The baselines are
timed in the *setup* of each round (untimed for the implementation), so the implementation and its
baselines alternate round by round and share any drift in machine load. Every timed call ends with
torch.cuda.synchronize() on CUDA. tokens/s and ratio_vs_* use the median round, *_best the fastest
(more telling on a busy machine, where the median mostly measures the other processes).

CPU: a small model (below) so that the whole run takes well under a minute on a 2-core box.
CUDA: GPT-2 124M, T=1024, bf16 autocast, TF32, fused AdamW; skipped cleanly without CUDA.
Set GPT2SPEC_BENCH_COMPILE=1 to torch.compile every model (implementation and baselines alike).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from transformers import GPT2LMHeadModel

import reference
from gpt2spec.mfu import flops_per_token, peak_flops
from gpt2spec.speed import adamw, autocast, enable_tf32, maybe_compile

from ..oracles import GPT2_SMALL, hf_config
from . import QUICK


@dataclass(frozen=True)
class Setup:
    shape: dict  # GPTConfig keywords
    B: int  # forward / training batch
    T: int
    gen_B: int  # generation: batch, prompt length, new tokens
    prompt: int
    new_tokens: int
    warmup: int  # rounds before timing starts (allocator, autotuning, torch.compile)
    rounds: int
    gen_warmup: int
    gen_rounds: int


SETUPS = {
    # Small enough for a 2-core CPU, big enough that matmuls (not Python overhead) dominate forward and
    # training. block_size 512 so that prompt + 256 new tokens fit: the KV cache is used all the way.
    "cpu": Setup(
        shape=dict(block_size=512, vocab_size=8192, n_layer=4, n_head=4, n_embd=128),
        B=4,
        T=128,
        gen_B=1,
        prompt=16,
        new_tokens=256,
        warmup=1,
        rounds=5,
        gen_warmup=0,  # no compilation on CPU; one 256-token run is already ~100 steps of warm code
        gen_rounds=2,
    ),
    "cuda": Setup(
        shape=GPT2_SMALL,
        B=8,
        T=1024,
        gen_B=8,
        prompt=64,
        new_tokens=256,
        warmup=3,
        rounds=10,
        gen_warmup=1,
        gen_rounds=3,
    ),
}
if QUICK:  # smoke run (see spec/bench/__init__.py): the whole command in seconds, numbers meaningless
    SETUPS["cpu"] = Setup(
        shape=dict(block_size=64, vocab_size=512, n_layer=2, n_head=2, n_embd=64),
        B=2,
        T=32,
        gen_B=1,
        prompt=8,
        new_tokens=16,
        warmup=0,
        rounds=1,
        gen_warmup=0,
        gen_rounds=1,
    )
COMPILE = os.environ.get("GPT2SPEC_BENCH_COMPILE", "") not in ("", "0")

DEVICES = [
    pytest.param("cpu", id="cpu"),
    pytest.param(
        "cuda",
        id="cuda",
        marks=[pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")],
    ),
]


# ---------------------------------------------------------------- subjects: what is timed


@dataclass
class Subject:
    name: str
    model: nn.Module
    is_hf: bool  # HF's calling convention (outputs .logits, its own generate)

    def logits_and_loss(self, idx: torch.Tensor, targets: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.is_hf:
            return self.model(idx, targets)
        logits = self.model(idx, use_cache=False).logits
        loss = None if targets is None else F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        return logits, loss


def hf_subject(name: str, attn: str, setup: Setup, device: str) -> Subject:
    config = hf_config(**setup.shape)
    config._attn_implementation = attn
    torch.manual_seed(0)
    return Subject(name, GPT2LMHeadModel(config).to(device), is_hf=True)


def contract_subject(name: str, GPT: type, GPTConfig: type, setup: Setup, device: str) -> Subject:
    torch.manual_seed(0)
    return Subject(name, GPT(GPTConfig(**setup.shape)).to(device), is_hf=False)


def baselines(impl, setup: Setup, device: str, workload: str) -> list[Subject]:
    """The reference (unless the implementation *is* the reference) and HF eager / sdpa; for generation
    also the reference without its KV cache (recomputing the context every step)."""
    out = [hf_subject("hf_eager", "eager", setup, device), hf_subject("hf_sdpa", "sdpa", setup, device)]
    if impl.GPT is not reference.GPT:
        out.insert(0, contract_subject("reference", reference.GPT, reference.GPTConfig, setup, device))
    if workload == "generate":
        out.append(contract_subject("reference_recompute", reference.GPT, reference.GPTConfig, setup, device))
    return out


# ---------------------------------------------------------------- workloads: one round each


def synchronized(fn: Callable[[], object], device: str) -> Callable[[], None]:
    def run() -> None:
        fn()
        if device == "cuda":
            torch.cuda.synchronize()  # CUDA calls return before the GPU is done

    return run


def batch(setup: Setup, B: int, T: int, device: str, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, setup.shape["vocab_size"], (B, T), generator=g).to(device)


def forward_round(s: Subject, setup: Setup, device: str) -> Callable[[], None]:
    idx = batch(setup, setup.B, setup.T, device)
    model = maybe_compile(s.model.eval(), COMPILE)
    compiled = Subject(s.name, model, s.is_hf)

    @torch.no_grad()
    def run() -> None:
        with autocast(device):
            compiled.logits_and_loss(idx, None)

    return synchronized(run, device)


def train_round(s: Subject, setup: Setup, device: str) -> Callable[[], None]:
    idx, targets = batch(setup, setup.B, setup.T, device, 1), batch(setup, setup.B, setup.T, device, 2)
    opt = adamw(s.model, lr=6e-4, device_type=device)  # on the uncompiled module: same parameters
    compiled = Subject(s.name, maybe_compile(s.model.train(), COMPILE), s.is_hf)

    def run() -> None:
        with autocast(device):
            _, loss = compiled.logits_and_loss(idx, targets)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    return synchronized(run, device)


def generate_round(s: Subject, setup: Setup, device: str) -> Callable[[], None]:
    """Greedy decoding of exactly new_tokens tokens (HF: min_new_tokens, so end-of-text cannot stop it)."""
    idx = batch(setup, setup.gen_B, setup.prompt, device, 3)
    model = s.model.eval()

    def run() -> None:
        with autocast(device):
            if s.is_hf:
                model.generate(
                    idx,
                    attention_mask=torch.ones_like(idx),
                    max_new_tokens=setup.new_tokens,
                    min_new_tokens=setup.new_tokens,
                    do_sample=False,
                    use_cache=True,
                    pad_token_id=0,
                )
            elif s.name == "reference_recompute":
                model.generate(idx, setup.new_tokens, temperature=0.0, use_kv_cache=False)
            else:
                model.generate(idx, setup.new_tokens, temperature=0.0)

    return synchronized(run, device)


WORKLOADS = {"forward": forward_round, "train_step": train_round, "generate": generate_round}


class RoundTimer:
    """Times one round of a baseline per call; the first ``warmup`` calls are not kept."""

    def __init__(self, run: Callable[[], None], warmup: int) -> None:
        self.run, self.warmup, self.times = run, warmup, []

    def __call__(self) -> None:
        t0 = time.perf_counter()
        self.run()
        elapsed = time.perf_counter() - t0
        if self.warmup > 0:
            self.warmup -= 1
        else:
            self.times.append(elapsed)


# ---------------------------------------------------------------- the benchmarks


def tokens_per_round(setup: Setup, workload: str) -> int:
    return setup.gen_B * setup.new_tokens if workload == "generate" else setup.B * setup.T


def flops_per_round_token(setup: Setup, workload: str) -> int:
    """Model FLOPs per token as gpt2spec/mfu.py counts them; a generated token (KV cache) attends to the
    context so far, prompt + new_tokens / 2 on average."""
    config = reference.GPTConfig(**setup.shape)
    if workload == "generate":
        return flops_per_token(config, setup.prompt + setup.new_tokens // 2, training=False)
    return flops_per_token(config, setup.T, training=workload == "train_step")


def device_name(device: str) -> str:
    return torch.cuda.get_device_name() if device == "cuda" else "cpu"


@pytest.mark.parametrize("workload", list(WORKLOADS))
@pytest.mark.parametrize("device", DEVICES)
def test_throughput(impl, benchmark, bench_rows, device, workload):
    """Tokens/s of the implementation for one workload, with ratios against baselines timed alongside."""
    setup = SETUPS[device]
    if device == "cuda":
        enable_tf32()
    benchmark.group = f"{workload}-{device}"
    target = WORKLOADS[workload](contract_subject(impl.name, impl.GPT, impl.GPTConfig, setup, device), setup, device)
    warmup, rounds = (setup.gen_warmup, setup.gen_rounds) if workload == "generate" else (setup.warmup, setup.rounds)
    timers = [
        (s.name, RoundTimer(WORKLOADS[workload](s, setup, device), warmup))
        for s in baselines(impl, setup, device, workload)
    ]

    order = [timer for _, timer in timers]

    def run_baselines() -> None:  # pedantic's setup: untimed for the implementation, runs before each round
        for timer in order:
            timer()
        order.reverse()  # B1 B2 I B2 B1 I ...: no baseline always sits next to the implementation

    benchmark.pedantic(target, setup=run_baselines, rounds=rounds, warmup_rounds=warmup, iterations=1)
    if benchmark.disabled:  # --benchmark-disable (or xdist): the target ran once, untimed
        return

    tokens = tokens_per_round(setup, workload)
    tps = tokens / benchmark.stats.stats.median
    best_tps = tokens / benchmark.stats.stats.min
    name = device_name(device)
    peak = peak_flops(name)
    info = {
        "workload": workload,
        "impl": impl.name,
        "device": name,
        "device_type": device,
        "config": {**asdict(setup), "dtype": "bf16-autocast" if device == "cuda" else "fp32", "compile": COMPILE},
        "threads": torch.get_num_threads(),
        "tokens_per_round": tokens,
        "tokens_per_s": tps,
        "tokens_per_s_best": best_tps,
        "flops_per_token": flops_per_round_token(setup, workload),
        "mfu": None if peak is None else tps * flops_per_round_token(setup, workload) / peak,
        "peak_flops": peak,
        "baseline_tokens_per_s": {},
        "baseline_tokens_per_s_best": {},
    }
    if impl.GPT is reference.GPT:
        info["ratio_vs_reference"] = info["best_ratio_vs_reference"] = 1.0
    for baseline, timer in timers:
        baseline_tps, baseline_best = tokens / statistics.median(timer.times), tokens / min(timer.times)
        info["baseline_tokens_per_s"][baseline] = baseline_tps
        info["baseline_tokens_per_s_best"][baseline] = baseline_best
        info[f"ratio_vs_{baseline}"] = tps / baseline_tps
        info[f"best_ratio_vs_{baseline}"] = best_tps / baseline_best
    benchmark.extra_info.update(info)
    bench_rows.append(info)
