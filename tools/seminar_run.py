"""A seminar-sized grading run: ``python -m tools.seminar_run --out seminar`` generates 30 submission
directories (blank template copies, partly and fully filled copies, buggy, broken and hostile ones),
grades them all in one command with the real grader, writes the leaderboard, and measures wall time,
peak memory (all graded interpreters together, sampled from /proc) and parallelism.
The figures go into docs/GRADING.md ("Seminar-sized run").
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from gpt2spec import leaderboard as lb
from gpt2spec.grading.grade import Limits, grade_all
from tests.submissions import break_file, copy_hostile, make_submission

ALL = frozenset({1, 3, 4, 5, 6})


COPIES = {"blank": 5, "week1": 4, "weeks1-3": 4, "weeks1-4": 3, "complete": 3}  # 19 + 11 one-offs = 30


def generate(root: Path, copies: int | None = None) -> list[tuple[str, Path]]:
    """30 submissions, named after what they are; ``copies``: that many of each repeated kind instead."""
    plan: list[tuple[str, Path]] = []

    def add(name: str, path: Path) -> None:
        plan.append((name, path))

    def n(kind: str) -> int:
        return COPIES[kind] if copies is None else copies

    for i in range(n("blank")):
        add(f"blank{i + 1}", make_submission(root / f"blank{i + 1}"))
    for i in range(n("week1")):
        add(f"week1-{i + 1}", make_submission(root / f"week1-{i + 1}", {1}))
    for i in range(n("weeks1-3")):
        add(f"weeks1-3-{i + 1}", make_submission(root / f"weeks1-3-{i + 1}", {1, 3}))
    for i in range(n("weeks1-4")):
        add(f"weeks1-4-{i + 1}", make_submission(root / f"weeks1-4-{i + 1}", {1, 3, 4}))
    for i in range(n("complete")):
        add(f"complete{i + 1}", make_submission(root / f"complete{i + 1}", ALL))
    add("lazy-hf-import", make_submission(root / "lazy-hf-import", {1, 3}, lazy_hf_import=True))
    # three real bugs, each in a otherwise complete weeks 1-3
    bug = make_submission(root / "bug-ln-eps", {1, 3})
    add("bug-ln-eps", break_file(bug, "layernorm.py", "eps: float = 1e-5", "eps: float = 1e-12"))
    bug = make_submission(root / "bug-no-residual", {1, 3})
    add("bug-no-residual", break_file(bug, "block.py", "x = x + self.mlp(self.ln_2(x))", "x = self.mlp(self.ln_2(x))"))
    bug = make_submission(root / "bug-exact-gelu", {1, 3})
    add("bug-exact-gelu", break_file(bug, "mlp.py", 'approximate="tanh"', 'approximate="none"'))
    broken = make_submission(root / "broken-syntax", {1})
    add("broken-syntax", break_file(broken, "config.py", "@dataclass", "@dataclass(("))
    broken = make_submission(root / "broken-import", {1})
    add("broken-import", break_file(broken, "config.py", "from dataclasses import dataclass", "from .nothing import x"))
    for name in ("segfault", "monkeypatch", "forge_channel", "memory_hog", "forbidden_static"):
        add(f"hostile-{name}", copy_hostile(name, root / f"hostile-{name}"))
    return plan


class Sampler(threading.Thread):
    """Every half second: how many graded interpreters run, and their total resident memory."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_rss, self.peak_children, self.samples, self.busy = 0, 0, 0, 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.5):
            children, kids = _descendants(os.getpid())
            rss = sum(_rss(pid) for pid in kids)
            # graded interpreters are our direct children (their own workers, e.g. DDP's, are not)
            graded = sum(1 for pid in children.get(os.getpid(), []) if _is_grader_child(pid))
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_children = max(self.peak_children, graded)
            self.samples += 1
            self.busy += graded


def _descendants(pid: int) -> tuple[dict[int, list[int]], list[int]]:
    """The process tree (parent -> children) and every process below ``pid``."""
    out, todo = [], [pid]
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    while todo:
        for kid in children.get(todo.pop(), []):
            out.append(kid)
            todo.append(kid)
    return children, out


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _is_grader_child(pid: int) -> bool:
    try:
        return b"gpt2spec.grading.child" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.seminar_run", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path("seminar"), help="leaderboard and figures (default: seminar/)")
    p.add_argument("--jobs", "-j", type=int, default=None, help="submissions graded at once (default: cores)")
    p.add_argument("--timeout-test", type=float, default=Limits.test_seconds)
    p.add_argument("--spec", nargs="+", default=["spec"], help="spec files (default: the whole spec)")
    p.add_argument("-k", dest="keyword", default=None, help="pytest -k expression (a quick smoke run)")
    p.add_argument("--copies", type=int, default=None, help="copies of each repeated kind (default: 30 in all)")
    args = p.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="gpt2spec-seminar-"))
    refs = generate(scratch / "submissions", args.copies)
    print(f"generated {len(refs)} submissions under {scratch / 'submissions'}", file=sys.stderr)
    sampler = Sampler()
    sampler.start()
    start = time.monotonic()
    run = grade_all(
        refs,
        args.spec,
        ["-k", args.keyword] if args.keyword else [],
        limits=Limits(test_seconds=args.timeout_test),
        jobs=args.jobs,
        progress=lambda msg: print(f"[{time.monotonic() - start:6.0f} s] {msg}", file=sys.stderr, flush=True),
    )
    wall = time.monotonic() - start
    sampler.stop.set()
    sampler.join()
    shutil.rmtree(scratch, ignore_errors=True)  # generated: nothing to keep
    board = lb.build(run)
    paths = lb.write(board, args.out)
    cpu = sum(g.seconds for g in run.grades)
    figures = {
        "submissions": len(refs),
        "cores": os.cpu_count(),
        "jobs": args.jobs or os.cpu_count(),
        "wall_seconds": round(wall, 1),
        "sum_of_submission_seconds": round(cpu, 1),
        "mean_parallelism": round(sampler.busy / max(1, sampler.samples), 2),
        "peak_parallel_interpreters": sampler.peak_children,
        "peak_rss_all_interpreters_mib": round(sampler.peak_rss / 2**20),
        "peak_rss_one_interpreter_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        "load_average_at_end": os.getloadavg(),
        "statuses": {g.name: g.status for g in run.grades},
        "scores": {g.name: g.score for g in run.grades},
    }
    (args.out / "figures.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(lb.markdown(board))
    print(json.dumps({k: v for k, v in figures.items() if k not in ("statuses", "scores")}, indent=2))
    print("wrote " + ", ".join(str(p) for p in [*paths.values(), args.out / "figures.json"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
