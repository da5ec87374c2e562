"""The training race (``gpt2spec race``) and its unit, bits per byte (gpt2spec/training/bpb.py)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import torch
from torch import nn

import reference
from gpt2spec.training import bpb
from gpt2spec.training.textdata import BPETokenizer, ByteTokenizer

from .helpers import FIXTURES, ROOT

TEXT = (
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n"
    "Größe, naïve café — 日本語 🙂. You are all resolved rather to die than to famish?\n"
) * 6


class Oracle(nn.Module):
    """A model that knows the text: each next *byte* gets probability ``p``, so a token of ``k`` bytes gets
    ``p**k`` and the rest of the mass is spread over the other ids. Its true loss is -log2(p) bits per byte
    whatever the tokenizer, because the same byte-level predictions are only regrouped into tokens."""

    def __init__(self, token_bytes: dict[int, int], vocab_size: int, p: float) -> None:
        super().__init__()
        self.lengths = torch.zeros(vocab_size)
        for i, n in token_bytes.items():
            self.lengths[i] = n
        self.vocab_size, self.log_p = vocab_size, math.log(p)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        log_q = self.lengths[targets] * self.log_p  # ln p(correct token) = k ln p
        rest = torch.log1p(-torch.exp(log_q)) - math.log(self.vocab_size - 1)
        logits = rest.unsqueeze(-1).expand(*targets.shape, self.vocab_size).clone()
        logits.scatter_(-1, targets.unsqueeze(-1), log_q.unsqueeze(-1))
        loss = nn.functional.cross_entropy(logits.view(-1, self.vocab_size), targets.view(-1))
        return logits, loss


def _oracle_bpb(tokenizer, p: float) -> bpb.Validation:
    ids = tokenizer.encode(TEXT)
    lengths = {i: len(tokenizer.decode_bytes([i])) for i in set(ids)}
    model = Oracle(lengths, tokenizer.vocab_size, p)
    return bpb.validate(model, torch.tensor(ids), tokenizer.decode_bytes, T=7, B=3, device="cpu")


def test_bits_per_byte_is_the_same_for_two_tokenizers_under_the_same_predictions() -> None:
    """bits/byte = total nats over the validation text / (ln 2 x its UTF-8 bytes) (gpt2spec/training/bpb.py): under a
    byte tokenizer and a 300-id BPE (1.6 bytes per token), the same byte-level predictions give
    -log2(p) bits/byte for both, while their nats/token differ by the bytes-per-token ratio. Catches a
    per-token average, a wrong byte count (characters instead of UTF-8 bytes, the unpredicted first
    token counted) and a window that predicts a token twice or never. Measured error: < 5e-7
    (float32 logits; tolerance 1e-5)."""
    bpe = BPETokenizer(reference.Tokenizer, TEXT, 300)
    for p in (0.5, 0.9):
        by_bytes, by_bpe = _oracle_bpb(ByteTokenizer(), p), _oracle_bpb(bpe, p)
        want = -math.log2(p)
        assert abs(by_bytes.bits_per_byte - want) < 1e-5, (by_bytes, want)
        assert abs(by_bpe.bits_per_byte - want) < 1e-5, (by_bpe, want)
        assert by_bpe.tokens < 0.7 * by_bytes.tokens  # the BPE really regroups the bytes...
        assert by_bpe.nats_per_token > 1.4 * by_bytes.nats_per_token  # ...so nats/token cannot compare them
        assert by_bytes.bytes == len(TEXT.encode()) - 1  # every byte but the first is predicted


def test_race_ranks_slow_nan_and_crashing_implementations_below_the_reference(tmp_path: Path) -> None:
    """``gpt2spec race --impl all,...`` (all = impls/: the reference and the template) with a deliberately
    slow get_lr, a train_step that turns NaN at step 2 and a get_lr that raises at step 2: the slow one
    reproduces the reference's bits/byte exactly (same parts, same seed, another process: the race is
    deterministic) and ranks below it on tokens/s; the template (all blanks) reproduces them too; the NaN
    and the crash are reported with their step and part and rank last while the others still finish; the
    table, the JSON and the chart are written."""
    fixtures = FIXTURES / "train"
    impls = ["all", *(str(fixtures / n) for n in ("slow_schedule", "nan_step", "crash_schedule"))]  # all: impls/
    command = [sys.executable, "-m", "gpt2spec", "race", "--impl", ",".join(impls), "--steps", "4", "--evals", "2"]
    proc = subprocess.run(
        [*command, "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    race = json.loads((tmp_path / "race.json").read_text())
    by_name = {e["name"]: e for e in race["entries"]}
    ref, slow = by_name["reference"], by_name["slow_schedule"]
    nan, crash = by_name["nan_step"], by_name["crash_schedule"]
    assert ref["status"] == slow["status"] == "ok"
    assert ref["rank"] < slow["rank"] < nan["rank"] and slow["rank"] < crash["rank"], race["entries"]
    assert slow["final_bpb"] == ref["final_bpb"] and slow["curve"] == ref["curve"]
    assert slow["tokens_per_s"] < ref["tokens_per_s"]
    assert len(ref["curve"]) == 3 and ref["curve"][-1][0] == race["budget"]["tokens"] == 4 * 512
    assert nan["status"] == "nan" and "NaN loss at step 2, in train_step (yours)" in nan["message"], nan
    assert crash["status"] == "crash" and "at step 2, in get_lr (yours)" in crash["message"], crash
    assert {nan["rank"], crash["rank"]} == {len(race["entries"]) - 1, len(race["entries"])}
    if "template" in by_name:  # all blanks: it trains the reference's parts, to the same losses
        assert by_name["template"]["final_bpb"] == ref["final_bpb"]
    assert (tmp_path / "race" / "nan_step" / "ckpt.pt").exists() is False  # no checkpoint after the NaN
    md = (tmp_path / "race.md").read_text()
    assert f"| {ref['rank']} | reference |" in md and "**nan**" in md and "## Samples" in md
    svg = ET.parse(tmp_path / "race.svg").getroot()
    curves = svg.findall(".//{http://www.w3.org/2000/svg}polyline")
    assert len(curves) == len(race["entries"])  # the failed runs' curves end early


def test_leaderboard_links_the_race(tmp_path: Path) -> None:
    """gpt2spec.training.race writes into the leaderboard's directory; the leaderboard written next to a race links
    race.md."""
    from gpt2spec import leaderboard

    board = leaderboard.Board(rows=[], weeks=[], week_max={}, bench_columns=[], generated="now")
    leaderboard.write(board, tmp_path)
    assert "race.md" not in (tmp_path / "leaderboard.md").read_text()
    (tmp_path / "race.md").write_text("# Training race\n")
    leaderboard.write(board, tmp_path)
    assert "[race.md](race.md)" in (tmp_path / "leaderboard.md").read_text()
