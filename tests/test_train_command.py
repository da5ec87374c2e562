"""Smoke test of the reference training command (reference/train.py): a tiny run, then a resume."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from reference import train

TINY_RUN = [
    *("--n-layer", "1", "--n-head", "2", "--n-embd", "32", "--block-size", "32"),
    *("--batch-size", "4", "--total-batch-size", "256", "--eval-interval", "2", "--eval-iters", "2"),
    *("--sample-interval", "4", "--sample-tokens", "8", "--tokenizer", "bytes", "--threads", "1"),
]


def test_train_then_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 4-step run writes a checkpoint (and the loss curve when matplotlib is installed), reports the
    validation loss and a sample; --resume continues from step 4 to 6 with the saved history."""
    train.main([*TINY_RUN, "--max-steps", "4", "--out-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert "val loss" in out and "---- sample ----" in out, out[-2000:]
    ckpt = torch.load(tmp_path / "ckpt.pt", weights_only=False)
    assert ckpt["step"] == 4 and [s for s, _ in ckpt["extra"]["history"]["val"]] == [0, 2, 4]
    try:
        import matplotlib  # noqa: F401

        assert (tmp_path / "loss.png").stat().st_size > 0
    except ImportError:
        pass

    train.main([*TINY_RUN, "--max-steps", "6", "--out-dir", str(tmp_path), "--resume"])
    assert "resumed from" in capsys.readouterr().out
    ckpt = torch.load(tmp_path / "ckpt.pt", weights_only=False)
    assert ckpt["step"] == 6 and len(ckpt["extra"]["history"]["train"]) == 6
