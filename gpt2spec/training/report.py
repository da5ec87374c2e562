"""The report card of one training run: ``<out-dir>/report.html``, one self-contained page.

Train and held-out curves in bits per byte against training tokens (the train loss, in nats per token,
is converted with the training text's bytes per token), the held-out verdict and how it was computed,
tokens/s, wall time, parameters, whose parts ran, the samples made at each evaluation and the final ones
with their word share. No script, no external file: it opens anywhere and renders the same in a browser.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

from .chart import line_chart

CSS = """body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}
pre{background:#f6f6f6;padding:10px;white-space:pre-wrap;font-size:14px}h1{font-size:26px}"""


def train_bpb(history: dict, bytes_per_token: float, tokens_per_step: int) -> list[tuple[float, float]]:
    """The train loss as (tokens, bits/byte), averaged over windows so the curve is readable."""
    rows = history.get("train", [])
    window = max(1, len(rows) // 60)
    out = []
    for i in range(0, len(rows) - window + 1, window):
        chunk = rows[i : i + window]
        nats = sum(loss for _, loss in chunk) / len(chunk)
        out.append((chunk[-1][0] * tokens_per_step, nats / (math.log(2) * bytes_per_token)))
    return out


def render(run: dict) -> str:
    cfg, hist = run["config"], run["history"]
    tps = cfg["total_batch_size"]
    series = [
        ("train", train_bpb(hist, run["bytes_per_token"], tps)),
        ("held-out", [(tokens, b) for _, b, tokens in hist.get("bpb", [])]),
    ]
    chart = line_chart(series, "Loss in bits per byte (lower is better)", "training tokens seen", "bits per byte")
    works = ", ".join(run["heldout_works"]) or "the last 10% of the text"
    facts = [
        ("implementation", run["name"]),
        ("held-out bits/byte", f"{run['heldout_bpb']:.4f} on {works} ({run['heldout_judge']})"),
        ("word share of the final samples", f"{100 * run['word_share']:.1f}% of generated words occur in training"),
        ("parameters", f"{run['params']:,}"),
        ("model", f"{cfg['n_layer']} layers, {cfg['n_head']} heads, width {cfg['n_embd']}, "
                  f"context {cfg['block_size']}"),
        ("training", f"{cfg['max_steps']:,} steps x {tps:,} tokens = {cfg['max_steps'] * tps:,} tokens, "
                     f"lr {cfg['max_lr']:g} -> {cfg['min_lr']:g}, warmup {cfg['warmup_steps']}"),
        ("tokens/s", f"{run['tokens_per_s']:,.0f}"),
        ("wall time", f"{run['wall_s']:.0f} s"),
        ("data", f"{run['data']}, tokenizer {run['tokenizer']}"),
        ("whose parts ran", run["parts"]),
    ]  # fmt: skip
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in facts)
    samples = "".join(f"<h3>step {step}</h3><pre>{html.escape(text)}</pre>" for step, text in hist.get("samples", []))
    finals = "".join(f"<h3>final sample {i}</h3><pre>{html.escape(t)}</pre>" for i, t in
                     enumerate(run["final_samples"], 1))  # fmt: skip
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Report card: {html.escape(run['name'])}"
        f"</title><style>{CSS}</style></head><body><h1>Report card: {html.escape(run['name'])}</h1>"
        f"<table>{rows}</table><h2>Curves</h2>{chart}<h2>Final samples</h2>{finals}"
        f"<h2>Samples at each evaluation</h2>{samples or '<p>none</p>'}</body></html>\n"
    )


def write(run: dict, path: Path) -> Path:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(render(run), encoding="utf-8")
    tmp.replace(path)
    return path
