"""The clauses of spec/CONTRACT.md, by id: each rule carries a stable tag in brackets right after it
(``[W5-batches-intact]``). Failure messages cite them (spec/raised.py) and docs/CLAUSES.md lists them
(tests/clauses.py). Which clauses a spec test checks comes from the known bugs: a test checks the
clauses of the bugs that declare it (``Mutant.catches`` and ``Mutant.clauses``).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

CONTRACT = Path(__file__).resolve().parent / "CONTRACT.md"
TAG = re.compile(r"\s*\[((?:R|W\d)-[a-z0-9-]+)\]")


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


@functools.cache
def by_id() -> dict[str, Clause]:
    return {c.id: c for c in parse_contract(CONTRACT.read_text())}


@functools.cache
def clauses_of_test(test: str) -> tuple[str, ...]:
    """The clause ids a spec test function checks, most often declared first (from the known bugs)."""
    from gpt2spec.known_bugs import ALL  # late: the known bugs are the tool's, loaded only when a test fails

    counts = Counter(c for m in ALL if test in m.catches for c in m.clauses)
    return tuple(c for c, _ in counts.most_common())


def cite(clause_id: str) -> str:
    """'CONTRACT.md [W3-from-pretrained] (Weeks 1–3: the model): <the rule>'."""
    clause = by_id().get(clause_id)
    if clause is None:
        return f"CONTRACT.md [{clause_id}]"
    return f"CONTRACT.md [{clause.id}] ({clause.heading}): {clause.text}"
