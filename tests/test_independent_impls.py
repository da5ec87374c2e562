"""Meta-test: the two independent implementations under tests/impls pass the whole spec.

They were written from spec/CONTRACT.md and the spec tests only, in styles unlike the reference
(einsum attention with a hand-written softmax; per-head loops over slices of c_attn with functional
helpers), so a spec test that fails one of them is failing a correct submission: a spec bug.

Each implementation is graded in a fresh interpreter. The two 124M parity cases are left out by
default: they take about half of an implementation's spec time (~19 s of ~35 s on the 2-core CI box)
and the measurement script (python -m tools.measure_tolerances) covers them. Set GPT2SPEC_FULL=1 to
include them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .mutation import ROOT, read_junit

IMPLS = ROOT / "tests" / "impls"
INDEPENDENT = sorted(p.name for p in IMPLS.iterdir() if (p / "__init__.py").is_file())


def test_there_are_two_independent_implementations() -> None:
    assert len(INDEPENDENT) >= 2, f"expected at least two independent implementations in {IMPLS}, found {INDEPENDENT}"


@pytest.mark.parametrize("name", INDEPENDENT)
def test_independent_implementation_passes_the_spec(name: str, tmp_path: Path) -> None:
    """Every spec test passes (or skips for want of real weights): none fails, errors, or is not implemented."""
    junit = tmp_path / "junit.xml"
    # They implement the model (weeks 1-3) only: the tokenizer and training weeks have their own oracles.
    cmd = [sys.executable, "-m", "pytest", "spec", f"--impl={IMPLS / name}", "-q", "-m", "week1 or week3"]
    cmd += [f"--junitxml={junit}"]
    if not os.environ.get("GPT2SPEC_FULL"):
        cmd += ["-k", "not (test_parity_with_hf and 124M)"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    assert junit.is_file(), f"the spec did not run on {name}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    outcomes = read_junit(junit)
    # "skipped" is a test's own skip with a reason (real GPT-2 weights not on disk); never a failure or a blank
    bad = [f"{o.nodeid}: {o.outcome}: {o.message[:300]}" for o in outcomes if o.outcome not in ("passed", "skipped")]
    assert outcomes, f"no spec tests ran on {name}"
    assert not bad, f"{len(bad)} spec tests do not pass on the correct implementation {name}:\n" + "\n".join(bad)
    assert proc.returncode == 0, f"pytest exited {proc.returncode} on {name}:\n{proc.stdout[-3000:]}"
