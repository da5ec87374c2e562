"""The grader: ``gpt2spec grade --impl NAME|PATH|list|all``.

Each implementation is graded in its own fresh interpreter (gpt2spec/grading/child.py, started and
watched by gpt2spec/grading/childrun.py) running the grader's own spec tree, with a wall-time limit per test
and per implementation and a memory limit; several run at once when there are cores for them. Results come only from the
grader's own records, never from what a submission prints or writes. The reports
(JSON, JUnit XML, Gradescope results.json, Markdown) are written by gpt2spec/grading/reports.py from the
records of gpt2spec/grading/records.py. This module is the runner and the command line.
See docs/GRADING.md.
"""

from __future__ import annotations

import argparse
import os
import queue
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gpt2spec import points as pts
from gpt2spec.contract import SPEC_DIR
from gpt2spec.registry import IMPLS_DIR, ROOT, SelectionError, available, resolve_each

from . import jail, reports
from .childrun import ChildRun, Jail, Limits, run_child
from .records import (
    EXIT_MEANING,
    EXIT_OK,
    EXIT_USAGE,
    STATUS_GRADED,
    Grade,
    Run,
    TestResult,
    exit_code,
    merge,
    read_run,
)
from .sandbox import exceptions_for, never_loaded, static_violations

# The command CI runs (.github/workflows/grade.yml runs exactly this; tests/ check it).
CI_COMMAND = "gpt2spec grade --changed origin/main --out grade-report"

# ---------------------------------------------------------------- from records to a grade


def spec_paths(spec: list[str]) -> list[str]:
    """Spec files/dirs as absolute paths inside the grader's own spec/ (never anything else)."""
    out = []
    for item in spec:
        path = (ROOT / item).resolve()
        if not path.is_relative_to(ROOT / SPEC_DIR) or not path.exists():
            raise SelectionError(
                f"--spec {item}: not a file or directory of the grader's {SPEC_DIR}/ ({ROOT / SPEC_DIR})"
            )
        out.append(str(path))
    return out


def collect(spec: list[str], pytest_args: list[str], limits: Limits, workdir: Path) -> list[dict]:
    """The tests a grading run contains (one entry per test, the implementation's id being "impl")."""
    run = run_child("collect", None, spec, pytest_args, limits, 1, workdir)
    finished = [r for r in run.records if r["t"] == "finished"]
    for record in run.records:
        if record["t"] == "collected" and record["tests"] and finished and finished[0]["exitstatus"] == 0:
            return record["tests"]
    raise RuntimeError(f"the grader could not collect the spec (exit {run.returncode}):\n{run.stderr_tail}")


# A crash costs the test it happened in; after MAX_CRASHES_PER_MODULE crashes in one spec module, that
# module's remaining tests are "not run" (0) and the other modules still run. MAX_RESTARTS bounds the
# fresh interpreters in all (each costs a start-up), and so does the per-implementation time limit.
MAX_CRASHES_PER_MODULE = 3
MAX_RESTARTS = 12


def grade_one(
    name: str,
    path: Path,
    expected: list[dict],
    spec: list[str],
    pytest_args: list[str],
    limits: Limits,
    threads: int,
    workdir: Path,
    static_check: bool = True,
    sandbox: Jail | None = None,
    seed: int = 0,
) -> Grade:
    """Grade one implementation (in ``sandbox``; None: trusted, unjailed; ``seed``: the spec's inputs).
    A test that crashes its interpreter (segfault, abort, out of memory, a hang past its limit) earns 0
    and the tests not yet run are rerun in a fresh interpreter: what passed before the crash keeps its
    points. A spec module that crashed MAX_CRASHES_PER_MODULE times gives up its remaining tests only."""
    grade = Grade(name, str(path))
    weeks = sorted({t["week"] for t in expected if t["week"] is not None})
    ignored = never_loaded(path)
    if ignored:
        names = ", ".join(str(p.relative_to(path)) for p in ignored)
        grade.notes.append(f"ignored, never loaded by the grader (it runs its own spec with --noconftest): {names}")
    found = static_violations(path, exceptions_for(path, IMPLS_DIR)) if static_check else []
    tricks = [v for v in found if v.dynamic]
    if tricks:
        grade.status = "forbidden-import"
        grade.reason = "forbidden dynamic import (static check, not run): " + _group_violations(tricks)
        return _finish(grade, expected, {}, weeks)
    runs: list[ChildRun] = []
    by_key: dict[str, dict] = {}
    crashes: dict[str, int] = {}  # spec module -> crashes in it
    start = time.monotonic()
    while True:
        done = [f"--deselect={key}" for key in by_key]
        left = limits.impl_seconds - (time.monotonic() - start)
        scratch = workdir / f"run{len(runs)}"
        run = run_child("grade", path, spec, [*pytest_args, *done], limits, threads, scratch, left, sandbox, seed)
        runs.append(run)
        by_key.update({r["key"]: r for r in run.records if r["t"] == "test"})
        for r in run.records:  # with a worker, the judge survives a crash: the test says so, the next runs fresh
            if r["t"] == "test" and r.get("outcome") in ("crash", "timeout") and limits.isolate:
                grade.notes.append(f"{r['key']} {r['message']}; 0 for it; the next test ran in a fresh worker")
        crashed_in = _crashed_in(run, by_key)
        if crashed_in is None:
            break
        by_key[crashed_in] = {"t": "test", "key": crashed_in, **_crash_result(run, limits)}
        grade.notes.append(f"{crashed_in} {by_key[crashed_in]['message']}; 0 for it")
        module = crashed_in.split("::")[0]
        crashes[module] = crashes.get(module, 0) + 1
        if crashes[module] >= MAX_CRASHES_PER_MODULE:
            _give_up_module(grade, module, crashes[module], expected, by_key)
        if len(runs) > MAX_RESTARTS or time.monotonic() - start >= limits.impl_seconds:
            break
        if all(t["key"] in by_key for t in expected):
            break
        grade.notes.append(f"the tests not yet run were rerun in a fresh interpreter (restart {len(runs)})")
    grade.seconds = round(time.monotonic() - start, 2)
    grade.status, grade.reason = _verdict(runs, by_key, limits)
    grade.reason = grade.reason.replace(f"{path.parent}/", "")  # paths relative to the submission's folder
    if grade.graded:
        _charge_forbidden_imports(grade, runs, by_key, path)
        missing = [t["key"] for t in expected if t["key"] not in by_key]
        if missing:
            grade.notes.append(f"{len(missing)} test(s) not run after {len(runs) - 1} restart(s), 0 for each")
    _warn_static(grade, [v for v in found if not v.dynamic], runs)
    return _finish(grade, expected, by_key if grade.graded else {}, weeks)


def _give_up_module(grade: Grade, module: str, n: int, expected: list[dict], by_key: dict[str, dict]) -> None:
    """The tests of ``module`` not yet run are "not run" (0); the other modules' tests still run."""
    why = f"not run: {module} crashed the interpreter {n} times"
    left = [t["key"] for t in expected if t["key"].startswith(module + "::") and t["key"] not in by_key]
    for key in left:
        by_key[key] = {"t": "test", "key": key, "outcome": "not run", "message": why, "details": "", "seconds": 0.0}
    if left:
        grade.notes.append(f"{len(left)} test(s) of {module} {why}; the other modules' tests were still run")


def _crashed_in(run: ChildRun, by_key: dict[str, dict]) -> str | None:
    """The test during which the interpreter died or was killed, if it died in one."""
    if run.forged or any(r["t"] in ("tampered", "import_error", "finished") for r in run.records):
        return None
    started = [r["key"] for r in run.records if r["t"] == "start"]
    if not started or started[-1] in by_key:
        return None
    return started[-1]


def _crash_result(run: ChildRun, limits: Limits) -> dict:
    if run.stuck is not None:
        how = f"hung past the per-test limit ({limits.test_seconds:g} s) and was killed"
        return {"outcome": "timeout", "message": how, "details": run.stderr_tail, "seconds": limits.test_seconds}
    if run.returncode is None:
        how = f"was running when the per-implementation limit ({limits.impl_seconds:g} s) was reached"
        return {"outcome": "timeout", "message": how, "details": run.stderr_tail, "seconds": 0.0}
    return {"outcome": "crash", "message": f"crashed the interpreter ({_how(run)})", "details": run.stderr_tail}


def _group_violations(found: list) -> str:
    """'transformers (a/__init__.py:3), reference (a/x.py:6): the answer key...; numpy2 (...): not allowed...'"""
    by_why: dict[str, list[str]] = {}
    for v in found[:8]:
        by_why.setdefault(v.why, []).append(f"{v.module} ({v.where})")
    return "; ".join(f"{', '.join(items)}: {why}" for why, items in by_why.items())


def _verdict(runs: list[ChildRun], by_key: dict[str, dict], limits: Limits) -> tuple[str, str]:
    """Why this implementation earns nothing (status, reason), or (graded, "")."""
    records = [r for run in runs for r in run.records]
    first = runs[0]
    kinds = {r["t"] for r in first.records}
    at_import = [r for r in records if r["t"] == "violation" and r.get("key") is None]
    tampered = [r for r in records if r["t"] == "tampered"]
    forged = sum(run.forged for run in runs)
    if forged:
        return "tampering", f"the results channel holds {forged} record(s) the grader did not write"
    if at_import:
        v = at_import[0]
        names = sorted({r["module"] for r in at_import})
        what = "oracle used" if v.get("used") else "forbidden import"
        return "forbidden-import", (
            f"{what} while importing the package, so in every test: {', '.join(names)} "
            f"(first at {v['where']}: {v['why']})"
        )
    if tampered:
        return "tampering", "the implementation changed what the spec relies on: " + ", ".join(tampered[0]["changed"])
    if "collected" not in kinds:
        return "grader-error", f"the spec could not be collected (exit {first.returncode}): {_last_line(first)}"
    if "import_error" in kinds:
        message = next(r["message"] for r in first.records if r["t"] == "import_error")
        message = message.replace("implementation 'impl' failed to import: ", "failed to import: ")
        status = "syntax-error" if "SyntaxError" in message else "import-error"
        if "while importing, the implementation's process died" in message:
            status = "exit-at-import"
            said = _worker_last_words(first)
            message = f"{message}; its last output: {said}" if said else message
        if any(s in message for s in OUT_OF_MEMORY):
            status, message = "out-of-memory", f"{message} (limit: {limits.memory_mb} MiB of address space)"
        elif "File too large" in message:
            status, message = "output-limit", f"{message} (limit: {jail.FILE_MB} MiB per file, printed output included)"
        return status, message
    if "imported" not in kinds and first.returncode is None:
        return "timeout", f"exceeded the per-implementation limit of {limits.impl_seconds:g} s while importing"
    if "imported" not in kinds:
        return (
            "exit-at-import",
            f"the process ended while importing the implementation: os._exit/exit/signal ({_how(first)})",
        )
    return STATUS_GRADED, ""


def _charge_forbidden_imports(grade: Grade, runs: list[ChildRun], by_key: dict[str, dict], path: Path) -> None:
    """A forbidden import made during a test: that test earns nothing, whatever its outcome."""
    used: dict[str, list[dict]] = {}
    for r in (r for run in runs for r in run.records):
        if r["t"] == "violation" and r.get("key") is not None:
            used.setdefault(r["key"], []).append(r)
    for key, violations in used.items():
        what = ", ".join(sorted({f"{v['module']} ({v['where']})" for v in violations}))
        what = what.replace(f"{path.parent}/", "")
        why = violations[0]["why"]
        verb = "called" if violations[0].get("used") else "imported"
        previous = by_key.get(key, {})
        by_key[key] = {
            **previous,
            "key": key,
            "outcome": "forbidden-import",
            "message": f"{verb} {what} during this test: {why}",
            "details": previous.get("details") or previous.get("message", ""),
            "seconds": previous.get("seconds", 0.0),
        }
        grade.notes.append(f"{key} {'called' if violations[0].get('used') else 'used'} {what}: 0 for it")


def _warn_static(grade: Grade, plain: list, runs: list[ChildRun]) -> None:
    """Forbidden imports written in the code but never executed while grading cost nothing: a warning."""
    executed = {r["module"] for run in runs for r in run.records if r["t"] == "violation"}
    unused = [v for v in plain if v.module not in executed]
    if unused:
        grade.notes.append(
            "warning: forbidden or oracle import(s) in the code, never executed or used while grading "
            "(no effect on the grade): " + _group_violations(unused)
        )


# How running out of memory reads: Python's MemoryError, torch's allocator, C++, the C library.
OUT_OF_MEMORY = ("MemoryError", "bad_alloc", "can't allocate memory", "Cannot allocate memory")


def _how(run: ChildRun) -> str:
    code = run.returncode
    if code is not None and code < 0:
        return f"killed by {signal.Signals(-code).name}"  # its output is a fault handler's dump: no clue there
    how = f"exit code {code}"
    text = run.stderr_tail
    if any(s in text for s in OUT_OF_MEMORY):
        how += ", out of memory (limit reached)"
    last = _last_line(run)
    return f"{how}; last output: {last}" if last else how


def _worker_last_words(run: ChildRun) -> str:
    """The last line printed before pytest's first banner line ("=== ..."), that is before the judge's own
    report (a worker that died at start: bwrap's or Python's complaint), so that an exit at import says why;
    "" when it printed nothing (not the judge's summary line). One-character lines are pytest's progress marks."""
    lines: list[str] = []
    for line in run.stderr_tail.splitlines():
        if line.lstrip().startswith("="):
            break
        if len(line.strip()) > 1:
            lines.append(line.strip())
    return lines[-1][:200] if lines else ""


def _last_line(run: ChildRun) -> str:
    lines = [ln.strip() for ln in run.stderr_tail.splitlines() if ln.strip()]
    return lines[-1][:200] if lines else ""


def _finish(grade: Grade, expected: list[dict], by_key: dict[str, dict], weeks: list[int]) -> Grade:
    """Score the tests (ungraded implementations: every test at 0, with the reason)."""
    results = []
    for t in expected:
        r = by_key.get(t["key"])
        outcome = r["outcome"] if r else ("not run" if grade.graded else grade.status)
        seconds = round(r.get("seconds", 0.0), 3) if r else 0.0
        message = r.get("message", "") if r else grade.reason
        results.append(TestResult(t["key"], t["week"], outcome, message, r.get("details", "") if r else "", seconds))
    grade.weeks = pts.week_scores([(t.week, t.outcome) for t in results], weeks)
    for t in results:
        ws = grade.weeks.get(t.week)
        if ws is None or t.outcome == pts.NOT_GRADED:
            continue
        share = ws.max_points / ws.total if ws.total else 0.0
        t.max_points = round(share, 4)
        t.points = t.max_points if t.outcome in pts.EARNS else 0.0
    if not grade.graded:
        grade.weeks = {w: pts.WeekScore(w, 0.0, s.max_points, 0, s.total) for w, s in grade.weeks.items()}
        for t in results:
            t.points = 0.0
    grade.tests = results
    grade.score = round(sum(s.points for s in grade.weeks.values()), 2)
    grade.max_score = round(sum(s.max_points for s in grade.weeks.values()), 2)
    counts: dict[str, int] = {}
    for t in results:
        counts[t.outcome] = counts.get(t.outcome, 0) + 1
    grade.counts = counts
    timeouts = counts.get("timeout", 0)
    if timeouts:
        grade.notes.append(f"{timeouts} test(s) hit the per-test limit and earned 0")
    return grade


# ---------------------------------------------------------------- many implementations


def grade_all(
    refs: list[tuple[str, Path]],
    spec: list[str] | None = None,
    pytest_args: list[str] | None = None,
    limits: Limits | None = None,
    jobs: int | None = None,
    workdir: Path | None = None,
    static_check: bool = True,
    progress: Callable[[str], None] | None = None,
    trusted: bool = False,
    hide: list[Path] | None = None,
    seed: int | None = None,
) -> Run:
    """Grade each implementation in its own jailed interpreter, ``jobs`` at a time. Each sees none of
    the others, nor ``hide`` (the report directory). ``trusted``: no jail (the organiser's own code);
    without it, SandboxMissing where bubblewrap does not run. ``seed``: the spec's inputs (None: a fresh
    secret one, so that no table of inputs recorded from an earlier run helps; 0: the published inputs)."""
    missing = None if trusted else jail.available()
    if missing:
        raise SandboxMissing(missing)
    spec = spec_paths(spec or [SPEC_DIR])
    seed = secrets.randbelow(1 << 62) + 1 if seed is None else seed
    pytest_args = pytest_args or []
    limits = limits or Limits()
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(refs) or 1))
    threads = threads_per_job(jobs)
    say = progress or (lambda _msg: None)
    start = time.monotonic()
    own_workdir = workdir is None
    workdir = workdir or Path(tempfile.mkdtemp(prefix="gpt2spec-grade-"))
    say(f"collecting the spec ({' '.join(spec)}) ...")
    expected = collect(spec, pytest_args, limits, workdir / "_collect")
    weeks = sorted({t["week"] for t in expected if t["week"] is not None})
    say(f"{len(expected)} tests in weeks {', '.join(map(str, weeks))}; {len(refs)} implementation(s), {jobs} at a time")
    done = 0
    hidden = _hidden([path for _, path in refs], [*(hide or []), workdir])
    uids: queue.SimpleQueue[int] = queue.SimpleQueue()  # a user of its own per concurrent job (jail.claimed_uids)

    def work(item: tuple[int, tuple[str, Path]]) -> Grade:
        nonlocal done
        i, (name, path) = item
        scratch = workdir / f"{i:03d}-{name}"
        say(f"grading {name} ({i + 1} of {len(refs)}) ...")
        uid = uids.get()
        try:
            sandbox = None if trusted else Jail(hidden, uid)
            grade = grade_one(
                name, path, expected, spec, pytest_args, limits, threads, scratch, static_check, sandbox, seed
            )
        finally:
            uids.put(uid)
        done += 1
        verdict = f"{grade.score:g}/{grade.max_score:g}" if grade.graded else f"{grade.status}: {grade.reason}"
        say(f"[{done}/{len(refs)}] {name}: {verdict} ({grade.seconds:.1f} s)")
        return grade

    with jail.claimed_uids(jobs) as claimed, ThreadPoolExecutor(max_workers=jobs) as pool:
        for uid in claimed:  # no shared process limit, no signals, with any other grader on this machine
            uids.put(uid)
        grades = list(pool.map(work, enumerate(refs)))
    if own_workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    run = Run(grades, weeks, spec, time.monotonic() - start, seed=seed)
    run.exit_code = exit_code(grades)
    return run


def threads_per_job(jobs: int) -> int:
    """The machine's cores shared out among the jobs, capped by OMP_NUM_THREADS when it is set: on a machine
    shared with other work (CI runs two test workers on two cores) two graded interpreters of two threads
    each spin-wait for each other's cores (measured: a spec run took 75 s with 2 threads, 50 s with 1)."""
    threads = max(1, (os.cpu_count() or 1) // jobs)
    cap = os.environ.get("OMP_NUM_THREADS", "")
    return min(threads, int(cap)) if cap.isdigit() and int(cap) > 0 else threads


class SandboxMissing(RuntimeError):
    """bubblewrap does not run here, and the organiser did not pass --trusted."""


def _hidden(paths: list[Path], extra: list[Path]) -> tuple[Path, ...]:
    """What a graded child must not see: impls/, the folders holding the graded submissions, ``extra``.
    A folder that holds the grader itself (or its interpreter) cannot be hidden: it is left visible."""
    keep = [ROOT, Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()]
    candidates = {IMPLS_DIR.resolve(), *(p.resolve().parent for p in paths), *(p.resolve() for p in extra)}
    return tuple(sorted(c for c in candidates if not any(k.is_relative_to(c) for k in keep)))


def changed_impls(base: str) -> list[str]:
    """Implementation directories (impls/<name>) that ``git diff base...HEAD`` adds or changes."""
    out = subprocess.run(
        ["git", "diff", "--name-only", f"{base}...HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return impls_touched(out.splitlines(), IMPLS_DIR)


def impls_touched(changed_paths: list[str], impls_dir: Path) -> list[str]:
    """The implementation directories among ``changed_paths`` (repository-relative) that still exist.
    A directory without ``__init__.py`` is kept, as ``--impl all`` keeps it: it is then reported as an
    import error instead of leaving a pull request ungraded in silence."""
    names = {Path(p).parts[1] for p in changed_paths if p.startswith("impls/") and len(Path(p).parts) > 2}
    return sorted(n for n in names if (impls_dir / n).is_dir() and any((impls_dir / n).glob("*.py")))


# ---------------------------------------------------------------- command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="gpt2spec grade", description=__doc__.split("\n\n")[0])
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--impl", help="NAME under impls/, a package PATH, a comma-separated list, 'all', or 'list'")
    what.add_argument("--changed", metavar="BASE", help="grade the impls/ directories changed since git ref BASE")
    what.add_argument(
        "--merge", nargs="+", type=Path, metavar="DIR", help="merge the reports of --shard runs into one (no grading)"
    )
    p.add_argument("--shard", type=_shard, default=None, metavar="K/N", help="grade share K of N (1 <= K <= N)")
    p.add_argument("--out", type=Path, default=Path("grade-report"), help="report directory (default: grade-report)")
    p.add_argument("--jobs", "-j", type=int, default=None, help="implementations graded at once (default: cores)")
    p.add_argument("--spec", nargs="+", default=[SPEC_DIR], help="spec files/dirs of the grader's tree")
    p.add_argument("-k", dest="keyword", default=None, help="pytest -k expression to grade a subset")
    p.add_argument("--timeout-test", type=float, default=Limits.test_seconds, help="seconds per test")
    p.add_argument("--timeout-impl", type=float, default=Limits.impl_seconds, help="seconds per implementation")
    p.add_argument("--memory-mb", type=int, default=Limits.memory_mb, help="address-space limit per implementation")
    p.add_argument("--no-static-check", action="store_true", help="skip the static import check (debugging only)")
    p.add_argument(
        "--trusted",
        action="store_true",
        help="grade without the bubblewrap sandbox (only code you trust; needed where bubblewrap is missing)",
    )
    p.add_argument(
        "--in-process",
        action="store_true",
        help="run each implementation inside the judging interpreter instead of a worker process (trusted code only)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the spec's inputs (default: a fresh secret one per run; 0: the published inputs)",
    )
    return p.parse_args(argv)


def _shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected K/N, e.g. 2/4") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"{text!r}: need 1 <= K <= N")
    return k, n


def shard(refs: list[tuple[str, Path]], k: int, n: int) -> list[tuple[str, Path]]:
    """Share ``k`` of ``n`` (1-based): every n-th implementation by name, so the shares are disjoint, cover
    everyone, and do not depend on which machine computes them."""
    return sorted(refs)[k - 1 :: n]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.merge:
        try:
            run = merge([read_run(d) for d in args.merge])
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        reports.write_all(run, args.out)
        print(reports.text_table(run))
        print(f"\nmerged {len(args.merge)} report(s) into {args.out}/ ; exit code {run.exit_code}")
        return run.exit_code
    if args.impl == "list":
        for name in available():
            print(f"{name}\t{IMPLS_DIR / name}")
        return EXIT_OK
    if args.changed:
        names = changed_impls(args.changed)
        if not names:
            print(f"no implementation directory under impls/ changed since {args.changed}: nothing to grade")
            run = Run([], [], args.spec, 0.0, EXIT_OK)
            reports.write_all(run, args.out)
            return EXIT_OK
        selection = ",".join(names)
    else:
        selection = args.impl
    found, problems = resolve_each(selection)  # one bad entry in a list does not stop the others
    try:
        spec_paths(args.spec)
        if not found:
            raise SelectionError(problems[0] if problems else f"--impl {selection}: nothing to grade")
    except SelectionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for problem in problems:
        print(f"error: {problem} (graded as not-a-package; the others are graded)", file=sys.stderr)
    refs = [(r.name, r.path) for r in found]
    if args.shard:
        refs = shard(refs, *args.shard)
    limits = Limits(args.timeout_test, args.timeout_impl, args.memory_mb, isolate=not args.in_process)
    pytest_args = ["-k", args.keyword] if args.keyword else []
    progress = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    try:
        run = grade_all(
            refs,
            args.spec,
            pytest_args,
            limits,
            args.jobs,
            None,
            not args.no_static_check,
            progress,
            trusted=args.trusted,
            hide=[args.out.resolve()],
            seed=args.seed,
        )
    except SandboxMissing as exc:
        print(
            f"error: no sandbox: {exc}; refusing to run untrusted code (--trusted grades without it)", file=sys.stderr
        )
        return EXIT_USAGE
    for problem in problems:  # each bad entry is in the report, with its one-line reason and 0
        item = problem.split(":")[0].removeprefix("--impl ")
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(item).name) or "entry"
        run.grades.append(Grade(name, item, status="not-a-package", reason=problem))
    run.exit_code = exit_code(run.grades)
    reports.write_all(run, args.out)
    print(reports.text_table(run))
    print(f"\nreports in {args.out}/ ; exit code {run.exit_code}: {EXIT_MEANING[run.exit_code]}")
    return run.exit_code


if __name__ == "__main__":
    sys.exit(main())
