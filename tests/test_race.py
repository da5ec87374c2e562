"""The training race (``gpt2spec race``) and its unit, bits per byte (gpt2spec/training/bpb.py)."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import torch
from torch import nn

import reference
from gpt2spec.training import bpb, stats
from gpt2spec.training import race as race_mod
from gpt2spec.training.textdata import EXCERPT, BPETokenizer, ByteTokenizer

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


def race(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """``gpt2spec race ARGS`` from the project root, as a participant types it (the 28 KB excerpt)."""
    cmd = [
        sys.executable,
        "-m",
        "gpt2spec",
        "race",
        "--data",
        str(EXCERPT),
        *args,
    ]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})  # fmt: skip


def test_same_recipe_track_ties_correct_implementations_and_ranks_failures_last(tmp_path: Path) -> None:
    """``gpt2spec race --track same`` over impls/ (the reference, the template) with a deliberately slow get_lr,
    a train_step that turns NaN at step 2 and a get_lr that raises at step 2: the slow one and the template
    reproduce the reference's held-out bits/byte exactly (same parts, same seed, other processes) and share its
    rank (a tie, not an order by speed); the NaN and the crash are reported with their step and part and rank
    last while the others still finish; the table, the JSON, the page and the chart are written."""
    fixtures = FIXTURES / "train"
    impls = ["all", *(str(fixtures / n) for n in ("slow_schedule", "nan_step", "crash_schedule"))]  # all: impls/
    proc = race("--impl", ",".join(impls), "--steps", "4", "--evals", "2", "--seeds", "1", "--out", str(tmp_path))
    assert proc.returncode == 3, proc.stdout[-3000:] + proc.stderr[-3000:]  # 3: some entries failed
    result = json.loads((tmp_path / "race.json").read_text())
    by_name = {e["name"]: e for e in result["entries"]}
    ref, slow = by_name["reference"], by_name["slow_schedule"]
    nan, crash = by_name["nan_step"], by_name["crash_schedule"]
    assert ref["status"] == slow["status"] == "ok"
    assert slow["mean"] == ref["mean"] and slow["curve"] == ref["curve"] and slow["rank"] == ref["rank"] == 1
    assert len(ref["curve"]) == 3 and ref["curve"][-1][0] == result["settings"]["budget_tokens"] == 4 * 512
    assert nan["status"] == "nan" and "NaN loss at step 2, in train_step (yours)" in nan["message"], nan
    assert crash["status"] == "crash" and "at step 2, in get_lr (yours)" in crash["message"], crash
    assert {nan["rank"], crash["rank"]} == {len(by_name) - 1, len(by_name)}
    if "template" in by_name:  # all blanks: it trains the reference's parts, to the same losses
        assert by_name["template"]["mean"] == ref["mean"] and by_name["template"]["rank"] == 1
    assert not (tmp_path / "race" / "nan_step" / "seed1337" / "ckpt.pt").exists()  # no checkpoint after the NaN
    md = (tmp_path / "race.md").read_text()
    assert "| 1 | reference |" in md and "nan: " in md and "## Samples" in md
    assert "<table>" in (tmp_path / "race.html").read_text()
    svg = ET.parse(tmp_path / "race.svg").getroot()
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "bits per byte" in texts and "training tokens seen" in texts  # both axes labelled


RECIPES = {"narrow_fast": {"n_embd": 32, "max_lr": 0.006}, "too_big": {"n_layer": 6, "n_embd": 256}}


def _recipe_entry(tmp_path: Path, name: str, recipe: dict) -> Path:
    """tests/impls/einsum_style (every part its own) with a RECIPE added: an open-race entry."""
    pkg = tmp_path / name
    shutil.copytree(ROOT / "tests" / "impls" / "einsum_style", pkg)
    with (pkg / "__init__.py").open("a") as f:
        f.write(f"\nRECIPE = {recipe!r}\n")
    return pkg


def test_open_recipe_track_in_shards_then_merged(tmp_path: Path) -> None:
    """``--track open`` in two shares (``--shard 1/2``, ``--shard 2/2``, as the CI matrix runs them) and
    ``--merge``: every entry over 3 seeds, its RECIPE applied within the token budget, one over the parameter
    cap refused with the count; the page ranks by mean held-out bits/byte with its spread and shows each recipe
    against the default."""
    entries = [str(_recipe_entry(tmp_path, n, r)) for n, r in RECIPES.items()]
    common = ["--track", "open", "--impl", ",".join(["reference", *entries]), "--steps", "3", "--evals", "1"]
    common += ["--param-cap", "200000"]
    for k in (1, 2):
        proc = race(*common, "--shard", f"{k}/2", "--out", str(tmp_path / f"share{k}"))
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert f"shard-{k}-of-2.json" in proc.stdout
    proc = race("--merge", str(tmp_path / "share1"), str(tmp_path / "share2"), "--out", str(tmp_path / "page"))
    assert proc.returncode == 3, proc.stderr[-3000:]  # too_big failed
    result = json.loads((tmp_path / "page" / "race.json").read_text())
    by_name = {e["name"]: e for e in result["entries"]}
    assert result["settings"]["seeds"] == [1337, 1338, 1339] and result["settings"]["budget_tokens"] == 3 * 512
    narrow, ref = by_name["narrow_fast"], by_name["reference"]
    assert len(narrow["bpbs"]) == len(ref["bpbs"]) == 3 and narrow["std"] > 0
    assert narrow["recipe"] == {"n_embd": 32, "max_lr": 0.006} and narrow["params"] < ref["params"]
    assert (
        by_name["too_big"]["status"] == "refused" and "over the race's cap of 200,000" in by_name["too_big"]["message"]
    )
    assert by_name["too_big"]["rank"] == 3
    page = (tmp_path / "page" / "race.html").read_text()
    assert "max_lr 0.003→0.006, n_embd 64→32" in page and "±" in page and "Welch" in page


def _share(runs: list[dict], track: str = "same", shard: str = "1/1") -> dict:
    settings = {"track": track, "config": {"n_embd": 64}, "budget_tokens": 100, "param_cap": None,
                "seeds": [1, 2, 3], "data": "x", "entries": sorted({r["name"] for r in runs})}  # fmt: skip
    return {"schema": race_mod.SCHEMA, "shard": shard, "settings": settings, "runs": runs}


def _run(name: str, seed: int, curve: list[float], status: str = "ok") -> dict:
    return {"name": name, "seed": seed, "status": status, "message": "", "heldout_bpb": curve[-1],
            "curve": [(100 * i, y) for i, y in enumerate(curve)], "tokens_per_s": 1.0, "seconds": 1.0,
            "sample": "", "parts": "model: yours", "params": 10, "config": {"n_embd": 64}}  # fmt: skip


def test_same_recipe_flags_the_first_evaluation_outside_the_reference_seed_band() -> None:
    """The band is the reference's mean ± max(3 sd, 0.01) at each evaluation: an entry equal to it within noise
    is not flagged; one that drifts is flagged at the first evaluation where it leaves the band."""
    runs = [_run("reference", s, [5.0, 4.0 + 0.001 * s, 3.0 + 0.001 * s]) for s in (1, 2, 3)]
    runs += [_run("alice", s, [5.0, 4.002, 3.002]) for s in (1, 2, 3)]
    runs += [_run("bob", s, [5.0, 4.003, 3.2]) for s in (1, 2, 3)]
    shares = [_share(runs)]
    result = race_mod.merge(shares)
    race_mod.add_band(result["entries"], runs)
    race_mod.flag_outside_band(result["entries"])
    flags = {e["name"]: e["flag"] for e in result["entries"]}
    assert flags["alice"] == "" and flags["bob"].startswith("leaves the reference's seed band at 200 tokens")


def test_merge_refuses_missing_or_mismatched_shares() -> None:
    runs = [_run("reference", s, [5.0, 3.0]) for s in (1, 2, 3)]
    with pytest.raises(ValueError, match="missing"):
        race_mod.merge([{**_share(runs), "runs": runs[:2]}])
    other = _share(runs[2:], shard="2/2")
    other["settings"] = {**other["settings"], "budget_tokens": 999}
    with pytest.raises(ValueError, match="ran other settings"):
        race_mod.merge([{**_share(runs), "runs": runs[:2]}, other])


def test_welch_p_values_and_shared_ranks() -> None:
    """Welch's t-test without scipy matches Student's t table (df 10: t 2.228 -> p 0.05, t 3.169 -> p 0.01);
    entries within noise share a rank, a clearly worse one gets the next free rank."""
    assert abs(stats.t_two_sided_p(2.228, 10) - 0.05) < 2e-4
    assert abs(stats.t_two_sided_p(3.169, 10) - 0.01) < 2e-4
    assert abs(stats.t_two_sided_p(1.0, 3) - 0.391) < 1e-3
    ranks = stats.shared_ranks([("a", [2.00, 2.01, 2.02]), ("b", [2.005, 2.015, 2.03]), ("c", [2.5, 2.51, 2.52])])
    assert ranks == {"a": 1, "b": 1, "c": 3}


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
