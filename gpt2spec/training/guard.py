"""Training a participant's code safely: its own process, the grader's limits, and a clear verdict.

``gpt2spec train --impl alice`` does not import alice's code into the process that reports on
it. It starts one child interpreter per implementation (``run_child``) which, before importing
anything of alice's, limits itself (``limit_self``):

- memory: an address-space limit (``RLIMIT_AS``, the grader's 8 GiB by default) on the CPU; on a GPU
  the CUDA driver maps far more address space than it uses, so the limit is left off there;
- time: the parent kills the child's whole process group at ``--time-limit`` seconds;
- network: an audit hook (which cannot be removed once added) refuses every socket connection and
  name lookup that is not to this machine, and the Hugging Face libraries are told they are offline.

Like the grader's (gpt2spec/grading/sandbox.py), the implementation's files are first checked statically for
forbidden imports. The child records where it is (``Tracker``): the step and the part running, so a
crash, a NaN loss, a memory kill or a timeout is reported as "at step 37, in train_step (yours)",
and the checkpoint of the last good evaluation is left in place.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from gpt2spec.registry import ROOT

MiB = 1 << 20
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", ""})
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONDONTWRITEBYTECODE": "1"}


class NetworkRefused(PermissionError):
    pass


def _local(host: object) -> bool:
    host = host.decode() if isinstance(host, bytes) else str(host)
    return host in LOCAL_HOSTS or host.startswith("127.") or host == os.uname().nodename


def _audit(event: str, args: tuple) -> None:
    if event == "socket.connect" or event == "socket.sendto":
        address = args[1] if len(args) > 1 else None
        if isinstance(address, tuple) and not _local(address[0]):
            raise NetworkRefused(f"gpt2spec: no network while training ({event} to {address[0]})")
    elif event == "socket.getaddrinfo" and args and not _local(args[0]):
        raise NetworkRefused(f"gpt2spec: no network while training (lookup of {args[0]})")


def limit_self(memory_mb: int, cuda: bool) -> None:
    """Apply the limits to this process (the child, or each torchrun rank)."""
    if memory_mb > 0 and not cuda:
        limit = memory_mb * MiB
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.environ.update(OFFLINE_ENV)
    sys.addaudithook(_audit)


class Tracker:
    """Where the run is: written to ``path`` (JSON) at every change of part, so a parent that finds
    its child killed can still say at which step and in whose code it died."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.state: dict = {"step": 0, "part": "start-up", "whose": "", "status": "running"}
        self.history: dict | None = None  # the run's loss history, reported with any ending

    def at(self, part: str, whose: str = "", step: int | None = None) -> None:
        self.state.update(part=part, whose=whose)
        if step is not None:
            self.state["step"] = step
        self._write()

    def finish(self, status: str, **fields) -> None:
        if self.history is not None:
            fields.setdefault("history", self.history)
        self.state.update(status=status, **fields)
        self._write()

    def where(self) -> str:
        s = self.state
        whose = f" ({s['whose']})" if s.get("whose") else ""
        return f"at step {s['step']}, in {s['part']}{whose}"

    def _write(self) -> None:
        if self.path is None:
            return
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state))
        os.replace(tmp, self.path)


def read_status(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


@dataclass
class ChildOutcome:
    returncode: int | None  # None: killed at the time limit
    seconds: float
    status: dict  # the Tracker's last state

    def verdict(self, time_limit: float, memory_mb: int) -> str:
        """One line for the report: 'ok', or what went wrong and where."""
        s = self.status
        where = f"at step {s.get('step', 0)}, in {s.get('part', 'start-up')}" + (
            f" ({s['whose']})" if s.get("whose") else ""
        )
        if s.get("status") == "ok" and self.returncode == 0:
            return "ok"
        if s.get("status") in ("crash", "nan", "refused"):
            return s.get("message", s["status"])
        if self.returncode is None:
            return f"timeout: killed after the {time_limit:g} s limit {where}"
        if self.returncode < 0:
            name = signal.Signals(-self.returncode).name
            hint = f" (memory limit {memory_mb} MiB?)" if name in ("SIGKILL", "SIGSEGV", "SIGABRT") else ""
            return f"crash: killed by {name}{hint} {where}"
        return f"crash: exit code {self.returncode} {where}"


def _exit_on_sigterm(signum, frame) -> None:
    raise SystemExit(128 + signum)


BOOT = "import sys; sys.path.insert(0, {root!r}); import gpt2spec.training.train as t; sys.exit(t.child_main())"


def run_child(argv: list[str], status_path: Path, time_limit: float, threads: int = 0) -> ChildOutcome:
    """Run ``gpt2spec.training.train`` on ``argv`` in a fresh interpreter; its output goes to ours."""
    env = {**os.environ, **OFFLINE_ENV}
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    status_path.unlink(missing_ok=True)
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-c", BOOT.format(root=str(ROOT)), *argv, "--status-file", str(status_path)],
        env=env,
        start_new_session=True,  # one process group: a timeout kills whatever it started too
    )
    # The child has its own session (Ctrl-C does not reach it): whatever stops us stops it too.
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        returncode: int | None = proc.wait(timeout=time_limit if time_limit > 0 else None)
    except subprocess.TimeoutExpired:
        returncode = None
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
    return ChildOutcome(returncode, time.monotonic() - start, read_status(status_path))
