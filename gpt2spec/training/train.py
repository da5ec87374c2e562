"""Pre-train *your* GPT-2 on a text corpus: ``gpt2spec train --impl alice``.

    gpt2spec train --impl alice                           # alice's parts, cpu preset, Shakespeare's works
    gpt2spec train --impl reference                       # the answer key (the default)
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
bf16 autocast, TF32 matmuls, fused AdamW and (with --compile) torch.compile. At the end: held-out
bits/byte by the tool's own GPT on the trained weights, three samples and their word share. Outputs go
to --out-dir: ckpt.pt, train_state.json (history), status.json (the result), report.html (the report
card), loss.png (with matplotlib). Bad input is refused in one line first (gpt2spec/training/inputs.py).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import inspect
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

from . import bpb, inputs, report, textdata
from .guard import Tracker, limit_self, read_status, run_child
from .parts import Parts, choose_parts, reference_parts
from .presets import BPE_VOCAB_SIZES, DEFAULT_BPE_VOCAB_SIZE, DEFAULT_PRESET, PRESETS, TOKENIZERS, TrainConfig
from .recipe import RecipeError, apply_recipe
from .runtime import Progress, flops_per_token, peak_flops, plot_losses, set_cpu_threads, setup_runtime
from .textdata import make_tokenizer

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 3, 4, 130


FIELD_HELP = {
    "n_layer": "transformer blocks",
    "n_head": "attention heads (must divide --n-embd)",
    "n_embd": "model width",
    "block_size": "context length in tokens",
    "batch_size": "sequences per micro-batch",
    "total_batch_size": "tokens per optimizer step (a multiple of batch-size x block-size; the rest is accumulation)",
    "max_steps": "optimizer steps",
    "warmup_steps": "linear warmup steps",
    "max_lr": "peak learning rate",
    "min_lr": "learning rate at the end of the cosine decay",
    "weight_decay": "AdamW weight decay (matrices only)",
    "max_norm": "gradient clipping norm",
    "eval_interval": "steps between validations (and checkpoints)",
    "eval_iters": "batches of validation text at each evaluation (the final one reads all of it)",
    "sample_interval": "steps between printed samples",
    "sample_tokens": "tokens per printed sample",
}


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every flag's help ends with its default, unless the help already says it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        return text if "default" in text else super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gpt2spec train", description=__doc__.split("\n")[0], formatter_class=HelpFormatter
    )
    p.add_argument("--impl", default="reference", help="NAME under impls/, a package PATH, a list, or 'all'")
    presets = ", ".join(sorted(PRESETS))
    p.add_argument("--model", choices=sorted(PRESETS), default=DEFAULT_PRESET, metavar="PRESET", help=presets)
    data_help = "a UTF-8 text file, its last 10%% validating (default: the complete works of Shakespeare)"
    p.add_argument("--data", type=Path, default=None, help=data_help)
    tok_help = (
        "auto/bpe: the week-4 Tokenizer (yours if it passes its check) trained on the training text; "
        "gpt2: GPT-2's own 50,257-id BPE; bytes: one id per UTF-8 byte (default: the preset's, else auto)"
    )
    p.add_argument("--tokenizer", choices=["auto", "bpe", "gpt2", "bytes"], default=None, help=tok_help)
    vocab_help = "ids the BPE learns, fewer on a tiny text (default: the preset's: 1024 for cpu, else 512)"
    p.add_argument("--bpe-vocab-size", type=int, default=None, help=vocab_help)
    p.add_argument("--out-dir", type=Path, default=Path("out/train"), help="checkpoint, history, report.html")
    p.add_argument("--resume", action="store_true", help="continue from <out-dir>/ckpt.pt")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, ...")
    p.add_argument("--compile", action="store_true", help="torch.compile the model (CUDA only)")
    p.add_argument("--seed", type=int, default=1337, help="seed of the initial weights and the batches")
    threads_help = "CPU threads for torch; 0: automatic (torch's own choice, or 1 when the machine is busy)"
    p.add_argument("--threads", type=int, default=0, help=threads_help)
    p.add_argument("--prompt", default="\n", help="start of each sample (default: a newline)")
    p.add_argument("--final-samples", type=int, default=3, help="samples of --final-chars at the end")
    p.add_argument("--final-chars", type=int, default=500, help="characters per final sample")
    p.add_argument("--time-limit", type=float, default=3600.0, help="seconds a participant's run may take")
    p.add_argument("--memory-mb", type=int, default=8192, help="address-space limit of a participant's run (CPU)")
    recipe_help = "open race: apply the implementation's RECIPE (CONTRACT.md, capstone) within the two limits below"
    p.add_argument("--recipe", action="store_true", help=recipe_help)
    p.add_argument("--token-budget", type=int, default=0, help="with --recipe: training tokens (0: the preset's)")
    p.add_argument("--param-cap", type=int, default=0, help="with --recipe: most parameters allowed (0: no cap)")
    p.add_argument("--status-file", type=Path, default=None, help=argparse.SUPPRESS)  # set for the child
    for field in dataclasses.fields(TrainConfig):  # every preset value can be overridden: --max-steps 100
        flag = f"--{field.name.replace('_', '-')}"
        what = FIELD_HELP.get(field.name, field.name.replace("_", " "))
        p.add_argument(flag, type=type(field.default), default=None, help=f"{what} (default: the preset's)")
    return p


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def config_of(args: argparse.Namespace) -> TrainConfig:
    """The preset with every flag given on the command line applied."""
    names = [f.name for f in dataclasses.fields(TrainConfig)]
    given = {name: getattr(args, name) for name in names if getattr(args, name) is not None}
    return dataclasses.replace(PRESETS[args.model], **given)


def tokenizer_of(args: argparse.Namespace) -> str:
    return args.tokenizer or TOKENIZERS.get(args.model, "auto")


def bpe_vocab_size_of(args: argparse.Namespace) -> int:
    if args.bpe_vocab_size is not None:
        return args.bpe_vocab_size
    return BPE_VOCAB_SIZES.get(args.model, DEFAULT_BPE_VOCAB_SIZE)


def tokenizer_request(args: argparse.Namespace) -> dict:
    """The tokenizer this run asks for, saved with each checkpoint so that --resume can compare it."""
    return {"kind": tokenizer_of(args), "bpe_vocab_size": bpe_vocab_size_of(args)}


def check_inputs(args: argparse.Namespace, out_dirs: list[Path]) -> str | None:
    """Every bad input refused in one line before anything is written (gpt2spec/training/inputs.py)."""
    try:
        cfg = config_of(args)
        if not args.recipe:  # an open-race recipe is checked where it is read, in the child
            inputs.check_config(cfg)
        if tokenizer_of(args) in ("auto", "bpe") and (vocab := bpe_vocab_size_of(args)) < 256:
            raise inputs.BadInput(f"--bpe-vocab-size {vocab}: at least 256 (the byte tokens)")
        inputs.load_data(args.data)
        for out_dir in out_dirs:
            inputs.check_out_dir(out_dir)
            if args.resume:
                inputs.check_resume(out_dir, cfg, tokenizer_request(args))
    except inputs.BadInput as exc:
        return str(exc)
    return None


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
    out_dirs = [args.out_dir / ref.name if len(refs) > 1 else args.out_dir for ref in refs]
    problem = check_inputs(args, out_dirs)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    worst = EXIT_OK
    for ref, out_dir in zip(refs, out_dirs, strict=True):
        one = [*argv, "--impl", str(ref.path), "--out-dir", str(out_dir)]
        try:
            if is_reference(ref):
                code = train(parse_args(one), ref, sandboxed=False)
            else:
                code = train_participant(ref, one, out_dir, args)["exit"]
        except KeyboardInterrupt:
            return interrupted(out_dir, ref.name)
        worst = max(worst, code)
    return worst


def interrupted(out_dir: Path, name: str) -> int:
    """Ctrl-C: status.json says so (not "running"), and the line says how to continue."""
    status_path = out_dir / "status.json"
    status = read_status(status_path)
    ckpt = out_dir / "ckpt.pt"
    step = status.get("step", 0)
    kept = f"; the checkpoint {ckpt} is kept: continue with --resume" if ckpt.exists() else ""
    message = f"interrupted (Ctrl-C) at step {step}{kept}"
    if status_path.exists():
        status.update(status="interrupted", message=message)
        status_path.write_text(json.dumps(status))
    print(f"\n[{name}] {message}", file=sys.stderr)
    return EXIT_INTERRUPTED


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


def load_parts(ref: ImplRef, tracker: Tracker, log) -> tuple[Parts, object | None]:
    """The parts that train, and the implementation's module (None for the reference: it sets no recipe)."""
    if is_reference(ref):
        return reference_parts(), None
    tracker.at("import")
    module = import_impl(ref)
    tracker.at("checks of each part")
    return choose_parts(ref.name, module, log), module


def train(args: argparse.Namespace, ref: ImplRef, sandboxed: bool) -> int:
    """One run; every failure of the participant's code is reported with the step and the part."""
    args.out_dir.mkdir(parents=True, exist_ok=True)
    master = int(os.environ.get("RANK", 0)) == 0
    tracker = Tracker((args.status_file or args.out_dir / "status.json") if master else None)
    if sandboxed and "RANK" in os.environ and not args.status_file:  # a torchrun rank limits itself
        limit_self(args.memory_mb, cuda=args.device.startswith("cuda"))
    try:
        parts, module = load_parts(ref, tracker, print)
        cfg = config_of(args)
        if args.recipe:
            cfg = apply_recipe(cfg, module, args.token_budget, print)
        inputs.check_config(cfg)
        return run(args, ref.name, parts, tracker, cfg)
    except ImplImportError as exc:
        message = str(exc)
    except (inputs.BadInput, RecipeError) as exc:
        message = str(exc)
        if not args.status_file:
            print(f"error: {message}", file=sys.stderr)
        tracker.finish("refused", message=message)
        return EXIT_USAGE
    except Exception as exc:
        traceback.print_exc()
        message = f"crash: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} {tracker.where()}"
    tracker.finish("crash", message=message)
    if not args.status_file:  # a child's parent reports it, with the checkpoint it kept
        print(f"[{ref.name}] {message}", file=sys.stderr)
    return EXIT_FAILED


def run(args: argparse.Namespace, name: str, parts: Parts, tracker: Tracker, cfg: TrainConfig) -> int:
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

    # a train_step that takes autocast_dtype (the reference's; optional in the contract) is handed the dtype
    try:
        step_parameters = inspect.signature(parts.train_step).parameters
    except (TypeError, ValueError):
        step_parameters = {}

    log(f"[{name}] " + parts.banner())
    # data: split the text first (whole held-out works, or the last 10%), so every tokenizer sees the same bytes
    data = inputs.load_data(args.data)
    tracker.at("tokenizer training", parts.whose("tokenizer"))
    tokenizer = make_tokenizer(tokenizer_of(args), parts.Tokenizer, data.train_text, bpe_vocab_size_of(args))
    tracker.at("tokenizer encode", parts.whose("tokenizer"))
    train_tokens = torch.tensor(tokenizer.encode(data.train_text), dtype=torch.long)
    all_val_tokens = torch.tensor(tokenizer.encode(data.val_text), dtype=torch.long)
    bytes_per_token = len(data.train_text.encode("utf-8")) / max(1, len(train_tokens))
    if len(train_tokens) < 2 or len(all_val_tokens) < 2:
        raise inputs.BadInput(f"--data {data.name}: fewer than 2 tokens to train or validate on; give more text")
    B, T = cfg.batch_size, cfg.block_size
    if cfg.total_batch_size < B * T * rt.world_size and cfg.total_batch_size % (T * rt.world_size) == 0:
        B = cfg.total_batch_size // (T * rt.world_size)  # more ranks than the batch needs: split its rows
    if cfg.total_batch_size % (B * T * rt.world_size):
        raise inputs.BadInput(f"total_batch_size {cfg.total_batch_size} is not a multiple of B*T*world_size")
    grad_accum = cfg.total_batch_size // (B * T * rt.world_size)
    val_tokens = all_val_tokens[: cfg.eval_iters * B * T + 1]  # periodic validation reads at most eval_iters batches
    tracker.at("DataLoader", parts.whose("loader"))
    loader = parts.DataLoader(train_tokens, B, T, rank=rt.rank, world_size=rt.world_size)

    # model: vocab padded to a multiple of 64 (GPT-2: 50257 -> 50304) for faster matmuls; extra ids never occur
    vocab = math.ceil(tokenizer.vocab_size / 64) * 64
    tracker.at("GPT(config)", parts.whose("model"))
    model_config = parts.GPTConfig(
        block_size=T, vocab_size=vocab, n_layer=cfg.n_layer, n_head=cfg.n_head, n_embd=cfg.n_embd
    )
    model = parts.GPT(model_config).to(rt.device)
    n_params = sum(p.numel() for p in model.parameters())
    if args.recipe and args.param_cap and n_params > args.param_cap:
        raise RecipeError(f"the recipe's model has {n_params:,} parameters, over the race's cap of {args.param_cap:,}")
    tracker.at("configure_optimizers", parts.whose("optimizer"))
    optimizer = parts.configure_optimizers(model, cfg.weight_decay, cfg.max_lr)
    step, history = 0, {"train": [], "val": [], "bpb": [], "samples": []}
    tracker.history = history
    if args.resume:
        inputs.check_resume(args.out_dir, cfg, tokenizer_request(args))
        tracker.at("load_checkpoint", parts.whose("checkpoint"))
        step = parts.load_checkpoint(ckpt_path, model, optimizer, loader)
        history = tracker.history = {"samples": [], **json.loads(state_path.read_text())["history"]}
        log(f"resumed from {ckpt_path} at step {step}")
    raw_model = model
    if args.compile and cuda:
        model = torch.compile(model)
    elif args.compile:
        log("--compile: skipped on the CPU")
    if rt.ddp:
        model = DDP(model, device_ids=[rt.device.index] if cuda else None)

    peak, peak_what = peak_flops(rt.device)
    flops_step = flops_per_token(vocab, cfg.n_layer, cfg.n_embd, T) * cfg.total_batch_size
    held = f" (held-out works: {', '.join(data.heldout_works)})" if data.heldout_works else " (its last 10%)"
    log(
        f"device {rt.device} x{rt.world_size} | bf16 autocast {'on' if amp_dtype else 'off'} | "
        f"TF32 {'on' if cuda else 'off'} | fused AdamW {'on' if optimizer.defaults.get('fused') else 'off'} | "
        f"compile {'on' if args.compile and cuda else 'off'}\n"
        f"tokenizer {tokenizer.name} ({tokenizer.vocab_size} ids) | {len(train_tokens):,} train / "
        f"{len(all_val_tokens):,} validation tokens from {data.name}{held}\n"
        f"model {n_params / 1e6:.2f}M parameters ({cfg.n_layer} layers, {cfg.n_head} heads, width {cfg.n_embd}, "
        f"context {T}) | {cfg.total_batch_size:,} tokens/step = {B}x{T} x {grad_accum} micro-steps x {rt.world_size} "
        f"ranks | {cfg.max_steps} steps = {cfg.max_steps * cfg.total_batch_size:,} tokens | "
        f"MFU vs {peak_what} {peak / 1e12:.2f} TFLOP/s"
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
        if at > 0 and cfg.sample_tokens > 0:
            tracker.at("sample (model.generate)", parts.whose("model"), at)
            last_sample = sample(raw_model, tokenizer, args.prompt, cfg.sample_tokens, rt.device, amp)
            history["samples"].append((at, last_sample))
            if show_sample:
                progress.write(f"---- sample ----\n{last_sample}\n----------------")
        return True

    def checkpoint(at: int) -> None:
        if not rt.master:
            return
        tracker.at("save_checkpoint", parts.whose("checkpoint"), at)
        partial = ckpt_path.with_suffix(".partial")  # the last good checkpoint stays until this one is complete
        parts.save_checkpoint(partial, raw_model, optimizer, loader, at)
        os.replace(partial, ckpt_path)
        extra = {"config": dataclasses.asdict(cfg), "tokenizer": tokenizer.name, "parts": parts.banner()}
        extra["tokenizer_request"] = tokenizer_request(args)
        extra["bytes_per_token"] = bytes_per_token
        tmp = state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({**extra, "step": at, "history": history}))
        os.replace(tmp, state_path)

    def fail(kind: str, message: str) -> int:
        progress.close()
        kept = f"; last good checkpoint: {ckpt_path}" if ckpt_path.exists() else ""
        if not args.status_file:  # a child's parent reports it
            log(f"[{name}] {message}{kept}")
        tracker.finish(kind, message=message, parts=parts.banner())
        return EXIT_FAILED

    if step == 0 and not validate(0, show_sample=False):
        return fail("nan", f"non-finite validation loss at step 0, in the model ({parts.whose('model')})")
    # CPU seconds as well as wall seconds: on a shared machine the first is what a step costs, the second
    # depends on who else runs (docs/CAPSTONE.md budgets the presets with both).
    t_start, train_seconds, cpu_seconds, tokens_done = time.perf_counter(), 0.0, 0.0, 0
    while step < cfg.max_steps:
        t0, c0 = time.perf_counter(), time.process_time()
        tracker.at("get_lr", parts.whose("schedule"), step)
        lr = parts.get_lr(step, cfg.max_lr, cfg.min_lr, cfg.warmup_steps, cfg.max_steps)
        for group in optimizer.param_groups:
            group["lr"] = lr
        tracker.at("DataLoader.next_batch", parts.whose("loader"))
        batches = [tuple(t.to(rt.device, non_blocking=True) for t in loader.next_batch()) for _ in range(grad_accum)]
        whose_step = parts.whose("train_step")
        tracker.at("train_step", f"{whose_step}; model: {parts.whose('model')}")
        if "autocast_dtype" in step_parameters:
            loss, norm = parts.train_step(model, optimizer, batches, cfg.max_norm, autocast_dtype=amp_dtype)
        else:  # autocast_dtype is optional in the contract: run a step without it under autocast
            with amp():
                loss, norm = parts.train_step(model, optimizer, batches, cfg.max_norm)
        loss = float(loss)  # waits for the GPU: the timing below is the step's
        dt = time.perf_counter() - t0
        train_seconds += dt
        cpu_seconds += time.process_time() - c0
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
    if not rt.master:
        dist.destroy_process_group()
        return EXIT_OK
    # The verdict, computed by the tool's own code: the trained weights in the reference GPT, over every
    # held-out token (the periodic validations above read at most eval_iters batches, with the model's forward).
    tracker.at("held-out bits/byte (the tool's own model code)", "gpt2spec", step)
    final, judge = heldout(raw_model, cfg, vocab, all_val_tokens, tokenizer, rt.device, amp)
    tracker.at("final samples (model.generate)", parts.whose("model"), step)
    n_chars = args.final_chars
    finals = [sample(raw_model, tokenizer, args.prompt, n_chars, rt.device, amp, seed=s, max_chars=n_chars)
              for s in range(1, args.final_samples + 1)]  # fmt: skip
    share = textdata.word_share(finals, textdata.word_set(data.train_text))
    wall = time.perf_counter() - t_start
    for i, text in enumerate(finals, 1):
        log(f"---- final sample {i}/{len(finals)} ({len(text)} characters) ----\n{text}")
    if finals:
        pct = f"{100 * share.fraction:.1f}%"
        log(f"---- {share.known}/{share.total} generated words ({pct}) occur in the training text")
    summary = {
        "name": name,
        "parts": parts.banner(),
        "params": n_params,
        "config": dataclasses.asdict(cfg),
        "tokenizer": f"{tokenizer.name} ({tokenizer.vocab_size} ids)",
        "data": data.name,
        "heldout_works": list(data.heldout_works),
        "heldout_bpb": final.bits_per_byte,
        "heldout_judge": judge,
        "bytes_per_token": bytes_per_token,
        "tokens_per_s": tokens_per_s,
        "tokens_per_cpu_s": tokens_done / cpu_seconds if cpu_seconds else 0.0,
        "wall_s": wall,
        "train_wall_s": train_seconds,
        "train_cpu_s": cpu_seconds,
        "word_share": share.fraction,
        "final_samples": finals,
        "history": history,
    }
    written = [ckpt_path]
    if plot_losses(history, bytes_per_token, cfg.total_batch_size, args.out_dir / "loss.png"):
        written.append(args.out_dir / "loss.png")
    written.append(report.write(summary, args.out_dir / "report.html"))
    log(
        f"done: held-out {final.bits_per_byte:.4f} bits/byte over {final.bytes:,} bytes ({judge}) | "
        f"{tokens_per_s:,.0f} tokens/s | {wall:.0f} s wall | word share {100 * share.fraction:.1f}%\n"
        f"wrote {', '.join(str(p) for p in written)}"
        + ("" if len(written) == 3 else " (no loss.png: matplotlib is not installed; pip install 'gpt2spec[train]')")
    )
    reported = ("history", "tokens_per_s", "parts", "params", "heldout_bpb", "word_share", "final_samples", "wall_s",
                "tokens_per_cpu_s", "train_wall_s", "train_cpu_s", "config")  # fmt: skip
    tracker.finish("ok", **{k: summary[k] for k in reported}, sample=last_sample, tokenizer=tokenizer.name)
    if rt.ddp:
        dist.destroy_process_group()
    return EXIT_OK


def heldout(model: torch.nn.Module, cfg: TrainConfig, vocab: int, tokens: torch.Tensor, tokenizer, device, amp):
    """Held-out bits/byte with the tool's own model code: the weights loaded into the reference GPT.

    A model that passed its week-3 check has the contract's parameter names, so its weights load; one
    that does not (a model part that failed its check already is the reference's) is read with its own forward."""
    import reference as REF

    T, B = cfg.block_size, cfg.batch_size
    shape = REF.GPTConfig(block_size=T, vocab_size=vocab, n_layer=cfg.n_layer, n_head=cfg.n_head, n_embd=cfg.n_embd)
    judge_model = REF.GPT(shape).to(device)
    try:
        judge_model.load_state_dict(model.state_dict())
        judge = "the tool's own GPT, loaded with the trained weights"
    except (RuntimeError, KeyError) as exc:
        judge_model = model
        judge = f"the model's own forward: its weights do not load into the reference GPT ({str(exc)[:60]})"
    return bpb.validate(judge_model, tokens, tokenizer.decode_bytes, T, B, device, amp), judge


@torch.no_grad()
def sample(
    model: torch.nn.Module, tokenizer, prompt: str, n_tokens: int, device, amp, seed: int = 42, max_chars: int = 0
) -> str:
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
    text = tokenizer.decode([i for i in out[0].tolist() if i < tokenizer.vocab_size])
    return text[:max_chars] if max_chars else text


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
