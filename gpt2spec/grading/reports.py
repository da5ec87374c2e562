"""Reports of a grading run, all written by the grader from its own records: the JSON report
(schema in docs/GRADING.md), JUnit XML, Gradescope results.json (one per implementation),
a Markdown summary (for $GITHUB_STEP_SUMMARY or a PR comment) and a plain-text table."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from gpt2spec.contract import WEEKS

from .records import EXIT_MEANING, Grade, Run


def write_all(run: Run, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out / "report.json",
        "junit": out / "junit.xml",
        "markdown": out / "summary.md",
    }
    paths["json"].write_text(json.dumps(run.to_json(), indent=2) + "\n")
    paths["junit"].write_text(junit_xml(run))
    paths["markdown"].write_text(markdown(run))
    for grade in run.grades:
        target = out / "gradescope" / grade.name / "results.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(gradescope(grade), indent=2) + "\n")
    return paths


def week_label(week: int) -> str:
    return "weeks 1-2" if week == 1 else f"week {week}"


def verdict(grade: Grade) -> str:
    if not grade.graded:
        return f"{grade.status}: {grade.reason}"
    failing = {k: v for k, v in grade.counts.items() if k != "passed" and v}
    detail = ", ".join(f"{v} {k}" for k, v in sorted(failing.items()))
    return f"{grade.counts.get('passed', 0)} passed" + (f", {detail}" if detail else "")


# ---------------------------------------------------------------- JUnit


def junit_xml(run: Run) -> str:
    suites = ET.Element("testsuites", name="gpt2spec", time=f"{run.seconds:.2f}")
    for grade in run.grades:
        counts = grade.counts
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=grade.name,
            tests=str(len(grade.tests)),
            failures=str(counts.get("failed", 0) + counts.get("timeout", 0)),
            errors=str(sum(v for k, v in counts.items() if k not in ("passed", "failed", "timeout") and _is_error(k))),
            skipped=str(sum(v for k, v in counts.items() if _is_skip(k))),
            time=f"{grade.seconds:.2f}",
        )
        props = ET.SubElement(suite, "properties")
        for key, value in (("status", grade.status), ("score", grade.score), ("max_score", grade.max_score)):
            ET.SubElement(props, "property", name=key, value=str(value))
        if grade.reason:
            ET.SubElement(props, "property", name="reason", value=grade.reason)
        for t in grade.tests:
            file, _, name = t.key.partition("::")
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{grade.name}.{Path(file).stem}",
                name=name.replace("[impl-", "[").replace("-impl]", "]").replace("[impl]", ""),
                time=f"{t.seconds:.3f}",
            )
            first = t.message.strip().splitlines()[0][:300] if t.message.strip() else t.outcome
            text = f"{t.message}\n\n{t.details}".strip()
            if t.outcome in ("failed", "timeout"):
                ET.SubElement(case, "failure", message=first).text = text
            elif _is_error(t.outcome):
                ET.SubElement(
                    case, "error", message=f"{t.outcome}: {first}"
                ).text = f"{t.message}\n\n{t.details}".strip()
            elif _is_skip(t.outcome):
                ET.SubElement(case, "skipped", message=f"{t.outcome}: {first}" if t.outcome != first else first)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _is_skip(outcome: str) -> bool:
    return outcome in ("skipped", "not implemented", "not graded here", "xfailed")


def _is_error(outcome: str) -> bool:
    return outcome not in ("passed", "failed", "timeout", "xpassed") and not _is_skip(outcome)


# ---------------------------------------------------------------- Gradescope


def gradescope(grade: Grade) -> dict:
    """Gradescope's autograder format: https://gradescope-autograders.readthedocs.io/en/latest/specs/"""
    tests = [
        {
            "name": t.key.replace("[impl-", "[").replace("-impl]", "]").replace("[impl]", ""),
            "score": t.points,
            "max_score": t.max_points,
            "status": "passed" if t.outcome == "passed" else "failed",
            "output": f"{t.outcome}: {t.message}".strip()[:4000] if t.outcome != "passed" else "",
            "tags": [week_label(t.week)] if t.week else [],
            "visibility": "visible",
        }
        for t in grade.tests
    ]
    return {
        "score": grade.score,
        "max_score": grade.max_score,
        "output": f"{grade.name}: {verdict(grade)}",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "leaderboard": [{"name": "Total", "value": grade.score}]
        + [{"name": week_label(w), "value": s.points} for w, s in sorted(grade.weeks.items())],
    }


# ---------------------------------------------------------------- Markdown and text


def markdown(run: Run, details: bool = True) -> str:
    lines = ["## gpt2spec grades", ""]
    if not run.grades:
        return "\n".join([*lines, "No implementation to grade.", ""])
    header = ["implementation", "status", *[week_label(w) for w in run.weeks], "total"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for g in run.grades:
        cells = [f"`{g.name}`", "✅ graded" if g.graded else f"❌ {g.status}"]
        cells += [f"{g.weeks[w].points:g} / {g.weeks[w].max_points:g}" if w in g.weeks else "—" for w in run.weeks]
        cells.append(f"**{g.score:g} / {g.max_score:g}**")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"Exit code {run.exit_code}: {EXIT_MEANING[run.exit_code]}. Graded in {run.seconds:.0f} s.", ""]
    if details:
        for g in run.grades:
            lines += _details(g)
    weeks = "; ".join(f"{week_label(w)}: {WEEKS.get(w, '')}" for w in run.weeks)
    lines += ["", f"<sub>{weeks}</sub>", ""]
    return "\n".join(lines)


def _details(g: Grade) -> list[str]:
    out = [f"<details><summary><code>{g.name}</code>: {_escape(verdict(g))}</summary>", ""]
    if g.reason:
        out += [f"**{g.status}**: {_escape(g.reason)}", ""]
    for note in g.notes:
        out += [f"- {note}"]
    bad = [t for t in g.tests if t.outcome not in ("passed", "not graded here")] if g.graded else []
    groups: dict[tuple[str, str], list[str]] = {}
    for t in bad:  # one entry per distinct (outcome, message): 14 tests of one blank read as one
        groups.setdefault((t.outcome, failure_text(t.message)), []).append(t.key)
    for (outcome, text), keys in list(groups.items())[:25]:
        more = f" (and {len(keys) - 1} more)" if len(keys) > 1 else ""
        lines = text.splitlines() or [""]
        out.append(f"- `{keys[0]}`{more} **{outcome}**: {_escape(lines[0])}")
        out += [f"  {_escape(line)}" for line in lines[1:]]
    if len(groups) > 25:
        out.append(f"- ... and {len(groups) - 25} more kinds (see junit.xml)")
    return [*out, "", "</details>", ""]


def failure_text(message: str, lines: int = 6, width: int = 400) -> str:
    """A failure as a reader needs it: the assertion's message (what differs, where) and its
    ``Hint:`` line, never pytest's first traceback line (``impl = <...>, B = 2``)."""
    kept = [ln.rstrip()[:width] for ln in message.strip().splitlines() if ln.strip()]
    hints = [ln for ln in kept[lines:] if ln.lstrip().startswith("Hint:")]  # a hint below the cut stays
    return "\n".join(kept[:lines] + hints)


def _escape(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def text_table(run: Run) -> str:
    weeks = "".join(f"{week_label(w):>11}" for w in run.weeks)
    head = f"{'implementation':<22}{'status':<18}{weeks}{'total':>12}"
    rows = [head, "-" * len(head)]
    for g in run.grades:
        weeks = "".join(f"{g.weeks[w].points:>11g}" if w in g.weeks else f"{'-':>11}" for w in run.weeks)
        rows.append(f"{g.name:<22}{g.status:<18}{weeks}{f'{g.score:g}/{g.max_score:g}':>12}   {g.seconds:.1f}s")
        if g.reason:
            rows.append(f"{'':<22}-> {g.reason}")
    return "\n".join(rows)


# ---------------------------------------------------------------- reading a report back
