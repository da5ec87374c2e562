"""The training race, two tracks on the same data and the same held-out works.

    gpt2spec race --track same --impl all            # correctness: one fixed recipe for everyone
    gpt2spec race --track open --impl all            # open recipe: each package's RECIPE, fixed budget
    gpt2spec race --track open --shard 2/4 --out s2  # one share of the runs (a CI matrix job)
    gpt2spec race --merge s1 s2 s3 s4 --out leaderboard   # the page, from every share

*Same recipe*: every implementation trains the same model with the same config and seeds; correct
implementations agree within seed noise. The band at each evaluation is the reference's mean over the
seeds ± max(3 x its standard deviation, 0.01 bits/byte); an entry whose mean curve leaves it is flagged
with the first evaluation (in training tokens) where it does.

*Open recipe*: a fixed budget of training tokens and a cap on parameters; each package's ``RECIPE``
(gpt2spec/training/recipe.py; spec/CONTRACT.md, capstone) overrides the training config, its own parts
train as in the capstone. The tool evaluates every entry itself, over ``--seeds`` seeds (at least 3),
with held-out bits/byte computed by its own GPT from the trained weights (gpt2spec/training/train.py,
``heldout``), ranks by the mean with its spread, and entries within noise share a rank (Welch's t-test,
p < 0.01: gpt2spec/training/stats.py). Finished entries rank first; crashes, NaNs and limits after.

Runs are (entry, seed) pairs in a fixed order; ``--shard K/N`` runs every N-th from the K-th and writes
``shard-K-of-N.json``; ``--merge DIR...`` reads every shard file under the DIRs and writes race.html,
race.md, race.json and race.svg (race.png with matplotlib). Without either, one process does both.
"""

from __future__ import annotations

import argparse
import dataclasses
import html
import json
import sys
from pathlib import Path

from gpt2spec.registry import ImplRef, SelectionError, resolve

from . import inputs, stats
from .chart import line_chart
from .presets import TrainConfig
from .train import EXIT_FAILED, EXIT_OK, EXIT_USAGE, train_participant

# ~0.14M parameters with a 512-token BPE; 200 steps of 512 tokens: about a minute per run on 1 thread.
RACE_BPE_VOCAB_SIZE = 512  # pinned: the cpu preset's own default (1,024) would change the race with the preset
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
    eval_iters=40,  # the curve reads 40 batches; the final held-out number reads every held-out token
    sample_interval=10**9,  # one sample, at the end
    sample_tokens=120,
)
PARAM_CAP = 1_000_000
SCHEMA = "gpt2spec-race/3"  # 3: the BPE vocabulary is pinned and recorded
BAND_SIGMAS, BAND_FLOOR = 3.0, 0.01


def race_argv(cfg: TrainConfig, args: argparse.Namespace, impl_path: Path, out_dir: Path, seed: int) -> list[str]:
    argv = ["--impl", str(impl_path), "--out-dir", str(out_dir), "--threads", "1", "--device", "cpu"]
    argv += ["--seed", str(seed), "--time-limit", str(args.time_limit), "--memory-mb", str(args.memory_mb)]
    argv += ["--final-samples", "1", "--final-chars", "300", "--bpe-vocab-size", str(RACE_BPE_VOCAB_SIZE)]
    if args.data:
        argv += ["--data", str(args.data)]
    if args.tokenizer:
        argv += ["--tokenizer", args.tokenizer]
    if args.track == "open":
        argv += ["--recipe", "--token-budget", str(cfg.max_steps * cfg.total_batch_size)]
        argv += ["--param-cap", str(args.param_cap)]
    for field in dataclasses.fields(TrainConfig):
        argv += [f"--{field.name.replace('_', '-')}", str(getattr(cfg, field.name))]
    return argv


def base_config(args: argparse.Namespace) -> TrainConfig:
    return dataclasses.replace(RACE, max_steps=args.steps, eval_interval=max(1, args.steps // args.evals))


def planned_runs(refs: list[ImplRef], seeds: list[int]) -> list[tuple[ImplRef, int]]:
    """Every (entry, seed), in a fixed order that every shard computes alike."""
    return [(ref, seed) for ref in sorted(refs, key=lambda r: r.name) for seed in seeds]


def run_share(args: argparse.Namespace, refs: list[ImplRef], shard: int, n_shards: int) -> dict:
    """Run this share's (entry, seed) pairs; the result is what ``merge`` reads."""
    cfg = base_config(args)
    seeds = [args.seed + i for i in range(args.seeds)]
    mine = [run for i, run in enumerate(planned_runs(refs, seeds)) if i % n_shards == shard - 1]
    runs = []
    for ref, seed in mine:
        out_dir = args.out / "race" / ref.name / f"seed{seed}"
        print(f"[race] {ref.name} seed {seed} ...", file=sys.stderr, flush=True)
        result = train_participant(ref, race_argv(cfg, args, ref.path, out_dir, seed), out_dir, args)
        history = result.get("history") or {}
        ok = result.get("status") == "ok"
        runs.append(
            {
                "name": ref.name,
                "seed": seed,
                "status": result.get("status", "crash"),
                "message": result.get("message", ""),
                "curve": [(tokens, b) for _, b, tokens in history.get("bpb", [])],
                "heldout_bpb": result.get("heldout_bpb") if ok else None,
                "tokens_per_s": result.get("tokens_per_s"),
                "seconds": round(result.get("seconds", 0.0), 1),
                "sample": (result.get("final_samples") or [result.get("sample", "")])[0] if ok else "",
                "parts": result.get("parts", ""),
                "params": result.get("params"),
                "config": result.get("config") or {},
            }
        )
    settings = {
        "track": args.track,
        "config": dataclasses.asdict(cfg),
        "budget_tokens": cfg.max_steps * cfg.total_batch_size,
        "bpe_vocab_size": RACE_BPE_VOCAB_SIZE,
        "param_cap": args.param_cap if args.track == "open" else None,
        "seeds": seeds,
        "data": str(args.data) if args.data else "shakespeare (complete works)",
        "entries": sorted(r.name for r in refs),
    }
    return {"schema": SCHEMA, "shard": f"{shard}/{n_shards}", "settings": settings, "runs": runs}


# ---------------------------------------------------------------- merging shares into one race


def merge(shares: list[dict]) -> dict:
    """One race from every share: the settings must agree, and every planned run must be there once."""
    settings = shares[0]["settings"]
    for s in shares[1:]:
        if s["settings"] != settings:
            raise ValueError(f"shard {s['shard']} ran other settings than shard {shares[0]['shard']}")
    runs = [r for s in shares for r in s["runs"]]
    seen = {(r["name"], r["seed"]) for r in runs}
    missing = [(n, sd) for n in settings["entries"] for sd in settings["seeds"] if (n, sd) not in seen]
    if missing or len(seen) != len(runs):
        raise ValueError(f"shares incomplete or overlapping: missing {missing[:4]}, {len(runs) - len(seen)} twice")
    entries = [entry(name, [r for r in runs if r["name"] == name], settings) for name in settings["entries"]]
    finished = [(e["name"], e["bpbs"]) for e in entries if e["status"] == "ok"]
    ranks = stats.shared_ranks(finished)
    failed = sorted((e for e in entries if e["status"] != "ok"), key=lambda e: e["name"])
    for i, e in enumerate(failed):
        ranks[e["name"]] = len(finished) + 1 + i
    for e in entries:
        e["rank"] = ranks[e["name"]]
    entries.sort(key=lambda e: (e["rank"], e["mean"] if e["mean"] is not None else 0.0, e["name"]))
    return {"schema": SCHEMA, "settings": settings, "entries": entries}


def entry(name: str, runs: list[dict], settings: dict) -> dict:
    runs = sorted(runs, key=lambda r: r["seed"])
    if settings["track"] == "open" and name != "reference":  # a recipe races the participant's own model only
        for r in runs:
            if r["status"] == "ok" and "model: yours" not in r["parts"]:
                why = r["parts"].split("model: ", 1)[-1].split(" · ")[0]
                r.update(status="ineligible", message=f"the model is not its own, so no recipe of it races: {why}")
    bad = [r for r in runs if r["status"] != "ok"]
    bpbs = [r["heldout_bpb"] for r in runs if r["status"] == "ok"]
    mean, std = stats.mean_std(bpbs) if bpbs and not bad else (None, None)
    base = settings["config"]
    recipe = {k: v for k, v in (runs[0]["config"] or {}).items() if k in base and base[k] != v and k != "eval_interval"}
    if settings["track"] == "open":
        recipe.pop("max_steps", None)  # set by the budget and the batch
        recipe.pop("sample_interval", None)
    return {
        "name": name,
        "status": bad[0]["status"] if bad else "ok",
        "message": f"seed {bad[0]['seed']}: {bad[0]['message']}" if bad else "",
        "bpbs": bpbs,
        "mean": mean,
        "std": std,
        "curve": mean_curve([r["curve"] for r in runs if r["status"] == "ok"]),
        "tokens_per_s": stats.mean_std([r["tokens_per_s"] for r in runs if r["tokens_per_s"]] or [0.0])[0],
        "seconds": round(sum(r["seconds"] for r in runs), 1),
        "params": runs[0]["params"],
        "parts": runs[0]["parts"],
        "recipe": recipe,
        "sample": runs[0]["sample"],
        "flag": "",
    }


def mean_curve(curves: list[list]) -> list[tuple[float, float]]:
    if not curves:
        return []
    n = min(len(c) for c in curves)
    return [(curves[0][i][0], sum(c[i][1] for c in curves) / len(curves)) for i in range(n)]


def flag_outside_band(entries: list[dict]) -> None:
    """Same recipe: flag an entry whose mean curve leaves the reference's seed band, at the first evaluation."""
    ref = next((e for e in entries if e["name"] == "reference" and e["status"] == "ok"), None)
    if ref is None:
        return
    for e in entries:
        if e is ref or e["status"] != "ok":
            continue
        for (tokens, y), (_, lo, hi) in zip(e["curve"], ref["band"], strict=False):
            if not lo <= y <= hi:
                e["flag"] = f"leaves the reference's seed band at {tokens:,} tokens ({y:.4f} vs {lo:.4f}-{hi:.4f})"
                break


def add_band(entries: list[dict], runs: list[dict]) -> None:
    """The reference's band at each evaluation: mean ± max(3 std over seeds, 0.01)."""
    for e in entries:
        curves = [r["curve"] for r in runs if r["name"] == e["name"] and r["status"] == "ok"]
        e["band"] = []
        if not curves:
            continue
        for i in range(min(len(c) for c in curves)):
            m, s = stats.mean_std([c[i][1] for c in curves])
            half = max(BAND_SIGMAS * s, BAND_FLOOR)
            e["band"].append((curves[0][i][0], m - half, m + half))


# ---------------------------------------------------------------- the page


def fmt_bpb(e: dict) -> str:
    return "—" if e["mean"] is None else f"{e['mean']:.4f} ± {e['std']:.4f}"


def yours_count(parts: str) -> str:
    """'5/7': how many of the seven parts ran the implementation's own code ('answer key' for the reference)."""
    if "yours" not in parts and "(" not in parts:
        return "answer key"
    items = [p for p in parts.split(" · ") if ":" in p]
    return f"{sum(1 for p in items if p.split(':', 1)[1].strip().startswith('yours'))}/{len(items)}" if items else "?"


def recipe_text(e: dict, base: dict) -> str:
    return ", ".join(f"{k} {base[k]}→{v}" for k, v in sorted(e["recipe"].items())) or "the default"


def status_text(e: dict) -> str:
    if e["status"] != "ok":
        return f"{e['status']}: {e['message']}"
    return e["flag"] or "finished"


def headline(race: dict) -> str:
    s, c = race["settings"], race["settings"]["config"]
    track = "open recipe" if s["track"] == "open" else "same recipe"
    cap = f", at most {s['param_cap']:,} parameters" if s["param_cap"] else ""
    return (
        f"Track: {track}. {s['budget_tokens']:,} training tokens{cap}; seeds {', '.join(map(str, s['seeds']))}; "
        f"data: {s['data']}. Default recipe: {c['n_layer']} layers × width {c['n_embd']}, context {c['block_size']}, "
        f"{c['total_batch_size']} tokens/step, lr {c['max_lr']:g}. Ranked by mean held-out bits/byte (the tool's "
        f"own GPT on the trained weights; lower is better) ± its standard deviation over seeds; entries share a rank "
        f"unless Welch's t-test gives p < 0.01."
    )


def markdown(race: dict) -> str:
    base = race["settings"]["config"]
    lines = ["# Training race", "", headline(race), "", "![held-out curves](race.svg)", ""]
    lines += ["| rank | entry | held-out bits/byte | params | tokens/s | parts yours | recipe vs default | status |"]
    lines += ["|---:|---|---:|---:|---:|---:|---|---|"]
    for e in race["entries"]:
        tps = f"{e['tokens_per_s']:,.0f}" if e["tokens_per_s"] else "—"
        params = f"{e['params']:,}" if e["params"] else "—"
        lines.append(
            f"| {e['rank']} | {e['name']} | {fmt_bpb(e)} | {params} | {tps} | {yours_count(e['parts'])} | "
            f"{recipe_text(e, base)} | {status_text(e)} |"
        )
    lines += ["", "## Whose parts ran", ""]
    lines += [f"- **{e['name']}**: {e['parts'] or '—'}" for e in race["entries"]]
    lines += ["", "## Samples (first seed; prompt: a newline; temperature 0.8, top-k 40)", ""]
    for e in race["entries"]:
        if e["sample"]:
            lines += [f"**{e['name']}**", "", "```", e["sample"].strip("\n"), "```", ""]
    lines += ["", "Back to the [leaderboard](leaderboard.md)."]
    return "\n".join(lines) + "\n"


def svg(race: dict) -> str:
    series = [(e["name"], e["curve"]) for e in race["entries"] if e["curve"]]
    title = "Training race: held-out bits per byte (mean over seeds)"
    return line_chart(series, title, "training tokens seen", "bits per byte")


def page(race: dict) -> str:
    base = race["settings"]["config"]
    head = ["rank", "entry", "held-out bits/byte (mean ± sd)", "params", "tokens/s", "parts yours", "recipe vs default"]
    rows = []
    for e in race["entries"]:
        cells = [e["rank"], e["name"], fmt_bpb(e), f"{e['params']:,}" if e["params"] else "—",
                 f"{e['tokens_per_s']:,.0f}" if e["tokens_per_s"] else "—", yours_count(e["parts"]),
                 recipe_text(e, base), status_text(e)]  # fmt: skip
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    samples = "".join(
        f"<h3>{html.escape(e['name'])}</h3><pre>{html.escape(e['sample'])}</pre>"
        for e in race["entries"]
        if e["sample"]
    )
    th = "".join(f"<th>{html.escape(h)}</th>" for h in [*head, "status"])
    css = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
           "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}"
           "pre{background:#f6f6f6;padding:8px;white-space:pre-wrap}")  # fmt: skip
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Training race</title>"
        f"<style>{css}</style></head><body><h1>Training race</h1><p>{html.escape(headline(race))}</p>"
        f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(rows)}</tbody></table>{svg(race)}"
        f"<h2>Samples</h2>{samples}</body></html>\n"
    )


def png(race: dict, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import EngFormatter
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(10, 6))
    styles = ["-", "--", ":", "-."]
    for i, e in enumerate(x for x in race["entries"] if x["curve"]):
        xs, ys = zip(*e["curve"], strict=True)
        ax.plot(xs, ys, styles[i % 4], lw=3, label=e["name"])
    ax.set_title("Training race: held-out bits per byte (mean over seeds)", fontsize=16)
    ax.set_xlabel("training tokens seen", fontsize=14)
    ax.set_ylabel("bits per byte", fontsize=14)
    ax.xaxis.set_major_formatter(EngFormatter(sep=""))
    ax.tick_params(labelsize=12)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def write(race: dict, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = {"race.md": markdown(race), "race.json": json.dumps(race, indent=2) + "\n", "race.svg": svg(race)}
    files["race.html"] = page(race)
    written = []
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
        written.append(out / name)
    if png(race, out / "race.png"):
        written.append(out / "race.png")
    return written


# ---------------------------------------------------------------- command line


def parse_shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard {text!r}: write K/N, e.g. 2/4") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"--shard {text}: K must be between 1 and N")
    return k, n


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="gpt2spec race",
        description=__doc__.split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--track", choices=["same", "open"], default="same", help="same recipe, or each one's RECIPE")
    p.add_argument("--impl", default="all", help="NAME under impls/, a package PATH, a list, or 'all'")
    p.add_argument("--out", type=Path, default=Path("leaderboard"), help="output directory")
    p.add_argument("--data", type=Path, default=None, help="a UTF-8 text file (default: the complete works)")
    p.add_argument("--steps", type=int, default=RACE.max_steps, help="the budget: steps of 512 tokens")
    p.add_argument("--evals", type=int, default=RACE.max_steps // RACE.eval_interval, help="points on each curve")
    p.add_argument("--seeds", type=int, default=3, help="seeds per entry (at least 3 for a ranking)")
    p.add_argument("--seed", type=int, default=1337, help="the first seed")
    p.add_argument("--param-cap", type=int, default=PARAM_CAP, help="open track: most parameters allowed")
    p.add_argument("--tokenizer", choices=["auto", "bytes"], default=None, help="auto: each one's own BPE")
    p.add_argument("--shard", type=parse_shard, default=None, metavar="K/N", help="run the K-th of N shares only")
    p.add_argument("--merge", type=Path, nargs="+", default=None, metavar="DIR", help="build the page from shares")
    p.add_argument("--time-limit", type=float, default=600.0, help="seconds per run")
    p.add_argument("--memory-mb", type=int, default=8192, help="address-space limit per run")
    p.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def load_shares(dirs: list[Path]) -> list[dict]:
    files = sorted({f for d in dirs for f in (d.rglob("shard-*-of-*.json") if d.is_dir() else [d])})
    if not files:
        raise ValueError(f"no shard-K-of-N.json under {', '.join(map(str, dirs))}")
    return [json.loads(f.read_text()) for f in files]


def finish(shares: list[dict], out: Path) -> int:
    runs = [r for s in shares for r in s["runs"]]
    race = merge(shares)
    add_band(race["entries"], runs)
    if race["settings"]["track"] == "same":
        flag_outside_band(race["entries"])
    paths = write(race, out)
    print(markdown(race).split("## Whose parts ran")[0])
    print("wrote " + ", ".join(str(p) for p in paths))
    return EXIT_OK if all(e["status"] == "ok" for e in race["entries"]) else EXIT_FAILED


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.merge:
        try:
            return finish(load_shares(args.merge), args.out)
        except (ValueError, OSError, KeyError) as exc:
            print(f"error: --merge: {exc}", file=sys.stderr)
            return EXIT_USAGE
    if args.steps < 1 or args.evals < 1 or args.seeds < 1:
        print("error: --steps, --evals and --seeds must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        refs = resolve(args.impl)
        inputs.load_data(args.data)  # the corpus fetched and checked once, here, before any run
        inputs.check_out_dir(args.out)
    except (SelectionError, inputs.BadInput) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    k, n = args.shard or (1, 1)
    share = run_share(args, refs, k, n)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"shard-{k}-of-{n}.json"
    path.write_text(json.dumps(share, indent=2) + "\n")
    if args.shard:
        print(f"wrote {path} ({len(share['runs'])} runs); build the page with: gpt2spec race --merge DIR...")
        return EXIT_OK
    return finish([share], args.out)
