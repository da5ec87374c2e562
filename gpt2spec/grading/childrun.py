"""Running one graded interpreter (gpt2spec/grading/child.py) for gpt2spec/grading/grade.py: a fresh ``python -I`` in
its
own session and scratch directory, fed its settings on stdin, watched while it runs (a test hung past
its limit where pytest-timeout cannot reach gets the interpreter killed), killed with its whole
process group at the end, and read back: the nonce-stamped records of its private results file,
and the tail of what it printed (for reasons, never for results).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from gpt2spec.registry import IMPLS_DIR, ROOT

from .sandbox import exceptions_for

# What the graded interpreter runs: ``-I`` ignores PYTHON* variables, the user site and the
# current directory, so the only code on sys.path besides site-packages is the grader's tree.
BOOT = "import sys; sys.path.insert(0, {root!r}); import gpt2spec.grading.child as g; sys.exit(g.main())"


@dataclass
class Limits:
    test_seconds: float = 120.0
    impl_seconds: float = 900.0
    memory_mb: int = 8192
    # How the implementation runs: in a worker process the judge drives (gpt2spec/remote), behind ``launcher``
    # (a shell-split command prefix, e.g. a sandbox); isolate=False runs it inside the judge (trusted code only).
    isolate: bool = True
    launcher: str = ""


@dataclass
class ChildRun:
    records: list[dict]
    forged: int
    returncode: int | None  # None: killed by the grader (per-implementation limit or a test over its limit)
    stderr_tail: str
    seconds: float
    stuck: str | None = None  # the test the grader killed the interpreter in (over its per-test limit)


def run_child(
    mode: str,
    impl_path: Path | None,
    spec: list[str],
    pytest_args: list[str],
    limits: Limits,
    threads: int,
    workdir: Path,
    seconds: float | None = None,
) -> ChildRun:
    """Run gpt2spec/grading/child.py in a fresh ``python -I`` and read back the records it wrote.

    The grader watches the records as they arrive: a test that outlives its limit by a margin
    (a hang in C code, which pytest-timeout's signal cannot interrupt) gets the interpreter
    killed, and the records written so far are kept."""
    workdir.mkdir(parents=True, exist_ok=True)
    private = Path(tempfile.mkdtemp(prefix="gpt2spec-grader-"))  # results: a dir the submission is not told of
    results = private / f"{secrets.token_hex(8)}.jsonl"
    nonce = secrets.token_hex(16)
    settings = {
        "mode": mode,
        "root": str(ROOT),
        "impl_path": str(impl_path) if impl_path else "",
        "exceptions": sorted(exceptions_for(impl_path, IMPLS_DIR)) if impl_path else [],
        "spec": spec,
        "pytest_args": pytest_args,
        "results": str(results),
        "nonce": nonce,
        "timeout_test": limits.test_seconds,
        "memory_mb": limits.memory_mb,
        "threads": threads,
        "isolate": limits.isolate,
        "launcher": limits.launcher,
    }
    env = _child_env(threads)
    log = workdir / "output.log"  # what the submission printed: shown in reasons, never parsed for results
    start = time.monotonic()
    deadline = start + (limits.impl_seconds if seconds is None else seconds)
    watch = _Watch(results, nonce, limits.test_seconds * 1.5 + 15)
    returncode: int | None = None
    stuck: str | None = None
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-c", BOOT.format(root=str(ROOT))],
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            env=env,
            start_new_session=True,
        )
        try:
            proc.stdin.write((json.dumps(settings) + "\n").encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        while time.monotonic() < deadline:
            try:
                returncode = proc.wait(timeout=min(POLL_SECONDS, max(0.01, deadline - time.monotonic())))
                break
            except subprocess.TimeoutExpired:
                stuck = watch.stuck()
                if stuck is not None:
                    break
        _kill_group(proc)
    seconds_run = time.monotonic() - start
    records, forged = _read_records(results, nonce)
    shutil.rmtree(private, ignore_errors=True)
    return ChildRun(records, forged, returncode, _tail(log), seconds_run, stuck)


POLL_SECONDS = 0.5


class _Watch:
    """Follows the records file while the child runs: which test started, and when."""

    def __init__(self, path: Path, nonce: str, grace: float) -> None:
        self.path, self.nonce, self.grace = path, nonce, grace
        self.offset, self.running, self.since = 0, None, 0.0
        self.buffer = b""

    def stuck(self) -> str | None:
        """The running test, if it has run longer than its limit plus a margin."""
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except OSError:
            return None
        self.offset += len(chunk)
        *lines, self.buffer = (self.buffer + chunk).split(b"\n")
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if not isinstance(record, dict) or record.get("nonce") != self.nonce:
                continue
            if record.get("t") == "start":
                self.running, self.since = record.get("key"), time.monotonic()
            elif record.get("t") == "test":
                self.running = None
        if self.running is not None and time.monotonic() - self.since > self.grace:
            return self.running
        return None


def _child_env(threads: int) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "HF_HOME", "XDG_CACHE_HOME", "TIKTOKEN_CACHE_DIR")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        HYPOTHESIS_PROFILE="ci",
        OMP_NUM_THREADS=str(threads),
        MKL_NUM_THREADS=str(threads),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _kill_group(proc: subprocess.Popen) -> None:
    """The child and anything it started (a submission may fork) go together."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _read_records(path: Path, nonce: str) -> tuple[list[dict], int]:
    records, forged = [], 0
    if not path.exists():
        return records, forged
    for line in path.read_bytes().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            forged += 1
            continue
        if isinstance(record, dict) and record.pop("nonce", None) == nonce:
            records.append(record)
        else:
            forged += 1
    return records, forged


def _tail(log: Path, lines: int = 15) -> str:
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
