"""Diagnosis accuracy (not collected as a test; run as ``python -m tools.diagnosis``).

For every known bug (each mutant, and a set of two-bug combinations in one component), and for every
held-out bug (tests/heldout_bugs.py: written independently of the library, never tuned against), grade a
copy of the reference holding it the way a participant meets it: its section's spec files in order,
stopping at the first failure (``-x``). Then read that failure's one Diagnosis section
(gpt2spec/verdicts.py) and check that its verdict names the right bug first (top-1) or among the first three
(top-3), and whether it gave a confident "Fix:" for a wrong bug. ``--loaded`` runs everything twice, the
second time with two CPU-bound processes running, and compares the diagnoses. Writes docs/DIAGNOSIS.md;
exits 1 when single-bug top-1 falls below the goal (90%) or a confident fix is wrong.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import difflib
import io
import json
import multiprocessing
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from gpt2spec import bugs, verdicts
from tests.heldout_bugs import SETS
from tests.mutation import ROOT, SECTION_SPECS

GOAL = 0.90
# every held-out set by name; the newest is the one that counts, the ones before it are development sets now
HELDOUT = {h.bug.name: h for _, entries in SETS.values() for h in entries}
*_OLDER, _NEWEST = SETS
GROUPS = (
    ({h.bug.name: h for h in SETS[_NEWEST][1]}, f"held-out {_NEWEST}"),
    *(({h.bug.name: h for h in SETS[v][1]}, f"held-out {v} (now a dev set)") for v in reversed(_OLDER)),
)


@dataclass(frozen=True)
class Diagnosis:
    bug: str
    section: str
    first_failure: str  # nodeid, or "" when nothing failed
    named: tuple[str, ...]  # the tags of the Diagnosis' verdict, in order
    exact: bool  # the verdict carries a confident "Fix:" line
    seconds: float = 0.0
    accept: tuple[str, ...] = ()  # the tags that name this bug rightly (default: its own name)
    text: str = ""  # the Diagnosis section as the participant reads it (for a reader judging it by its meaning)

    @property
    def rank(self) -> int | None:
        """Where the verdict names this bug (for a pair: the pair itself)."""
        return next((i for i, n in enumerate(self.named, 1) if self.right(n)), None)

    def right(self, tag: str) -> bool:
        if self.accept:
            return any(_same_tag(tag, a) for a in self.accept)
        return set(tag.split(" + ")) == set(self.bug.split(" + "))

    @property
    def wrong_fix(self) -> bool:
        """A confident fix for a bug it is not (counted for single and held-out bugs)."""
        return self.exact and not any(self.right(n) or self._part(n) for n in self.named[:1])

    def _part(self, tag: str) -> bool:
        return not self.accept and set(tag.split(" + ")) <= set(self.bug.split(" + "))

    @property
    def part_rank(self) -> int | None:
        """For a pair: where the fingerprint first names the pair or one of its two bugs (the first failing
        test may show only one of them; fixing it reveals the other)."""
        return next((i for i, n in enumerate(self.named, 1) if self.right(n) or self._part(n)), None)


def _same_tag(tag: str, want: str) -> bool:
    """Known-bug names compare exactly; a family tag needs its family and its parameter (numbers within 1%); an
    edit's place (``edit: gpt.py line 113``) compares exactly."""
    tag, want = (t.replace("[", "(").replace("]", ")") for t in (tag, want))  # a printed tag holds no brackets
    if ":" not in want or ":" not in tag or want.startswith("edit:"):
        return tag == want
    (f1, p1), (f2, p2) = (t.split(":", 1) for t in (tag, want))
    if f1.strip() != f2.strip():
        return False
    # the parameter's words must match and its numbers agree within 1% ("max_norm 1" is "max_norm 1.0")
    number = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
    words1, words2 = (re.sub(number, "#", q.strip()) for q in (p1, p2))
    nums1, nums2 = ([float(n) for n in re.findall(number, q)] for q in (p1, p2))
    return words1 == words2 and len(nums1) == len(nums2) and all(
        abs(a - b) <= 0.01 * max(abs(a), abs(b)) for a, b in zip(nums1, nums2, strict=True))  # fmt: skip


class _FirstFailure:
    """pytest plugin: the first failing test's id and full failure text (the fingerprint is a note on it)."""

    def __init__(self) -> None:
        self.nodeid, self.text = "", ""

    def pytest_runtest_logreport(self, report) -> None:
        if report.failed and not self.nodeid:
            self.nodeid, self.text = report.nodeid, report.longreprtext


def diagnose(bug, workdir: Path, accept: tuple[str, ...] = ()) -> Diagnosis:
    """Grade the bug's copy of the reference until its first failure (in this process, to save the
    interpreter start per bug); read the Diagnosis there. The 124M cases (slow) are left out."""
    pkg = bug.materialize(workdir)
    first = _FirstFailure()
    args = [*SECTION_SPECS[bug.section], f"--impl={pkg}", "-x", "-q", "-p", "no:cacheprovider", "-m", "not slow"]
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        pytest.main(args, plugins=[first])
    named, fix = verdicts.verdict(first.text)
    body = verdicts.section_body(first.text)
    text = "\n".join([f"{verdicts.HEADER}:", *body]) if body is not None else ""
    seconds = time.perf_counter() - start
    return Diagnosis(bug.name, bug.section, first.nodeid, tuple(named), fix, seconds, accept, text)


def changed_lines(bug, side: str = "reference") -> tuple[int, ...]:
    """The lines a held-out bug's edit changes (a line it inserts at: the lines either side), numbered in the
    reference's file or (``side="yours"``) in the participant's, the file with the edit in place. The edit
    search (spec/probes_search.py) names a bug by a place in GPT-2's code, ``edit: <file> line <n>``, and the
    repair search (spec/probes_repair.py) by a place in yours: each is right when the place is one of these."""
    source = (ROOT / "reference" / bug.file).read_text()
    first = source[: source.index(bug.old)].count("\n") + 1
    old, new = bug.old.splitlines(), bug.new.splitlines()
    if side == "yours":
        old, new = new, old
    lines: set[int] = set()
    for op, i1, i2, _, _ in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op in ("replace", "delete"):
            lines.update(range(first + i1, first + i2))
        elif op == "insert":
            lines.update({first + i1 - 1, first + i1} & set(range(first, first + len(old))))
    return tuple(sorted(lines))


def accepted(held) -> tuple[str, ...]:
    """A held-out entry's tags, and the places its edit changes, in GPT-2's file and in the participant's."""
    file = held.bug.file
    return (
        *held.accept,
        *(f"edit: {file} line {n}" for n in changed_lines(held.bug)),
        *(f"edit: your {file} line {n}" for n in changed_lines(held.bug, "yours")),
    )


def _diagnose_one(name: str) -> Diagnosis:
    """One bug (a known bug, a pair 'a + b', or a held-out bug), in a pool worker."""
    os.chdir(ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        if name in HELDOUT:
            r = diagnose(HELDOUT[name].bug, Path(tmp), accepted(HELDOUT[name]))
        else:
            r = diagnose(bugs.by_name(name), Path(tmp))
    flag = " WRONG FIX" if r.wrong_fix else " FIX" if r.exact else ""
    print(f"{r.seconds:5.0f}s {r.bug:45} rank={r.rank} named={r.named[:3]}{flag}", flush=True)
    return r


def pair_sample(n: int, seed: int = 0) -> list[bugs.Bug]:
    """Up to n two-bug combinations, spread over the sections (seeded, so the table is reproducible)."""
    sections = sorted({m.section for m in bugs.declarations()})
    per = {s: bugs.pairs([s]) for s in sections}
    rng = random.Random(seed)
    for options in per.values():
        rng.shuffle(options)
    out: list[bugs.Bug] = []
    while len(out) < n and any(per.values()):
        for s in sections:
            if per[s] and len(out) < n:
                out.append(per[s].pop())
    return out


def accuracy(rows: list[Diagnosis], rank: str = "rank") -> tuple[float, float]:
    ranks = [getattr(r, rank) for r in rows]
    if not ranks:
        return 0.0, 0.0
    return sum(r == 1 for r in ranks) / len(ranks), sum(r is not None and r <= 3 for r in ranks) / len(ranks)


def _rates(rows: list[Diagnosis]) -> str:
    """'top-1 | top-3 | confident wrong fixes' cells for one group of rows."""
    if not rows:
        return "— | — | —"
    (t1, t3), wrong = accuracy(rows), sum(r.wrong_fix for r in rows)
    return f"{100 * t1:.0f}% | {100 * t3:.0f}% | {wrong} ({100 * wrong / len(rows):.0f}%)"


def table(runs: dict[str, list[Diagnosis]], note: str) -> list[str]:
    """docs/DIAGNOSIS.md: one summary row per group and load, then every bug of the first run."""
    lines = [
        "# Diagnosis accuracy",
        "",
        "`python -m tools.diagnosis --loaded` grades a copy of the reference holding each bug with its section's spec",
        "files (`-m 'not slow'`), stopping at the first failure (`-x`) as a participant meets it, and reads that",
        "failure's one **Diagnosis** section (gpt2spec/verdicts.py). Three groups of bugs: every known bug of the",
        "library (gpt2spec/known_bugs), two-bug combinations within one component, and the **held-out** bugs",
        "(tests/heldout_bugs.py): plausible mistakes written independently of the library, committed before the",
        f"diagnosis was changed. The earlier held-out sets (`ho-` to `{SETS[_OLDER[-1]][0]}`) have been looked at",
        "and tuned against since: they are development sets, reported apart. The newest",
        f"(`{SETS[_NEWEST][0]}`, written by another author than the probes) is the figure that counts: graded once,",
        "after the last diagnosis changes. A held-out bug counts as named when the",
        "verdict's first tag is one its entry accepts: a known bug that is the same mistake, or the right family",
        "with the right fitted parameter (e.g. `[layernorm-eps: 1e-06]`). **top-1**: named first; **top-3**:",
        'among the verdict\'s first three tags ("consistent with any of"). **confident wrong fix**: the verdict',
        "carries a `Fix:` line",
        "for a bug it is not. A pair counts when the pair, or one of its two bugs (the one its first failing test",
        "shows), is named. tests/test_diagnosis.py keeps a subset of the library and of the held-out set in CI.",
        "",
        note,
        "",
        "| bugs | run | count | top-1 | top-3 | confident wrong fixes |",
        "|---|---|---|---|---|---|",
    ]
    for run, rows in runs.items():
        lib = [r for r in rows if not r.accept and " + " not in r.bug]
        pairs = [r for r in rows if " + " in r.bug]
        if lib:
            lines.append(f"| library, single | {run} | {len(lib)} | {_rates(lib)} |")
        if pairs:
            (p1, p3), wrong = accuracy(pairs, "part_rank"), sum(r.wrong_fix for r in pairs)
            lines.append(f"| library, pairs | {run} | {len(pairs)} | {100 * p1:.0f}% | {100 * p3:.0f}% | {wrong} |")
        for group, label in GROUPS:
            held = [r for r in rows if r.bug in group and r.first_failure]
            uncaught = [r for r in rows if r.bug in group and not r.first_failure]
            if held:
                lines.append(f"| {label} (caught by a spec test) | {run} | {len(held)} | {_rates(held)} |")
            if uncaught:
                names = ", ".join(r.bug for r in uncaught)
                lines.append(f"| {label}, no spec test fails: {names} | {run} | {len(uncaught)} | — | — | — |")
    first = next(iter(runs.values()))
    lines += [
        "",
        "| bug | section | first failing test | verdict (first tags) | rank | confident fix | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in first:
        test = r.first_failure.split("::")[-1].replace(f"[{_pkg(r.bug)}-", "[").replace(f"[{_pkg(r.bug)}]", "")
        named = "; ".join(r.named[:2]) if r.named else "—"
        rank = str(r.rank) if r.rank else f"part: {r.part_rank}" if r.part_rank else "**miss**"
        fix = "**WRONG**" if r.wrong_fix else "yes" if r.exact else ""
        row = f"| {r.bug} | {r.section} | {test or '(none failed)'} | {named} | {rank} | {fix} | {r.seconds:.0f} |"
        lines.append(row)
    return [*lines, ""]


def _pkg(name: str) -> str:
    return "__".join(n.strip().replace("-", "_") for n in name.split("+"))


MEMORY_MB = 8192  # the grader's default (gpt2spec/grading/child.py): 2 jobs fit a 24 GiB machine


def _limit_memory(memory_mb: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))


def _grade(names: list[str], jobs: int, log: Path | None = None, run: str = "as found") -> list[Diagnosis]:
    """Grade each bug; with ``log``, append each result to it as a JSON line as soon as it is known (a run cut
    short by a deadline keeps what it measured: ``--from-log`` writes the tables from it)."""
    rows = []
    # One long-lived worker per job, so each imports torch and the spec once (3.11's max_tasks_per_child hangs).
    # Each worker (and the pytest it starts) under the grader's address-space limit: a bug whose loop grows a list
    # without end fails with MemoryError in its own diagnosis instead of taking the machine (and the run) down.
    # A bug whose diagnosis kills its worker (v31: a checkpoint through a BytesIO never rewound ended the whole pass
    # with OSError: Bad file descriptor, then BrokenProcessPool) gets a row that says so, and the pass goes on. A
    # broken pool fails every bug it held, so after a failure the next `jobs` bugs run one per fresh pool: only the
    # one that fails alone is told so.
    context = multiprocessing.get_context("spawn")
    left, alone = list(names), 0
    while left:
        batch = left[:1] if alone else list(left)
        workers = 1 if alone else jobs
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_limit_memory, initargs=(MEMORY_MB,)) as pool:
            futures = [pool.submit(_diagnose_one, name) for name in batch]
            for name, future in zip(batch, futures, strict=True):
                try:
                    r = future.result()
                except Exception as e:  # one bug's failure is its own row, never the end of the pass
                    if not alone:  # the worker may be broken, and which bug broke it is not known yet
                        alone = jobs  # so the next ones are graded one by one, each in a fresh pool
                        break
                    r = _failed(name, e)
                left.remove(name)
                alone = max(alone - 1, 0)
                _append(rows, r, log, run)
    return rows


def _failed(name: str, error: BaseException) -> Diagnosis:
    """The row of a bug whose diagnosis did not finish: no verdict, the error said."""
    held = HELDOUT.get(name)
    section = held.bug.section if held else ""
    accept = accepted(held) if held else ()
    text = f"(the diagnosis tool failed on this bug: {type(error).__name__}: {error})"
    print(f"    - {name:45} FAILED: {type(error).__name__}", flush=True)
    return Diagnosis(name, section, "(the diagnosis did not finish)", (), False, 0.0, accept, text)


def _append(rows: list[Diagnosis], r: Diagnosis, log: Path | None, run: str) -> None:
    rows.append(r)
    if log is not None:
        with log.open("a") as f:
            load = os.getloadavg()[0]
            f.write(json.dumps({"run": run, "load": load, **dataclasses.asdict(r)}) + "\n")


def _from_log(log: Path) -> dict[str, list[Diagnosis]]:
    runs: dict[str, list[Diagnosis]] = {}
    for line in log.read_text().splitlines():
        d = json.loads(line)
        run = d.pop("run")
        d.pop("load", None)
        d["named"], d["accept"] = tuple(d["named"]), tuple(d["accept"])
        runs.setdefault(run, []).append(Diagnosis(**d))
    return runs


def _compare(runs: dict[str, list[Diagnosis]]) -> tuple[str, list[str]]:
    """The note on idle against loaded, and the bugs whose diagnosis differs."""
    if LOADED not in runs:
        return "", []
    before = {r.bug: (r.named, r.exact) for r in runs["as found"]}
    loaded = runs[LOADED]
    changed = [r.bug for r in loaded if before.get(r.bug) != (r.named, r.exact)]
    note = f"Same diagnosis without and with the two extra CPU-bound processes: {len(loaded) - len(changed)} of "
    note += f"{len(loaded)} bugs graded both ways" + (f" (differ: {', '.join(changed)})" if changed else "")
    return note + ".", changed


LOADED = "+ 2 CPU-bound processes"


@contextlib.contextmanager
def cpu_load(n: int):
    """n CPU-bound processes for the duration (each stopped by its own pid afterwards)."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--pairs", type=int, default=16, help="how many two-bug combinations to grade")
    parser.add_argument("--only", nargs="*", default=None, help="bug names (known, 'a + b' or held-out 'ho-...')")
    parser.add_argument("--no-library", action="store_true", help="grade the held-out sets (and --only) only")
    parser.add_argument(
        "--no-dev", action="store_true", help="leave out the development sets (every held-out set before the newest)"
    )
    parser.add_argument("--library-sample", type=int, default=0, help="only every k-th known bug, k=len/N")
    parser.add_argument("--loaded", action="store_true", help="grade again with two CPU-bound processes running")
    parser.add_argument("--loaded-sample", type=int, default=0, help="with --loaded: only every k-th bug, k=len/N")
    parser.add_argument("--out", type=Path, default=None, help="write the tables here (default: none)")
    parser.add_argument("--log", type=Path, default=None, help="append each result here as a JSON line")
    parser.add_argument("--from-log", type=Path, default=None, help="write --out from a --log; grade nothing")
    args = parser.parse_args()
    library, rest = [], []
    if args.only is not None:
        first = list(args.only)
    else:
        library = [] if args.no_library else [m.name for m in bugs.declarations()]
        if args.library_sample:
            library = library[:: max(len(library) // args.library_sample, 1)]
        pairs = [] if args.no_library else [b.name for b in pair_sample(args.pairs)]
        dev = [] if args.no_dev else [name for group, _ in GROUPS[1:] for name in group]
        first, rest = list(GROUPS[0][0]), [*dev, *library, *pairs]  # the newest set first: the measure that counts
    if args.from_log is not None:
        runs = _from_log(args.from_log)
    else:
        runs = {"as found": _grade(first, args.jobs, args.log)}
        if args.loaded:  # right after the held-out set, on a sample of it
            step = max(len(first) // args.loaded_sample, 1) if args.loaded_sample else 1
            with cpu_load(2):
                runs[LOADED] = _grade(first[::step], args.jobs, args.log, LOADED)
        if rest:
            runs["as found"] += _grade(rest, args.jobs, args.log)
    note, changed = _compare(runs)
    if args.out is not None:
        args.out.write_text("\n".join(table(runs, note)))
    rows = runs["as found"]
    singles = [r for r in rows if " + " not in r.bug and not r.accept]
    wrong = [r.bug for rs in runs.values() for r in rs if r.wrong_fix]
    print(f"library singles: {_rates(singles)} of {len(singles)}")
    for group, label in GROUPS:
        held = [r for r in rows if r.bug in group and r.first_failure]
        print(f"{label}: {_rates(held)} of {len(held)}")
    print(note or "", f"confident wrong fixes: {wrong}")
    top1 = accuracy(singles)[0] if singles else 1.0
    return 0 if top1 >= (GOAL if args.only is None else 1.0) and not wrong and not changed else 1


if __name__ == "__main__":
    raise SystemExit(main())
