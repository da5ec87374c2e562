"""The training race: ``gpt2spec race --impl all`` pre-trains every implementation the same way.

Same seed, same corpus split (by characters, before any tokenizer), same model size, same number of
steps of the same number of tokens, one CPU thread each, one at a time. Each trains with its own
parts where they pass their checks (gpt2spec/training/parts.py), in its own limited process
(gpt2spec/training/guard.py).
Validation is in **bits per byte** over the whole validation text (gpt2spec/training/bpb.py), so a participant's
tokenizer does not change the units. A rerun gives the same losses (tokens/s, being a measurement,
varies). The ranking: finished runs first, by final validation bits/byte, ties by tokens/s; then
runs that crashed, hit NaN or a limit, with the reason.

Writes, into --out (default: leaderboard/, next to the leaderboard): race.md (table + samples),
race.json, race.svg (every validation curve on one chart), race.png when matplotlib is installed.
"""

from __future__ import annotations

import argparse
import dataclasses
import html
import json
import sys
from pathlib import Path

from gpt2spec.registry import SelectionError, resolve

from .presets import TrainConfig
from .textdata import CORPUS
from .train import EXIT_OK, EXIT_USAGE, train_participant

# ~0.14M parameters with a 512-token BPE; 200 steps of 512 tokens: about a minute per implementation on 1 thread.
RACE = TrainConfig(
    n_layer=2,
    n_head=4,
    n_embd=64,
    block_size=64,
    batch_size=8,
    total_batch_size=512,
    max_steps=200,
    warmup_steps=20,
    max_lr=3e-3,
    min_lr=3e-4,
    eval_interval=25,
    eval_iters=10_000,  # the whole validation text
    sample_interval=10**9,  # one sample, at the end
    sample_tokens=120,
)
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
DASHES = ["", "14 7", "4 5", "18 5 4 5", "2 3", "10 3 2 3"]


def race_argv(cfg: TrainConfig, args: argparse.Namespace, impl_path: Path, out_dir: Path) -> list[str]:
    argv = ["--impl", str(impl_path), "--out-dir", str(out_dir), "--data", str(args.data), "--threads", "1"]
    argv += ["--seed", str(args.seed), "--tokenizer", args.tokenizer, "--time-limit", str(args.time_limit)]
    argv += ["--device", "cpu", "--memory-mb", str(args.memory_mb)]
    for field in dataclasses.fields(TrainConfig):
        argv += [f"--{field.name.replace('_', '-')}", str(getattr(cfg, field.name))]
    return argv


def run_race(args: argparse.Namespace) -> dict:
    cfg = dataclasses.replace(RACE, max_steps=args.steps, eval_interval=max(1, args.steps // args.evals))
    entries = []
    for ref in resolve(args.impl):
        out_dir = args.out / "race" / ref.name
        print(f"[race] {ref.name} ...", file=sys.stderr, flush=True)
        result = train_participant(ref, race_argv(cfg, args, ref.path, out_dir), out_dir, args)
        history = result.get("history") or {}
        entries.append(
            {
                "name": ref.name,
                "status": result.get("status", "crash"),
                "message": result.get("message", ""),
                "curve": [(tokens, bpb) for _, bpb, tokens in history.get("bpb", [])],
                "final_bpb": history["bpb"][-1][1] if result.get("status") == "ok" else None,
                "tokens_per_s": result.get("tokens_per_s"),
                "seconds": round(result.get("seconds", 0.0), 1),
                "sample": result.get("sample", ""),
                "parts": result.get("parts", ""),
            }
        )
    ranked = sorted(entries, key=rank_key)
    for i, e in enumerate(ranked, 1):
        e["rank"] = i
    budget = {
        "steps": cfg.max_steps,
        "tokens_per_step": cfg.total_batch_size,
        "tokens": cfg.max_steps * cfg.total_batch_size,
    }
    return {"schema": "gpt2spec-race/1", "config": dataclasses.asdict(cfg), "budget": budget, "seed": args.seed,
            "data": str(args.data), "entries": ranked}  # fmt: skip


def rank_key(e: dict) -> tuple:
    """Finished first; then lower final bits/byte; then more tokens/s; then the name."""
    if e["status"] != "ok" or e["final_bpb"] is None:
        return (1, 0.0, 0.0, e["name"])
    return (0, e["final_bpb"], -(e["tokens_per_s"] or 0.0), e["name"])


def yours_count(parts: str) -> str:
    """'5/7': how many of the seven parts ran the implementation's own code ('answer key' for the reference)."""
    if "yours" not in parts and "(" not in parts:
        return "answer key"
    items = [p for p in parts.split(" · ") if ":" in p]
    return f"{sum(1 for p in items if p.split(':', 1)[1].strip().startswith('yours'))}/{len(items)}" if items else "?"


def markdown(race: dict) -> str:
    b = race["budget"]
    lines = [
        "# Training race",
        "",
        f"Every implementation: seed {race['seed']}, the same text split, {b['steps']} steps × "
        f"{b['tokens_per_step']} tokens = {b['tokens']:,} tokens, model {race['config']['n_layer']} layers × "
        f"width {race['config']['n_embd']}, "
        "1 CPU thread. Validation in bits per byte over the whole validation text (lower is better).",
        "",
        "![validation curves](race.svg)",
        "",
        "| rank | implementation | val bits/byte | tokens/s | wall s | parts yours | status |",
        "|---:|---|---:|---:|---:|---:|---|",
    ]
    for e in race["entries"]:
        bpb = f"{e['final_bpb']:.4f}" if e["final_bpb"] is not None else "—"
        tps = f"{e['tokens_per_s']:,.0f}" if e["tokens_per_s"] else "—"
        status = "finished" if e["status"] == "ok" else f"**{e['status']}**: {e['message']}"
        lines.append(
            f"| {e['rank']} | {e['name']} | {bpb} | {tps} | {e['seconds']} | {yours_count(e['parts'])} | {status} |"
        )
    lines += ["", "## Whose parts ran", ""]
    lines += [f"- **{e['name']}**: {e['parts'] or '—'}" for e in race["entries"]]
    lines += ["", "## Samples (prompt: a newline; temperature 0.8, top-k 40)", ""]
    for e in race["entries"]:
        if e["sample"]:
            lines += [f"**{e['name']}**", "", "```", e["sample"].strip("\n"), "```", ""]
    lines += ["", "Back to the [leaderboard](leaderboard.md)."]
    return "\n".join(lines) + "\n"


def svg(race: dict, width: int = 1000, height: int = 600) -> str:
    """One chart, every validation curve (bits/byte vs tokens seen); large type for a projector."""
    series = [(e["name"], e["curve"]) for e in race["entries"] if e["curve"]]
    left, right, top, bottom = 90, 260, 40, 70
    pw, ph = width - left - right, height - top - bottom
    points = [p for _, c in series for p in c]
    x_max = max([x for x, _ in points] + [race["budget"]["tokens"]])
    ys = [y for _, y in points if y == y and y != float("inf")] or [0.0, 1.0]
    y_lo, y_hi = min(ys), max(ys)
    y_lo, y_hi = y_lo - 0.05 * (y_hi - y_lo + 1e-9), y_hi + 0.05 * (y_hi - y_lo + 1e-9)

    def sx(x: float) -> float:
        return left + pw * x / x_max

    def sy(y: float) -> float:
        return top + ph * (y_hi - min(max(y, y_lo), y_hi)) / (y_hi - y_lo)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="18">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="26" font-size="22" font-weight="bold">Training race: validation bits per byte</text>',
    ]
    for i in range(6):
        y = y_lo + (y_hi - y_lo) * i / 5
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 8}" y="{sy(y) + 6:.1f}" text-anchor="end">{y:.2f}</text>')
        x = x_max * i / 5
        out.append(f'<text x="{sx(x):.1f}" y="{top + ph + 26}" text-anchor="middle">{x / 1000:g}k</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
    out.append(f'<text x="{left + pw / 2}" y="{height - 14}" text-anchor="middle">training tokens seen</text>')
    for i, (name, curve) in enumerate(series):
        color, dash = COLORS[i % len(COLORS)], DASHES[i % len(DASHES)]
        pts = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in curve)
        out.append(
            f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="4" stroke-dasharray="{dash}"/>'
        )
        ly = top + 20 + 34 * i
        out.append(
            f'<line x1="{left + pw + 16}" x2="{left + pw + 56}" y1="{ly}" y2="{ly}" stroke="{color}" '
            f'stroke-width="4" stroke-dasharray="{dash}"/>'
        )
        out.append(f'<text x="{left + pw + 64}" y="{ly + 6}">{html.escape(name[:16])}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def png(race: dict, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(10, 6))
    styles = ["-", "--", ":", "-."]
    for i, e in enumerate(x for x in race["entries"] if x["curve"]):
        xs, ys = zip(*e["curve"], strict=True)
        ax.plot(xs, ys, styles[i % 4], lw=3, color=COLORS[i % len(COLORS)], label=e["name"])
    ax.set_title("Training race: validation bits per byte", fontsize=18)
    ax.set_xlabel("training tokens seen", fontsize=16)
    ax.set_ylabel("bits per byte", fontsize=16)
    ax.tick_params(labelsize=14)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=14)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def write(race: dict, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {ext: out / f"race.{ext}" for ext in ("md", "json", "svg")}
    paths["md"].write_text(markdown(race))
    paths["json"].write_text(json.dumps(race, indent=2) + "\n")
    paths["svg"].write_text(svg(race))
    if png(race, out / "race.png"):
        paths["png"] = out / "race.png"
    return paths


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="gpt2spec race", description=__doc__.split("\n")[0])
    p.add_argument("--impl", default="all", help="NAME under impls/, a package PATH, a list, or 'all' (default)")
    p.add_argument("--out", type=Path, default=Path("leaderboard"), help="output directory (default: leaderboard)")
    p.add_argument("--data", type=Path, default=CORPUS, help="the corpus (default: embedded Shakespeare)")
    p.add_argument("--steps", type=int, default=RACE.max_steps, help="optimizer steps of 512 tokens (default 200)")
    p.add_argument("--evals", type=int, default=RACE.max_steps // RACE.eval_interval, help="validations (default 8)")
    p.add_argument("--tokenizer", choices=["auto", "bytes"], default="auto", help="auto: each one's own BPE")
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--time-limit", type=float, default=600.0, help="seconds per implementation")
    p.add_argument("--memory-mb", type=int, default=8192, help="address-space limit per implementation")
    p.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        resolve(args.impl)
    except SelectionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    race = run_race(args)
    paths = write(race, args.out)
    print(markdown(race).split("## Whose parts ran")[0])
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
