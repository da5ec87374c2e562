"""Search the default preset by measurement: ``python -m gpt2spec.training.preset_search``.

Each trial is a preset plus ``gpt2spec train`` flags (``NAME=PRESET [FLAG VALUE ...]``). Every trial gets the
same compute: ``--cpu-budget`` CPU-seconds of training steps on one thread, turned into steps by the trial's
own tokens per CPU-second (a short calibration run on the corpus first, because width, depth, context and
vocabulary all change what a step costs). CPU-seconds rather than wall seconds because the machine may be
shared; the 15-minute wall promise of the ``cpu`` preset is checked separately, by a run as a participant
starts it (docs/CAPSTONE.md). The measure is the tool's own held-out bits/byte on the four unseen plays, and
the word share of three 500-character samples.

Results are appended to ``<out>/results.jsonl`` as each trial ends (an interrupted search keeps them) and the
table of every result there, best first, is rewritten to ``<out>/table.md``.

The calibration is the one step that wall-clock load changes: a step costs more CPU-seconds while the other
core is busy (measured: trials calibrated beside a test run got about a fifth fewer steps). Each trial records
the load average around its calibration, the table shows it, and a load above the machine's cores is warned of.

    python -m gpt2spec.training.preset_search --cpu-budget 740 --jobs 2 \\
        base=cpu v512='cpu --bpe-vocab-size 512' wide='cpu --n-embd 192 --n-head 6'
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .capstone_bench import train
from .presets import PRESETS

CALIBRATION_STEPS = 30
# Set by the search itself (the budget's steps, one thread, its own directories): a trial may not override them.
RESERVED = (
    *("--max-steps", "--threads", "--model", "--out-dir", "--impl"),
    *("--eval-interval", "--sample-interval", "--final-samples"),
)


@dataclass(frozen=True)
class Trial:
    name: str
    preset: str
    flags: tuple[str, ...]

    @classmethod
    def parse(cls, spec: str) -> Trial:
        """``NAME=PRESET --flag value ...``; the preset must exist and every flag must carry a value."""
        name, sep, rest = spec.partition("=")
        words = shlex.split(rest)
        if not sep or not name or not words:
            raise ValueError(f"a trial is NAME=PRESET [FLAGS], got {spec!r}")
        if words[0] not in PRESETS:
            raise ValueError(f"trial {name!r}: unknown preset {words[0]!r} (one of {', '.join(sorted(PRESETS))})")
        flags = tuple(words[1:])
        if len(flags) % 2 or not all(f.startswith("--") for f in flags[::2]):
            raise ValueError(f"trial {name!r}: flags come in '--flag value' pairs, got {' '.join(flags)!r}")
        if taken := [f for f in flags[::2] if f in RESERVED]:
            raise ValueError(f"trial {name!r}: {', '.join(taken)} is set by the search (the budget decides the steps)")
        return cls(name, words[0], flags)

    def flag(self, flag: str) -> str | None:
        pairs = dict(zip(self.flags[::2], self.flags[1::2], strict=True))
        return pairs.get(flag)


def steps_for(budget_cpu_s: float, tokens_per_cpu_s: float, total_batch_size: int) -> int:
    """Optimizer steps that spend ``budget_cpu_s`` at the calibrated rate (at least one)."""
    return max(1, round(budget_cpu_s * tokens_per_cpu_s / total_batch_size))


def run_trial(trial: Trial, budget: float, out: Path) -> dict:
    """Calibrate the trial's shape, then train it for the budget's steps; the status.json plus what was asked."""
    quick = ["--final-samples", "0", "--eval-iters", "1", *trial.flags]
    load = os.getloadavg()[0]
    cal = train("reference", trial.preset, CALIBRATION_STEPS, out / f"{trial.name}-calibrate", quick)
    load = round(max(load, os.getloadavg()[0]), 2)  # the 1-minute average lags: the larger of before and after
    if cal.get("status") != "ok":
        return {**cal, "trial": trial.name, "flags": list(trial.flags), "preset": trial.preset, "budget_cpu_s": budget}
    if load > (os.cpu_count() or 1) + 0.5:
        print(f"{trial.name}: calibrated at load {load:g} on {os.cpu_count()} cores: its step count may be short; "
              "search on a quiet machine", flush=True)  # fmt: skip
    batch = int(trial.flag("--total-batch-size") or PRESETS[trial.preset].total_batch_size)
    steps = steps_for(budget, cal["tokens_per_cpu_s"], batch)
    extra = list(trial.flags)
    if trial.flag("--warmup-steps") is None:  # the preset's warmup share of its own length
        preset = PRESETS[trial.preset]
        extra += ["--warmup-steps", str(max(1, round(steps * preset.warmup_steps / preset.max_steps)))]
    result = train("reference", trial.preset, steps, out / trial.name, extra)
    return {**result, "trial": trial.name, "flags": list(trial.flags), "preset": trial.preset,
            "calibrated_tokens_per_cpu_s": cal["tokens_per_cpu_s"], "calibration_load": load,
            "budget_cpu_s": budget}  # fmt: skip


def table(results: list[dict], budget: float) -> str:
    """Markdown: one row per trial, best held-out bits/byte first; failed trials last, with their message.
    Results of another budget (an earlier search into the same --out) are not comparable: only ``budget``'s."""
    results = [r for r in results if r.get("budget_cpu_s", budget) == budget]
    ok = sorted((r for r in results if r.get("status") == "ok"), key=lambda r: r["heldout_bpb"])
    lines = [
        f"Budget: {budget:g} CPU-seconds of training steps per trial, one thread.",
        "",
        "| trial | preset + flags | params | steps × tokens | held-out bits/byte | word share | CPU-s of steps "
        "| wall | load at calibration |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in ok:
        tokens = r["steps"] * r["config"]["total_batch_size"]
        lines.append(
            f"| {r['trial']} | `{' '.join([r['preset'], *r['flags']])}` | {r['params']:,} "
            f"| {r['steps']:,} × {r['config']['total_batch_size']:,} = {tokens:,} "
            f"| **{r['heldout_bpb']:.3f}** | {100 * r['word_share']:.1f}% | {r['train_cpu_s']:.0f} "
            f"| {r['command_wall_s']:.0f} s | {r.get('calibration_load', '—')} |"
        )
    for r in results:
        if r.get("status") != "ok":
            lines.append(f"| {r['trial']} | `{' '.join([r['preset'], *r['flags']])}` | failed: "
                         f"{r.get('message', '')[-120:]!r} | | | | | | |")  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gpt2spec.training.preset_search", description=__doc__.split("\n")[0])
    p.add_argument("trials", nargs="+", help="NAME=PRESET [--flag value ...] (quote each trial)")
    budget = "CPU-seconds of training steps per trial (740: what 15 wall minutes hold on 2 cores)"
    p.add_argument("--cpu-budget", type=float, default=740.0, help=budget)
    p.add_argument("--out", type=Path, default=Path("out/preset-search"), help="runs, results.jsonl, table.md")
    p.add_argument("--jobs", type=int, default=1, help="single-thread trials at a time (at most the number of cores)")
    args = p.parse_args(argv)
    try:
        trials = [Trial.parse(t) for t in args.trials]
    except ValueError as exc:
        p.error(str(exc))
    if len({t.name for t in trials}) != len(trials):
        p.error("trial names must be unique")
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / "results.jsonl"
    written = threading.Lock()

    def one(trial: Trial) -> None:
        result = run_trial(trial, args.cpu_budget, args.out)
        keep = {k: v for k, v in result.items() if k != "history"}
        with written:
            with log.open("a") as f:
                f.write(json.dumps(keep) + "\n")
            results = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
            (args.out / "table.md").write_text(table(results, args.cpu_budget))
            bpb = f"{result['heldout_bpb']:.3f} bits/byte" if result.get("status") == "ok" else "failed"
            print(f"{trial.name}: {bpb}", flush=True)

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        list(pool.map(one, trials))
    print(f"wrote {args.out / 'table.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
