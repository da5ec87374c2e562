"""Meta-test: every declared mutant is caught by the spec tests it names, as a failure.

The mutants of one section are graded together, in one fresh interpreter on that section's spec files
(``--impl=a,b,c``: each mutant is its own implementation there, imported as its own package), so the matrix
pays one interpreter start per section instead of one per mutant. Each mutant keeps its own test here; the
section is graded once per session, shared by the xdist workers through a file lock. Each section's mutants
are one test class (``TestMutants_attention``...), so ``--dist loadscope`` sends them to one worker and the other
need not wait for it. (``xdist_group`` with ``--dist loadgroup`` would say the same, but pytest-xdist 3.8's
grouping renames node ids in a way pytest 9.2 ignores: the groups were split, and one worker waited.)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gpt2spec.known_bugs import ALL

from .mutation import SECTION_SPECS, Mutant, Outcome, function_name, grade, impl_of
from .submissions import once_per_session


@pytest.fixture(scope="session")
def section_outcomes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], dict[str, list[Outcome]]]:
    """section -> {mutant package name: its outcomes}, graded once per test session (across xdist workers)
    for the mutants this session selected (``-k one-mutant`` grades that one alone)."""
    selected = {
        item.callspec.params["mutant"].name: item.callspec.params["mutant"]
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_mutant_is_caught"
    }

    def outcomes(section: str) -> dict[str, list[Outcome]]:
        mutants = sorted((m for m in selected.values() if m.section == section), key=lambda m: m.name)
        return once_per_session(tmp_path_factory, f"mutants-{section}", lambda root: _grade_together(mutants, root))

    return outcomes


def _grade_together(mutants: list[Mutant], root: Path) -> dict[str, list[Outcome]]:
    """One pytest run, each mutant an implementation of its own, each running only the tests it declares
    (selected by its package name in the test id: ``-k "(softmax_twice and (test_a or test_b)) or ..."``)."""
    packages = {m.materialize(root).name: m for m in mutants}
    wanted = " or ".join(f"({name} and ({' or '.join(m.catches)}))" for name, m in packages.items())
    keyword = f"({wanted}) and not (test_parity_with_hf and 124M)"  # 124M: the tiny cases catch the same bugs
    impls = ",".join(str(root / name) for name in packages)
    by_impl: dict[str, list[Outcome]] = {name: [] for name in packages}
    for o in grade(impls, SECTION_SPECS[mutants[0].section], root / "junit.xml", timeout=1200, extra=("-k", keyword)):
        if "[" not in o.nodeid:  # pytest stopped before any test (usage error): every mutant sees it
            for got in by_impl.values():
                got.append(o)
        else:
            by_impl.setdefault(impl_of(o.nodeid), []).append(o)
    return by_impl


def _caught(mutant: Mutant, section_outcomes) -> None:
    """Every test in ``mutant.catches`` fails (not skips, not 'not implemented') on the mutant."""
    outcomes = [o for o in section_outcomes(mutant.section)[mutant.name.replace("-", "_")]
                if function_name(o.nodeid) in mutant.catches or "[" not in o.nodeid]  # fmt: skip
    assert outcomes, f"{mutant.name}: the spec ran no tests"
    failed = {function_name(o.nodeid) for o in outcomes if o.outcome in ("failed", "error")}
    missed = [name for name in mutant.catches if name not in failed]
    assert not missed, (
        f"mutant {mutant.name!r} ({mutant.why}) survived {missed}; tests that did fail: {sorted(failed) or 'none'}"
    )
    blanks = [o.nodeid for o in outcomes if o.outcome == "not implemented"]
    assert not blanks, f"{mutant.name}: a bug must never be reported as not implemented: {blanks[:3]}"


def _section_class(section: str) -> type:
    """``TestMutants_<section>``: one test per mutant of the section (a class: the unit loadscope schedules)."""
    mutants = [m for m in ALL if m.section == section]

    @pytest.mark.parametrize("mutant", mutants, ids=[m.name for m in mutants])
    def test_mutant_is_caught(self, mutant: Mutant, section_outcomes) -> None:
        _caught(mutant, section_outcomes)

    test_mutant_is_caught.__doc__ = _caught.__doc__
    return type(f"TestMutants_{section}", (), {"test_mutant_is_caught": test_mutant_is_caught})


for _section in sorted({m.section for m in ALL}):
    globals()[f"TestMutants_{_section}"] = _section_class(_section)


def test_every_mutant_has_a_known_section_and_catcher() -> None:
    """Declarations are well-formed: known section, at least one catching test, unique names."""
    names = [m.name for m in ALL]
    assert len(names) == len(set(names)), "mutant names must be unique"
    for m in ALL:
        assert m.section in SECTION_SPECS, f"{m.name}: unknown section {m.section!r}"
        assert m.catches, f"{m.name}: declares no catching test"
