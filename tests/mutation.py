"""Mutants: the known bugs (gpt2spec/known_bugs: single, plausible bugs made by a declared source
edit to reference/), graded by the spec.

A mutant is a copy of the reference package with one ``old -> new`` text replacement
applied, so mutants stay in step with the reference: if the reference changes and the
``old`` text no longer occurs exactly once, materialising the mutant fails loudly.

Each mutant names the spec tests that must catch it (``catches``). The meta-test
(tests/test_mutants.py) grades the mutant with the spec files of its section in a fresh
interpreter and checks that every one of those tests fails, and fails as a failure,
not as "not implemented".
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from gpt2spec.contract import TOKENIZER_PARTS, section_specs
from gpt2spec.known_bugs.mutant import REFERENCE, Mutant

__all__ = ["REFERENCE", "TOKENIZER_PARTS", "Mutant"]  # re-exported for the suite's scripts (tools/)

ROOT = Path(__file__).resolve().parent.parent

# section -> the spec files that grade it (a mutant is run against these only): the contract's table
SECTION_SPECS: dict[str, tuple[str, ...]] = section_specs()


@dataclass(frozen=True)
class Outcome:
    nodeid: str
    outcome: str  # passed | failed | error | skipped | not implemented
    message: str


def grade(
    impl_path: Path | str,  # one package, or several joined by commas (each graded as its own implementation)
    spec_files: tuple[str, ...],
    junit: Path,
    only: tuple[str, ...] = (),
    timeout: float = 600,
    marks: str = "",
    extra: tuple[str, ...] = (),
) -> list[Outcome]:
    """Run spec files (restricted to the test functions in ``only``, if given) on one implementation
    in a fresh interpreter, and return the outcome of each test."""
    cmd = [sys.executable, "-m", "pytest", *spec_files, f"--impl={impl_path}", "-q", f"--junitxml={junit}"]
    cmd.append("--no-fingerprint")  # every test here fails on purpose; naming the bug is tools/diagnosis.py's job
    if only:
        # The 124M parity cases repeat the tiny ones at 40x the cost; the tiny ones catch the same bugs.
        cmd += ["-k", f"({' or '.join(only)}) and not (test_parity_with_hf and 124M)"]
    if marks:  # a pytest -m expression, e.g. "not slow"
        cmd += ["-m", marks]
    cmd += extra  # e.g. --isolate
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    if not junit.is_file():  # pytest stopped before writing a report (usage error, crashed conftest): say so
        return [Outcome(f"{spec_files[0]}::<pytest run>", "error", (proc.stdout + proc.stderr)[-2000:])]
    return read_junit(junit)


def read_junit(path: Path) -> list[Outcome]:
    outcomes = []
    for case in ET.parse(path).getroot().iter("testcase"):
        nodeid = f"{case.get('classname', '').replace('.', '/')}.py::{case.get('name')}"
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome, message = ("failed" if child.tag == "failure" else "error"), child.get("message", "")
            elif child.tag == "skipped":
                message = child.get("message", "")
                outcome = "not implemented" if message.startswith("not implemented") else "skipped"
        outcomes.append(Outcome(nodeid, outcome, message))
    return outcomes


def function_name(nodeid: str) -> str:
    """'spec/test_gpt.py::test_parity_with_hf[x-tiny-fp32]' -> 'test_parity_with_hf'."""
    return nodeid.split("::")[-1].split("[")[0]


def impl_of(nodeid: str) -> str:
    """'spec/test_gpt.py::test_x[softmax_twice-tiny]' -> 'softmax_twice': the implementation a test ran on,
    in a run over several (package names have no '-')."""
    return nodeid.split("[", 1)[1].rstrip("]").split("-")[0]
