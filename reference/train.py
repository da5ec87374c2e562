"""Pre-train a GPT-2 on a text corpus: ``python -m reference.train``.

    python -m reference.train                              # small model, embedded Shakespeare, CPU, a few minutes
    python -m reference.train --model gpt2 --data my.txt   # GPT-2 124M with build-nanogpt's recipe (wants a GPU)
    python -m reference.train --resume                     # continue from <out-dir>/ckpt.pt
    torchrun --nproc_per_node=2 -m reference.train         # DDP: gloo on CPU, nccl on GPU

The loop is build-nanogpt's: gradient accumulation to a fixed tokens-per-step, AdamW with decay on
matrices only, warmup + cosine schedule, clipping at 1.0, periodic validation loss, samples,
checkpoints. On CUDA it adds bf16 autocast, TF32 matmuls, fused AdamW and (with --compile)
torch.compile; on the CPU each of these is skipped. Outputs go to --out-dir: ckpt.pt, loss.png.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import importlib
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

from .config import GPTConfig
from .data import DataLoader
from .gpt import GPT
from .training import configure_optimizers, get_lr, load_checkpoint, save_checkpoint, train_step

CORPUS = Path(__file__).with_name("shakespeare.txt")  # the opening of Coriolanus (public domain), ~28 KB


@dataclass
class TrainConfig:
    # model
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    block_size: int = 128
    # batch: total_batch_size tokens per optimizer step = B * T * grad_accum * world_size
    batch_size: int = 16
    total_batch_size: int = 2048
    # schedule
    max_steps: int = 600
    warmup_steps: int = 30
    max_lr: float = 3e-3
    min_lr: float = 3e-4
    weight_decay: float = 0.1
    max_norm: float = 1.0
    # reporting
    eval_interval: int = 100
    eval_iters: int = 20
    sample_interval: int = 200
    sample_tokens: int = 200


PRESETS: dict[str, TrainConfig] = {
    # ~0.8M parameters: trains on 2 CPU cores in a few minutes (byte-level tokens).
    "small": TrainConfig(),
    # GPT-2 124M with build-nanogpt's recipe: 0.5M tokens per step, 10B tokens in 19073 steps.
    "gpt2": TrainConfig(
        n_layer=12,
        n_head=12,
        n_embd=768,
        block_size=1024,
        batch_size=16,
        total_batch_size=524288,
        max_steps=19073,
        warmup_steps=715,
        max_lr=6e-4,
        min_lr=6e-5,
        eval_interval=250,
        eval_iters=20,
        sample_interval=1000,
        sample_tokens=64,
    ),
}


# ---------------------------------------------------------------- tokenizers


class ByteTokenizer:
    """UTF-8 bytes as tokens: always available, 256 ids, nothing to train."""

    name = "bytes"
    vocab_size = 256

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))

    def decode(self, ids: list[int]) -> str:
        return bytes(ids).decode("utf-8", errors="replace")


class TiktokenGPT2:
    """GPT-2's own BPE through tiktoken, used only when its files are already in tiktoken's cache."""

    name = "gpt2"
    vocab_size = 50257
    FILES = (
        "https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/vocab.bpe",
        "https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/encoder.json",
    )

    def __init__(self) -> None:
        import tiktoken

        self.enc = tiktoken.get_encoding("gpt2")

    @classmethod
    def cached(cls) -> bool:
        """tiktoken caches a download under sha1(url); without both files it would go to the network."""
        cache = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
        cache = Path(cache or Path(tempfile.gettempdir()) / "data-gym-cache")
        return all((cache / hashlib.sha1(url.encode()).hexdigest()).is_file() for url in cls.FILES)

    def encode(self, text: str) -> list[int]:
        return self.enc.encode_ordinary(text)

    def decode(self, ids: list[int]) -> str:
        return self.enc.decode(ids)


class OurBPE:
    """The week-4 byte-level BPE (reference/tokenizer.py), trained on the corpus itself.

    Expects a class ``Tokenizer`` (or ``BPETokenizer``) with ``train(text, vocab_size)``,
    ``encode(text) -> list[int]`` and ``decode(ids) -> str``, as in minbpe.
    """

    name = "bpe"

    def __init__(self, text: str, vocab_size: int) -> None:
        module = importlib.import_module(f"{__package__}.tokenizer")
        cls = getattr(module, "Tokenizer", None) or module.BPETokenizer
        self.tok = cls()
        self.tok.train(text, vocab_size)
        self.vocab_size = vocab_size

    def encode(self, text: str) -> list[int]:
        return list(self.tok.encode(text))

    def decode(self, ids: list[int]) -> str:
        return self.tok.decode(list(ids))


def make_tokenizer(kind: str, text: str, bpe_vocab_size: int):
    """``auto``: our BPE when reference/tokenizer.py exists, else GPT-2's when cached, else bytes."""
    if kind in ("auto", "bpe"):
        try:
            return OurBPE(text, bpe_vocab_size)
        except (ImportError, AttributeError, TypeError) as exc:
            if kind == "bpe":
                raise SystemExit(f"--tokenizer bpe: reference.tokenizer is not usable here ({exc})") from exc
    if kind in ("auto", "gpt2"):
        if TiktokenGPT2.cached():
            return TiktokenGPT2()
        if kind == "gpt2":
            raise SystemExit("--tokenizer gpt2: tiktoken's GPT-2 files are not in its cache (set TIKTOKEN_CACHE_DIR)")
    return ByteTokenizer()


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


GPU_PEAK_BF16 = {"H200": 989e12, "H100": 989e12, "A100": 312e12, "L40": 181e12, "4090": 165e12, "A10": 125e12}


def peak_flops(device: torch.device) -> tuple[float, str]:
    """Dense bf16 peak for known GPUs; on the CPU, a measured fp32 matmul rate (so MFU is vs this machine)."""
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        for key, flops in GPU_PEAK_BF16.items():
            if key in name:
                return flops, f"{name} bf16 peak"
        return float("nan"), f"{name}: unknown peak"
    a = torch.randn(512, 512)
    a @ a  # warm up
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < 0.3:
        a @ a
        n += 1
    return 2 * 512**3 * n / (time.perf_counter() - t0), "measured CPU fp32 matmul rate"


def flops_per_token(model: GPT) -> float:
    """PaLM's estimate: 6N for the matmuls on weights plus 12·L·C·T for attention, forward + backward."""
    c = model.config
    n = sum(p.numel() for p in model.parameters()) - model.transformer.wpe.weight.numel()
    return 6 * n + 12 * c.n_layer * c.n_embd * c.block_size


# ---------------------------------------------------------------- evaluation, samples, plot


@torch.no_grad()
def evaluate(model: GPT, tokens: torch.Tensor, B: int, T: int, iters: int, rt: Runtime, amp) -> float:
    """Mean loss over the first ``iters`` batches of the validation split (the same batches every time)."""
    model.eval()
    loader, total = DataLoader(tokens, B, T), 0.0
    for _ in range(iters):
        x, y = loader.next_batch()
        with amp():
            _, loss = model(x.to(rt.device), y.to(rt.device))
        total += loss.item()
    model.train()
    return total / iters


@torch.no_grad()
def sample(model: GPT, tokenizer, prompt: str, n_tokens: int, rt: Runtime, amp, seed: int = 42) -> str:
    model.eval()
    idx = torch.tensor([tokenizer.encode(prompt)], dtype=torch.long, device=rt.device)
    g = torch.Generator(device=rt.device).manual_seed(seed)  # its own generator: sampling leaves training's RNG alone
    with amp():
        out = model.generate(idx, n_tokens, temperature=0.8, top_k=40, generator=g)
    model.train()
    return tokenizer.decode(out[0].tolist())


def plot_losses(history: dict[str, list], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(*zip(*history["train"], strict=True), lw=0.8, alpha=0.7, label="train")
    if history["val"]:
        ax.plot(*zip(*history["val"], strict=True), "o-", label="validation")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats/token)")
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


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m reference.train", description=__doc__.split("\n")[0])
    p.add_argument("--model", choices=sorted(PRESETS), default="small", help="preset (default: small)")
    p.add_argument("--data", type=Path, default=CORPUS, help="a UTF-8 text file (default: embedded Shakespeare)")
    p.add_argument("--tokenizer", choices=["auto", "bpe", "gpt2", "bytes"], default="auto")
    p.add_argument("--bpe-vocab-size", type=int, default=512, help="vocabulary when training our BPE")
    p.add_argument("--out-dir", type=Path, default=Path("out/train"))
    p.add_argument("--resume", action="store_true", help="continue from <out-dir>/ckpt.pt")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, ...")
    p.add_argument("--compile", action="store_true", help="torch.compile the model (CUDA only)")
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="CPU threads for torch (default 0 = auto: torch's default, or 1 when the machine is already busy)",
    )
    p.add_argument("--prompt", default="\n", help="start of each sample")
    for field in dataclasses.fields(TrainConfig):  # every preset value can be overridden: --max-steps 100
        p.add_argument(f"--{field.name.replace('_', '-')}", type=type(field.default), default=None)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    cfg = dataclasses.replace(
        PRESETS[args.model],
        **{f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig) if getattr(args, f.name) is not None},
    )
    rt = setup_runtime(args.device)
    log = print if rt.master else (lambda *a, **k: None)
    ckpt_path = args.out_dir / "ckpt.pt"
    if rt.master:
        args.out_dir.mkdir(parents=True, exist_ok=True)

    if rt.device.type == "cpu":
        set_cpu_threads(args.threads, rt.world_size, log)
    # Every rank seeds alike so the models start identical (DDP also broadcasts rank 0's weights).
    torch.manual_seed(args.seed)
    cuda = rt.device.type == "cuda"
    if cuda:
        torch.set_float32_matmul_precision("high")  # TF32 matmuls: ~3x on Ampere+, loss unchanged in practice
    amp_dtype = torch.bfloat16 if cuda and torch.cuda.is_bf16_supported() else None

    def amp():
        return torch.autocast("cuda", dtype=amp_dtype) if amp_dtype else contextlib.nullcontext()

    # data
    text = args.data.read_text(encoding="utf-8")
    tokenizer = make_tokenizer(args.tokenizer, text, args.bpe_vocab_size)
    tokens = torch.tensor(tokenizer.encode(text), dtype=torch.long)
    n_train = int(0.9 * len(tokens))
    train_tokens, val_tokens = tokens[:n_train], tokens[n_train:]
    B, T = cfg.batch_size, cfg.block_size
    if cfg.total_batch_size < B * T * rt.world_size and cfg.total_batch_size % (T * rt.world_size) == 0:
        B = cfg.total_batch_size // (T * rt.world_size)  # more ranks than the batch needs: split its rows
    if cfg.total_batch_size % (B * T * rt.world_size):
        raise SystemExit(f"total_batch_size {cfg.total_batch_size} is not a multiple of B*T*world_size")
    grad_accum = cfg.total_batch_size // (B * T * rt.world_size)
    loader = DataLoader(train_tokens, B, T, rank=rt.rank, world_size=rt.world_size)
    eval_iters = max(1, min(cfg.eval_iters, len(val_tokens) // (B * T)))  # one pass over a small val split

    # model: vocab padded to a multiple of 64 (GPT-2: 50257 -> 50304) for faster matmuls; extra ids never occur
    vocab = math.ceil(tokenizer.vocab_size / 64) * 64
    model_config = GPTConfig(block_size=T, vocab_size=vocab, n_layer=cfg.n_layer, n_head=cfg.n_head, n_embd=cfg.n_embd)
    model = GPT(model_config).to(rt.device)
    optimizer = configure_optimizers(model, cfg.weight_decay, cfg.max_lr)  # fused on CUDA
    step, history = 0, {"train": [], "val": []}
    if args.resume:
        if not ckpt_path.exists():
            raise SystemExit(f"--resume: no checkpoint at {ckpt_path}")
        step = load_checkpoint(ckpt_path, model, optimizer, loader)
        history = torch.load(ckpt_path, map_location="cpu", weights_only=False)["extra"]["history"]
        log(f"resumed from {ckpt_path} at step {step}")
    raw_model = model
    if args.compile and cuda:
        model = torch.compile(model)
    elif args.compile:
        log("--compile: skipped on the CPU")
    if rt.ddp:
        model = DDP(model, device_ids=[rt.device.index] if cuda else None)

    n_params = sum(p.numel() for p in raw_model.parameters())
    peak, peak_what = peak_flops(rt.device)
    flops_step = flops_per_token(raw_model) * cfg.total_batch_size
    log(
        f"device {rt.device} x{rt.world_size} | bf16 autocast {'on' if amp_dtype else 'off'} | "
        f"TF32 {'on' if cuda else 'off'} | fused AdamW {'on' if optimizer.defaults.get('fused') else 'off'} | "
        f"compile {'on' if args.compile and cuda else 'off'}\n"
        f"tokenizer {tokenizer.name} ({tokenizer.vocab_size} ids) | {len(train_tokens):,} train / {len(val_tokens):,} "
        f"val tokens from {args.data.name}\n"
        f"model {n_params / 1e6:.2f}M parameters ({cfg.n_layer} layers, {cfg.n_head} heads, width {cfg.n_embd}, "
        f"context {T}) | {cfg.total_batch_size:,} tokens/step = {B}x{T} x {grad_accum} micro-steps x {rt.world_size} "
        f"ranks | {cfg.max_steps} steps | MFU vs {peak_what} {peak / 1e12:.2f} TFLOP/s"
    )

    def validate_and_sample(at: int, show_sample: bool) -> None:
        if not rt.master:
            return
        val = evaluate(raw_model, val_tokens, B, T, eval_iters, rt, amp)
        history["val"].append((at, val))
        progress.write(f"step {at:5d} | val loss {val:.4f}")
        if show_sample:
            progress.write("---- sample ----\n" + sample(raw_model, tokenizer, args.prompt, cfg.sample_tokens, rt, amp))
            progress.write("----------------")
        if plot_losses(history, args.out_dir / "loss.png") is False and at == cfg.max_steps:
            progress.write("(matplotlib not installed: no loss.png; pip install 'gpt2spec[train]')")

    progress = Progress(step, cfg.max_steps, enabled=rt.master)
    if step == 0:
        validate_and_sample(0, show_sample=False)
    t_start = time.perf_counter()
    while step < cfg.max_steps:
        t0 = time.perf_counter()
        lr = get_lr(step, cfg.max_lr, cfg.min_lr, cfg.warmup_steps, cfg.max_steps)
        for group in optimizer.param_groups:
            group["lr"] = lr
        batches = [tuple(t.to(rt.device, non_blocking=True) for t in loader.next_batch()) for _ in range(grad_accum)]
        loss, norm = train_step(model, optimizer, batches, cfg.max_norm, autocast_dtype=amp_dtype)
        loss = loss.item()  # waits for the GPU: the timing below is the step's
        dt = time.perf_counter() - t0
        step += 1
        history["train"].append((step, loss))
        progress.update(
            step,
            {
                "loss": f"{loss:.4f}",
                "lr": f"{lr:.2e}",
                "norm": f"{float(norm):.2f}",
                "tok/s": f"{cfg.total_batch_size / dt:,.0f}",
                "MFU": f"{100 * flops_step / dt / (peak * rt.world_size):.1f}%",  # peak is per device
            },
        )
        last = step == cfg.max_steps
        if step % cfg.eval_interval == 0 or last:
            validate_and_sample(step, show_sample=step % cfg.sample_interval == 0 or last)
            if rt.master:
                extra = {"config": dataclasses.asdict(cfg), "tokenizer": tokenizer.name, "history": history}
                save_checkpoint(ckpt_path, raw_model, optimizer, loader, step, extra=extra)
    progress.close()
    if history["val"]:
        (s0, v0), (s1, v1) = history["val"][0], history["val"][-1]
        log(f"done: val loss {v0:.4f} (step {s0}) -> {v1:.4f} (step {s1}) in {time.perf_counter() - t_start:.0f} s")
        log(f"checkpoint {ckpt_path}" + (f", loss curve {args.out_dir / 'loss.png'}" if rt.master else ""))
    if rt.ddp:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
