"""The suite's own scheduling: the costliest modules first.

CI runs the suite on two xdist workers with ``--dist loadscope --no-loadscope-reorder`` (a module, or a test
class, goes whole to one worker, in collection order). xdist's default order, most tests first, started the
seminar run (~220 s, one test) last, and the other worker sat idle while it ran; started first, the two workers
finish together. Costs measured in CI's ``--durations``.
"""

from __future__ import annotations

import pytest

# Most expensive first (seconds of one CI run, 2-core box): each grades many implementations or trains.
COSTLY_FIRST = (
    "test_grade_e2e.py",  # 370: the whole spec graded for six implementations
    "test_grade.py",  # 340: hostile packages, crashes, hangs
    "test_sandbox.py",  # 280: every attack, jailed
    "test_race.py",  # 230
    "test_seminar_run.py",  # 220: thirty submissions
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return COSTLY_FIRST.index(name) if name in COSTLY_FIRST else len(COSTLY_FIRST)

    items.sort(key=rank)  # stable: the order within a module, and of the rest, is kept
