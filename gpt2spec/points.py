"""Points: what each week of the seminar is worth (the ``points`` of gpt2spec/contract.py's table), and the
rule that turns test outcomes into a score.

A week's points are shared equally by the spec tests carrying its ``weekN`` marker, so a
new spec module (the tokenizer, training) is scored as soon as it is collected, with no
edit here unless its week is new. Only a pass earns points: failed, errored, skipped,
not implemented, xfailed and timed-out tests earn 0. A test that the *spec itself* skips
for a reason of the grading machine (no GPU, no tiktoken cache) is "not graded here": it
leaves the maximum, for every implementation alike, so that the reference scores 100%.

Code the template hands out earns nothing: tests of it carry the ``scaffold`` marker, run and report
as usual, but share no week's points (gpt2spec.plugin gives them no week), so an untouched template
scores 0 (tests/test_plugin.py proves it).
"""

from __future__ import annotations

from dataclasses import dataclass

from .contract import TABLE

# week (the N of the ``weekN`` marker) -> points for the week: a view of the contract's table
POINTS: dict[int, float] = {week.number: week.points for week in TABLE}

SCAFFOLD_MARKER = "scaffold"  # tests of code the template provides: 0 points
EARNS = frozenset({"passed"})  # the only outcome that earns points
NOT_GRADED = "not graded here"  # a spec-side environmental skip: out of the maximum


@dataclass(frozen=True)
class WeekScore:
    week: int
    points: float  # earned
    max_points: float  # available on this machine (environment skips removed)
    passed: int
    total: int  # tests that count towards max_points


def week_scores(outcomes: list[tuple[int | None, str]], weeks: list[int]) -> dict[int, WeekScore]:
    """Score ``(week, outcome)`` pairs. ``weeks`` lists every week the spec collected (so a week in
    which an implementation ran nothing still shows, with 0 points)."""
    out: dict[int, WeekScore] = {}
    for week in sorted(weeks):
        counted = [o for w, o in outcomes if w == week and o != NOT_GRADED]
        passed = sum(o in EARNS for o in counted)
        available = POINTS.get(week, 0.0) if counted else 0.0
        earned = available * passed / len(counted) if counted else 0.0
        out[week] = WeekScore(week, round(earned, 2), available, passed, len(counted))
    return out
