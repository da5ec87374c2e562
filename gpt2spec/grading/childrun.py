"""Running one graded interpreter (gpt2spec/grading/child.py) for gpt2spec/grading/grade.py: a fresh ``python -I -B``,
jailed by bubblewrap (gpt2spec/grading/jail.py) unless the organiser trusts the code, fed its settings on
stdin, watched while it runs (a test hung past its limit where pytest-timeout cannot reach gets the
interpreter killed), killed with its whole process group and pid namespace at the end, and read back:
the nonce-stamped records of its private results file, and the tail of what it printed (for reasons,
never for results).

The results file is created by the grader, write-only (mode 0200), outside anything the jail shows, and
handed to the child as an inherited descriptor: the jailed user can append to it but not reopen it
through /proc/self/fd to read the records (and their nonce).
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from gpt2spec.registry import IMPLS_DIR, ROOT

from . import jail
from .sandbox import exceptions_for

# What the graded interpreter runs: ``-I`` ignores PYTHON* variables, the user site and the
# current directory, so the only code on sys.path besides site-packages is the grader's tree.
# ``-I`` also ignores PYTHONDONTWRITEBYTECODE: ``-B`` keeps __pycache__ out of submissions and the grader's tree.
PYTHON = (sys.executable, "-I", "-B", "-c")
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


@dataclass(frozen=True)
class Jail:
    """How to sandbox one child (gpt2spec/grading/jail.py); None in run_child: trusted, not jailed."""

    hide: tuple[Path, ...] = ()  # other submissions, the reports: not visible at all
    uid: int = jail.FIRST_UID  # one per concurrent job


def run_child(
    mode: str,
    impl_path: Path | None,
    spec: list[str],
    pytest_args: list[str],
    limits: Limits,
    threads: int,
    workdir: Path,
    seconds: float | None = None,
    sandbox: Jail | None = None,
    seed: int = 0,
) -> ChildRun:
    """Run gpt2spec/grading/child.py in a fresh ``python -I`` and read back the records it wrote.

    The grader watches the records as they arrive: a test that outlives its limit by a margin
    (a hang in C code, which pytest-timeout's signal cannot interrupt) gets the interpreter
    killed, and the records written so far are kept."""
    workdir.mkdir(parents=True, exist_ok=True)
    private = Path(tempfile.mkdtemp(prefix="gpt2spec-grader-"))  # results: a dir the submission is not told of
    results = private / f"{secrets.token_hex(8)}.jsonl"
    # write-only to its owner; as root the jailed user is another user, so it cannot reopen it to read
    perms = 0o200 if os.geteuid() == 0 else 0o600
    results_fd = os.open(results, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, perms)
    nonce = secrets.token_hex(16)
    settings = {
        "mode": mode,
        "root": str(ROOT),
        "impl_path": str(impl_path) if impl_path else "",
        "exceptions": sorted(exceptions_for(impl_path, IMPLS_DIR)) if impl_path else [],
        "spec": spec,
        "pytest_args": pytest_args,
        "results_fd": results_fd,
        "nonce": nonce,
        "timeout_test": limits.test_seconds,
        "memory_mb": limits.memory_mb,
        "threads": threads,
        "seed": seed,  # the run's secret seed of the spec's inputs (spec/strategies.py); 0: the published ones
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
    argv = [*PYTHON, BOOT.format(root=str(ROOT))]
    if sandbox is not None and limits.isolate:
        # The judge runs no participant code: it stays out of the jail, with the real oracles. Each worker it
        # starts runs jailed with the oracles stubbed; pytest's tmp dirs live where the worker can write.
        shared = workdir / "worker"
        shared.mkdir(exist_ok=True)
        _hand_over(shared, sandbox.uid)
        settings["launcher"] = shlex.join(_jailed([], impl_path, limits, deadline - start, sandbox, shared))
        settings["worker_uid"] = sandbox.uid if os.geteuid() == 0 else None
        settings["pytest_args"] = [*pytest_args, f"--basetemp={shared / 'pytest'}"]
        env.update(weights_env())
        # The judge itself runs jailed too, as root (it starts the workers' jails and hands them tmp dirs), with
        # the real oracles, everything read-only but its scratch dir: a file it writes through a symlink the
        # worker planted in a tmp dir lands in that scratch dir or nowhere.
        argv = _jailed(argv, impl_path, limits, deadline - start, sandbox, judge=workdir)
    elif sandbox is not None:
        argv = _jailed(argv, impl_path, limits, deadline - start, sandbox)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            env=env,
            start_new_session=True,
            pass_fds=(results_fd,),
        )
        os.close(results_fd)
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
                if stuck is not None or watch.lingering():
                    break
        _kill_group(proc)
    if sandbox is not None and returncode is not None and returncode > 128:
        returncode = 128 - returncode  # bwrap's init reports a death by signal N as exit 128 + N, as a shell does
    seconds_run = time.monotonic() - start
    records, forged = _read_records(results, nonce)
    shutil.rmtree(private, ignore_errors=True)
    return ChildRun(records, forged, returncode, _tail(log), seconds_run, stuck)


POLL_SECONDS = 0.5
LINGER_SECONDS = 10.0  # how long a child may run on after its last record (a sleep in atexit)


def _jailed(
    argv: list[str],
    impl_path: Path | None,
    limits: Limits,
    seconds: float,
    sandbox: Jail,
    worker: Path | None = None,
    judge: Path | None = None,
) -> list[str]:
    """``argv`` in bubblewrap: the submission and the grader's tree readable, the rest as jail.py says.
    ``worker``: argv is the implementation's process: the oracles and the answer key stubbed, ``worker``
    (pytest's tmp dirs) writable, the real GPT-2 weights readable. ``judge``: argv is the judge of a split
    run: root, real oracles, ``judge`` (its scratch dir) writable, the workers' stubs readable."""
    readable = [p.resolve() for p in (impl_path, ROOT) if p is not None]
    options: dict = dict(uid=sandbox.uid)
    if worker is not None:
        readable += _weights_cache()
        keep = exceptions_for(impl_path, IMPLS_DIR) if impl_path else frozenset()
        options.update(writable=[worker.resolve()], stub_oracles=True, keep=keep)
    if judge is not None:
        readable += [*_weights_cache(), jail.stub_root()]
        options.update(writable=[judge.resolve()], uid=None)
    return jail.jail_argv(
        argv,
        readable=readable,
        hide=sandbox.hide,
        memory_mb=limits.memory_mb,
        time_s=seconds + 5,  # the grader's own deadline comes first; this one holds if the grader dies
        **options,
    )


def _weights_cache() -> list[Path]:
    """The Hugging Face hub cache (public GPT-2 weights the spec hands to from_pretrained), if there is one."""
    try:
        from huggingface_hub import constants
    except ImportError:
        return []
    cache = Path(constants.HF_HUB_CACHE).resolve()
    return [cache] if cache.is_dir() else []


def weights_env() -> dict[str, str]:
    """HF_HUB_CACHE naming the cache the grader sees (bound readable in the judge's and the worker's jails):
    the jail sets HOME=/tmp, so Hugging Face's default (~/.cache/huggingface) would find nothing."""
    caches = _weights_cache()
    return {"HF_HUB_CACHE": str(caches[0])} if caches else {}


def _hand_over(path: Path, uid: int) -> None:
    """``path`` owned by the worker's user (as root; otherwise the worker is this user already)."""
    if os.geteuid() == 0:
        os.chown(path, uid, uid)


class _Watch:
    """Follows the records file while the child runs: which test started, and when."""

    def __init__(self, path: Path, nonce: str, grace: float) -> None:
        self.path, self.nonce, self.grace = path, nonce, grace
        self.offset, self.running, self.since = 0, None, 0.0
        self.buffer = b""
        self.finished_at: float | None = None

    def lingering(self) -> bool:
        """The child wrote its last record a while ago and is still running (a sleep in atexit)."""
        return self.finished_at is not None and time.monotonic() - self.finished_at > LINGER_SECONDS

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
            elif record.get("t") == "finished":
                self.finished_at = time.monotonic()
        if self.running is not None and time.monotonic() - self.since > self.grace:
            return self.running
        return None


# Where Hugging Face looks for weights (huggingface_hub.constants): kept, so a local cache still serves the spec.
HF_CACHE_VARS = ("HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE")


def _child_env(threads: int) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "XDG_CACHE_HOME", "TIKTOKEN_CACHE_DIR", *HF_CACHE_VARS)
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


TAIL_BYTES = 64 << 10  # what the grader reads of a child's output: however much it printed, no more


def _tail(log: Path, lines: int = 15) -> str:
    try:
        with open(log, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - TAIL_BYTES))
            text = f.read(TAIL_BYTES).decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
