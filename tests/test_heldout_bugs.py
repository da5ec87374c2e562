"""The held-out sets (tests/heldout_bugs.py) stay valid: every entry materialises from today's reference/,
names a section the contract grades, says what a right diagnosis prints, and is a mistake of its own (not a
known bug nor another held-out entry under a new name).

Whether a spec test catches each entry is checked when a set is written (a pytest run per bug, too slow for
CI); what is checked here is what a change to reference/ or to the library can silently break.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gpt2spec import bugs

from .heldout_bugs import SETS
from .mutation import REFERENCE, SECTION_SPECS


def _mutated_source(mutant) -> str:
    """The reference file as the mutant leaves it: two bugs with the same text are the same mistake."""
    return (REFERENCE / mutant.file).read_text().replace(mutant.old, mutant.new)


@pytest.mark.parametrize("version", SETS)
def test_every_held_out_bug_materialises(version: str, tmp_path: Path) -> None:
    """Each entry's ``old`` occurs once in reference/ and the edit compiles (Mutant.materialize checks both);
    its section is graded by spec files; its ``accept`` tags are bare (without the brackets) and not empty."""
    prefix, entries = SETS[version]
    for held in entries:
        bug = held.bug
        assert bug.name.startswith(prefix), f"{bug.name}: a {version} entry is named {prefix}..."
        assert bug.section in SECTION_SPECS, f"{bug.name}: section {bug.section!r} is graded by no spec file"
        assert held.accept and all(t and not t.startswith("[") for t in held.accept), (bug.name, held.accept)
        assert bug.why, f"{bug.name} has no why"
        assert held.written in ("edit", "rewrite"), f"{bug.name}: written={held.written!r}"
        bug.materialize(tmp_path)  # raises if old does not occur exactly once, or the edit does not parse


def test_held_out_names_are_unique() -> None:
    """No name is used twice, within a set or across sets (the diagnosis keys its rows by name)."""
    names = [h.bug.name for _, entries in SETS.values() for h in entries]
    assert len(names) == len(set(names)), sorted(n for n in set(names) if names.count(n) > 1)


@pytest.mark.parametrize(
    "version",
    [f"v{n}" for n in range(4, 38)],  # v4 .. v37
)
def test_held_out_set_is_new(version: str) -> None:
    """No entry of a later set is a known bug or an entry of an earlier set: its edit leaves reference/ different
    from every one of theirs, and its name (without the prefix) is not a known bug's."""
    prefix, entries = SETS[version]
    earlier_sets = list(SETS)[: list(SETS).index(version)]
    known = {m.name for m in bugs.declarations()}
    earlier = {
        (m.file, _mutated_source(m)): m.name
        for m in [*bugs.declarations(), *(h.bug for v in earlier_sets for h in SETS[v][1])]
    }
    for held in entries:
        bug = held.bug
        assert bug.name.removeprefix(prefix) not in known, f"{bug.name} is named like a known bug"
        same = earlier.get((bug.file, _mutated_source(bug)))
        assert same is None, f"{bug.name} makes the same edit as {same}"
