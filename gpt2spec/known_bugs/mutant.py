"""One known bug, declared as a text edit to reference/: ``old`` (which must occur exactly once in
``file``) becomes ``new``. Declaring a bug as an edit keeps it in step with the answer key: when the
reference changes so that ``old`` no longer occurs once, materialising the bug fails loudly.

The same declarations serve the spec's failure messages (gpt2spec/bugs.py, gpt2spec/fingerprint.py)
and the suite's own proof that every spec test catches its bugs (tests/test_mutants.py).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

REFERENCE = Path(__file__).resolve().parent.parent.parent / "reference"


@dataclass(frozen=True)
class Mutant:
    name: str  # short kebab-case id, e.g. "no-causal-mask"
    file: str  # file inside reference/, e.g. "attention.py"
    old: str  # exact text that occurs once in that file
    new: str  # its replacement: the bug
    catches: tuple[str, ...]  # spec test functions that must fail, e.g. ("test_causality", "test_parity_with_hf")
    section: str  # a section of the contract's table (gpt2spec.contract.SECTIONS): where it is graded, diagnosed
    why: str  # the bug in a participant's words
    # ids of the spec/CONTRACT.md clauses this bug breaks (the tags in brackets, e.g. "W5-batches-intact");
    # docs/CLAUSES.md is generated from them and tests/test_clauses.py checks that every clause has a bug
    clauses: tuple[str, ...] = ()
    fix: str = ""  # the fix in a participant's words; empty: the reference's text it replaced (gpt2spec/bugs.py)

    def materialize(self, dest: Path) -> Path:
        """Write the mutated package to ``dest/<name>`` and return its path."""
        pkg = dest / self.name.replace("-", "_")
        shutil.copytree(REFERENCE, pkg, ignore=shutil.ignore_patterns("__pycache__"))
        target = pkg / self.file
        source = target.read_text()
        count = source.count(self.old)
        if count != 1:
            raise ValueError(f"mutant {self.name}: {self.old!r} occurs {count} times in reference/{self.file}, need 1")
        mutated = source.replace(self.old, self.new)
        compile(mutated, str(target), "exec")  # a mutant that does not parse would "fail" every test for nothing
        target.write_text(mutated)
        return pkg
