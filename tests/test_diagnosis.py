"""Known-bug fingerprints (gpt2spec/bugs.py, gpt2spec/fingerprint.py): a failing test names the participant's bug.

The full accuracy table (every mutant, and two-bug combinations) is ``python -m tests.diagnosis``
(docs/DIAGNOSIS.md); CI runs the same command on a subset that spans the weeks, and fails when any
of them stops being named first.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from gpt2spec import bugs

from .mutation import ROOT, Mutant

# A participant's own attention with the mask applied after the softmax, written differently from the
# library's mutant (its own softmax, a product with a lower triangle of ones), so that the match is to
# round-off, not bit for bit.
_SDPA = "return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1.0 / math.sqrt(k.size(-1)))"
HAND_WRITTEN = Mutant(
    name="hand-mask-after-softmax",
    file="attention.py",
    old=_SDPA,
    new=(
        "att = (q @ k.transpose(-2, -1) * k.size(-1) ** -0.5).exp()\n"
        "        att = att / att.sum(dim=-1, keepdim=True)\n"
        "        return (att * torch.ones_like(att).tril()) @ v"
    ),
    catches=("test_parity_with_hf",),
    section="attention",
    why="a participant's attention, masked after the softmax",
)
UNKNOWN = Mutant(  # no known bug scales by 1/head_dim: the fingerprint must say it is guessing
    name="scale-by-head-dim",
    file="attention.py",
    old="scale=1.0 / math.sqrt(k.size(-1))",
    new="scale=1.0 / k.size(-1)",
    catches=("test_parity_with_hf",),
    section="attention",
    why="scaled by 1/head_dim",
)
# Spans the weeks and the kinds of evidence (tensors, ids, LRs, losses), one two-bug combination.
CI_SUBSET = (
    "no-causal-mask",
    "unbiased-variance",
    "exact-gelu",
    "post-ln",
    "tie-break-by-id",
    "no-warmup",
    "y-not-shifted",
    "no-attention-scale + no-c-proj",
)


def _grade_attention_parity(tmp_path: Path) -> str:
    pkgs = ",".join(str(m.materialize(tmp_path)) for m in (HAND_WRITTEN, UNKNOWN))
    cmd = [sys.executable, "-m", "pytest", "spec/test_attention.py", f"--impl={pkgs}", "-q"]
    cmd += ["-k", "test_parity_with_hf and one-head", "-p", "no:cacheprovider"]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False).stdout


def _section(out: str, impl: str) -> str:
    start = out.index(f"test_parity_with_hf[{impl}-one-head]")
    end = out.find("spec/test_attention.py:", start)
    return out[start:end]


def test_mask_after_softmax_is_named_first_with_evidence(tmp_path: Path) -> None:
    """A hand-written attention that masks after the softmax fails parity with a message naming that bug
    first, as an exact match to round-off, with its fix; an unknown bug gets nearest guesses, said as such."""
    out = _grade_attention_parity(tmp_path)
    known = _section(out, "hand_mask_after_softmax")
    first = re.search(
        r"Known-bug fingerprint: your attention output equals the known bug \*(.+?)\* \[(.+?)\] (.+?):", known
    )
    assert first, f"no exact fingerprint in:\n{known}"
    assert first.group(2) == "mask-after-softmax", first.group(0)
    assert first.group(3) == "bit for bit" or float(first.group(3).removeprefix("to ")) < 1e-12, first.group(0)
    assert "Fix: mask the scores with -inf BEFORE the softmax" in known
    guess = _section(out, "scale_by_head_dim")
    assert "no known bug reproduces your attention output exactly" in guess and "(a guess)" in guess, guess


def test_a_subset_keeps_its_fingerprints() -> None:
    """Each bug of the subset, met as its first failing test, is named first (python -m tests.diagnosis)."""
    cmd = [sys.executable, "-m", "tests.diagnosis", "--jobs", "1", "--only", *CI_SUBSET]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1200, check=False)
    assert run.returncode == 0, f"a bug lost its fingerprint:\n{run.stdout}\n{run.stderr[-3000:]}"


def test_every_known_bug_has_a_component_an_explanation_and_a_fix() -> None:
    """The library is the mutants: each has a component in words, a sentence and a fix; pairs compose."""
    known = bugs.declarations()
    assert len(known) >= 80, f"only {len(known)} known bugs: is gpt2spec/known_bugs importable?"
    for m in known:
        bug = bugs.Bug((m,))
        assert bug.component and bug.why and bug.fix, m.name
        assert bugs.by_name(m.name) == bug
    assert bugs.pairs(["attention"]), "no composable pair of attention bugs"


def test_every_known_bug_is_valid_python(tmp_path: Path) -> None:
    """A bug whose edit breaks the syntax (e.g. deletes a line's text but not its indent) fails to import:
    every test then errors, the meta-tests count it as caught, and it can never be a fingerprint."""
    for m in bugs.declarations():
        source = (bugs.Bug((m,)).materialize(tmp_path) / m.file).read_text()
        try:
            compile(source, m.file, "exec")
        except SyntaxError as exc:
            raise AssertionError(f"bug {m.name}: reference/{m.file} no longer compiles: {exc}") from None
