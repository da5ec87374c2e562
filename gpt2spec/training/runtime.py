"""The training run's machinery that does not depend on whose model trains: the device and DDP
set-up, CPU threads, the MFU estimate, the progress bar and the loss plot (gpt2spec/training/train.py uses them)."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist

from gpt2spec import mfu
from reference.config import GPTConfig

# ---------------------------------------------------------------- device, DDP, MFU


@dataclass
class Runtime:
    device: torch.device
    rank: int = 0
    world_size: int = 1
    ddp: bool = False

    @property
    def master(self) -> bool:
        return self.rank == 0


def setup_runtime(device_arg: str) -> Runtime:
    """Single process, or one rank of ``torchrun`` (RANK/WORLD_SIZE/LOCAL_RANK set): gloo on CPU, nccl on GPU."""
    if "RANK" not in os.environ:
        name = device_arg if device_arg != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
        return Runtime(torch.device(name))
    cuda = torch.cuda.is_available() and device_arg in ("auto", "cuda")
    dist.init_process_group("nccl" if cuda else "gloo")
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device(f"cuda:{local_rank}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    return Runtime(device, dist.get_rank(), dist.get_world_size(), ddp=True)


def set_cpu_threads(requested: int, world_size: int, log) -> None:
    """On a shared CPU, OpenMP threads that spin-wait for a busy core make every matmul crawl
    (measured here: 5.5 s/step with 2 threads vs 0.35 s/step with 1 while other jobs ran)."""
    cores = os.cpu_count() or 1
    if requested > 0:
        threads = requested
    elif world_size > 1 or os.getloadavg()[0] > cores / 2:
        threads = max(1, cores // world_size) if world_size > 1 else 1
        log(f"{threads} CPU thread(s) per process: the machine is busy (load {os.getloadavg()[0]:.1f}, {cores} cores)")
    else:
        return
    torch.set_num_threads(threads)


def peak_flops(device: torch.device) -> tuple[float, str]:
    """The GPU's dense bf16 peak (gpt2spec/mfu.py's table); on the CPU a measured fp32 matmul rate,
    so the MFU shown there is against this machine."""
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        peak = mfu.peak_flops(name)
        return (peak, f"{name} bf16 peak") if peak else (float("nan"), f"{name}: unknown peak")
    a = torch.randn(512, 512)
    a @ a  # warm up
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < 0.3:
        a @ a
        n += 1
    return 2 * 512**3 * n / (time.perf_counter() - t0), "measured CPU fp32 matmul rate"


def flops_per_token(vocab_size: int, n_layer: int, n_embd: int, T: int) -> float:
    """Training FLOPs per token, 6N + 12·L·C·T, counted as gpt2spec/mfu.py counts them."""
    shape = GPTConfig(vocab_size=vocab_size, n_layer=n_layer, n_head=1, n_embd=n_embd, block_size=T)
    return mfu.flops_per_token(shape, T)


# ---------------------------------------------------------------- progress and plot


def plot_losses(history: dict[str, list], bytes_per_token: float, tokens_per_step: int, path: Path) -> bool:
    """loss.png: train and validation in bits/byte against training tokens; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import EngFormatter
    except ImportError:
        return False
    from .report import train_bpb

    fig, ax = plt.subplots(figsize=(8, 4.5))
    train = train_bpb(history, bytes_per_token, tokens_per_step)
    if train:
        ax.plot(*zip(*train, strict=True), lw=1.5, label="train")
    if history["bpb"]:
        ax.plot([t for _, _, t in history["bpb"]], [b for _, b, _ in history["bpb"]], "o-", label="validation")
    ax.set_title("Loss in bits per byte (lower is better)")
    ax.set_xlabel("training tokens seen")
    ax.set_ylabel("bits per byte")
    ax.xaxis.set_major_formatter(EngFormatter(sep=""))
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


class Progress:
    """tqdm when installed, else a line every ``every`` steps."""

    def __init__(self, start: int, total: int, enabled: bool, every: int = 10) -> None:
        self.bar, self.every, self.enabled = None, every, enabled
        if enabled:
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=total, initial=start, unit="step", dynamic_ncols=True, file=sys.stdout)
            except ImportError:
                pass

    def update(self, step: int, stats: dict[str, str]) -> None:
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.set_postfix(stats, refresh=False)
            self.bar.update(1)
        elif step % self.every == 0:
            print(f"step {step:5d} | " + " | ".join(f"{k} {v}" for k, v in stats.items()), flush=True)

    def write(self, text: str) -> None:
        if self.enabled:
            (self.bar.write if self.bar is not None else print)(text)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
