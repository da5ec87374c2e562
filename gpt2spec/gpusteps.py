"""The measurements of ``gpt2spec gpu-check``, one function per step; each runs in its own child interpreter.

    python -m gpt2spec.gpusteps STEP --out FILE.json [--dry-run]      # what gpt2spec/gpucheck.py runs per step

A step yields its figures (value, unit, goal, verdict) one at a time, and the child rewrites FILE.json after
each, so a step that crashes or is killed later still reports what it measured. Real runs use
CUDA at GPT-2 124M; ``--dry-run`` runs the same code on the CPU with tiny sizes (GPT2SPEC_BENCH_QUICK=1 for
the benchmark setups it reuses) and judges no goal: its numbers prove that the code runs, nothing more.
The timing code is spec/bench's (bench_model.py, bench_tokenizer.py), the MFU formula gpt2spec/mfu.py's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace

import torch

from . import contract
from .gpucheck import INJECT_ENV, PARENT_ENV

GPU_PRESET = "gpu"  # the capstone's GPU preset in gpt2spec/training/presets.py; "small" stands in without it
NANOGPT_BITS_PER_CHAR = 2.12  # nanoGPT shakespeare_char's best val loss, 1.47 nats/char, in ~3 min on one A100
NANOGPT_SECONDS = 180.0
H100_CLASS = ("H100", "H200", "GH200")  # the MFU goal is stated for these


@dataclass
class Figure:
    name: str
    value: float | str | None
    unit: str = ""
    goal: str = ""  # the target, in words; empty when the figure has none
    verdict: str = ""  # "met", "not met" or "not measured (why)"; empty when no goal


@dataclass
class Context:
    dry_run: bool
    out_dir: Path  # where a step may leave files (the preset's run)
    device: str = field(init=False)

    def __post_init__(self) -> None:
        self.device = "cpu" if self.dry_run else "cuda"

    def judge(self, ok: bool, *, why_not_measured: str = "") -> str:
        """A goal's verdict: never judged on a dry run's tiny CPU sizes."""
        if self.dry_run:
            return "not measured (dry run)"
        if why_not_measured:
            return f"not measured ({why_not_measured})"
        return "met" if ok else "not met"


def device_name(ctx: Context) -> str:
    return torch.cuda.get_device_name() if ctx.device == "cuda" else "cpu"


# ---------------------------------------------------------------- preflight


MIN_FREE_GIB = 30  # the MFU ladder's uncompiled fp32 rung at B=16, T=1024 is the largest user (~25 GiB)


def preflight(ctx: Context) -> Iterator[Figure]:
    """What the real run needs: torch built with CUDA, a visible GPU, enough free memory."""
    yield Figure("torch", torch.__version__)
    yield Figure("CUDA build", torch.version.cuda or "none (CPU wheel)")
    problems = []
    if torch.version.cuda is None:
        problems.append(f"torch {torch.__version__} is built without CUDA: pip install torch from a CUDA index")
    elif not torch.cuda.is_available():
        problems.append("no CUDA device visible (nvidia-smi; CUDA_VISIBLE_DEVICES)")
    else:
        free, total = torch.cuda.mem_get_info()
        yield Figure("GPU", torch.cuda.get_device_name())
        enough = free >= MIN_FREE_GIB * 2**30
        yield Figure("free memory", round(free / 2**30, 1), "GiB", f">= {MIN_FREE_GIB} GiB", ctx.judge(enough))
        yield Figure("bf16 supported", str(torch.cuda.is_bf16_supported()))
        if not enough:
            problems.append(
                f"only {free / 2**30:.1f} of {total / 2**30:.1f} GiB free on the GPU, {MIN_FREE_GIB} needed"
            )
        if not torch.cuda.is_bf16_supported():
            problems.append("the GPU has no bf16 (needs Ampere or later)")
    yield Figure("missing", "; ".join(problems) or "nothing")


# ---------------------------------------------------------------- the spec on the device


# the sections whose spec runs on a device (their home modules in the contract's table)
SPEC_FILES = ["attention", "layernorm", "mlp", "block", "gpt", "generate"]
DRY_SPEC_FILES = ["mlp"]  # the dry run proves the step runs; its start-up is most of its time


class _Tally:
    """Counts the spec's outcomes in this process (pytest.main's plugin) and keeps the first failures."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.failures: list[str] = []  # "test id: first line of the error"

    def pytest_runtest_logreport(self, report) -> None:
        if report.when == "call" or not report.passed:
            outcome = "error" if report.when != "call" and report.failed else report.outcome
            self.counts[outcome] = self.counts.get(outcome, 0) + 1
            if report.failed and len(self.failures) < 5:
                lines = [line for line in str(report.longrepr).splitlines() if line.startswith("E ")]
                self.failures.append(f"{report.nodeid}: {lines[0][1:].strip()[:160] if lines else ''}")


def spec_on_device(ctx: Context) -> Iterator[Figure]:
    """``pytest spec/test_{model files}.py --impl=reference --device cuda -m "not slow"``: the spec's own
    tests at its documented tolerances (fp32 and fp64, as each test chooses). The tokenizer and data tests
    do not touch a device; the training tests (DDP on gloo, checkpoints) are left to the CPU."""
    import pytest

    sections = DRY_SPEC_FILES if ctx.dry_run else SPEC_FILES
    files = [contract.spec_path(contract.SECTIONS[name].spec[0]) for name in sections]
    # "cpu:0" is the CPU, but unlike the default "cpu" it goes through the same device mode as "cuda" does
    device = "cpu:0" if ctx.dry_run else ctx.device
    tally = _Tally()
    args = [*files, "--impl=reference", f"--device={device}", "-m", "not slow", "-q", "-p", "no:randomly"]
    code = pytest.main([*args, "-p", "no:cacheprovider"], plugins=[tally])
    failed = tally.counts.get("failed", 0) + tally.counts.get("error", 0)
    yield from (Figure(k, v, "tests") for k, v in sorted(tally.counts.items()))
    yield Figure(
        "all pass",
        "yes" if failed == 0 and code == 0 else f"no (exit {code})",
        "",
        "every test passes",
        ctx.judge(failed == 0 and code == 0),
    )
    yield from (Figure(f"failure {i + 1}", failure) for i, failure in enumerate(tally.failures))


def spec_bf16(ctx: Context) -> Iterator[Figure]:
    """The spec documents no bf16 tolerance (docs/TOLERANCES.md: fp32 and fp64 only), so nothing is judged;
    measured instead: how far the reference's loss and logits move under bf16 autocast, against fp32."""
    import reference

    shape = dict(block_size=64, vocab_size=512, n_layer=2, n_head=2, n_embd=64) if ctx.dry_run else {}
    B, T = (2, 32) if ctx.dry_run else (4, 256)
    torch.manual_seed(0)
    model = reference.GPT(reference.GPTConfig(**shape)).to(ctx.device).eval()
    g = torch.Generator().manual_seed(0)
    idx, targets = (torch.randint(0, model.config.vocab_size, (B, T), generator=g).to(ctx.device) for _ in range(2))
    with torch.no_grad():
        logits32, loss32 = model(idx, targets)
        with torch.autocast(ctx.device, dtype=torch.bfloat16):
            logits16, loss16 = model(idx, targets)
    diff = (logits16.float() - logits32).abs()
    yield from [
        Figure("loss fp32", round(loss32.item(), 5), "nats"),
        Figure("loss bf16 autocast", round(loss16.item(), 5), "nats"),
        Figure(
            "|loss diff|",
            f"{abs(loss16.item() - loss32.item()):.2e}",
            "nats",
            "no spec tolerance for bf16",
            "not measured (the spec documents none)",
        ),
        Figure("max |logits diff|", f"{diff.max().item():.2e}", ""),
    ]


# ---------------------------------------------------------------- throughput against HF (spec/bench)


def _bench_setup(ctx: Context):
    from spec.bench import bench_model

    return bench_model, bench_model.SETUPS[ctx.device]


def _time_rounds(bench_model, subjects, setup, device: str, workload: str) -> dict[str, float]:
    """Median seconds per round of each subject, rounds interleaved and the order reversed every round
    (bench_model.test_throughput's scheme, without pytest-benchmark)."""
    warmup, rounds = (setup.gen_warmup, setup.gen_rounds) if workload == "generate" else (setup.warmup, setup.rounds)
    timers = [
        (s.name, bench_model.RoundTimer(bench_model.WORKLOADS[workload](s, setup, device), warmup)) for s in subjects
    ]
    order = [t for _, t in timers]
    for _ in range(warmup + rounds):
        for timer in order:
            timer()
        order.reverse()
    return {name: statistics.median(timer.times) for name, timer in timers}


def throughput(ctx: Context) -> Iterator[Figure]:
    """forward, train step and generation tokens/s of the reference, as ratios to HF GPT-2 eager and sdpa
    (CUDA: 124M, B=8, T=1024, bf16 autocast, TF32, fused AdamW; spec/bench/bench_model.py's SETUPS)."""
    import reference
    from gpt2spec.speed import enable_tf32

    bench_model, setup = _bench_setup(ctx)
    if ctx.device == "cuda":
        enable_tf32()
        # HF's generate costs ~25 ms a token at 124M (Python per step): 128 new tokens, 2 rounds keep it in budget
        setup = replace(setup, new_tokens=128, gen_rounds=2)
    for workload in bench_model.WORKLOADS:
        subjects = [bench_model.contract_subject("reference", reference.GPT, reference.GPTConfig, setup, ctx.device)]
        subjects += [
            s
            for s in bench_model.baselines(SimpleNamespace(GPT=reference.GPT), setup, ctx.device, workload)
            if s.name.startswith("hf_")
        ]
        seconds = _time_rounds(bench_model, subjects, setup, ctx.device, workload)
        tokens = bench_model.tokens_per_round(setup, workload)
        yield Figure(f"{workload} reference", round(tokens / seconds["reference"]), "tokens/s")
        for hf in ("hf_eager", "hf_sdpa"):
            ratio = seconds[hf] / seconds["reference"]
            goal, verdict = "", ""
            if hf == "hf_sdpa" and workload != "generate":
                goal, verdict = ">= 1.2x HF sdpa", ctx.judge(ratio >= 1.2)
            yield Figure(f"{workload} vs {hf}", round(ratio, 3), "x", goal, verdict)
        for s in subjects:  # free the GPU before the next workload's models
            s.model.to("cpu")
        del subjects
        if ctx.device == "cuda":
            torch.cuda.empty_cache()


def kv_cache(ctx: Context) -> Iterator[Figure]:
    """The reference's generate with its KV cache against recomputing the whole context every token."""
    import reference

    bench_model, setup = _bench_setup(ctx)
    subjects = [
        bench_model.contract_subject(name, reference.GPT, reference.GPTConfig, setup, ctx.device)
        for name in ("reference", "reference_recompute")
    ]
    seconds = _time_rounds(bench_model, subjects, setup, ctx.device, "generate")
    tokens = bench_model.tokens_per_round(setup, "generate")
    yield from [
        Figure("with KV cache", round(tokens / seconds["reference"], 1), "tokens/s"),
        Figure("recompute", round(tokens / seconds["reference_recompute"], 1), "tokens/s"),
        Figure("speed-up", round(seconds["reference_recompute"] / seconds["reference"], 2), "x"),
        Figure("setup", f"batch {setup.gen_B}, prompt {setup.prompt}, {setup.new_tokens} new tokens"),
    ]


# ---------------------------------------------------------------- MFU ladder


@dataclass(frozen=True)
class Rung:
    name: str
    tf32: bool
    bf16: bool
    fused: bool
    compile: bool


# build-nanogpt / llm.c's ladder: each switch turned on in turn, so each is measured off and on.
LADDER = (
    Rung("fp32", False, False, False, False),
    Rung("+ TF32", True, False, False, False),
    Rung("+ bf16 autocast", True, True, False, False),
    Rung("+ fused AdamW", True, True, True, False),
    Rung("+ torch.compile", True, True, True, True),
)


@dataclass(frozen=True)
class LadderSize:
    shape: dict  # GPTConfig keywords; {} = GPT-2 124M
    B: int
    T: int
    warmup: int  # steps before timing (allocator, compilation)
    steps: int  # timed steps (median)


LADDER_SIZES = {
    "cuda": LadderSize({}, B=16, T=1024, warmup=3, steps=10),  # build-nanogpt's micro-batch
    "dry": LadderSize(
        dict(block_size=32, vocab_size=512, n_layer=2, n_head=2, n_embd=64), B=2, T=32, warmup=0, steps=2
    ),
}


def _train_rung(rung: Rung, ctx: Context, size: LadderSize) -> float:
    """Tokens/s of reference training steps (forward, backward, AdamW) with the rung's switches."""
    import reference
    from gpt2spec.speed import adamw, maybe_compile

    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = rung.tf32
    torch.manual_seed(0)
    B, T = size.B, size.T
    model = reference.GPT(reference.GPTConfig(**size.shape)).to(ctx.device).train()
    opt = adamw(model, lr=6e-4, device_type=ctx.device, fused=rung.fused)
    compiled = maybe_compile(model, rung.compile)
    g = torch.Generator().manual_seed(0)
    x, y = (torch.randint(0, model.config.vocab_size, (B, T), generator=g).to(ctx.device) for _ in range(2))

    def amp() -> contextlib.AbstractContextManager:
        return torch.autocast(ctx.device, dtype=torch.bfloat16) if rung.bf16 else contextlib.nullcontext()

    times = []
    for i in range(size.warmup + size.steps):
        t0 = time.perf_counter()
        with amp():
            _, loss = compiled(x, y)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if ctx.device == "cuda":
            torch.cuda.synchronize()
        if i >= size.warmup:
            times.append(time.perf_counter() - t0)
    del model, opt, compiled
    if ctx.device == "cuda":
        torch.cuda.empty_cache()
    return B * T / statistics.median(times)


def mfu_ladder(ctx: Context) -> Iterator[Figure]:
    """124M training MFU (gpt2spec/mfu.py) at B=16, T=1024 for each rung of the ladder."""
    import reference
    from gpt2spec.mfu import mfu

    size = LADDER_SIZES["dry" if ctx.dry_run else "cuda"]
    ladder = LADDER[:-1] if ctx.dry_run else LADDER  # CPU compilation takes minutes and would prove nothing here
    config, name = reference.GPTConfig(**size.shape), device_name(ctx)
    h100 = any(k in name for k in H100_CLASS)
    for rung in ladder:
        tps = _train_rung(rung, ctx, size)
        util = mfu(tps, config, size.T, name)
        yield Figure(f"{rung.name} tokens/s", round(tps), "tokens/s")
        goal, verdict = "", ""
        if rung is ladder[-1]:
            goal = ">= 50% (bf16, H100-class)"
            verdict = ctx.judge(
                util is not None and util >= 0.5, why_not_measured="" if h100 else f"{name} is not H100-class"
            )
        yield Figure(f"{rung.name} MFU", "-" if util is None else round(100 * util, 1), "%", goal, verdict)
    if ctx.dry_run:
        yield Figure("+ torch.compile", "not run on the dry run (CPU compile takes minutes)")


# ---------------------------------------------------------------- tokenizer


def tokenizer(ctx: Context) -> Iterator[Figure]:
    """The reference tokenizer's encode MB/s against tiktoken's on the same text and ranks
    (spec/bench/bench_tokenizer.py's corpus and vocabulary; a CPU figure, measured here for completeness)."""
    import tiktoken

    from gpt2spec.builtin_corpus import builtin_corpus
    from gpt2spec.contract import GPT2_PATTERN
    from reference.tokenizer import Tokenizer
    from spec.bench import bench_tokenizer as bt

    text = builtin_corpus(bt.CHARS)
    tok = Tokenizer().train(text, bt.VOCAB)
    enc = tiktoken.Encoding(
        "gpucheck", pat_str=GPT2_PATTERN, mergeable_ranks=tok.mergeable_ranks, special_tokens=tok.special_tokens
    )
    mb = len(text.encode()) / bt.MB
    ours = bt.best_of(bt.ROUNDS, lambda: tok.encode_ordinary(text))
    theirs = bt.best_of(bt.ROUNDS, lambda: enc.encode_ordinary(text))
    yield from [
        Figure("reference encode", round(mb / ours, 2), "MB/s"),
        Figure("tiktoken encode", round(mb / theirs, 2), "MB/s"),
        Figure("ratio", round(theirs / ours, 3), "x", ">= 0.25x tiktoken", ctx.judge(theirs / ours >= 0.25)),
    ]


# ---------------------------------------------------------------- the capstone's GPU preset


# a tiny model for two steps (as tests/test_train_command.py's TINY_RUN); bytes: no BPE to train first
DRY_PRESET_ARGS = (
    "--max-steps 2 --n-layer 1 --n-embd 32 --n-head 2 --block-size 32 --batch-size 4 --total-batch-size 128 "
    "--eval-interval 2 --eval-iters 2 --sample-tokens 8 --threads 1 --tokenizer bytes"
).split()


def preset(ctx: Context, limit_s: float) -> Iterator[Figure]:
    """``gpt2spec train --impl reference --model gpu`` for the preset's steps (or until limit_s), then its
    held-out bits/byte against nanoGPT shakespeare_char's best."""
    from .training.presets import PRESETS

    name, note = GPU_PRESET, ""
    if GPU_PRESET not in PRESETS:
        name, note = "small", f"no {GPU_PRESET!r} preset in gpt2spec/training/presets.py: ran 'small' instead"
    out = ctx.out_dir / "preset"
    args = ["--impl", "reference", "--model", name, "--out-dir", str(out), "--device", ctx.device]
    if ctx.dry_run:
        args += DRY_PRESET_ARGS
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "gpt2spec", "train", *args], timeout=limit_s, check=False)
        ended = f"exit {proc.returncode}"
    except subprocess.TimeoutExpired:
        ended = f"stopped at the step's time limit ({limit_s:.0f} s)"
    wall = time.perf_counter() - t0
    status = _read_json(out / "status.json")
    history = status.get("history") or _read_json(out / "train_state.json").get("history") or {}
    bpb = history.get("bpb") or []
    last_bpb = bpb[-1][1] if bpb else None
    yield Figure("preset", name)
    yield Figure("run", f"{ended}, step {status.get('step', '?')}")
    yield Figure("wall time", round(wall, 1), "s (start-up, tokenizer and validation included)")
    yield Figure("tokens/s", round(status["tokens_per_s"]) if status.get("tokens_per_s") else "-", "tokens/s")
    beat = last_bpb is not None and last_bpb < NANOGPT_BITS_PER_CHAR and wall <= NANOGPT_SECONDS
    yield Figure(
        "held-out bits/byte",
        "-" if last_bpb is None else round(last_bpb, 4),
        "bits/byte",
        f"< {NANOGPT_BITS_PER_CHAR} (nanoGPT shakespeare_char, bits/char) within {NANOGPT_SECONDS:.0f} s",
        ctx.judge(beat, why_not_measured=note and "no GPU preset"),
    )
    if note:
        yield Figure("note", note)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


# ---------------------------------------------------------------- the child's entry point


STEPS: dict[str, Callable[..., Iterator[Figure]]] = {
    "preflight": preflight,
    "spec": spec_on_device,
    "spec-bf16": spec_bf16,
    "throughput": throughput,
    "mfu": mfu_ladder,
    "kv-cache": kv_cache,
    "tokenizer": tokenizer,
    "preset": preset,
}


def _inject(step: str) -> None:
    """A failure on demand ($GPT2SPEC_GPUCHECK_INJECT=STEP:crash or STEP:hang), so tests can prove that a
    crashed or hung step is reported and the next one still runs."""
    target, _, kind = os.environ.get(INJECT_ENV, "").partition(":")
    if target != step:
        return
    if kind == "hang":
        time.sleep(10**6)
    raise RuntimeError(f"injected failure ({INJECT_ENV}={target}:{kind})")


def _die_with_parent() -> None:
    """A step runs in its own process group so that gpu-check can kill it whole at its limit. If gpu-check
    itself dies (SIGKILL, a booking that ends), nobody would: so the step watches its parent and kills its own
    group, itself and anything it started (the preset's trainer), the moment it is orphaned."""
    parent = int(os.environ.get(PARENT_ENV, os.getppid()))  # gpu-check may have died before we got here

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.25)
        os.killpg(os.getpgrp(), signal.SIGKILL)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gpt2spec.gpusteps", description=__doc__.splitlines()[0])
    p.add_argument("step", choices=list(STEPS))
    p.add_argument("--out", type=Path, required=True, help="JSON file for the step's figures")
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--limit", type=float, default=600.0, help="the step's time limit (the preset stops itself)")
    args = p.parse_args(argv)
    _die_with_parent()
    ctx = Context(args.dry_run, args.out.parent)
    _inject(args.step)
    fn = STEPS[args.step]
    figures: list[dict] = []
    for figure in fn(ctx, max(1.0, args.limit - 15)) if fn is preset else fn(ctx):
        figures.append(asdict(figure))
        tmp = args.out.with_suffix(".tmp")  # figure by figure: a crash or a kill later keeps these
        tmp.write_text(json.dumps(figures, indent=1))
        os.replace(tmp, args.out)
    if not figures:
        args.out.write_text("[]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
