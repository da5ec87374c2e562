"""The kill matrix (not collected as a test; run as ``python -m tools.kill_matrix``).

Grades every mutant on *all* the spec modules of its section (not only the tests it names,
as the CI meta-test does), in parallel processes, and writes docs/KILL_MATRIX.md: for each
mutant, how many tests of each spec module failed, whether the tests it declares all
failed, the mutation score, and the *collateral failures*: the test functions that failed
beyond the ones the mutant declares. The spec aims at one failing test per departure from
the contract, so every collateral failure is either a second clause the bug truly breaks
(then declare it) or a test that leans on a clause it is not about (then fix the test).

``--mutants a,b`` grades only those mutants and prints the table instead of writing the file.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from gpt2spec.known_bugs import ALL
from tests.mutation import ROOT, SECTION_SPECS, TOKENIZER_PARTS, Mutant, function_name, grade

MODULES = [
    "test_config", "test_attention", "test_layernorm", "test_mlp", "test_block", "test_gpt", "test_generate",
    "test_pretrained", *(f"test_tokenizer_{part}" for part in TOKENIZER_PARTS), "test_data", "test_training",
]  # fmt: skip


@dataclass(frozen=True)
class Kill:
    mutant: Mutant
    per_module: Counter[str]  # spec module -> number of its failed tests (parametrized cases count one each)
    killed: bool  # every declared test failed
    collateral: tuple[str, ...]  # failed test functions the mutant does not declare


def kill(mutant: Mutant, workdir: Path, marks: str = "") -> Kill:
    pkg = mutant.materialize(workdir)
    outcomes = grade(pkg, SECTION_SPECS[mutant.section], workdir / f"{mutant.name}.xml", marks=marks)
    failed = [o for o in outcomes if o.outcome in ("failed", "error")]
    per_module = Counter(o.nodeid.split("::")[0].rsplit("/", 1)[-1].removesuffix(".py") for o in failed)
    names = {function_name(o.nodeid) for o in failed}
    collateral = tuple(sorted(names - set(mutant.catches)))
    return Kill(mutant, per_module, all(c in names for c in mutant.catches), collateral)


def table(results: list[Kill]) -> list[str]:
    lines = [
        "| mutant | section | " + " | ".join(m.removeprefix("test_") for m in MODULES) + " | killed | collateral |",
        "|---|---|" + "---|" * len(MODULES) + "---|---|",
    ]
    for r in results:
        ran = {Path(f).stem for f in SECTION_SPECS[r.mutant.section]}
        cells = [str(r.per_module[m]) if r.per_module[m] else ("·" if m in ran else "") for m in MODULES]
        extra = f"{len(r.collateral)}: " + ", ".join(r.collateral) if r.collateral else "0"
        killed = "yes" if r.killed else "**NO**"
        lines.append(f"| {r.mutant.name} | {r.mutant.section} | " + " | ".join(cells) + f" | {killed} | {extra} |")
    return lines


def merge(path: Path, printed: str, note: str) -> tuple[int, int, int]:
    """Merge the table rows printed by ``--mutants`` runs (``printed``) into the matrix at ``path``: a graded
    mutant's row replaces its old one, rows of mutants no longer declared go, columns follow MODULES (a row
    from before a module was added gets a blank cell there), rows follow ALL's order. The score paragraph is
    recomputed from the rows, with ``note`` saying which run each row comes from. Returns (killed, clean,
    total)."""
    text = path.read_text()
    lines = text.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("| mutant |"))
    old_modules = [c.strip() for c in lines[head].strip("|").split("|")][2:-2]
    rows: dict[str, list[str]] = {}
    for line in lines[head + 2 :]:
        if line.startswith("| "):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            by_module = dict(zip(old_modules, cells[2:-2], strict=True))
            if by_module.get("tokenizer"):  # one column for the five tokenizer modules, before the split
                by_module["tokenizer_training"] = f"{by_module['tokenizer']} (all five)"
            rows[cells[0]] = [*cells[:2], *(by_module.get(m.removeprefix("test_"), "") for m in MODULES), *cells[-2:]]
    for line in printed.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == len(MODULES) + 4 and cells[0] in {m.name for m in ALL}:
            rows[cells[0]] = cells
    for m in ALL:  # declarations may have grown since a row was graded: a declared test is not collateral
        row = rows.get(m.name)
        if row and ":" in row[-1]:
            extra = [t.strip() for t in row[-1].split(":", 1)[1].split(",") if t.strip() not in m.catches]
            row[-1] = f"{len(extra)}: {', '.join(extra)}" if extra else "0"
    ordered = [rows[m.name] for m in ALL if m.name in rows]
    killed = sum(r[-2].startswith("yes") for r in ordered)
    clean = sum(r[-1] == "0" for r in ordered)
    table_lines = table([])[:2] + ["| " + " | ".join(r) + " |" for r in ordered]
    score = next(i for i, line in enumerate(lines) if line.startswith("**Mutation score"))
    paragraph = (
        f"**Mutation score: {killed}/{len(ordered)} = {100 * killed / len(ordered):.0f}%**; {clean}/{len(ordered)} "
        f"mutants fail no test beyond the ones they declare ({100 * clean / len(ordered):.0f}%). {note}"
    )
    path.write_text("\n".join([*lines[:score], paragraph, "", *table_lines, ""]))
    return killed, clean, len(ordered)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "KILL_MATRIX.md")
    parser.add_argument(
        "--fast",
        action="store_true",
        help='leave out the tests marked slow (-m "not slow": the 124M cases repeat the tiny ones at 40x the cost)',
    )
    parser.add_argument("--mutants", default="", help="comma-separated names: grade these only and print the table")
    parser.add_argument(
        "--merge-from",
        type=Path,
        help="a file holding tables printed by --mutants runs: merge their rows into --out instead of grading",
    )
    parser.add_argument("--note", default="", help="with --merge-from: the run(s) the rows come from")
    args = parser.parse_args()
    if args.merge_from:
        killed, clean, total = merge(args.out, args.merge_from.read_text(), args.note)
        print(f"mutation score {killed}/{total}; {clean} without collateral failures; wrote {args.out}")
        return 0 if killed == total else 1
    chosen = [m for m in ALL if m.name in args.mutants.split(",")] if args.mutants else ALL
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda m: kill(m, Path(tmp), "not slow" if args.fast else ""), chosen))
    minutes = (time.monotonic() - started) / 60
    killed = sum(r.killed for r in results)
    clean = sum(not r.collateral for r in results)
    if args.mutants:
        print("\n".join(table(results)))
        return 0 if killed == len(results) else 1
    lines = [
        "# Kill matrix",
        "",
        "`python -m tools.kill_matrix`: each mutant (one declared bug in a copy of `reference/`) graded on",
        "every spec module of its section. A cell is the number of that module's tests that failed; `·` means",
        "the module ran and nothing failed, blank means the module is not in the mutant's section.",
        "**Killed** means every test the mutant declares failed. **Collateral** lists the test functions that",
        "failed beyond the declared ones: the spec aims at one failing test per departure from the contract, so",
        "each is either a second clause the bug truly breaks or a test leaning on a clause it is not about.",
        "Equivalent mutants (not listed here) are documented with their reasoning in docs/TOLERANCES.md.",
        "",
        f"**Mutation score: {killed}/{len(results)} = {100 * killed / len(results):.0f}%**; "
        f"{clean}/{len(results)} mutants fail no test beyond the ones they declare "
        f"(run: {minutes:.0f} min with --jobs {args.jobs}"
        + (', tests marked slow left out: `--fast`, `-m "not slow"`).' if args.fast else ")."),
        "",
        *table(results),
    ]
    args.out.write_text("\n".join([*lines, ""]))
    print(f"mutation score {killed}/{len(results)}; {clean} without collateral failures; wrote {args.out}")
    return 0 if killed == len(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
