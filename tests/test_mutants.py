"""Meta-test: every declared mutant is caught by the spec tests it names, as a failure.

Each mutant is graded in a fresh interpreter on its section's spec files only, so the
whole matrix stays within CI's budget (run with -n auto to use both cores).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gpt2spec.known_bugs import ALL

from .mutation import SECTION_SPECS, Mutant, function_name, grade


@pytest.mark.parametrize("mutant", ALL, ids=[m.name for m in ALL])
def test_mutant_is_caught(mutant: Mutant, tmp_path: Path) -> None:
    """Every test in ``mutant.catches`` fails (not skips, not 'not implemented') on the mutant."""
    pkg = mutant.materialize(tmp_path)
    outcomes = grade(pkg, SECTION_SPECS[mutant.section], tmp_path / "junit.xml", only=mutant.catches)
    assert outcomes, f"{mutant.name}: the spec ran no tests"
    failed = {function_name(o.nodeid) for o in outcomes if o.outcome in ("failed", "error")}
    missed = [name for name in mutant.catches if name not in failed]
    assert not missed, (
        f"mutant {mutant.name!r} ({mutant.why}) survived {missed}; tests that did fail: {sorted(failed) or 'none'}"
    )
    blanks = [o.nodeid for o in outcomes if o.outcome == "not implemented"]
    assert not blanks, f"{mutant.name}: a bug must never be reported as not implemented: {blanks[:3]}"


def test_every_mutant_has_a_known_section_and_catcher() -> None:
    """Declarations are well-formed: known section, at least one catching test, unique names."""
    names = [m.name for m in ALL]
    assert len(names) == len(set(names)), "mutant names must be unique"
    for m in ALL:
        assert m.section in SECTION_SPECS, f"{m.name}: unknown section {m.section!r}"
        assert m.catches, f"{m.name}: declares no catching test"
