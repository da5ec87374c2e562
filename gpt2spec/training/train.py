"""Pre-train *your* GPT-2 on a text corpus: ``gpt2spec train --impl alice``.

    gpt2spec train --impl alice                           # alice's parts, small model, embedded Shakespeare, CPU
    gpt2spec train --impl reference                       # the answer key (= python -m reference.train)
    gpt2spec train --impl alice,bob                       # each in turn, into out/train/<name>/
    gpt2spec train --impl alice --model gpt2 --data my.txt         # GPT-2 124M, build-nanogpt's recipe (GPU)
    gpt2spec train --impl alice --resume                  # continue from <out-dir>/ckpt.pt
    torchrun --nproc_per_node=2 -m gpt2spec.training.train --impl alice  # DDP: gloo on CPU, nccl on GPU

Every part an implementation has and that passes its check trains: tokenizer, data loader, model,
optimizer, schedule, train_step, checkpoints; a blank or failing part runs the reference's, and the
start-up banner says which (gpt2spec/training/parts.py has the rule). The participant's code runs in a child
process under the grader's limits (gpt2spec/training/guard.py). The loop is build-nanogpt's: gradient
accumulation to a fixed tokens-per-step, AdamW with decay on matrices only, warmup + cosine schedule,
clipping at 1.0, periodic validation in nats/token and bits/byte, samples, checkpoints. On CUDA it adds
bf16 autocast, TF32 matmuls, fused AdamW and (with --compile) torch.compile. Outputs go to --out-dir:
ckpt.pt, train_state.json (history), status.json (the result), loss.png.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import sys
import time
import traceback
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

from gpt2spec.grading.sandbox import exceptions_for, static_violations
from gpt2spec.registry import IMPLS_DIR, ImplImportError, ImplRef, SelectionError, import_impl, resolve

from . import bpb
from .guard import Tracker, limit_self, run_child
from .parts import Parts, choose_parts, reference_parts
from .presets import PRESETS, TrainConfig
from .runtime import Progress, flops_per_token, peak_flops, plot_losses, set_cpu_threads, setup_runtime
from .textdata import CORPUS, make_tokenizer, split_text

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 3, 4


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="gpt2spec train", description=__doc__.split("\n")[0])
    p.add_argument("--impl", default="reference", help="NAME under impls/, a package PATH, a list, or 'all'")
    p.add_argument("--model", choices=sorted(PRESETS), default="small", help="preset (default: small)")
    p.add_argument("--data", type=Path, default=CORPUS, help="a UTF-8 text file (default: embedded Shakespeare)")
    tok_help = "auto/bpe: the week-4 Tokenizer (yours if it passes) trained on the corpus; gpt2: GPT-2's"
    p.add_argument("--tokenizer", choices=["auto", "bpe", "gpt2", "bytes"], default="auto", help=tok_help)
    p.add_argument("--bpe-vocab-size", type=int, default=512, help="vocabulary when training a BPE")
    p.add_argument("--out-dir", type=Path, default=Path("out/train"))
    p.add_argument("--resume", action="store_true", help="continue from <out-dir>/ckpt.pt")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, ...")
    p.add_argument("--compile", action="store_true", help="torch.compile the model (CUDA only)")
    p.add_argument("--seed", type=int, default=1337)
    threads_help = "CPU threads for torch (default 0 = auto: torch's default, or 1 when the machine is busy)"
    p.add_argument("--threads", type=int, default=0, help=threads_help)
    p.add_argument("--prompt", default="\n", help="start of each sample")
    p.add_argument("--time-limit", type=float, default=3600.0, help="seconds a participant's run may take")
    p.add_argument("--memory-mb", type=int, default=8192, help="address-space limit of a participant's run (CPU)")
    p.add_argument("--status-file", type=Path, default=None, help=argparse.SUPPRESS)  # set for the child
    for field in dataclasses.fields(TrainConfig):  # every preset value can be overridden: --max-steps 100
        p.add_argument(f"--{field.name.replace('_', '-')}", type=type(field.default), default=None)
    return p.parse_args(argv)


def is_reference(ref: ImplRef) -> bool:
    return ref.path.resolve() == (IMPLS_DIR / "reference").resolve()


# ---------------------------------------------------------------- entry points


def main(argv: list[str] | None = None) -> int:
    """Train each selected implementation; the reference in this process, a participant's in a child."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    try:
        refs = resolve(args.impl)
    except SelectionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.status_file or "RANK" in os.environ:  # a child, or one torchrun rank: train right here
        if len(refs) != 1:
            print("error: under torchrun, --impl names one implementation", file=sys.stderr)
            return EXIT_USAGE
        return train(args, refs[0], sandboxed=not is_reference(refs[0]))
    worst = EXIT_OK
    for ref in refs:
        out_dir = args.out_dir / ref.name if len(refs) > 1 else args.out_dir
        one = [*argv, "--impl", str(ref.path), "--out-dir", str(out_dir)]
        if is_reference(ref):
            code = train(parse_args(one), ref, sandboxed=False)
        else:
            code = train_participant(ref, one, out_dir, args)["exit"]
        worst = max(worst, code)
    return worst


def train_participant(ref: ImplRef, argv: list[str], out_dir: Path, args: argparse.Namespace) -> dict:
    """Check the implementation's imports, train it in a limited child, and report how it ended."""
    out_dir.mkdir(parents=True, exist_ok=True)
    status_path = out_dir / "status.json"
    found = static_violations(ref.path, exceptions_for(ref.path, IMPLS_DIR))
    if found:
        message = f"refused: forbidden import {found[0]} (the grader's rule, gpt2spec/grading/sandbox.py)"
        print(f"[{ref.name}] {message}", file=sys.stderr)
        return {"exit": EXIT_FAILED, "status": "refused", "message": message}
    outcome = run_child(argv, status_path, args.time_limit, args.threads)
    verdict = outcome.verdict(args.time_limit, args.memory_mb)
    if verdict != "ok":
        ckpt = out_dir / "ckpt.pt"
        kept = f"; last good checkpoint: {ckpt}" if ckpt.exists() else ""
        print(f"[{ref.name}] {verdict}{kept}", file=sys.stderr)
    status = outcome.status or {"status": "crash"}
    if verdict != "ok" and status.get("status") in ("running", None):
        status.update(status="crash", message=verdict)
    return {**status, "exit": EXIT_OK if verdict == "ok" else EXIT_FAILED, "seconds": outcome.seconds}


def child_main() -> int:
    """What the child interpreter runs (spec/trainguard.BOOT): limits first, then the participant's code."""
    args = parse_args(sys.argv[1:])
    limit_self(args.memory_mb, cuda=args.device.startswith("cuda"))
    return main(sys.argv[1:])


# ---------------------------------------------------------------- one training run


def load_parts(ref: ImplRef, tracker: Tracker, log) -> Parts:
    if is_reference(ref):
        return reference_parts()
    tracker.at("import")
    module = import_impl(ref)
    tracker.at("checks of each part")
    return choose_parts(ref.name, module, log)


def train(args: argparse.Namespace, ref: ImplRef, sandboxed: bool) -> int:
    """One run; every failure of the participant's code is reported with the step and the part."""
    args.out_dir.mkdir(parents=True, exist_ok=True)
    master = int(os.environ.get("RANK", 0)) == 0
    tracker = Tracker((args.status_file or args.out_dir / "status.json") if master else None)
    if sandboxed and "RANK" in os.environ and not args.status_file:  # a torchrun rank limits itself
        limit_self(args.memory_mb, cuda=args.device.startswith("cuda"))
    try:
        parts = load_parts(ref, tracker, print)
        return run(args, ref.name, parts, tracker)
    except ImplImportError as exc:
        message = str(exc)
    except Exception as exc:
        traceback.print_exc()
        message = f"crash: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} {tracker.where()}"
    tracker.finish("crash", message=message)
    if not args.status_file:  # a child's parent reports it, with the checkpoint it kept
        print(f"[{ref.name}] {message}", file=sys.stderr)
    return EXIT_FAILED


def run(args: argparse.Namespace, name: str, parts: Parts, tracker: Tracker) -> int:
    cfg = dataclasses.replace(
        PRESETS[args.model],
        **{f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig) if getattr(args, f.name) is not None},
    )
    rt = setup_runtime(args.device)
    log = print if rt.master else (lambda *a, **k: None)
    ckpt_path, state_path = args.out_dir / "ckpt.pt", args.out_dir / "train_state.json"
    if rt.device.type == "cpu":
        set_cpu_threads(args.threads, rt.world_size, log)
    torch.manual_seed(args.seed)  # every rank alike, so the models start identical
    cuda = rt.device.type == "cuda"
    if cuda:
        torch.set_float32_matmul_precision("high")  # TF32 matmuls: ~3x on Ampere+, loss unchanged in practice
    amp_dtype = torch.bfloat16 if cuda and torch.cuda.is_bf16_supported() else None

    def amp():
        return torch.autocast("cuda", dtype=amp_dtype) if amp_dtype else contextlib.nullcontext()

    log(f"[{name}] " + parts.banner())
    # data: split the text first, so every tokenizer sees the same training and validation bytes
    train_text, val_text = split_text(args.data.read_text(encoding="utf-8"))
    tracker.at("tokenizer training", parts.whose("tokenizer"))
    tokenizer = make_tokenizer(args.tokenizer, parts.Tokenizer, train_text, args.bpe_vocab_size)
    tracker.at("tokenizer encode", parts.whose("tokenizer"))
    train_tokens = torch.tensor(tokenizer.encode(train_text), dtype=torch.long)
    val_tokens = torch.tensor(tokenizer.encode(val_text), dtype=torch.long)
    B, T = cfg.batch_size, cfg.block_size
    if cfg.total_batch_size < B * T * rt.world_size and cfg.total_batch_size % (T * rt.world_size) == 0:
        B = cfg.total_batch_size // (T * rt.world_size)  # more ranks than the batch needs: split its rows
    if cfg.total_batch_size % (B * T * rt.world_size):
        raise SystemExit(f"total_batch_size {cfg.total_batch_size} is not a multiple of B*T*world_size")
    grad_accum = cfg.total_batch_size // (B * T * rt.world_size)
    val_tokens = val_tokens[: cfg.eval_iters * B * T + 1]  # validation covers at most eval_iters batches
    tracker.at("DataLoader", parts.whose("loader"))
    loader = parts.DataLoader(train_tokens, B, T, rank=rt.rank, world_size=rt.world_size)

    # model: vocab padded to a multiple of 64 (GPT-2: 50257 -> 50304) for faster matmuls; extra ids never occur
    vocab = math.ceil(tokenizer.vocab_size / 64) * 64
    tracker.at("GPT(config)", parts.whose("model"))
    model_config = parts.GPTConfig(
        block_size=T, vocab_size=vocab, n_layer=cfg.n_layer, n_head=cfg.n_head, n_embd=cfg.n_embd
    )
    model = parts.GPT(model_config).to(rt.device)
    tracker.at("configure_optimizers", parts.whose("optimizer"))
    optimizer = parts.configure_optimizers(model, cfg.weight_decay, cfg.max_lr)
    step, history = 0, {"train": [], "val": [], "bpb": []}
    tracker.history = history
    if args.resume:
        if not ckpt_path.exists():
            raise SystemExit(f"--resume: no checkpoint at {ckpt_path}")
        tracker.at("load_checkpoint", parts.whose("checkpoint"))
        step = parts.load_checkpoint(ckpt_path, model, optimizer, loader)
        history = tracker.history = json.loads(state_path.read_text())["history"]
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
    flops_step = flops_per_token(vocab, cfg.n_layer, cfg.n_embd, T) * cfg.total_batch_size
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
    progress = Progress(step, cfg.max_steps, enabled=rt.master)
    last_sample = ""

    def validate(at: int, show_sample: bool) -> bool:
        """Validation (and a sample) on rank 0; False when the model's loss is no longer finite."""
        nonlocal last_sample
        if not rt.master:
            return True
        tracker.at("validation (model forward)", parts.whose("model"), at)
        v = bpb.validate(raw_model, val_tokens, tokenizer.decode_bytes, T, B, rt.device, amp)
        history["val"].append((at, v.nats_per_token))
        history["bpb"].append((at, v.bits_per_byte, at * cfg.total_batch_size))
        progress.write(f"step {at:5d} | val loss {v.nats_per_token:.4f} nats/token | {v.bits_per_byte:.4f} bits/byte")
        if not math.isfinite(v.bits_per_byte):
            return False
        if show_sample:
            tracker.at("sample (model.generate)", parts.whose("model"), at)
            last_sample = sample(raw_model, tokenizer, args.prompt, cfg.sample_tokens, rt.device, amp)
            progress.write(f"---- sample ----\n{last_sample}\n----------------")
        if plot_losses(history, args.out_dir / "loss.png") is False and at == cfg.max_steps:
            progress.write("(matplotlib not installed: no loss.png; pip install 'gpt2spec[train]')")
        return True

    def checkpoint(at: int) -> None:
        if not rt.master:
            return
        tracker.at("save_checkpoint", parts.whose("checkpoint"), at)
        partial = ckpt_path.with_suffix(".partial")  # the last good checkpoint stays until this one is complete
        parts.save_checkpoint(partial, raw_model, optimizer, loader, at)
        os.replace(partial, ckpt_path)
        extra = {"config": dataclasses.asdict(cfg), "tokenizer": tokenizer.name, "parts": parts.banner()}
        state_path.write_text(json.dumps({**extra, "step": at, "history": history}))

    def fail(kind: str, message: str) -> int:
        progress.close()
        kept = f"; last good checkpoint: {ckpt_path}" if ckpt_path.exists() else ""
        if not args.status_file:  # a child's parent reports it
            log(f"[{name}] {message}{kept}")
        tracker.finish(kind, message=message, parts=parts.banner())
        return EXIT_FAILED

    if step == 0 and not validate(0, show_sample=False):
        return fail("nan", f"non-finite validation loss at step 0, in the model ({parts.whose('model')})")
    t_start, train_seconds, tokens_done = time.perf_counter(), 0.0, 0
    while step < cfg.max_steps:
        t0 = time.perf_counter()
        tracker.at("get_lr", parts.whose("schedule"), step)
        lr = parts.get_lr(step, cfg.max_lr, cfg.min_lr, cfg.warmup_steps, cfg.max_steps)
        for group in optimizer.param_groups:
            group["lr"] = lr
        tracker.at("DataLoader.next_batch", parts.whose("loader"))
        batches = [tuple(t.to(rt.device, non_blocking=True) for t in loader.next_batch()) for _ in range(grad_accum)]
        whose_step = parts.whose("train_step")
        tracker.at("train_step", f"{whose_step}; model: {parts.whose('model')}")
        if whose_step == "reference":
            loss, norm = parts.train_step(model, optimizer, batches, cfg.max_norm, autocast_dtype=amp_dtype)
        else:  # the contract's train_step has no autocast argument: run it under autocast
            with amp():
                loss, norm = parts.train_step(model, optimizer, batches, cfg.max_norm)
        loss = float(loss)  # waits for the GPU: the timing below is the step's
        dt = time.perf_counter() - t0
        train_seconds += dt
        tokens_done += cfg.total_batch_size
        step += 1
        if not math.isfinite(loss):
            return fail(
                "nan", f"NaN loss at step {step}, in train_step ({whose_step}) on the model ({parts.whose('model')})"
            )
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
            if not validate(step, show_sample=step % cfg.sample_interval == 0 or last):
                return fail("nan", f"non-finite validation loss at step {step}, in the model ({parts.whose('model')})")
            checkpoint(step)
    progress.close()
    tokens_per_s = tokens_done / train_seconds if train_seconds else 0.0
    if history["val"] and rt.master:
        (s0, v0), (s1, v1) = history["val"][0], history["val"][-1]
        log(
            f"done: val loss {v0:.4f} (step {s0}) -> {v1:.4f} (step {s1}) nats/token, "
            f"{history['bpb'][-1][1]:.4f} bits/byte | {tokens_per_s:,.0f} tokens/s | "
            f"{time.perf_counter() - t_start:.0f} s\ncheckpoint {ckpt_path}, loss curve {args.out_dir / 'loss.png'}"
        )
    tracker.finish("ok", history=history, tokens_per_s=tokens_per_s, sample=last_sample, parts=parts.banner(),
                   params=n_params, tokenizer=tokenizer.name)  # fmt: skip
    if rt.ddp:
        dist.destroy_process_group()
    return EXIT_OK


@torch.no_grad()
def sample(model: torch.nn.Module, tokenizer, prompt: str, n_tokens: int, device, amp, seed: int = 42) -> str:
    """``model.generate`` with its own generator, so sampling leaves training's RNG alone."""
    model.eval()
    idx = torch.tensor([tokenizer.encode(prompt)], dtype=torch.long, device=device)
    g = torch.Generator(device=device).manual_seed(seed)
    with amp():
        try:
            out = model.generate(idx, n_tokens, temperature=0.8, top_k=40, generator=g)
        except (NotImplementedError, AttributeError):  # generate not written yet: sample with the model's forward
            out = _generate(model, idx, n_tokens, 0.8, 40, g)
    model.train()
    # The embedding is padded to a multiple of 64 rows; those ids never occur in the data, and an
    # undertrained model may still sample one: it spells nothing, so it is dropped.
    return tokenizer.decode([i for i in out[0].tolist() if i < tokenizer.vocab_size])


def _generate(model, idx: torch.Tensor, n_tokens: int, temperature: float, top_k: int, g) -> torch.Tensor:
    block = model.transformer.wpe.weight.shape[0]
    for _ in range(n_tokens):
        logits = model(idx[:, -block:])[0][:, -1, :].float() / temperature
        v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
        logits[logits < v[:, [-1]]] = -float("inf")
        idx = torch.cat([idx, torch.multinomial(torch.softmax(logits, -1), 1, generator=g)], dim=1)
    return idx


if __name__ == "__main__":
    sys.exit(main())
