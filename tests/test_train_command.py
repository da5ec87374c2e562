"""The training commands, run whole: ``gpt2spec train`` (the reference, in-process through its ``main``)
and ``gpt2spec train --impl ...`` on implementations with some, all, or none of their own parts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gpt2spec.training import textdata, train

from .helpers import ROOT

EXCERPT = str(textdata.EXCERPT)  # 28 KB: the suite never needs the complete works
TINY_RUN = [
    *("--model", "small", "--data", EXCERPT, "--final-samples", "1", "--final-chars", "40"),  # the excerpt's preset
    *("--n-layer", "1", "--n-head", "2", "--n-embd", "32", "--block-size", "32"),
    *("--batch-size", "4", "--total-batch-size", "256", "--eval-interval", "2", "--eval-iters", "2"),
    *("--sample-interval", "4", "--sample-tokens", "8", "--threads", "1"),
]
ALL_YOURS = " · ".join(
    f"{p}: yours" for p in ("tokenizer", "loader", "model", "optimizer", "schedule", "train_step", "checkpoint")
)


def spec_train(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``gpt2spec train ARGS`` from the project root, as a participant types it."""
    return subprocess.run(
        [sys.executable, "-m", "gpt2spec", "train", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )


def test_train_then_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """gpt2spec train (the one driver; without --impl, the reference): a 4-step run writes a checkpoint, the history,
    the loss curve when matplotlib is installed, the validation loss in nats/token and bits/byte and a
    sample; --resume continues from step 4 to 6 with the saved history."""
    train.main([*TINY_RUN, "--tokenizer", "bytes", "--max-steps", "4", "--out-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert "bits/byte" in out and "---- sample ----" in out, out[-2000:]
    assert "tokenizer: reference · loader: reference" in out, out[:2000]
    assert torch.load(tmp_path / "ckpt.pt", weights_only=False)["step"] == 4
    state = json.loads((tmp_path / "train_state.json").read_text())
    assert [s for s, _ in state["history"]["val"]] == [0, 2, 4]
    try:
        import matplotlib  # noqa: F401

        assert (tmp_path / "loss.png").stat().st_size > 0
    except ImportError:
        pass

    train.main([*TINY_RUN, "--tokenizer", "bytes", "--max-steps", "6", "--out-dir", str(tmp_path), "--resume"])
    assert "resumed from" in capsys.readouterr().out
    assert torch.load(tmp_path / "ckpt.pt", weights_only=False)["step"] == 6
    assert len(json.loads((tmp_path / "train_state.json").read_text())["history"]["train"]) == 6


def test_independent_implementation_trains_with_all_its_own_parts(tmp_path: Path) -> None:
    """tests/impls/einsum_style (written from CONTRACT.md, not from reference/) has every part: the banner
    says each is its own, its BPE trains on the corpus, the validation loss falls, and a checkpoint and a
    sample are written."""
    impl = ROOT / "tests" / "impls" / "einsum_style"
    proc = spec_train("--impl", str(impl), *TINY_RUN, "--max-steps", "8", "--bpe-vocab-size", "300",
                      "--eval-interval", "4", "--eval-iters", "100", "--out-dir", str(tmp_path))  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert f"[einsum_style] {ALL_YOURS}" in proc.stdout, proc.stdout[:3000]
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["status"] == "ok" and status["tokenizer"] == "bpe" and status["sample"]
    bpb = [b for _, b, _ in status["history"]["bpb"]]
    assert bpb[-1] < bpb[0] - 0.1, f"validation bits/byte did not fall: {bpb}"
    assert (tmp_path / "ckpt.pt").stat().st_size > 0


BAD_LOADER = """import torch

class DataLoader:  # forgets the rank: every rank reads the same batches
    def __init__(self, tokens, B, T, rank=0, world_size=1):
        self.t, self.B, self.T, self.i = torch.as_tensor(tokens), B, T, 0

    def next_batch(self):
        n = self.B * self.T
        buf = self.t[(self.i * n + torch.arange(n + 1)) % len(self.t)]
        self.i += 1
        return buf[:-1].view(self.B, self.T), buf[1:].view(self.B, self.T)
"""


def test_partial_and_failing_implementations_fall_back_to_the_reference_and_say_so(tmp_path: Path) -> None:
    """The list form, one child per implementation: tests/impls/loop_style (weeks 1-3 only) trains its own
    model with the reference's tokenizer, loader and loop; the template (all blanks) trains with reference
    parts only; a loader that exists but forgets the rank fails its check and is replaced. The banner says,
    part by part, whose code runs and why."""
    bad = tmp_path / "bad_loader"
    bad.mkdir()
    (bad / "__init__.py").write_text(BAD_LOADER)
    loop_style = ROOT / "tests" / "impls" / "loop_style"
    proc = spec_train("--impl", f"{loop_style},template,{bad}", *TINY_RUN, "--max-steps", "2",
                      "--tokenizer", "bytes", "--out-dir", str(tmp_path / "out"))  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "[loop_style] tokenizer: reference (week 4 not implemented: no Tokenizer) · loader: reference" in out
    assert "model: yours · optimizer: reference (week 6 not implemented" in out, out[:3000]
    assert "[template] tokenizer: reference (week 4 not implemented) · loader: reference (week 5 not impl" in out
    assert "model: reference (week 3 not implemented)" in out and "train_step: reference" in out
    assert "loader: reference (fails its week-5 check: batch 0 of rank 1/2 is not the contract's" in out
    for name in ("loop_style", "template", "bad_loader"):
        assert json.loads((tmp_path / "out" / name / "status.json").read_text())["status"] == "ok"
        assert (tmp_path / "out" / name / "ckpt.pt").exists()


def test_gpt2_tokenizer_offline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--tokenizer gpt2 trains on GPT-2's real 50,257-id BPE, built offline by gpt2spec/gpt2_vocab.py."""
    train.main([*TINY_RUN, "--tokenizer", "gpt2", "--max-steps", "1", "--out-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert "tokenizer gpt2 (50257 ids)" in out and "bits/byte" in out, out[-2000:]


def test_forbidden_import_is_refused_before_training(tmp_path: Path) -> None:
    """The grader's import rule holds here too: a package that imports the reference is not trained."""
    cheat = tmp_path / "cheat"
    cheat.mkdir()
    (cheat / "__init__.py").write_text("from reference import get_lr  # noqa\n")
    proc = spec_train("--impl", str(cheat), *TINY_RUN, "--max-steps", "1", "--out-dir", str(tmp_path / "out"))
    assert proc.returncode == 3 and "refused: forbidden import reference" in proc.stderr, proc.stderr[-2000:]


def test_time_limit_kills_the_run_and_keeps_the_last_good_checkpoint(tmp_path: Path) -> None:
    """A run past --time-limit is killed with everything it started; the report names the step and the part
    that was running, and the checkpoint of the last validation stays (here a slow get_lr of the participant's
    and a run far longer than the limit)."""
    slow = ROOT / "tests" / "fixtures" / "train" / "slow_schedule"
    proc = spec_train("--impl", str(slow), *TINY_RUN, "--max-steps", "100000", "--eval-interval", "1",
                      "--tokenizer", "bytes", "--time-limit", "40", "--out-dir", str(tmp_path))  # fmt: skip
    assert proc.returncode == 3, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "[slow_schedule] timeout: killed after the 40 s limit at step " in proc.stderr, proc.stderr[-2000:]
    assert "; last good checkpoint: " in proc.stderr
    assert torch.load(tmp_path / "ckpt.pt", weights_only=False)["step"] >= 1
