"""Meta-test: every clause of spec/CONTRACT.md has a known bug whose declared tests fail (or, for the reporting
rules, a test of the tool), every bug names clauses that exist, and docs/CLAUSES.md is up to date.

Static and fast (no spec run): that each bug is killed is tests/test_mutants.py's job, which grades every
mutant of gpt2spec/known_bugs; here we check that the bugs a clause relies on are among those, and that the
last kill matrix (docs/KILL_MATRIX.md) saw each of them killed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter

from gpt2spec.known_bugs import ALL

from .clauses import CONTRACT, OUT, PENDING, ROOT, TOOL_PROOFS, bugs_by_clause, parse_contract, render


def clause_ids() -> list[str]:
    return [c.id for c in parse_contract(CONTRACT.read_text())]


def test_clause_ids_are_unique_and_many() -> None:
    ids = clause_ids()
    twice = [i for i, n in Counter(ids).items() if n > 1]
    assert not twice, f"clause ids used twice in spec/CONTRACT.md: {twice}"
    assert len(ids) >= 60, f"only {len(ids)} tagged clauses: a tag went missing from spec/CONTRACT.md"


def test_every_clause_has_a_bug_or_a_tool_test() -> None:
    """A clause without a known bug has no proof that any test can fail when it is broken."""
    bugs = bugs_by_clause()
    orphans = [i for i in clause_ids() if not bugs.get(i) and i not in TOOL_PROOFS and i not in PENDING]
    assert not orphans, (
        f"clauses of spec/CONTRACT.md with no known bug: {orphans}. Add a Mutant to gpt2spec/known_bugs that "
        "breaks the clause (clauses=(...)) and a spec test that catches it"
    )
    resolved = [i for i in PENDING if bugs.get(i)]
    assert not resolved, f"these clauses now have a bug: take them out of PENDING in tests/clauses.py: {resolved}"


def test_every_bug_names_existing_clauses() -> None:
    ids = set(clause_ids())
    unknown = {m.name: [c for c in m.clauses if c not in ids] for m in ALL}
    unknown = {k: v for k, v in unknown.items() if v}
    assert not unknown, f"known bugs that name clauses spec/CONTRACT.md does not have: {unknown}"
    bare = [m.name for m in ALL if not m.clauses]
    assert not bare, f"known bugs that declare no clause (Mutant.clauses): {bare}"


def test_tool_proofs_and_pending_tests_exist() -> None:
    missing = []
    for node in [*(t for tests in TOOL_PROOFS.values() for t in tests), *(t for t, _ in PENDING.values())]:
        path, func = node.split("::")
        if not re.search(rf"^\s*def {func}\(", (ROOT / path).read_text(), re.MULTILINE):  # a method too
            missing.append(node)
    assert not missing, f"tests named in tests/clauses.py that do not exist: {missing}"


def test_every_clause_bug_was_killed_in_the_kill_matrix() -> None:
    """Reuses the last kill matrix instead of grading again: each bug of a clause has a row, marked killed."""
    rows = {}
    for line in (ROOT / "docs" / "KILL_MATRIX.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 4 and (cells[-2].startswith("yes") or cells[-2] == "**NO**"):
            rows[cells[0]] = cells[-2]
    absent = [m.name for m in ALL if m.name not in rows]
    survived = [m.name for m in ALL if rows.get(m.name) == "**NO**"]
    assert not absent, f"known bugs missing from docs/KILL_MATRIX.md (run python -m tools.kill_matrix): {absent}"
    assert not survived, f"known bugs that survived the kill matrix: {survived}"


def test_clauses_md_is_up_to_date() -> None:
    want = render(parse_contract(CONTRACT.read_text()))
    assert OUT.read_text() == want, "docs/CLAUSES.md is out of date: run python -m tests.clauses"


def test_the_readme_command_runs_whole() -> None:
    """`python -m tests.clauses --check`, as the README gives it."""
    proc = subprocess.run(
        [sys.executable, "-m", "tests.clauses", "--check"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0 and "up to date" in proc.stdout, proc.stdout + proc.stderr
