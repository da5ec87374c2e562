"""The library of known bugs: each a named, plausible mistake in one component, as a source edit to reference/.

One source of truth: the declarations are the mutants in gpt2spec/known_bugs/ (``Mutant(name, file, old, new,
catches, section, why)``), the same objects the meta-tests prove the spec catches. This module reads them
at run time (every module listed in ``gpt2spec.known_bugs.ALL``, so a newly declared mutant is a known bug at
once), adds what a participant needs (the component in words, the fix) and builds runnable copies of
the reference holding one bug or two.

A bug's fix is its declaration's ``fix``, or else the reference's text it replaced (the hand-written attention
bugs replace the fused kernel, whose text would not help a participant who wrote the math by hand, so they
say their fix in words).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

from .contract import SECTIONS

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reference"

# section of a declaration -> the component, in the words of the seminar (the contract's table)
COMPONENTS: dict[str, str] = {name: s.component for name, s in SECTIONS.items()}

# Finer components of the training loop, by the function the edit lands in.
_TRAINING_PARTS = {
    "weight_decay": "optimizer groups",
    "warmup": "LR schedule",
    "min_lr": "LR schedule",
    "checkpoint": "checkpoint",
    "state[": "checkpoint",
}


@dataclass(frozen=True)
class Bug:
    """One known bug (or two applied together: ``parts``), runnable as a copy of the reference."""

    parts: tuple  # the mutant declarations (gpt2spec.known_bugs.mutant.Mutant), one or two

    @property
    def name(self) -> str:
        return " + ".join(p.name for p in self.parts)

    @property
    def section(self) -> str:
        return self.parts[0].section

    @property
    def component(self) -> str:
        return " + ".join(dict.fromkeys(component_of(p) for p in self.parts))

    @property
    def why(self) -> str:
        return "; and ".join(p.why for p in self.parts)

    @property
    def fix(self) -> str:
        return "; and ".join(fix_of(p) for p in self.parts)

    @property
    def catches(self) -> frozenset[str]:
        return frozenset(c for p in self.parts for c in p.catches)

    def materialize(self, dest: Path) -> Path:
        """Write the reference with this bug's edits to ``dest/<name>``; ValueError if they do not compose."""
        pkg = dest / "__".join(p.name.replace("-", "_") for p in self.parts)
        if pkg.exists():
            return pkg
        edited: dict[str, str] = {}
        for p in self.parts:
            source = edited.get(p.file) or (REFERENCE / p.file).read_text()
            if source.count(p.old) != 1:
                raise ValueError(f"bug {p.name}: its text does not occur exactly once in reference/{p.file}")
            edited[p.file] = source.replace(p.old, p.new)
        tmp = pkg.with_name(pkg.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(REFERENCE, tmp, ignore=shutil.ignore_patterns("__pycache__"))
        for file, text in edited.items():
            (tmp / file).write_text(text)
        tmp.rename(pkg)
        return pkg


def component_of(mutant) -> str:
    if mutant.section == "training" and mutant.file == "training.py":
        return next((part for key, part in _TRAINING_PARTS.items() if key in mutant.old), "train step")
    return COMPONENTS.get(mutant.section, mutant.section)


def fix_of(mutant) -> str:
    if getattr(mutant, "fix", ""):  # the fix lives on its bug (gpt2spec/known_bugs)
        return mutant.fix
    old = " ".join(mutant.old.split())
    new = " ".join(mutant.new.split())
    if not new:
        return f"restore `{old}`"
    return f"write `{old}` instead of `{new}`" if len(old) + len(new) < 220 else f"write `{old}`"


@cache
def declarations() -> tuple:
    """Every declared known bug (gpt2spec/known_bugs)."""
    from .known_bugs import ALL

    return tuple(ALL)


def singles(sections: Sequence[str]) -> list[Bug]:
    return [Bug((m,)) for m in declarations() if m.section in sections]


def pairs(sections: Sequence[str]) -> list[Bug]:
    """Two bugs of the same section whose edits touch different text, so that both apply."""
    out = []
    for section in sections:
        ms = [m for m in declarations() if m.section == section]
        for i, a in enumerate(ms):
            for b in ms[i + 1 :]:
                if composable(a, b):
                    out.append(Bug((a, b)))
    return out


def composable(a, b) -> bool:
    if a.file != b.file:
        return True
    source = (REFERENCE / a.file).read_text()
    if a.old in b.old or b.old in a.old or source.count(a.old) != 1:
        return False
    after = source.replace(a.old, a.new)
    return after.count(b.old) == 1 and a.new not in b.old


def load(bug: Bug, dest: Path) -> ModuleType:
    """Import a bug's copy of the reference under a private module name (as --impl would)."""
    from .registry import ImplRef, import_impl

    pkg = bug.materialize(dest)
    return import_impl(ImplRef("bug-" + pkg.name, pkg))


def by_name(name: str) -> Bug:
    """'mask-after-softmax' or 'a + b' -> the Bug."""
    known = {m.name: m for m in declarations()}
    return Bug(tuple(known[n.strip()] for n in name.split("+")))
