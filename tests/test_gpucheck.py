"""``gpt2spec gpu-check``: the dry run on the CPU, run whole as a user types it (a report row per step, a crashed
or hung step reported while the next still runs), the real run's preflight on a machine without a GPU, and the
spec's ``--device`` seam."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from gpt2spec.device import OnDevice
from gpt2spec.gpucheck import INJECT_ENV, STEPS, Row, markdown
from gpt2spec.gpusteps import STEPS as STEP_FUNCTIONS

from .helpers import ROOT, run_module, run_pytest

NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="checks what a machine without a GPU says")


def gpu_check(*args: str, inject: str = "", timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """``python -m gpt2spec gpu-check ARGS`` from the project root (``inject``: $GPT2SPEC_GPUCHECK_INJECT)."""
    return run_module("gpt2spec", "gpu-check", *args, timeout=timeout, env={INJECT_ENV: inject, "OMP_NUM_THREADS": "1"})


def report(out: Path) -> dict[str, dict]:
    """report.json's rows by step name (and report.md exists beside it)."""
    assert (out / "report.md").is_file(), f"no report.md in {out}"
    data = json.loads((out / "report.json").read_text())
    return {row["step"]: row for row in data["steps"]}


def test_every_step_has_a_measurement_and_a_time_limit() -> None:
    """The runner's table of steps and the measurements' table name the same steps, in a fixed order."""
    assert [s.name for s in STEPS] == list(STEP_FUNCTIONS)
    assert STEPS[0].name == "preflight" and STEPS[-1].name == "preset"  # the preset takes what the budget has left
    assert all(0 < s.limit_s <= 180 for s in STEPS)


@pytest.mark.slow  # the whole dry run: eight child interpreters, ~75 s on an idle 2-core box
def test_dry_run_runs_to_the_end_and_reports_a_crashed_step(tmp_path: Path) -> None:
    """`gpt2spec gpu-check --dry-run` with one step made to crash: every step has a row in report.md/.json, the
    crash is reported with its error, every later step still runs, and no goal is judged on the CPU's tiny sizes."""
    out = tmp_path / "gc"
    proc = gpu_check("--dry-run", "--out", str(out), inject="spec-bf16:crash")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # a step failed
    rows = report(out)
    assert list(rows) == [s.name for s in STEPS], proc.stdout
    crashed = rows["spec-bf16"]
    assert crashed["status"] == "failed" and "injected failure" in crashed["message"], crashed
    names = list(rows)
    for name in names[names.index("spec-bf16") + 1 :]:
        assert rows[name]["status"] == "ok", (name, rows[name]["message"], (out / "logs" / f"{name}.log").read_text())
        assert rows[name]["figures"], name
    assert rows["spec"]["status"] == "ok" and rows["preflight"]["status"] == "ok"
    figures = {(step, f["name"]): f for step, row in rows.items() for f in row["figures"]}
    assert figures["spec", "all pass"]["value"] == "yes", rows["spec"]
    assert figures["throughput", "forward vs hf_sdpa"]["goal"] == ">= 1.2x HF sdpa"
    assert isinstance(figures["kv-cache", "speed-up"]["value"], float)
    assert figures["preset", "held-out bits/byte"]["value"] != "-"
    verdicts = {f["verdict"] for f in figures.values() if f["goal"]}
    assert verdicts and all(v.startswith("not measured") for v in verdicts), verdicts
    md = (out / "report.md").read_text()
    assert "DRY RUN" in md and "| spec-bf16 | failed |" in md and "injected failure" in md
    assert "injected failure" in proc.stdout and "report:" in proc.stdout  # the table is printed too


def test_a_hung_step_is_killed_at_its_limit_and_the_next_step_runs(tmp_path: Path) -> None:
    """A step that never returns is killed at its --limit, reported as a timeout, and the next step runs
    (typed in another directory, with a relative --out: the steps still find the project)."""
    out = tmp_path / "gc"
    cmd = [sys.executable, "-m", "gpt2spec", "gpu-check", "--dry-run", "--out", "gc", "--only", "spec-bf16,tokenizer"]
    proc = subprocess.run(
        [*cmd, "--limit", "spec-bf16=3"],
        cwd=tmp_path,
        env={**os.environ, INJECT_ENV: "spec-bf16:hang", "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    rows = report(out)
    assert list(rows) == ["preflight", "spec-bf16", "tokenizer"], proc.stdout
    assert rows["spec-bf16"]["status"] == "timeout" and "3 s limit" in rows["spec-bf16"]["message"]
    assert 3 <= rows["spec-bf16"]["seconds"] < 60
    assert rows["tokenizer"]["status"] == "ok", rows["tokenizer"]["message"]


def _processes_naming(text: str) -> list[str]:
    """Command lines of the live processes that mention ``text`` (here: a run's own output folder)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # exited while we looked
        if text in args:
            found.append(args)
    return found


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_run_keeps_its_rows_and_leaves_no_process(tmp_path: Path, how: signal.Signals) -> None:
    """The report is rewritten after every step: kill gpu-check during a hung step and the earlier rows are
    on disk, and the hung step (in its own process group) does not outlive it, whatever the signal."""
    out = tmp_path / "gc"
    cmd = [sys.executable, "-m", "gpt2spec", "gpu-check", "--dry-run", "--out", str(out), "--only", "tokenizer"]
    env = {**os.environ, INJECT_ENV: "tokenizer:hang"}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not _processes_naming(f"{out}/steps/tokenizer") and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _processes_naming(f"{out}/steps/tokenizer"), "the tokenizer step never started"
    finally:
        proc.send_signal(how)
        proc.wait()
    rows = report(out)
    assert list(rows) == ["preflight"] and rows["preflight"]["figures"], rows
    deadline = time.monotonic() + 10
    while _processes_naming(str(out)) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert not _processes_naming(str(out)), f"outlived gpu-check: {_processes_naming(str(out))}"


@NO_CUDA
def test_without_a_gpu_the_real_run_says_what_is_missing_in_one_line(tmp_path: Path) -> None:
    """`gpt2spec gpu-check` (not a dry run) on this CPU-only machine: exit 3, one line naming what is missing,
    and the preflight row in the report."""
    proc = gpu_check("--out", str(tmp_path), timeout=300)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    missing = [line for line in proc.stderr.splitlines() if line.startswith("gpu-check: missing:")]
    assert len(missing) == 1 and "CUDA" in missing[0], proc.stderr
    assert list(report(tmp_path)) == ["preflight"]


def test_usage_errors_name_the_steps(tmp_path: Path) -> None:
    proc = gpu_check("--dry-run", "--out", str(tmp_path), "--only", "nonsense")
    assert proc.returncode != 0 and "unknown step(s) nonsense" in proc.stderr
    proc = gpu_check("--dry-run", "--out", str(tmp_path), "--limit", "mfu")
    assert proc.returncode != 0 and "STEP=SECONDS" in proc.stderr


def test_the_markdown_table_has_a_line_per_figure_and_one_per_failed_step() -> None:
    mfu = {"name": "MFU", "value": 51.0, "unit": "%", "goal": ">= 50%", "verdict": "met"}
    rows = [
        Row("mfu", "", "ok", 12.0, 90.0, [mfu]),
        Row("kv-cache", "", "timeout", 30.0, 30.0, message="killed at its 30 s limit"),
    ]
    md = markdown(rows, {"device": "NVIDIA H100", "torch": "2.13", "when": "now", "dry_run": False, "seconds": 42})
    assert "| mfu | ok | 12/90 | MFU | 51.0 % | >= 50% | met |" in md
    assert "| kv-cache | timeout | 30/30 | killed at its 30 s limit |" in md
    assert "real run" in md and "DRY RUN" not in md


# ---------------------------------------------------------------- the spec's --device seam


def test_on_device_redirects_factories_and_draws_seeded_inputs_on_the_cpu() -> None:
    """Under OnDevice("meta") (a device every machine has), factories and modules land on that device, and a
    factory given a CPU generator draws on the CPU: the generator advances exactly as in a CPU run (a plain
    ``torch.device`` context cannot draw from a CPU generator onto CUDA)."""
    g, expected = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    torch.randint(0, 9, (4, 5), generator=expected)
    with OnDevice("meta"):
        x = torch.randint(0, 9, (4, 5), generator=g)
        layer = torch.nn.Linear(3, 3)
        explicit = torch.zeros(2, device="cpu")
    assert x.device.type == "meta" and layer.weight.device.type == "meta"
    assert explicit.device.type == "cpu"  # an explicit device= is left alone
    assert torch.equal(g.get_state(), expected.get_state())
    assert torch.zeros(1).device.type == "cpu"  # and nothing leaks out of the block


def test_on_device_samples_with_a_cpu_generator_on_the_cpu() -> None:
    """``generate(..., generator=cpu_generator)`` on another device: multinomial draws on the CPU, the same
    token a CPU run draws, and the result is on the device; an in-place op is not redirected."""
    probs = torch.tensor([[0.1, 0.2, 0.3, 0.4]] * 3)
    g, expected = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    want = torch.multinomial(probs, 2, generator=expected)
    with OnDevice("meta"):
        got = torch.multinomial(probs, 2, generator=g)
        x = torch.empty(3, device="cpu")
        x.uniform_(generator=torch.Generator().manual_seed(1))  # in place, on its own device: unchanged path
    assert got.device.type == "meta" and got.shape == want.shape
    assert torch.equal(g.get_state(), expected.get_state())  # drawn on the CPU, from the same generator
    with OnDevice("cpu:0"):  # same device type: no redirection, the same numbers
        again = torch.multinomial(probs, 2, generator=torch.Generator().manual_seed(5))
    assert torch.equal(again, want)
    assert torch.equal(x, torch.empty(3).uniform_(generator=torch.Generator().manual_seed(1)))


@NO_CUDA
def test_spec_device_cuda_without_a_gpu_is_a_one_line_usage_error() -> None:
    run = run_pytest("spec/test_mlp.py", "--impl=reference", "--device", "cuda", "-q", timeout=300)
    assert run.returncode == 4 and "--device cuda: no CUDA device" in run.output, run.output[-2000:]


def test_adamw_fused_can_be_turned_off_and_on_whatever_the_device() -> None:
    """The MFU ladder measures fused AdamW off and on: ``adamw(fused=)`` overrides the per-device default."""
    from gpt2spec.speed import adamw

    model = torch.nn.Linear(4, 4)
    assert adamw(model, 1e-3).defaults["fused"] is False  # the CPU default, as before
    assert adamw(model, 1e-3, device_type="cuda", fused=False).defaults["fused"] is False
    assert adamw(model, 1e-3, fused=True).defaults["fused"] is True
