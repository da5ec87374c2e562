"""``gpt2spec gpu-check``: everything that needs CUDA, in one command that fits a short GPU booking (< 8 min).

    gpt2spec gpu-check                      # on a GPU machine: gpu-check/report.{md,json}
    gpt2spec gpu-check --dry-run            # on the CPU, tiny sizes: proves the script runs to the end

Steps (gpt2spec/gpusteps.py has the measurements): preflight, the spec on CUDA (fp32; bf16 measured, since
the spec documents no bf16 tolerance), forward / train step / generation throughput against Hugging Face
GPT-2 eager and sdpa at 124M, the 124M training MFU ladder (TF32, bf16, fused AdamW, torch.compile), the KV
cache's speed-up, tokenizer MB/s against tiktoken, and the capstone's GPU preset. Each step runs in its own
child interpreter under its own time limit, so a crash or a hang is one row of the report and the next step
still runs; the report is rewritten after every step, so a later failure never loses an earlier row.
Goals are written next to each figure: met, not met, or not measured.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .registry import ROOT

EXIT_OK, EXIT_STEP_FAILED, EXIT_PREFLIGHT = 0, 1, 3
INJECT_ENV = "GPT2SPEC_GPUCHECK_INJECT"  # "STEP:crash" or "STEP:hang": make one step fail (gpusteps._inject)
PARENT_ENV = "GPT2SPEC_GPUCHECK_PARENT"  # the pid of gpu-check: a step that outlives it kills its own group
BUDGET_S = 480.0  # the whole real run; the per-step limits below add up to less, start-ups included


@dataclass(frozen=True)
class StepSpec:
    name: str
    what: str
    limit_s: float  # on a GPU
    dry_limit_s: float = 120.0  # on the dry run's CPU (a loaded 2-core box)


STEPS = (
    StepSpec("preflight", "GPU, free memory, torch CUDA build", 30),
    StepSpec("spec", "the spec's model tests on --device cuda, documented tolerances", 120),
    StepSpec("spec-bf16", "reference under bf16 autocast vs fp32 (no spec tolerance)", 30),
    StepSpec("throughput", "tokens/s vs HF GPT-2 eager and sdpa, 124M", 90),
    StepSpec("mfu", "124M training MFU ladder", 120),  # the compile rung alone may take a minute
    StepSpec("kv-cache", "generate with vs without the KV cache, 124M", 45),
    StepSpec("tokenizer", "encode MB/s vs tiktoken", 30),
    # last, so that it gets what the budget has left, up to nanoGPT shakespeare_char's 3 minutes
    StepSpec("preset", "the capstone's GPU preset: tokens/s, held-out bits/byte", 180),
)


@dataclass
class Row:
    step: str
    what: str
    status: str  # ok, failed (exit code), timeout, skipped
    seconds: float
    limit_s: float
    figures: list[dict] = field(default_factory=list)
    message: str = ""  # what went wrong, in one line; where the log is


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    steps = "\n".join(f"  {s.name:<11} {s.limit_s:>4.0f} s  {s.what}" for s in STEPS)
    p = argparse.ArgumentParser(
        prog="gpt2spec gpu-check",
        description="Everything that needs CUDA, within 8 minutes on one GPU; a report row per step, goals judged.\n"
        f"steps (time limit on a GPU):\n{steps}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", type=Path, default=Path("gpu-check"), help="report directory (default: gpu-check)")
    p.add_argument("--dry-run", action="store_true", help="on the CPU with tiny sizes; judges no goal")
    p.add_argument("--only", default="", help="comma-separated steps to run (default: all); preflight always runs")
    p.add_argument(
        "--limit",
        action="append",
        default=[],
        metavar="STEP=SECONDS",
        help="override one step's time limit (repeatable)",
    )
    p.add_argument("--budget", type=float, default=BUDGET_S, help="seconds for the whole run (not on --dry-run)")
    args = p.parse_args(argv)
    args.out = args.out.resolve()  # the steps run from the project root
    args.limits = {spec.name: spec.dry_limit_s if args.dry_run else spec.limit_s for spec in STEPS}
    for item in args.limit:
        name, _, seconds = item.partition("=")
        if name not in args.limits or not seconds:
            p.error(f"--limit {item!r}: expected STEP=SECONDS, STEP one of {', '.join(args.limits)}")
        args.limits[name] = float(seconds)
    args.only = {s for s in args.only.split(",") if s}
    if args.only - set(args.limits):
        p.error(f"--only: unknown step(s) {', '.join(sorted(args.only - set(args.limits)))}")
    return args


def run_step(spec: StepSpec, limit: float, args: argparse.Namespace) -> Row:
    """One step in a child interpreter (its own process group, killed whole at the limit)."""
    result, log = args.out / "steps" / f"{spec.name}.json", args.out / "logs" / f"{spec.name}.log"
    result.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "gpt2spec.gpusteps", spec.name, "--out", str(result), "--limit", str(limit)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", PARENT_ENV: str(os.getpid())}
    if args.dry_run:
        cmd.append("--dry-run")
        env["GPT2SPEC_BENCH_QUICK"] = "1"  # spec/bench's tiny setups
    t0 = time.perf_counter()
    with log.open("w") as out:
        child = subprocess.Popen(
            cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )  # from the project root, where spec/ and its conftest are
        try:
            code = child.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            code = None
        finally:  # at the limit, and on Ctrl-C or SIGTERM: the step and anything it started (the preset's trainer)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    seconds = round(time.perf_counter() - t0, 1)
    row = Row(spec.name, spec.what, "ok", seconds, limit)
    if code is None:
        row.status, row.message = "timeout", f"killed at its {limit:.0f} s limit; log: {log}"
    elif code != 0 or not result.exists():
        row.status, row.message = "failed", f"exit {code}: {_last_line(log)}; log: {log}"
    if result.exists():
        row.figures = json.loads(result.read_text())
    return row


def _last_line(log: Path) -> str:
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


# ---------------------------------------------------------------- the report


def table(rows: list[Row]) -> list[list[str]]:
    """One line per figure (a failed step: one line saying why); columns as in report.md."""
    out = []
    for row in rows:
        head = [row.step, row.status, f"{row.seconds:.0f}/{row.limit_s:.0f}"]
        if not row.figures:
            out.append([*head, row.message or "-", "", "", ""])
        for i, f in enumerate(row.figures):
            value = "-" if f["value"] in (None, "-") else f"{f['value']} {f['unit']}".strip()
            out.append([*(head if i == 0 else ["", "", ""]), f["name"], value, f["goal"], f["verdict"]])
        if row.figures and row.message:
            out.append(["", "", "", "error", row.message, "", ""])
    return out


COLUMNS = ["step", "status", "s / limit", "figure", "value", "goal", "verdict"]


def markdown(rows: list[Row], meta: dict) -> str:
    lines = [
        "# gpt2spec gpu-check",
        "",
        f"{meta['device']} · torch {meta['torch']} · {meta['when']} · "
        f"{'DRY RUN (CPU, tiny sizes: the numbers only prove that the code runs)' if meta['dry_run'] else 'real run'}"
        f" · {meta['seconds']:.0f} s",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |" for cells in table(rows)]
    return "\n".join(lines) + "\n"


def plain(rows: list[Row]) -> str:
    cells = [COLUMNS, *table(rows)]
    widths = [min(60, max(len(r[i]) for r in cells)) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(c[:60].ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells)


def write_report(out: Path, rows: list[Row], meta: dict) -> None:
    (out / "report.json").write_text(json.dumps({"meta": meta, "steps": [asdict(r) for r in rows]}, indent=1))
    (out / "report.md").write_text(markdown(rows, meta))


# ---------------------------------------------------------------- the command


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through run_step, which kills the running step's group


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    limits, only = args.limits, args.only
    for sub in ("steps", "logs"):
        (args.out / sub).mkdir(parents=True, exist_ok=True)
    meta = {
        "dry_run": args.dry_run,
        "device": "cpu (dry run)" if args.dry_run else "cuda",
        "torch": _torch_version(),
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "seconds": 0.0,
        "budget_s": None if args.dry_run else args.budget,
        "inject": os.environ.get(INJECT_ENV, ""),
    }
    rows: list[Row] = []
    t0 = time.perf_counter()
    worst = EXIT_OK
    chosen = [spec for spec in STEPS if not only or spec.name in only or spec.name == "preflight"]
    print(f"gpt2spec gpu-check{' --dry-run' if args.dry_run else ''}: {len(chosen)} steps -> {args.out}/report.md")
    for spec in chosen:
        left = float("inf") if args.dry_run else args.budget - (time.perf_counter() - t0)
        if left < 10:
            row = Row(spec.name, spec.what, "skipped", 0.0, limits[spec.name], message="the run's time budget is spent")
        else:
            row = run_step(spec, min(limits[spec.name], left), args)
        rows.append(row)
        meta["seconds"] = round(time.perf_counter() - t0, 1)
        if row.step == "preflight":
            meta["device"] = _figure(row, "GPU") or meta["device"]
        write_report(args.out, rows, meta)  # after every step: a later crash never loses this row
        print(f"  {row.step:<11} {row.status:<8} {row.seconds:6.1f} s  {row.message}", flush=True)
        if row.status != "ok":
            worst = EXIT_STEP_FAILED
        if row.step == "preflight" and args.dry_run and _figure(row, "missing") not in (None, "nothing"):
            print(f"  (a real run would stop here, missing: {_figure(row, 'missing')})")
        elif row.step == "preflight" and (row.status != "ok" or _figure(row, "missing") != "nothing"):
            print(f"gpu-check: missing: {_figure(row, 'missing') or row.message}", file=sys.stderr)
            return EXIT_PREFLIGHT
    print("\n" + plain(rows))
    print(f"\nreport: {args.out / 'report.md'} and {args.out / 'report.json'} ({meta['seconds']:.0f} s)")
    return worst


def _figure(row: Row, name: str) -> str | None:
    return next((str(f["value"]) for f in row.figures if f["name"] == name), None)


def _torch_version() -> str:
    """Without importing torch: the parent only starts children, and stays light."""
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


if __name__ == "__main__":
    sys.exit(main())
