"""Benchmark-only pytest hooks: collect ``bench_*.py``, write the JSON by default, print a ratio table.

This conftest is loaded only when spec/bench is collected, i.e. with ``--bench`` (see gpt2spec/plugin.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import QUICK

ROOT = Path(__file__).resolve().parents[2]
# What the leaderboard reads by default. A quick smoke run (GPT2SPEC_BENCH_QUICK=1) writes elsewhere, so
# its meaningless numbers never replace a real run's.
DEFAULT_JSON = ROOT / ".benchmarks" / ("gpt2spec-bench-quick.json" if QUICK else "gpt2spec-bench.json")
ROWS = pytest.StashKey[list[dict]]()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    # Files named on the command line are collected by pytest itself; collecting them here too would
    # run every benchmark twice.
    if file_path.suffix == ".py" and file_path.name.startswith("bench_") and not parent.session.isinitpath(file_path):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


def pytest_configure(config: pytest.Config) -> None:
    """Default ``--benchmark-json`` to .benchmarks/gpt2spec-bench.json (pytest-benchmark reads the option
    in its own, later, pytest_configure; this runs first when spec/bench is on the command line).

    The value is a path: pytest-benchmark >= 5.3 opens it itself (older versions wanted an open file,
    hence the pin in pyproject.toml)."""
    config.stash[ROWS] = []
    if config.getoption("--bench") and getattr(config.option, "benchmark_json", "absent") is None:
        DEFAULT_JSON.parent.mkdir(exist_ok=True)
        config.option.benchmark_json = DEFAULT_JSON


@pytest.fixture(scope="session")
def bench_rows(pytestconfig: pytest.Config) -> list[dict]:
    """Each benchmark appends its extra_info here for the summary table."""
    return pytestconfig.stash[ROWS]


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    rows = config.stash.get(ROWS, [])
    if not rows:
        return
    tr = terminalreporter
    tr.section("gpt2spec: throughput (tokens/s) and ratios, >1 = faster than the baseline")
    baselines = sorted({k for r in rows for k in r if k.startswith("ratio_vs_")})
    tr.write_line("median round (fastest round in brackets)")
    head = f"{'workload':<12}{'impl':<16}{'device':<24}{'tokens/s':>12}{'MFU':>8}"
    tr.write_line(head + "".join(f"{b.removeprefix('ratio_vs_'):>22}" for b in baselines))
    for r in rows:
        mfu = f"{100 * r['mfu']:.1f}%" if r.get("mfu") is not None else "-"
        line = f"{r['workload']:<12}{r['impl']:<16}{r['device'][:23]:<24}{r['tokens_per_s']:>12,.0f}{mfu:>8}"
        cells = [f"{r[b]:.2f}x ({r['best_' + b]:.2f}x)" if b in r else "-" for b in baselines]
        tr.write_line(line + "".join(f"{c:>22}" for c in cells))
    json_out = getattr(config.option, "benchmark_json", None)
    if json_out is not None:
        tr.write_line(f"\nJSON (extra_info per benchmark, see docs/PERFORMANCE.md): {json_out}")
