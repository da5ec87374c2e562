"""The preset search (gpt2spec/training/preset_search.py): trials parsed strictly, steps from the calibrated
rate, and the command run whole on the 28 KB excerpt with a tiny budget, the way docs/CAPSTONE.md runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gpt2spec.training import preset_search
from gpt2spec.training.preset_search import Trial

from .helpers import ROOT


def test_a_trial_is_a_preset_and_flag_pairs() -> None:
    """NAME=PRESET then '--flag value' pairs; an unknown preset, a flag without a value or no '=' is refused
    with a message naming the trial (a typo must not silently search the default); a flag the search sets
    itself (--max-steps, --threads, ...) is refused: it would win over the budget's steps unseen."""
    t = Trial.parse("wide=cpu --n-embd 192 --n-head 6")
    assert (t.name, t.preset, t.flags) == ("wide", "cpu", ("--n-embd", "192", "--n-head", "6"))
    assert t.flag("--n-head") == "6" and t.flag("--max-lr") is None
    for bad, says in [("cpu", "NAME=PRESET"), ("x=cpux", "unknown preset 'cpux'"), ("x=cpu --n-embd", "pairs"),
                      ("x=cpu 192 --n-embd", "pairs"), ("=cpu", "NAME=PRESET"),
                      ("x=cpu --max-steps 10", "by the search"), ("x=cpu --threads 2", "by the search")]:  # fmt: skip
        with pytest.raises(ValueError, match=says):
            Trial.parse(bad)


def test_steps_spend_the_budget_at_the_calibrated_rate() -> None:
    """740 CPU-s at 3,300 tokens/CPU-s and 2,048 tokens a step is 1,192 steps; never zero steps."""
    assert preset_search.steps_for(740, 3300, 2048) == 1192
    assert preset_search.steps_for(0.1, 10, 2048) == 1


def test_the_search_runs_whole_and_tables_best_first(tmp_path: Path) -> None:
    """Two trials on the excerpt with a 1.5 CPU-second budget, as a user types the command: both train,
    results.jsonl holds both with the load around their calibration, table.md ranks them by held-out
    bits/byte; a failing trial (an impossible head count) is a row saying why, not a crash of the search."""
    excerpt = "gpt2spec/training/shakespeare.txt"
    small = f"small --data {excerpt} --tokenizer bytes --n-layer 1 --n-embd 32 --n-head 2 --block-size 32"
    small += " --batch-size 4"
    trials = [f"a={small} --total-batch-size 128", f"b={small} --total-batch-size 256", f"bad={small} --n-head 5"]
    cmd = [sys.executable, "-m", "gpt2spec.training.preset_search", "--cpu-budget", "1.5", "--out", str(tmp_path)]
    proc = subprocess.run([*cmd, *trials], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    rows = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    by = {r["trial"]: r for r in rows}
    assert set(by) == {"a", "b", "bad"} and by["a"]["status"] == by["b"]["status"] == "ok", rows
    assert by["bad"]["status"] == "failed" and by["a"]["steps"] >= 1
    table = (tmp_path / "table.md").read_text().splitlines()
    assert table[0] == "Budget: 1.5 CPU-seconds of training steps per trial, one thread.", table
    ranked = [line.split(" | ")[0].strip("| ") for line in table[4:6]]
    assert ranked == sorted(["a", "b"], key=lambda n: by[n]["heldout_bpb"]), table
    assert "failed" in table[6] and "bad" in table[6], table
    # the calibration's load is kept and shown: a step's CPU cost rises when the other core is busy
    assert all(isinstance(by[n]["calibration_load"], float) for n in "ab"), rows
    assert table[2].endswith("| load at calibration |"), table
