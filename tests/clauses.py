"""Clause traceability: docs/CLAUSES.md, generated from spec/CONTRACT.md (run as ``python -m tests.clauses``;
``--check`` exits 1 when the file is out of date, which tests/test_clauses.py also checks).

Every clause of the contract carries a stable id in brackets, e.g. ``[W5-batches-intact]``, right after the
rule it names (a bullet, a sentence, or one rule of a table cell). For each clause, CLAUSES.md lists the
known bugs that break it (``Mutant.clauses`` in gpt2spec/known_bugs), the spec tests that fail on each
(the tests the bug declares, which tests/test_mutants.py proves fail) and, from docs/KILL_MATRIX.md, the
tests that fail beyond those (collateral). The reporting rules are the tool's behaviour, not an
implementation's: the suite's tests of the plugin prove them (TOOL_PROOFS), since no edit to reference/
can break them.
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from gpt2spec.known_bugs import ALL, Mutant

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "spec" / "CONTRACT.md"
OUT = ROOT / "docs" / "CLAUSES.md"
KILL_MATRIX = ROOT / "docs" / "KILL_MATRIX.md"

TAG = re.compile(r"\s*\[((?:R|W\d)-[a-z0-9-]+)\]")

# Reporting rules: proved by the suite's tests of the plugin (file::function), not by a known bug.
TOOL_PROOFS: dict[str, tuple[str, ...]] = {
    "R-missing": ("tests/test_plugin.py::test_template_is_all_not_implemented_and_exits_0",),
    "R-blank": (
        "tests/test_plugin.py::test_template_is_all_not_implemented_and_exits_0",
        "tests/test_plugin.py::test_untouched_template_scores_0",
    ),
    "R-failure": ("tests/test_mutants.py::test_mutant_is_caught",),
    "R-import-error": (
        "tests/test_plugin.py::test_broken_import_is_not_run_and_spares_the_others",
        "tests/test_plugin.py::test_import_error_is_one_line_not_one_per_test",
        "tests/test_plugin.py::test_directory_without_init_is_reported_not_skipped",
    ),
    "R-torch-notimpl": ("tests/test_plugin.py::test_not_implemented_error_from_torch_is_a_failure",),
}

# Clauses with a spec test but no known bug yet, and why. tests/test_clauses.py keeps this list from growing:
# a clause may only be here with a reason and a test that checks it.
PENDING: dict[str, tuple[str, str]] = {
    "W3-gen-idx-intact": (
        "spec/test_generate.py::test_greedy_matches_hf",
        "no plausible one-edit bug of the reference's generate writes into the prompt (it only ever concatenates)",
    ),
}


@dataclass(frozen=True)
class Clause:
    id: str
    heading: str  # the "## ..." section of CONTRACT.md it is in
    text: str  # the rule, in the contract's words (markdown)


def parse_contract(text: str) -> list[Clause]:
    """Every tagged clause of CONTRACT.md, in order. A clause's text is what precedes its tag in the same
    block (bullet, paragraph or table row), back to the previous tag; a table row's first cell names it."""
    clauses: list[Clause] = []
    heading = ""
    for block in _blocks(text):
        if block.startswith("#"):
            heading = block.lstrip("# ").strip()
            continue
        row = block.startswith("|")
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", block.strip().strip("|"))] if row else []
        body = " | ".join(cells[1:]) if row else block
        start = 0
        for m in TAG.finditer(body):
            fragment = body[start : m.start()].strip(" ;,.|")
            fragment = re.sub(r"^(?:- |\d+\. )", "", fragment).strip()
            if row and start == 0:
                fragment = f"{cells[0]}: {fragment.split(' | ')[-1] if heading != 'Reporting rules' else fragment}"
            clauses.append(Clause(m.group(1), heading, " ".join(fragment.split())))
            start = m.end()
    return clauses


def _blocks(text: str) -> list[str]:
    """Headings, table rows, list items (with their continuation lines) and paragraphs."""
    blocks: list[str] = []
    for line in text.splitlines():
        item = line.lstrip().startswith("- ") or re.match(r"\d+\. ", line)  # nested bullets are clauses too
        starts = line.startswith(("#", "|")) or item or not blocks or not blocks[-1]
        if not line.strip():
            blocks.append("")
        elif starts or blocks[-1].startswith(("#", "|")):
            blocks.append(line.strip())
        else:
            blocks[-1] += " " + line.strip()
    return [b for b in blocks if b]


def bugs_by_clause(mutants: list[Mutant] = ALL) -> dict[str, list[Mutant]]:
    out: dict[str, list[Mutant]] = defaultdict(list)
    for m in mutants:
        for c in m.clauses:
            out[c].append(m)
    return out


def collateral_from_kill_matrix(path: Path = KILL_MATRIX) -> dict[str, tuple[str, ...]]:
    """mutant name -> the test functions docs/KILL_MATRIX.md saw fail beyond the declared ones."""
    out: dict[str, tuple[str, ...]] = {}
    if not path.is_file():
        return out
    for line in path.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or cells[0] in ("mutant", "") or cells[0].startswith("---"):
            continue
        extra = cells[-1]
        out[cells[0]] = tuple(t.strip() for t in extra.split(":", 1)[1].split(",")) if ":" in extra else ()
    return out


def render(clauses: list[Clause], mutants: list[Mutant] = ALL) -> str:
    bugs = bugs_by_clause(mutants)
    collateral = collateral_from_kill_matrix()
    lines = [
        "# Clauses: every rule of the contract, the tests that fail when it is broken, and the bug that proves it",
        "",
        "Generated by `python -m tests.clauses` from [spec/CONTRACT.md](../spec/CONTRACT.md) (do not edit by hand;",
        "`tests/test_clauses.py` fails when this file is out of date). Each clause has a stable id, the tag in",
        "brackets after it in the contract. **Known bugs** are the mutants of `gpt2spec/known_bugs` that declare",
        "the clause (`Mutant.clauses`); **tests that fail** are the spec tests each bug declares, which",
        "`tests/test_mutants.py` proves fail on it; *also fail* lists the collateral failures the last kill matrix",
        "([docs/KILL_MATRIX.md](KILL_MATRIX.md)) saw. The reporting rules are the tool's own behaviour, proved by",
        "the suite's tests of the plugin.",
        "",
    ]
    proven = sum(1 for c in clauses if bugs.get(c.id) or c.id in TOOL_PROOFS)
    lines += [f"**{proven} of {len(clauses)} clauses have a known bug (or a tool test) that proves their tests.**", ""]
    heading = None
    for c in clauses:
        if c.heading != heading:
            heading = c.heading
            lines += ["", f"## {heading}", "", "| clause | rule | known bugs | tests that fail |", "|---|---|---|---|"]
        rule = c.text.replace("|", "\\|").replace("\\\\|", "\\|")
        if c.id in TOOL_PROOFS:
            proof, tests = "(the tool's behaviour)", "<br>".join(f"`{t}`" for t in TOOL_PROOFS[c.id])
        elif bugs.get(c.id):
            proof = ", ".join(f"`{m.name}`" for m in bugs[c.id])
            tests = "<br>".join(_tests_of(m, collateral) for m in bugs[c.id])
        else:
            test, why = PENDING.get(c.id, ("", "no known bug"))
            proof, tests = f"**none yet**: {why}", f"`{test}` (unproven)" if test else "**none**"
        lines.append(f"| `{c.id}` | {rule} | {proof} | {tests} |")
    return "\n".join([*lines, ""])


def _tests_of(m: Mutant, collateral: dict[str, tuple[str, ...]]) -> str:
    text = f"{m.name}: " + ", ".join(m.catches)
    extra = collateral.get(m.name, ())
    return text + (f"; *also fail*: {', '.join(extra)}" if extra else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/CLAUSES.md is not up to date")
    args = parser.parse_args()
    text = render(parse_contract(CONTRACT.read_text()))
    if args.check:
        current = OUT.read_text() if OUT.is_file() else ""
        print("docs/CLAUSES.md is up to date" if current == text else "docs/CLAUSES.md is out of date")
        return 0 if current == text else 1
    OUT.write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
