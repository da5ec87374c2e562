"""What a training run is given, checked before anything is written: each bad input is one line.

``gpt2spec train`` refuses, with one line naming the problem and exit code 4 (usage), and before it
creates or changes a file: a non-positive step count, interval or batch; a batch that does not
divide; a missing, binary, empty or too-short ``--data`` file; a corpus that cannot be fetched or
whose cache is corrupted; an ``--out-dir`` it cannot write; a ``--resume`` without a checkpoint, or
from a checkpoint of another model size.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import corpus
from .presets import TrainConfig
from .textdata import split_text

MODEL_FIELDS = ("n_layer", "n_head", "n_embd", "block_size")
POSITIVE = ("n_layer", "n_head", "n_embd", "block_size", "batch_size", "total_batch_size", "max_steps")
POSITIVE += ("eval_interval", "eval_iters", "sample_interval")


class BadInput(Exception):
    """One line: what is wrong with the run's input, and what to do about it."""


@dataclass(frozen=True)
class Data:
    name: str  # what the banner calls it
    train_text: str
    val_text: str
    heldout_works: tuple[str, ...] = ()  # titles, when validation is on whole works


def check_config(cfg: TrainConfig) -> None:
    for name in POSITIVE:
        value = getattr(cfg, name)
        if value < 1:
            raise BadInput(f"--{name.replace('_', '-')} {value}: must be at least 1")
    for name in ("warmup_steps", "sample_tokens"):
        if getattr(cfg, name) < 0:
            raise BadInput(f"--{name.replace('_', '-')} {getattr(cfg, name)}: must be 0 or more")
    if not (cfg.max_lr > 0 and cfg.min_lr >= 0):
        raise BadInput(f"--max-lr {cfg.max_lr} / --min-lr {cfg.min_lr}: the learning rates must be positive")
    if cfg.n_embd % cfg.n_head:
        raise BadInput(f"--n-embd {cfg.n_embd} is not a multiple of --n-head {cfg.n_head}")
    if cfg.total_batch_size % (cfg.batch_size * cfg.block_size):
        raise BadInput(
            f"--total-batch-size {cfg.total_batch_size} is not a multiple of --batch-size x --block-size "
            f"= {cfg.batch_size} x {cfg.block_size} = {cfg.batch_size * cfg.block_size}"
        )


def load_data(path: Path | None) -> Data:
    """The complete works (held-out plays validate) or ``path`` (its last 10% of characters validate)."""
    if path is None:
        try:
            c = corpus.load()
        except corpus.CorpusError as exc:
            raise BadInput(str(exc)) from None
        return Data(c.name, c.train_text, c.heldout_text, c.heldout_works)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"--data {path}: no such file") from None
    except OSError as exc:
        raise BadInput(f"--data {path}: cannot read it ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"--data {path}: not UTF-8 text (byte {exc.start} is 0x{raw[exc.start]:02x})") from None
    if "\x00" in text:
        raise BadInput(f"--data {path}: a binary file (it holds NUL bytes); give a UTF-8 text file")
    train_text, val_text = split_text(text)
    if len(train_text) < 2 or len(val_text) < 2:
        raise BadInput(
            f"--data {path}: {len(text)} characters is too short (the last 10% validates, and each part "
            f"needs at least 2 tokens): give at least 20 characters"
        )
    return Data(path.name, train_text, val_text)


def check_out_dir(out_dir: Path) -> None:
    """Refuse a directory this run could not write, before writing anything (a probe file, removed)."""
    existing = out_dir
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise BadInput(f"--out-dir {out_dir}: {existing} is a file, not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise BadInput(f"--out-dir {out_dir}: {existing} is not writable")
    if out_dir.exists():
        try:
            with tempfile.NamedTemporaryFile(dir=out_dir):
                pass
        except OSError as exc:
            raise BadInput(f"--out-dir {out_dir}: cannot write there ({exc.strerror or exc})") from None


def check_resume(out_dir: Path, cfg: TrainConfig, tokenizer: dict | None = None) -> None:
    """``--resume`` needs a checkpoint of the same model size and tokenizer; say which differ. ``tokenizer`` is
    what this run asks for ({"kind": ..., "bpe_vocab_size": ...}), compared with what the checkpoint's run saved
    (a checkpoint from before the tokenizer was recorded is not compared)."""
    ckpt, state_path = out_dir / "ckpt.pt", out_dir / "train_state.json"
    if not ckpt.exists():
        raise BadInput(f"--resume: no checkpoint at {ckpt} (train without --resume first, or give its --out-dir)")
    try:
        state = json.loads(state_path.read_text())
        saved = state["config"]
    except (OSError, ValueError, KeyError, TypeError):
        raise BadInput(f"--resume: {state_path} is missing or unreadable; cannot tell what {ckpt} holds") from None
    wanted = dataclasses.asdict(cfg)
    differ = [f"{k} {saved.get(k)} (asked: {wanted[k]})" for k in MODEL_FIELDS if saved.get(k) != wanted[k]]
    if differ:
        raise BadInput(
            f"--resume: {ckpt} holds another model size: {', '.join(differ)}; use the same --model and sizes"
        )
    before = state.get("tokenizer_request")  # state is a dict: state["config"] was read above
    if tokenizer and isinstance(before, dict):
        keys = ("kind", "bpe_vocab_size") if tokenizer.get("kind") in ("auto", "bpe") else ("kind",)
        differ = [f"{k} {before.get(k)} (asked: {tokenizer[k]})" for k in keys if before.get(k) != tokenizer[k]]
        if differ:
            raise BadInput(
                f"--resume: {ckpt} was trained with another tokenizer: {', '.join(differ)}; "
                "use the same --tokenizer and --bpe-vocab-size"
            )
