"""The grader end to end, as an organiser runs it: ``gpt2spec grade --impl ...`` on the whole spec
(every week, nothing filtered), once for the module, on

- the reference (full marks, every test passed or "not graded here" on this machine);
- the template (graded, nothing failing, everything else not implemented);
- a template whose weeks 1-3 are done (the reference's files copied in) and which, like nanoGPT,
  imports transformers lazily inside a loader the spec never calls (exactly weeks 1-3's points, and a
  warning);
- three hostile packages graded beside them (a patched torch and a forged results channel, both confined to
  their own worker process, so graded on what they compute or refused; a forbidden import at import time).

This is the test that would have caught the grader disqualifying every implementation that builds an
optimizer ("tampering: torch.optim.adamw.AdamW.step") while a one-test grader test stayed green.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gpt2spec.grading import jail, records
from gpt2spec.points import NOT_GRADED, POINTS

from .submissions import HOSTILE, ROOT, make_submission, once_per_session

# The judge/worker split (docs/GRADING.md) confines the first two to their own process: what they patch or write
# is theirs; the monkeypatch's wrong GPTConfig then fails, the forger breaks its own channel while importing.
HOSTILE_EXPECTED = {"monkeypatch": "graded", "forge_channel": "import-error", "forbidden_static": "forbidden-import"}
OK_OUTCOMES = {"passed", "not implemented", NOT_GRADED}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return once_per_session(tmp_path_factory, "grade_e2e", _grade_everything)


def _grade_everything(scratch: Path) -> dict:
    weeks = make_submission(scratch / "weeks1_3", {1, 3}, lazy_hf_import=True)
    impls = ["reference", "template", str(weeks), *(str(HOSTILE / name) for name in HOSTILE_EXPECTED)]
    cmd = [
        sys.executable,
        "-m",
        "gpt2spec",
        "grade",
        "--impl",
        ",".join(impls),
        "--out",
        str(scratch / "out"),
        "-j",
        "2",
        *(["--trusted"] * (jail.available() is not None)),  # jailed wherever bubblewrap runs (CI installs it)
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    data = json.loads((scratch / "out" / "report.json").read_text())
    data["_proc"] = {"returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}
    data["_out"] = scratch / "out"
    return data


def impl(report: dict, name: str) -> dict:
    return next(i for i in report["implementations"] if i["name"] == name)


def _explain(grade: dict) -> str:
    bad = [t for t in grade["tests"] if t["outcome"] not in OK_OUTCOMES]
    bad = [f"{t['key']}: {t['outcome']}: {t['message'][:300]}" for t in bad]
    return f"{grade['status']} {grade['reason']} notes={grade['notes']} bad={bad[:5]}"


def test_whole_spec_was_graded(report: dict) -> None:
    """Nothing filtered: every week of the points table was collected, and the CLI's exit code is the
    report's (2: the hostile packages are disqualified)."""
    proc = report["_proc"]
    assert report["spec"] == [str(ROOT / "spec")]
    assert {int(w) for w in report["points"]} == set(POINTS), report["points"]
    assert proc["returncode"] == report["exit_code"] == records.EXIT_UNGRADABLE, proc["stdout"] + proc["stderr"][-3000:]
    assert "[1/6]" in proc["stderr"] and "[6/6]" in proc["stderr"], "progress lines missing"


def test_reference_gets_full_marks(report: dict) -> None:
    """The answer key, graded in full beside hostile packages: graded, 100%, every test passed (or not
    graded on this machine, e.g. no real 124M weights in the HF cache)."""
    ref = impl(report, "reference")
    assert ref["status"] == "graded", _explain(ref)
    assert ref["score"] == ref["max_score"] == pytest.approx(sum(POINTS.values())), _explain(ref)
    assert all(t["outcome"] in ("passed", NOT_GRADED) for t in ref["tests"]), _explain(ref)
    assert ref["counts"]["passed"] >= 100


def test_template_is_graded_with_nothing_failing(report: dict) -> None:
    """The template: graded, 0 failed, and everything it does not give is "not implemented"."""
    tpl = impl(report, "template")
    assert tpl["status"] == "graded", _explain(tpl)
    assert all(t["outcome"] in OK_OUTCOMES for t in tpl["tests"]), _explain(tpl)
    for week in POINTS:
        outcomes = {t["outcome"] for t in tpl["tests"] if t["week"] == week}
        assert "not implemented" in outcomes, f"week {week}: {outcomes}"


def test_weeks_1_to_3_earn_exactly_their_points(report: dict) -> None:
    """Weeks 1-3 done, weeks 4-6 blank: exactly POINTS[1] + POINTS[3]. Its lazy `from transformers import`
    inside a never-called loader is a warning in the notes, not a disqualification."""
    done = impl(report, "weeks1_3")
    assert done["status"] == "graded", _explain(done)
    assert done["score"] == pytest.approx(POINTS[1] + POINTS[3]), _explain(done)
    for week, score in done["weeks"].items():
        expected = POINTS[int(week)] if int(week) in (1, 3) else 0.0
        assert score["points"] == pytest.approx(expected), f"week {week}: {score}"
    assert all(t["outcome"] in OK_OUTCOMES for t in done["tests"]), _explain(done)
    warning = [n for n in done["notes"] if n.startswith("warning:")]
    assert warning and "transformers" in warning[0] and "gpt.py" in warning[0], done["notes"]


@pytest.mark.parametrize("name", HOSTILE_EXPECTED)
def test_hostile_beside_the_whole_spec(report: dict, name: str) -> None:
    """Graded on the whole spec beside the reference, hostile packages still get what they deserve."""
    grade = impl(report, name)
    assert grade["status"] == HOSTILE_EXPECTED[name], _explain(grade)
    assert grade["score"] == 0


def test_summary_names_failures_by_their_message(report: dict) -> None:
    """summary.md (the PR comment) has a row per implementation and the reasons of the disqualified."""
    md = (report["_out"] / "summary.md").read_text()
    assert "| `reference` | ✅ graded |" in md and "**100 / 100**" in md
    assert "| `monkeypatch` | ✅ graded |" in md and "| `forge_channel` | ❌ import-error |" in md
