"""Spec gaps that held-out authors found (a plausible bug no non-slow test failed), each closed by one test:
the bug, written as a mutant of reference/, now fails exactly the test that closes its gap and not the test
next to it that already covered its neighbours."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpt2spec.known_bugs.mutant import Mutant

from .mutation import function_name, grade, impl_of

_SAMPLE = "torch.multinomial(probs, num_samples=1, generator=generator)"
GAPS = [  # (mutant, the test that closes the gap, a neighbour test that must still pass)
    (
        Mutant("gap-top-k-capped-by-batch", "gpt.py", "min(top_k, logits.size(-1))", "min(top_k, logits.size(0))",
               (), "generate", "v11/v13: k capped with the batch size; one prompt keeps one token"),
        "test_top_k_samples_a_single_prompt",
        "test_top_k_keeps_exactly_k",
    ),
    (
        Mutant("gap-probs-squeezed", "gpt.py", _SAMPLE, _SAMPLE.replace("(probs,", "(probs.squeeze(),"),
               (), "generate", "v13: the probabilities squeezed before multinomial; a batch of one loses a dim"),
        "test_top_k_samples_a_single_prompt",
        "test_top_k_keeps_exactly_k",
    ),
]  # fmt: skip


def test_each_gap_is_closed_by_its_test(tmp_path: Path) -> None:
    """Each gap's mutant fails its closing test and passes the neighbour (one failing test per departure)."""
    paths = [m.materialize(tmp_path) for m, _, _ in GAPS]
    tests = tuple(sorted({t for _, closing, neighbour in GAPS for t in (closing, neighbour)}))
    outcomes = grade(",".join(map(str, paths)), ("spec/test_generate.py",), tmp_path / "junit.xml", only=tests)
    got = {(impl_of(o.nodeid), function_name(o.nodeid)): o.outcome for o in outcomes}
    for (mutant, closing, neighbour), path in zip(GAPS, paths, strict=True):
        assert got.get((path.name, closing)) == "failed", (mutant.name, closing, got)
        assert got.get((path.name, neighbour)) == "passed", (mutant.name, neighbour, got)


@pytest.mark.parametrize("mutant", [m for m, _, _ in GAPS], ids=lambda m: m.name)
def test_gap_mutants_apply(mutant: Mutant, tmp_path: Path) -> None:
    """The mutants still apply to today's reference/ (their ``old`` occurs once and the edit compiles)."""
    mutant.materialize(tmp_path)
