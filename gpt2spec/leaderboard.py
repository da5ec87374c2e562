"""The leaderboard: ``gpt2spec leaderboard`` grades every registered implementation (as
``gpt2spec grade --impl all`` does), or reads an existing grade report (``--from-report DIR``),
and writes leaderboard.md, leaderboard.html (static, sortable by clicking a header),
leaderboard.json and leaderboard.svg (a stacked bar chart) into --out. Columns: the score per
week, the total, and one ratio-to-reference column per benchmark when pytest-benchmark JSON
files are given with --benchmark-json. The answer key (impls/reference) is shown, marked, but
not ranked among the participants."""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from gpt2spec.contract import SPEC_DIR
from gpt2spec.grading.childrun import Limits
from gpt2spec.grading.grade import SandboxMissing, grade_all, spec_paths
from gpt2spec.grading.records import EXIT_USAGE, FAILING_OUTCOMES, Grade, Run, read_run
from gpt2spec.grading.reports import failure_text, week_label

from .registry import SelectionError, resolve

ANSWER_KEY = "reference"  # impls/reference: the answer key, shown for scale, never ranked
COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1"]


@dataclass
class Failure:
    test: str  # node id without the implementation's id: spec/test_mlp.py::test_gelu[tiny]
    outcome: str
    message: str  # the assertion's message and hint (gpt2spec.grading.reports.failure_text)


@dataclass
class Row:
    rank: int  # 0: not ranked (the answer key)
    name: str
    status: str
    reason: str
    weeks: dict[int, float]
    total: float
    max_total: float
    seconds: float
    benchmarks: dict[str, float] = field(default_factory=dict)  # column -> time ratio to the reference
    failures: list[Failure] = field(default_factory=list)  # tests that failed, errored, crashed, timed out
    counts: dict[str, int] = field(default_factory=dict)  # outcome -> number of tests


@dataclass
class Board:
    rows: list[Row]
    weeks: list[int]
    week_max: dict[int, float]
    bench_columns: list[str]
    generated: str
    # Extra sections after the table, e.g. a training race: (title, markdown, html fragment). Add with
    # ``board.sections.append(...)``; every renderer shows them.
    sections: list[tuple[str, str, str]] = field(default_factory=list)


def build(run: Run, benchmarks: dict[str, dict[str, float]] | None = None) -> Board:
    """Rank graded implementations by total (ties by name); ungraded ones come last with 0."""
    benchmarks = benchmarks or {}
    key = {g.name: (not g.graded, -g.score, g.name) for g in run.grades}
    ordered = sorted(run.grades, key=lambda g: (g.name != ANSWER_KEY, key[g.name]))
    rows, rank, previous, place = [], 0, None, 0
    for g in ordered:
        if g.name != ANSWER_KEY:
            place += 1
            if (g.graded, g.score) != previous:
                rank, previous = place, (g.graded, g.score)
        rows.append(
            Row(
                rank=rank if g.name != ANSWER_KEY else 0,
                name=g.name,
                status=g.status,
                reason=g.reason or "; ".join(g.notes),
                weeks={w: s.points for w, s in g.weeks.items()},
                total=g.score,
                max_total=g.max_score,
                seconds=g.seconds,
                benchmarks={col: per_impl[g.name] for col, per_impl in benchmarks.items() if g.name in per_impl},
                failures=_failures(g),
                counts=dict(g.counts),
            )
        )
    week_max = {w: max((g.weeks[w].max_points for g in run.grades if w in g.weeks), default=0.0) for w in run.weeks}
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return Board(rows, run.weeks, week_max, sorted(benchmarks), generated)


def _failures(g: Grade) -> list[Failure]:
    if not g.graded:
        return []
    return [
        Failure(_test_name(t.key), t.outcome, failure_text(t.message))
        for t in g.tests
        if t.outcome in FAILING_OUTCOMES or t.outcome == "not run"
    ]


def _test_name(key: str) -> str:
    return key.replace("[impl-", "[").replace("-impl]", "]").replace("[impl]", "")


# ---------------------------------------------------------------- benchmarks


def read_benchmarks(paths: list[Path]) -> dict[str, dict[str, float]]:
    """pytest-benchmark JSON -> {column: {impl: time ratio to the reference}} (lower is faster).

    The ratio is taken from ``extra_info["ratio"]`` when the benchmark measured one against its
    own in-process baseline, else computed from the mean time relative to the reference's.
    """
    means: dict[str, dict[str, float]] = {}
    ratios: dict[str, dict[str, float]] = {}
    for path in paths:
        try:
            data = json.loads(Path(path).read_text())
            found = data["benchmarks"] if isinstance(data, dict) else None
            if not isinstance(found, list):
                raise ValueError("no 'benchmarks' list")
            for bench in found:
                float(bench["stats"]["mean"])  # checked here, before any grading; used below
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"--benchmark-json {path}: not a complete pytest-benchmark JSON file ({exc})") from exc
        for bench in found:
            impl = _impl_of(bench)
            column = bench.get("group") or re.sub(r"\[.*\]$", "", bench.get("name", "?"))
            extra = bench.get("extra_info") or {}
            if isinstance(extra.get("ratio"), (int, float)):
                ratios.setdefault(column, {})[impl] = float(extra["ratio"])
            means.setdefault(column, {})[impl] = float(bench["stats"]["mean"])
    for column, per_impl in means.items():
        base = per_impl.get("reference")
        for impl, mean in per_impl.items():
            if impl not in ratios.get(column, {}) and base:
                ratios.setdefault(column, {})[impl] = mean / base
    return ratios


def _impl_of(bench: dict) -> str:
    extra = bench.get("extra_info") or {}
    if isinstance(extra.get("impl"), str):
        return extra["impl"]
    param = (bench.get("params") or {}).get("impl")
    if isinstance(param, str):
        m = re.search(r"name='([^']+)'", param)
        return m.group(1) if m else param
    m = re.search(r"\[([^\]-]+)", bench.get("name", ""))
    return m.group(1) if m else "?"


# ---------------------------------------------------------------- renderers


def to_json(board: Board) -> dict:
    return {
        "schema": "gpt2spec-leaderboard/1",
        "generated": board.generated,
        "weeks": {str(w): {"label": week_label(w), "max_points": board.week_max[w]} for w in board.weeks},
        "benchmarks": board.bench_columns,
        "rows": [
            {
                "rank": r.rank,
                "name": r.name,
                "status": r.status,
                "reason": r.reason,
                "weeks": {str(w): r.weeks.get(w, 0.0) for w in board.weeks},
                "total": r.total,
                "max_total": r.max_total,
                "benchmarks": r.benchmarks,
                "seconds": r.seconds,
                "counts": r.counts,
                "failures": [{"test": f.test, "outcome": f.outcome, "message": f.message} for f in r.failures],
            }
            for r in board.rows
        ],
        "sections": [{"title": t, "markdown": md} for t, md, _ in board.sections],
    }


def markdown(board: Board) -> str:
    head = ["#", "implementation", *[week_label(w) for w in board.weeks], "total", *board.bench_columns, "status"]
    lines = ["# gpt2spec leaderboard", "", f"Generated {board.generated}.", ""]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in board.rows:
        cells = [
            str(r.rank) if r.rank else "—",
            f"`{r.name}` (answer key, not ranked)" if not r.rank else f"`{r.name}`",
        ]
        cells += [f"{r.weeks.get(w, 0.0):g}" for w in board.weeks]
        cells.append(f"**{r.total:g}** / {r.max_total:g}")
        cells += [_ratio(r.benchmarks.get(c)) for c in board.bench_columns]
        cells.append("graded" if r.status == "graded" else f"{r.status}: {r.reason}".replace("|", "\\|"))
        lines.append("| " + " | ".join(cells) + " |")
    if board.bench_columns:
        lines += ["", "Benchmark columns: time relative to the reference (lower is faster)."]
    lines += ["", "![scores](leaderboard.svg)", ""]
    for title, md, _ in board.sections:
        lines += [f"## {title}", "", md, ""]
    return "\n".join(lines)


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"×{value:.2f}"


def page(board: Board, race: str | None = None) -> str:
    """The leaderboard as a seminar room sees it on a projector: big type, strong contrast, one
    column per week, and under each row (click the status) every failing test with the spec's
    message and hint. Each implementation is one <tbody>, so sorting moves its details along."""
    e = html.escape
    heads = [("#", "num"), ("implementation", "text")]
    heads += [(f"{week_label(w)} (/{board.week_max[w]:g})", "num") for w in board.weeks]
    heads += [("total", "num")] + [(f"{c} (×ref)", "num") for c in board.bench_columns] + [("status", "text")]
    th = "".join(
        f'<th data-type="{kind}" aria-sort="none" tabindex="0"><button type="button">{e(label)}</button></th>'
        for label, kind in heads
    )
    bodies = []
    for i, r in enumerate(board.rows):
        if r.rank:
            cells = [_td(r.rank, str(r.rank)), f'<td class="name">{e(r.name)}</td>']
        else:  # the answer key: sorts after everyone, marked
            cells = [_td(10**6, "—"), f'<td class="name">{e(r.name)} <span class="badge key">answer key</span></td>']
        for w in board.weeks:
            points = r.weeks.get(w, 0.0)
            full = " full" if points and points >= board.week_max[w] - 1e-6 else ""
            cells.append(_td(points, f"{points:g}", f"week{full}"))
        cells.append(_td(r.total, f"<strong>{r.total:g}</strong> / {r.max_total:g}"))
        for c in board.bench_columns:
            v = r.benchmarks.get(c)
            cells.append(_td(v if v is not None else "", _ratio(v)))
        cells.append(f'<td class="status">{_status(r, f"d{i}")}</td>')
        detail = f'<tr class="detail" id="d{i}" hidden><td colspan="{len(heads)}">{_detail(r)}</td></tr>'
        bodies.append(f'<tbody><tr class="main">{"".join(cells)}</tr>\n{detail}</tbody>')
    sections = "".join(f"<h2>{e(title)}</h2>\n{fragment}\n" for title, _, fragment in board.sections)
    if race:  # the training race's own page, next to this one (gpt2spec race)
        sections += f'<p>Training race: <a href="{e(race)}">{e(race)}</a></p>\n'

    return PAGE.format(
        generated=e(board.generated),
        th=th,
        bodies="\n".join(bodies),
        sections=sections,
        script=SORT_SCRIPT,
        bench_note=" Benchmark columns: time relative to the reference (lower is faster)."
        if board.bench_columns
        else "",
    )


BENCH_NOTE = " Benchmark columns: time relative to the reference (lower is faster)."


def _status(r: Row, detail_id: str) -> str:
    e = html.escape
    if r.status != "graded":
        return f'<span class="badge bad">{e(r.status)}</span> <span class="why">{e(r.reason)}</span>'
    failing = len(r.failures)
    todo = r.counts.get("not implemented", 0)
    if not failing and not r.counts.get("passed", 0):
        label, cls = "nothing done yet", "todo"  # not the green of "all passed"
    else:
        label = f"{failing} failing" if failing else "all passed" if not todo else "no failure"
        label += f", {todo} to do" if todo else ""
        cls = "warn" if failing else "ok"
    return (
        f'<button type="button" class="badge {cls}" aria-expanded="false" aria-controls="{detail_id}">'
        f"▸ graded: {e(label)}</button>"
    )


def _detail(r: Row) -> str:
    e = html.escape
    parts = [f'<p class="why">{e(r.reason)}</p>'] if r.reason else []
    if r.failures:
        items = "".join(
            f"<li><code>{e(f.test)}</code> <b>{e(f.outcome)}</b><pre>{e(f.message)}</pre></li>" for f in r.failures[:60]
        )
        more = f"<p>... and {len(r.failures) - 60} more (see the grade report)</p>" if len(r.failures) > 60 else ""
        parts.append(f'<ol class="failures">{items}</ol>{more}')
    todo = r.counts.get("not implemented", 0)
    if todo:
        parts.append(f"<p>{todo} test(s) not implemented yet (blanks of the template).</p>")
    return "".join(parts) or "<p>Every graded test passed.</p>"


def _td(value: object, shown: str, cls: str = "") -> str:
    return f'<td class="num {cls}" data-value="{html.escape(str(value))}">{shown}</td>'


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gpt2spec leaderboard</title>
<style>
body {{ font: 22px/1.4 system-ui, sans-serif; margin: 1.5rem auto; max-width: 110rem; padding: 0 1rem;
       color: #000; background: #fff; }}
h1 {{ font-size: 2.2rem; margin: 0 0 .3rem; }}
p.lead {{ margin: 0 0 1rem; color: #222; font-size: .8em; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ padding: .5rem .7rem; border-bottom: 2px solid #bbb; text-align: left; vertical-align: top; }}
thead th {{ background: #111; color: #fff; position: sticky; top: 0; }}
th button {{ all: unset; cursor: pointer; font-weight: 700; }}
th[aria-sort=ascending] button::after {{ content: " ▲"; }}
th[aria-sort=descending] button::after {{ content: " ▼"; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
td.week.full {{ background: #c8ecc8; font-weight: 700; }}
td.name {{ font-weight: 700; }}
tbody:nth-of-type(odd) tr.main {{ background: #f2f2f5; }}
.badge {{ border-radius: .5rem; padding: .05rem .55rem; font: inherit; font-size: .85em; font-weight: 700;
         border: 2px solid transparent; }}
button.badge {{ cursor: pointer; }}
.ok {{ background: #c8ecc8; color: #003300; }} .warn {{ background: #ffe08a; color: #3d2b00; }}
.bad {{ background: #b00020; color: #fff; }}
.todo {{ background: #e0e0e0; color: #222; }} .key {{ background: #d6e4ff; color: #001a4d; }}
.why {{ font-size: .8em; color: #222; }}
tr.detail td {{ background: #fffbe8; font-size: .8em; }}
ol.failures {{ margin: .2rem 0; padding-left: 1.6rem; }}
code, pre {{ font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }}
ol.failures pre {{ white-space: pre-wrap; margin: .2rem 0 .6rem; font-size: .9em; }}
</style></head>
<body>
<h1>gpt2spec leaderboard</h1>
<p class="lead">Generated {generated}. Click a column header to sort; click a status to see each failing test's
message.{bench_note}</p>
<table id="board"><thead><tr>{th}</tr></thead>
{bodies}
</table>
{sections}<p><img src="leaderboard.svg" alt="score per implementation, stacked by week"></p>
<script>{script}</script>
</body></html>
"""

SORT_SCRIPT = """
(function () {
  const table = document.getElementById("board");
  const heads = Array.from(table.tHead.rows[0].cells);
  function key(body, i, type) {
    const cell = body.rows[0].cells[i];
    if (type === "num") {
      const v = parseFloat(cell.dataset.value);
      return isNaN(v) ? -Infinity : v;
    }
    return cell.textContent.trim().toLowerCase();
  }
  function sortBy(i) {
    const th = heads[i];
    const dir = th.getAttribute("aria-sort") === "descending" ? "ascending" : "descending";
    heads.forEach(h => h.setAttribute("aria-sort", "none"));
    th.setAttribute("aria-sort", dir);
    const sign = dir === "ascending" ? 1 : -1;
    const type = th.dataset.type;
    const bodies = Array.from(table.tBodies);
    bodies.sort((a, b) => {
      const x = key(a, i, type), y = key(b, i, type);
      return x < y ? -sign : x > y ? sign : 0;
    });
    bodies.forEach(b => table.appendChild(b));
  }
  heads.forEach((th, i) => {
    th.addEventListener("click", () => sortBy(i));
    th.addEventListener("keydown", ev => { if (ev.key === "Enter") sortBy(i); });
  });
  table.querySelectorAll("button.badge").forEach(btn => btn.addEventListener("click", () => {
    const row = document.getElementById(btn.getAttribute("aria-controls"));
    row.hidden = !row.hidden;
    btn.setAttribute("aria-expanded", String(!row.hidden));
    btn.textContent = (row.hidden ? "▸" : "▾") + btn.textContent.slice(1);
  }));
})();
"""


def svg(board: Board) -> str:
    """Horizontal bars, one per implementation, stacked by week; the total at the end."""
    bar, gap, left, width = 22, 8, 170, 480
    full = sum(board.week_max.values()) or 1.0
    legend_h = 30
    height = legend_h + len(board.rows) * (bar + gap) + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 90}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    x = left
    for i, w in enumerate(board.weeks):
        color = COLORS[i % len(COLORS)]
        parts.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{x + 16}" y="18">{html.escape(week_label(w))}</text>')
        x += 95
    for j, r in enumerate(board.rows):
        y = legend_h + j * (bar + gap)
        parts.append(f'<text x="{left - 8}" y="{y + bar * 0.7}" text-anchor="end">{html.escape(r.name)}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{width}" height="{bar}" fill="#eee"/>')
        x = float(left)
        for i, w in enumerate(board.weeks):
            seg = width * r.weeks.get(w, 0.0) / full
            if seg > 0:
                color = COLORS[i % len(COLORS)]
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{seg:.1f}" height="{bar}" fill="{color}"/>')
            x += seg
        label = f"{r.total:g}" if r.status == "graded" else f"0 ({r.status})"
        parts.append(f'<text x="{left + width + 6}" y="{y + bar * 0.7}">{html.escape(label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write(board: Board, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {ext: out / f"leaderboard.{ext}" for ext in ("md", "html", "json", "svg")}
    race = "\nTraining race (gpt2spec race): [race.md](race.md)\n" if (out / "race.md").is_file() else ""
    paths["md"].write_text(markdown(board) + race)
    race_page = next((name for name in ("race.html", "race.md") if (out / name).is_file()), None)
    paths["html"].write_text(page(board, race_page))
    paths["json"].write_text(json.dumps(to_json(board), indent=2) + "\n")
    paths["svg"].write_text(svg(board))
    return paths


# ---------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="gpt2spec leaderboard", description=__doc__.split("\n\n")[0])
    p.add_argument("--impl", default="all", help="what to rank (default: all registered implementations)")
    p.add_argument("--out", type=Path, default=Path("leaderboard"), help="output directory (default: leaderboard)")
    p.add_argument("--benchmark-json", type=Path, nargs="*", default=[], help="pytest-benchmark JSON file(s)")
    p.add_argument("--spec", nargs="+", default=[SPEC_DIR], help="spec files/dirs of the grader's tree")
    p.add_argument("-k", dest="keyword", default=None, help="pytest -k expression")
    p.add_argument("--jobs", "-j", type=int, default=None)
    p.add_argument("--timeout-test", type=float, default=Limits.test_seconds)
    p.add_argument("--timeout-impl", type=float, default=Limits.impl_seconds)
    p.add_argument("--memory-mb", type=int, default=Limits.memory_mb)
    p.add_argument("--from-report", type=Path, metavar="DIR", help="rank this grade report (gpt2spec grade --out DIR)")
    p.add_argument("--trusted", action="store_true", help="grade without the sandbox (see gpt2spec grade --help)")
    args = p.parse_args(argv)
    try:  # everything that can be wrong with the arguments, before any grading
        benchmarks = read_benchmarks(args.benchmark_json)
        run = read_run(args.from_report) if args.from_report else None
        refs = [(r.name, r.path) for r in resolve(args.impl)] if run is None else []
        spec_paths(args.spec)
    except (SelectionError, ValueError, OSError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if run is None:
        limits = Limits(args.timeout_test, args.timeout_impl, args.memory_mb)
        progress = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
        keyword = ["-k", args.keyword] if args.keyword else []
        try:
            run = grade_all(refs, args.spec, keyword, limits, args.jobs, None, True, progress, trusted=args.trusted)
        except SandboxMissing as exc:
            print(
                f"error: no sandbox: {exc}; refusing to run untrusted code (--trusted grades without it)",
                file=sys.stderr,
            )
            return EXIT_USAGE
    board = build(run, benchmarks)
    paths = write(board, args.out)
    print(markdown(board))
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
