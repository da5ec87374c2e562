"""One explanation per failure: the single "Diagnosis" section a failing spec test carries.

Several parts of the kit know something about a failure: a spec helper that matched the output with a
known bug's (spec/hints.py, spec/variants.py), the first-divergence walk through a GPT (spec/diagnose.py),
a prerequisite component that already fails its own check (``@needs``), the probes that measure a bug
family's parameter (spec/probes.py) and the fingerprint that re-runs the test with each known bug
(gpt2spec/fingerprint.py). None of them writes into the failure message any more: each *records* what it
found here, and the fingerprint plugin writes one section from all of it, with one verdict:

- a measured or exactly reproduced bug, with its fix ("confident");
- several known bugs that give this very failure: "consistent with any of", each fix said as "if so";
- nothing fits: what the probes established, and the nearest known bugs as a guess, without a fix.

Every bug is named by a tag in square brackets: a known bug's name (gpt2spec/known_bugs) or a measured
family with its parameter, e.g. ``[layernorm-eps: 1e-06]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

HEADER = "Diagnosis"


REPRODUCED, MEASURED, CONSISTENT, OBSERVED = "reproduced", "measured", "consistent", "observed"


@dataclass(frozen=True)
class Finding:
    """One thing known about the failure."""

    tag: str  # "unbiased-variance" (a known bug) or "layernorm-eps: 1e-06" (a family, measured)
    text: str  # the bug, in a participant's words
    fix: str = ""
    # REPRODUCED: this bug gives the failing output to round-off; MEASURED: a probe fitted it exactly;
    # CONSISTENT: gives the same failure on evidence that cannot rule out others (ids, a message);
    # OBSERVED: a fact that names no bug
    kind: str = MEASURED
    evidence: str = ""  # how it was established ("bit for bit", "measured on 8 probe inputs", ...)


@dataclass
class Notes:
    """What the helpers recorded while one test ran."""

    prerequisite: str = ""  # "your attention already fails its own check (...)"
    component: str = ""  # the prerequisite component that fails, e.g. "attention"
    findings: list[Finding] = field(default_factory=list)
    observations: list[str] = field(default_factory=list)  # facts that name no bug: "first divergence: h.0.attn"
    raised: tuple[str, str] | None = None  # (tag, words): where the participant's code raised, when it did


_notes = Notes()


def record(finding: Finding) -> None:
    record_into(_notes, finding)


def record_into(notes: Notes, finding: Finding) -> None:
    if "[" in finding.tag or "]" in finding.tag:  # a tag is printed in brackets: one inside would cut it short
        finding = replace(finding, tag=finding.tag.replace("[", "(").replace("]", ")"))
    if finding not in notes.findings:
        notes.findings.append(finding)


def unconfirmed(f: Finding, second: str) -> Finding:
    """A fit that a second probe did not bear out: kept as a fact, never as a verdict with a fix. A formula fitted
    to one measurement can reproduce another bug's numbers by chance (a softmax over the batch fits as
    temperature "inf" when the batch has one row), so a fitted family carries its fix only when it also
    predicts a probe it was not fitted on (``second`` says which)."""
    return Finding(f.tag, f"{f.text}{_UNCONFIRMED}{second}, so no fix is implied", kind=OBSERVED,
                   evidence=f.evidence)  # fmt: skip


_UNCONFIRMED = "; not confirmed by "  # in an unconfirmed fit's text: a hypothesis, shown only where nothing else is


def observe(text: str) -> None:
    if text not in _notes.observations:
        _notes.observations.append(text)


def prerequisite(text: str, component: str) -> None:
    if not _notes.prerequisite:
        _notes.prerequisite, _notes.component = text, component


def restore(notes: Notes) -> None:
    """Put back what ``take`` returned (a nested check keeps its own findings apart)."""
    global _notes
    _notes = notes


def take() -> Notes:
    """What was recorded since the last take (and forget it)."""
    global _notes
    notes, _notes = _notes, Notes()
    return notes


def section(notes: Notes, fingerprint: list[Finding] = (), guesses: list[Finding] = (), budget: str = "") -> str:
    """The one Diagnosis section, with one verdict: a bug reproduced to round-off (several: "consistent
    with any of"), else what the probes measured, else a known bug consistent with the failure, else
    what is established and the nearest guesses, without a fix."""
    found = [*notes.findings, *fingerprint]
    reproduced = _unique([f for f in found if f.kind == REPRODUCED])
    measured = _unique([f for f in found if f.kind == MEASURED])
    consistent = _unique([f for f in found if f.kind == CONSISTENT])
    lines = [f"{HEADER}:"]
    if notes.prerequisite:
        lines.append(f"  Fix this first: {notes.prerequisite}")
    shown: list[Finding] = []
    if len(reproduced) == 1 or (not reproduced and measured):
        shown = reproduced or measured
        for i, f in enumerate(shown):
            lines.append(f"  {'Verdict' if i == 0 else 'and'}: [{f.tag}] {f.text}" + _ev(f))
            if f.fix:
                lines.append(f"  Fix: {f.fix}")
    elif reproduced or len(consistent) > 1:
        shown = reproduced or consistent
        lines.append("  Verdict: consistent with any of these (this failure alone cannot tell them apart):")
        lines += [_option(f) for f in shown]
    elif consistent:
        shown = consistent
        f = consistent[0]
        lines.append(f"  Verdict: consistent with [{f.tag}] {f.text}" + _ev(f))
        lines.append("  (other bugs may fail this test the same way)" + (f"; if so, the fix: {f.fix}" if f.fix else ""))
    elif notes.raised:  # no bug fits, but the failure is an error your code raised: where, and what it means
        lines.append(f"  Verdict: [{notes.raised[0]}] {notes.raised[1]}" + (f" ({budget})" if budget else ""))
    else:
        lines.append("  Verdict: no known bug reproduces this failure exactly" + (f" ({budget})" if budget else ""))
    rest = [f for f in found if f.tag not in {s.tag for s in shown} and f.kind in (MEASURED, OBSERVED)]
    if shown:  # beside a verdict, a fit a second probe refuted is no observation (v19's judge read them as claims)
        rest = [f for f in rest if _UNCONFIRMED not in f.text]
    facts = [*notes.observations, *(f"[{f.tag}] {f.text}" for f in _unique(rest))]
    if facts:
        lines.append("  Established:" if not shown else "  Also observed:")
        lines += [f"    - {fact}" for fact in facts]
    if guesses and not shown:
        lines.append("  Nearest known bugs (a guess, not a diagnosis; no fix is implied):")
        lines += [f"    - [{g.tag}] {g.text}" + _ev(g) for g in guesses[:3]]
    return "\n".join(lines)


def _ev(f: Finding) -> str:
    return f" ({f.evidence})" if f.evidence else ""


def _unique(findings: list[Finding]) -> list[Finding]:
    seen: dict[str, Finding] = {}
    for f in findings:
        seen.setdefault(f.tag, f)
    return list(seen.values())


def _option(f: Finding) -> str:
    line = f"    - [{f.tag}] {f.text}" + _ev(f)
    return line + (f"\n      if so, the fix: {f.fix}" if f.fix else "")


def section_body(text: str) -> list[str] | None:
    """The lines of the Diagnosis section in ``text`` (None when it has none), also from a pytest report, whose
    lines carry a prefix ("E       ") before the section's own text."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.rstrip().endswith(f"{HEADER}:")), None)
    if start is None:
        return None
    prefix = lines[start][: len(lines[start].rstrip()) - len(HEADER) - 1]
    return [line[len(prefix) :] for line in lines[start + 1 :] if line.startswith(prefix)]


def verdict(text: str) -> tuple[list[str], bool]:
    """(the tags of a Diagnosis section's verdict in order, whether it carries a confident "Fix:")."""
    body = section_body(text)
    if body is None:
        return [], False
    tags, fix, in_verdict = [], False, False
    for line in body:
        if line.startswith("  Verdict:") or line.startswith("  and:"):
            in_verdict = True
        elif line.startswith(("  Established:", "  Also observed:", "  Nearest", "  Fix this first")):
            in_verdict = False
        if not in_verdict:
            continue
        m = re.match(r"^  (?:Verdict|and): (?:consistent with )?\[([^\]]+)\]|^    - \[([^\]]+)\]", line)
        if m:
            tags.append(m.group(1) or m.group(2))
        fix = fix or line.startswith("  Fix:")
    return tags, fix
