"""The grader's records: one test's result, one implementation's grade, one run of the grader, and
the rule that turns them into an exit code. gpt2spec/grading/grade.py fills them, gpt2spec/grading/reports.py
writes them, gpt2spec/leaderboard.py reads them back (``read_run``): all three import them from here."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from gpt2spec import points as pts
from gpt2spec.contract import WEEKS
from gpt2spec.points import WeekScore

STATUS_GRADED = "graded"
# Exit codes: the JSON report carries the same number and the rule that produced it.
EXIT_OK, EXIT_FAILURES, EXIT_UNGRADABLE, EXIT_USAGE = 0, 1, 2, 4
EXIT_MEANING = {
    EXIT_OK: "every implementation was graded and no test failed (not implemented is not a failure)",
    EXIT_FAILURES: (
        "every implementation was graded, and some test failed, errored, timed out, crashed or used a forbidden import"
    ),
    EXIT_UNGRADABLE: "at least one implementation could not be graded or was disqualified (score 0)",
    EXIT_USAGE: "usage error: nothing was graded",
}
FAILING_OUTCOMES = frozenset({"failed", "error", "timeout", "crash", "forbidden-import"})


@dataclass
class TestResult:
    key: str  # node id with the implementation's id as "impl": spec/test_gpt.py::test_x[impl-tiny-fp32]
    week: int | None
    outcome: str  # passed failed error timeout skipped "not implemented" "not graded here" xfailed xpassed
    message: str = ""  # the assertion's own message (what differs, where, the hint), or why it earned 0
    details: str = ""  # pytest's full report of the failure (traceback), for the curious
    seconds: float = 0.0
    points: float = 0.0
    max_points: float = 0.0


@dataclass
class Grade:
    name: str
    path: str
    status: str = STATUS_GRADED  # or: forbidden-import, import-error, exit-at-import, crash, timeout, tampering, ...
    reason: str = ""
    score: float = 0.0
    max_score: float = 0.0
    weeks: dict[int, pts.WeekScore] = field(default_factory=dict)
    tests: list[TestResult] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def graded(self) -> bool:
        return self.status == STATUS_GRADED

    def to_json(self) -> dict:
        d = asdict(self)
        d["weeks"] = {str(w): asdict(s) for w, s in self.weeks.items()}
        return d


@dataclass
class Run:
    grades: list[Grade]
    weeks: list[int]
    spec: list[str]
    seconds: float
    exit_code: int = EXIT_OK
    seed: int = 0  # the secret seed the spec's inputs came from (told after the run, never before)

    def to_json(self) -> dict:
        return {
            "schema": "gpt2spec-grade/1",
            "exit_code": self.exit_code,
            "exit_meaning": EXIT_MEANING[self.exit_code],
            "seconds": round(self.seconds, 2),
            "seed": self.seed,
            "spec": self.spec,
            "points": {str(w): pts.POINTS.get(w, 0.0) for w in self.weeks},
            "weeks": {str(w): WEEKS.get(w, "") for w in self.weeks},
            "implementations": [g.to_json() for g in self.grades],
        }


def exit_code(grades: list[Grade]) -> int:
    """The single rule linking the report to the process's exit status (see EXIT_MEANING)."""
    if not grades or any(not g.graded for g in grades):
        return EXIT_UNGRADABLE
    if any(t.outcome in FAILING_OUTCOMES for g in grades for t in g.tests):
        return EXIT_FAILURES
    return EXIT_OK


def merge(runs: list[Run]) -> Run:
    """One run from the reports of several shards (implementations graded twice: the first report wins)."""
    seen: set[str] = set()
    grades = []
    for run in runs:
        for grade in run.grades:
            if grade.name not in seen:
                seen.add(grade.name)
                grades.append(grade)
    weeks = sorted({w for run in runs for w in run.weeks})
    seeds = {run.seed for run in runs}
    spec = runs[0].spec if runs else []
    merged = Run(grades, weeks, spec, sum(r.seconds for r in runs), seed=seeds.pop() if len(seeds) == 1 else 0)
    merged.exit_code = exit_code(grades)
    return merged


def read_run(report_dir: Path) -> Run:
    """The Run a report directory's report.json describes (for the leaderboard and ``grade --merge``).
    A missing or unreadable report raises ValueError with one line saying which and why."""
    path = Path(report_dir) / "report.json"
    try:
        data = json.loads(path.read_text())
        grades = []
        for item in data["implementations"]:
            item = dict(item)
            weeks = {int(w): WeekScore(**s) for w, s in item.pop("weeks").items()}
            tests = [TestResult(**t) for t in item.pop("tests")]
            grades.append(Grade(**item, weeks=weeks, tests=tests))
        weeks = sorted(int(w) for w in data["weeks"])
        return Run(grades, weeks, data["spec"], data["seconds"], data["exit_code"], data.get("seed", 0))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a readable grade report ({type(exc).__name__}: {exc})") from exc
