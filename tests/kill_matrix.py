"""The kill matrix (not collected as a test; run as ``python -m tests.kill_matrix``).

Grades every mutant on *all* the spec modules of its section (not only the tests it names,
as the CI meta-test does), in parallel processes, and writes docs/KILL_MATRIX.md: for each
mutant, how many tests of each spec module failed, whether the tests it declares all
failed, and the mutation score.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .mutants import ALL
from .mutation import ROOT, SECTION_SPECS, Mutant, function_name, grade

MODULES = [
    "test_attention", "test_layernorm", "test_mlp", "test_block", "test_gpt", "test_generate",
    "test_pretrained", "test_tokenizer", "test_data", "test_training",
]  # fmt: skip


def kill(mutant: Mutant, workdir: Path) -> tuple[Mutant, Counter[str], bool]:
    pkg = mutant.materialize(workdir)
    outcomes = grade(pkg, SECTION_SPECS[mutant.section], workdir / f"{mutant.name}.xml")
    failed = [o for o in outcomes if o.outcome in ("failed", "error")]
    per_module = Counter(o.nodeid.split("::")[0].rsplit("/", 1)[-1].removesuffix(".py") for o in failed)
    names = {function_name(o.nodeid) for o in failed}
    return mutant, per_module, all(c in names for c in mutant.catches)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "KILL_MATRIX.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda m: kill(m, Path(tmp)), ALL))
    killed = sum(ok for _, _, ok in results)
    lines = [
        "# Kill matrix",
        "",
        "`python -m tests.kill_matrix`: each mutant (one declared bug in a copy of `reference/`) graded on",
        "every spec module of its section. A cell is the number of that module's tests that failed; `·` means",
        "the module ran and nothing failed, blank means the module is not in the mutant's section.",
        "**Killed** means every test the mutant declares failed. Equivalent mutants (not listed here) are",
        "documented with their reasoning in docs/TOLERANCES.md.",
        "",
        f"**Mutation score: {killed}/{len(results)} = {100 * killed / len(results):.0f}%**",
        "",
        "| mutant | section | " + " | ".join(m.removeprefix("test_") for m in MODULES) + " | killed |",
        "|---|---|" + "---|" * len(MODULES) + "---|",
    ]
    for mutant, per_module, ok in results:
        ran = {Path(f).stem for f in SECTION_SPECS[mutant.section]}
        cells = [str(per_module[m]) if per_module[m] else ("·" if m in ran else "") for m in MODULES]
        lines.append(f"| {mutant.name} | {mutant.section} | " + " | ".join(cells) + f" | {'yes' if ok else '**NO**'} |")
    args.out.write_text("\n".join([*lines, ""]))
    print(f"mutation score {killed}/{len(results)}; wrote {args.out}")
    return 0 if killed == len(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
