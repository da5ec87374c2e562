"""``python -m tools.seminar_run`` run whole, as documented, on one cheap spec test (the full-spec run
and its figures are in docs/GRADING.md): every kind of generated submission (one copy of each repeated
kind: 16 of the 30), one leaderboard row each, with the status each deserves, and the figures written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .submissions import ROOT


def test_seminar_run_ranks_every_submission(tmp_path: Path) -> None:
    out = tmp_path / "seminar"
    cmd = [sys.executable, "-m", "tools.seminar_run", "--out", str(out), "--spec", "spec/test_config.py"]
    cmd += ["-k", "test_defaults_are_gpt2_small", "--timeout-test", "20", "--copies", "1"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "[16/16]" in proc.stderr, "no progress shown"
    rows = {r["name"]: r for r in json.loads((out / "leaderboard.json").read_text())["rows"]}
    assert len(rows) == 16
    assert rows["complete1"]["status"] == "graded" and rows["complete1"]["total"] == rows["complete1"]["max_total"]
    assert rows["blank1"]["status"] == "graded"
    assert rows["broken-syntax"]["status"] == "syntax-error"
    assert rows["broken-import"]["status"] == "import-error"
    # Under the judge/worker split a patch or a forged record stays in the participant's own process: the
    # monkeypatch is graded on what it does (its wrong GPTConfig scores 0), the forger breaks its own channel.
    assert rows["hostile-monkeypatch"]["status"] == "graded" and rows["hostile-monkeypatch"]["total"] == 0
    assert rows["hostile-forge_channel"]["status"] == "import-error"
    assert rows["hostile-memory_hog"]["status"] == "out-of-memory"
    assert rows["hostile-forbidden_static"]["status"] == "forbidden-import"
    assert rows["hostile-segfault"]["failures"][0]["outcome"] == "crash"
    figures = json.loads((out / "figures.json").read_text())
    assert figures["submissions"] == 16 and figures["wall_seconds"] > 0 and figures["peak_rss_all_interpreters_mib"] > 0
    assert (out / "leaderboard.html").read_text().count("<tbody>") == 16


def test_the_documented_run_generates_30_submissions(tmp_path: Path) -> None:
    """Without --copies the run is the seminar-sized one docs/GRADING.md reports: 30 submissions."""
    from tools.seminar_run import generate

    names = [name for name, _ in generate(tmp_path)]
    assert len(names) == 30 == len(set(names)), names
