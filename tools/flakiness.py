"""The no-flakiness check (not collected as a test; run as ``python -m tools.flakiness``).

Runs the full spec on the reference N times, each run with Hypothesis's randomized ``dev``
profile (fresh examples every run) and the tests in a different random order
(``--shuffle SEED``), and writes the outcome to docs/FLAKINESS.md. Any failure is a flaky
test or an order dependence, and the run exits 1.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--impl", default="reference")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "FLAKINESS.md")
    args = parser.parse_args()
    env = {**os.environ, "HYPOTHESIS_PROFILE": "dev"}
    env.pop("CI", None)
    rows = []
    for run in range(1, args.runs + 1):
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", f"--impl={args.impl}", "-q", f"--shuffle={run}", "-p", "no:randomly"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        last = [line for line in proc.stdout.splitlines() if re.search(r"\d+ (passed|failed)", line)]
        summary = last[-1].strip("= ") if last else f"no summary (exit {proc.returncode})"
        rows.append((run, proc.returncode, summary, time.perf_counter() - start))
        print(f"run {run:>2}: exit {proc.returncode}: {summary}", flush=True)
    failed = [r for r in rows if r[1] != 0]
    lines = [
        "# Flakiness check",
        "",
        f"`python -m tools.flakiness --runs {args.runs}`: the full spec on `{args.impl}`, each run with the",
        "randomized Hypothesis `dev` profile and the tests shuffled with `--shuffle=<run>`.",
        "",
        f"**{len(failed)} of {len(rows)} runs failed.**",
        "",
        "| run (= shuffle seed) | exit | summary | seconds |",
        "|---|---|---|---|",
        *[f"| {run} | {code} | {summary} | {secs:.0f} |" for run, code, summary, secs in rows],
        "",
    ]
    args.out.write_text("\n".join(lines))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
