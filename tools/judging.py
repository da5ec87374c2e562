"""Blind judging of a held-out run (not collected as a test; run as ``python -m tools.judging``).

``tools.diagnosis`` scores its own Diagnoses by tags (does the first verdict's tag match one the bug's author gave);
a tag can match and the words around it still mislead, or miss and the words still name the mistake. So each graded
held-out set is also read by judges who have never seen how the diagnosis works: they get, per bug, the author's
description, the reference file, the participant's file with line numbers, the diff and the Diagnosis text, and say
whether the Diagnosis names the mistake and whether its fix would correct it. Three subcommands:

    python -m tools.judging folders docs/diagnosis-run-v35.jsonl /tmp/judge35a --rows 1 12
    python -m tools.judging prompt /tmp/judge35a /tmp/judged35a.jsonl      # the judge's instructions
    python -m tools.judging stats docs/diagnosis-run-v35.jsonl --judged /tmp/judged35*.jsonl

The folders hold nothing about how the diagnosis works, so a judge that reads only them stays blind.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from tests.heldout_bugs import ALL_BY_NAME
from tests.mutation import ROOT

PROMPT = """You are a blind judge of a grading kit's bug diagnoses. A participant implementing GPT-2 (model, byte-level
BPE tokenizer, data loader, training loop) made ONE mistake; the kit's test failed and printed a "Diagnosis"
section. You decide whether that Diagnosis names the mistake, and whether its `Fix:` line would correct it.
You have never seen how the kit works and must not look: read ONLY the files under {judge_dir} (one folder per
bug, listed in {judge_dir}/INDEX.txt).
Each folder has:
- author.md: the mistake in the words of the person who planted it, its short tags, and the first failing
  test;
- reference_<file>: the correct code; participant_<file>.numbered: the participant's file, with line numbers
  (the Diagnosis's "your <file> line N" refers to these numbers); diff.txt: the difference;
- diagnosis.txt: the Diagnosis the participant was shown.
Do not open any other file in the repository, and do not run the kit. You may run small Python snippets of
your own (with {python}) to check a claim (e.g. that a proposed line change would make the participant's code
equal the reference's behaviour).
For each bug append ONE JSON line to {out_file} (one line per bug, in INDEX order) with keys:
- "bug": the bug name (from author.md);
- "category": "named" if the Verdict's first claim identifies the participant's actual mistake (the right
  line, or the right family with the right parameter, or the right cause in other words); "half" if it gets
  part of it (the right place or family with a wrong or missing detail, a fix that only partly corrects it,
  the right option among several offered, a fix that neutralises the line instead of correcting it, or only
  where it raised with no cause); "wrong" if it names another mistake; "nothing" if it names none (e.g. "no
  known bug reproduces this failure");
- "fix": "right" if a `Fix:` line is present and applying it to the participant's code would correct the
  mistake (the behaviour becomes the reference's); "partial" if it helps but leaves something wrong or is too
  vague to apply; "wrong" if it would not correct it or would break something else; "none" if there is no
  `Fix:` line (an "if so, the fix" inside a list of options counts as none);
- "facts": true if every other statement in the Diagnosis (notes, "What the probes saw", "Also observed") is
  true of the participant's code, false if any is false, null if there are none;
- "reason": two or three sentences saying why, naming lines and code.
Be strict and concrete: check line numbers against the numbered file, and check that the fix is what the code
needs.
When done, reply with the counts of each category and fix value, and nothing else.

"""


def _rows(log: Path) -> list[dict]:
    """The log's first grading of each bug (``--loaded`` runs append a second, under another ``run``)."""
    rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("run", "as found") == "as found"]


def folders(log: Path, out: Path, first: int = 1, last: int | None = None) -> list[str]:
    """One folder per graded bug (rows ``first``..``last`` of the log, 1-based) and an INDEX.txt listing them."""
    out.mkdir(parents=True, exist_ok=True)
    index = []
    for n, row in enumerate(_rows(log)[first - 1 : last], start=first):
        held = ALL_BY_NAME[row["bug"]]
        bug = held.bug
        reference = (ROOT / "reference" / bug.file).read_text()
        participant = reference.replace(bug.old, bug.new)
        folder = out / f"{n:02d}-{bug.name}"
        folder.mkdir(exist_ok=True)
        (folder / "author.md").write_text(
            f"bug: {bug.name}\nfile: {bug.file}\nsection: {bug.section}\nwritten: {held.written}\n"
            f"what the author says the mistake is: {bug.why}\nthe author's short tags: {list(held.accept)}\n"
            f"first failing test the participant met: {row['first_failure']}\n"
        )
        (folder / f"reference_{bug.file}").write_text(reference)
        numbered = "".join(f"{i:4d}  {line}\n" for i, line in enumerate(participant.splitlines(), start=1))
        (folder / f"participant_{bug.file}.numbered").write_text(numbered)
        diff = difflib.unified_diff(
            reference.splitlines(True), participant.splitlines(True), f"reference/{bug.file}", f"participant/{bug.file}"
        )
        (folder / "diff.txt").write_text("".join(diff))
        (folder / "diagnosis.txt").write_text(row["text"] or "(no Diagnosis section: the failure carried none)\n")
        index.append(folder.name)
    (out / "INDEX.txt").write_text("\n".join(index) + "\n")
    return index


def stats(log: Path, judged: list[Path]) -> list[str]:
    """The figures of a judged run: categories by how the bug was written and by section, fixes, facts, and the
    strict (tag) count beside them; then each bug not judged named, with the judge's reason."""
    from tools.diagnosis import _same_tag

    runs = _rows(log)
    verdicts = {}
    for path in judged:
        for line in path.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                verdicts[row["bug"]] = row
    by_written: dict[str, Counter] = defaultdict(Counter)
    by_section: dict[str, Counter] = defaultdict(Counter)
    fixes, facts, strict = Counter(), Counter(), Counter()
    for run in runs:
        held = ALL_BY_NAME[run["bug"]]
        top = bool(run["named"]) and any(_same_tag(run["named"][0], a) for a in run["accept"])
        strict["named first"] += top
        strict["exact fix, first tag not the author's"] += bool(run["exact"]) and not top
        verdict = verdicts.get(run["bug"])
        if verdict is not None:
            by_written[held.written][verdict["category"]] += 1
            by_section[held.bug.section][verdict["category"]] += 1
            fixes[verdict["fix"]] += 1
            facts[str(verdict["facts"])] += 1
    total = sum(by_written.values(), Counter())
    n = sum(total.values())
    lines = [f"graded {len(runs)}, judged {n}, {round(sum(r['seconds'] for r in runs) / 60)} bug minutes"]
    lines += [f"{written}: {sum(c.values())} {dict(c)}" for written, c in sorted(by_written.items())]
    lines.append(f"all: {dict(total)}; named {total['named'] / max(n, 1):.0%}")
    lines.append(f"fix: {dict(fixes)}; facts: {dict(facts)}; strict: {dict(strict)}")
    lines.append(
        "sections (named/judged): " + ", ".join(f"{s} {c['named']}/{sum(c.values())}" for s, c in by_section.items())
    )
    for run in runs:
        verdict = verdicts.get(run["bug"])
        if verdict and verdict["category"] != "named":
            lines.append(f"  {verdict['category']:8} fix {verdict['fix']:8} {run['bug']} | {verdict['reason']}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.judging", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("folders", help="one folder per graded bug, for a blind judge")
    f.add_argument("log", type=Path)
    f.add_argument("out", type=Path)
    f.add_argument("--rows", type=int, nargs=2, default=(1, None), metavar=("FIRST", "LAST"))
    p = sub.add_parser("prompt", help="the judge's instructions for one folder set")
    p.add_argument("judge_dir", type=Path)
    p.add_argument("out_file", type=Path)
    s = sub.add_parser("stats", help="the figures of a judged run")
    s.add_argument("log", type=Path)
    s.add_argument("--judged", type=Path, nargs="+", required=True)
    args = parser.parse_args()
    if args.command == "folders":
        index = folders(args.log, args.out, *args.rows)
        print(f"{len(index)} bugs in {args.out}")
    elif args.command == "prompt":
        print(PROMPT.format(judge_dir=args.judge_dir, out_file=args.out_file, python=sys.executable).strip())
    else:
        print("\n".join(stats(args.log, args.judged)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
