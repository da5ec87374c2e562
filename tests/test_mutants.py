"""Meta-test: every declared mutant is caught by the spec tests it names, as a failure.

The mutants of one section are graded together, in one fresh interpreter on that section's spec files
(``--impl=a,b,c``: each mutant is its own implementation there, imported as its own package), so the matrix
pays one interpreter start per section instead of one per mutant. Each mutant keeps its own test here; the
``xdist_group`` keeps a section's mutants on one worker, which grades the section once (``--dist loadgroup``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gpt2spec.known_bugs import ALL

from .mutation import SECTION_SPECS, Mutant, Outcome, function_name, grade


def _impl_of(nodeid: str) -> str:
    """'spec/test_gpt.py::test_x[softmax_twice-tiny]' -> 'softmax_twice' (package names have no '-')."""
    return nodeid.split("[", 1)[1].rstrip("]").split("-")[0]


@pytest.fixture(scope="session")
def section_outcomes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], dict[str, list[Outcome]]]:
    """section -> {mutant package name: its outcomes}, graded once per section for the mutants this session
    selected (``-k one-mutant`` grades that one alone)."""
    selected = {
        item.callspec.params["mutant"].name: item.callspec.params["mutant"]
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_mutant_is_caught"
    }
    graded: dict[str, dict[str, list[Outcome]]] = {}

    def outcomes(section: str) -> dict[str, list[Outcome]]:
        if section not in graded:
            root = tmp_path_factory.mktemp(f"mutants-{section}")
            mutants = [m for m in selected.values() if m.section == section]
            packages = [m.materialize(root) for m in mutants]
            catches = tuple(sorted({name for m in mutants for name in m.catches}))
            impls = ",".join(str(p) for p in packages)
            by_impl: dict[str, list[Outcome]] = {p.name: [] for p in packages}
            for o in grade(impls, SECTION_SPECS[section], root / "junit.xml", only=catches, timeout=1200):
                if "[" not in o.nodeid:  # pytest stopped before any test (usage error): every mutant sees it
                    for got in by_impl.values():
                        got.append(o)
                else:
                    by_impl.setdefault(_impl_of(o.nodeid), []).append(o)
            graded[section] = by_impl
        return graded[section]

    return outcomes


@pytest.mark.parametrize(
    "mutant", [pytest.param(m, marks=pytest.mark.xdist_group(f"mutants-{m.section}")) for m in ALL],
    ids=[m.name for m in ALL],
)  # fmt: skip
def test_mutant_is_caught(mutant: Mutant, section_outcomes) -> None:
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


def test_every_mutant_has_a_known_section_and_catcher() -> None:
    """Declarations are well-formed: known section, at least one catching test, unique names."""
    names = [m.name for m in ALL]
    assert len(names) == len(set(names)), "mutant names must be unique"
    for m in ALL:
        assert m.section in SECTION_SPECS, f"{m.name}: unknown section {m.section!r}"
        assert m.catches, f"{m.name}: declares no catching test"
