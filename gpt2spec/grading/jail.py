"""The OS sandbox every graded implementation process runs in: bubblewrap (``bwrap``).

``jail_argv(argv, ...)`` returns ``argv`` prefixed with the launcher that runs it jailed:

- no network: its own, empty network namespace (an abstract unix socket of the host is out of reach too);
- its own pid namespace whose init dies with the grader (``--die-with-parent``): when the jailed command
  ends or the grader kills the launcher, the kernel kills every process left in the namespace, so no
  daemon (double fork, setsid, setpgid) outlives the grade;
- the whole filesystem read-only, a private size-limited tmpfs as ``/tmp`` (also the working directory)
  and nothing else writable besides ``writable``; the directories in ``hide`` replaced by empty tmpfs
  (another submission, the grade reports, the answer key), with ``readable`` bound back inside them;
  the grader's home directory hidden (keys, tokens, caches), except what the interpreter itself needs;
- as root, a user id of its own (``uid``: one per concurrent job), so no capability, no ptrace of or
  signal to the grader, no reading its /proc entries, and per-uid process limits that a fork bomb in
  one submission cannot spend for its neighbour;
- limits (``prlimit``): address space, file size (what it prints included), processes, no core file;
  and ``timeout -s KILL`` around all of it for the wall clock;
- with ``stub_oracles``, the oracle libraries and the answer key replaced by stubs that import fine and
  raise, naming the call site, when used (gpt2spec/grading/oracle_stub.py).

``available()`` says in one line why the sandbox cannot run here, or None.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path

BWRAP = "bwrap"
ORACLES = ("transformers", "tiktoken", "tiktoken_ext")  # stubbed with stub_oracles=True (plus the answer key)
FIRST_UID = 61000  # jailed processes run as a user id from FIRST_UID up (claimed_uids) when the grader is root
UID_SLOTS = 1000  # user ids FIRST_UID ... FIRST_UID + UID_SLOTS - 1, shared by every grader on the machine
UID_LOCKS = Path(tempfile.gettempdir()) / f"gpt2spec-uids-{os.geteuid()}"  # a lock file per user id in use
TMP_MB = 512  # the private /tmp (a tmpfs: filling it fills nothing of the host's)
FILE_MB = 64  # the largest file a jailed process may write, what it prints included
MAX_PROCS = 512  # processes and threads of the jail's user


@functools.cache
def available() -> str | None:
    """None when bubblewrap runs here, else the one-line reason it does not."""
    for tool in (BWRAP, "prlimit", "timeout") + (("setpriv",) if os.geteuid() == 0 else ()):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install bubblewrap util-linux coreutils)"
    probe = jail_argv(["true"], memory_mb=256, time_s=30)
    try:
        proc = subprocess.run(probe, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not start: {exc}"
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        return f"bubblewrap does not work here: {lines[-1] if lines else f'exit {proc.returncode}'}"
    return None


@contextlib.contextmanager
def claimed_uids(n: int) -> Iterator[list[int]]:
    """``n`` jail user ids that no other grader on this machine holds while this one grades (an exclusive
    lock per id, released on exit). Two graders at once (CI's two test workers, an organiser's runs) would
    otherwise share FIRST_UID + slot, and with it its process limit: a fork bomb graded by one made the
    other's worker die at its hello (exit 126: no process left to start it)."""
    UID_LOCKS.mkdir(mode=0o700, exist_ok=True)
    if UID_LOCKS.is_symlink() or UID_LOCKS.stat().st_uid != os.geteuid():
        raise RuntimeError(f"{UID_LOCKS} is not this user's own directory: refusing its locks")
    held: list[tuple[int, int]] = []
    try:
        for uid in range(FIRST_UID, FIRST_UID + UID_SLOTS):
            if len(held) == n:
                break
            fd = os.open(UID_LOCKS / str(uid), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            held.append((uid, fd))
        if len(held) < n:
            raise RuntimeError(f"only {len(held)} of {n} jail user ids are free ({UID_LOCKS})")
        yield [uid for uid, _ in held]
    finally:
        for _, fd in held:
            os.close(fd)  # releases the lock


def jail_argv(
    argv: Sequence[str],
    *,
    readable: Sequence[Path] = (),
    writable: Sequence[Path] = (),
    hide: Sequence[Path] = (),
    memory_mb: int,
    time_s: float,
    network: bool = False,
    stub_oracles: bool = False,
    keep: Collection[str] = (),
    uid: int | None = FIRST_UID,
    tmp_mb: int = TMP_MB,
) -> list[str]:
    """``argv`` run in the sandbox described in the module docstring. ``uid`` only matters as root (None: stay
    root, for the judge, which runs no participant code).
    The working directory is the private /tmp; paths in ``readable`` and ``writable`` keep their names.
    ``keep``: oracle names (``reference``...) left real under ``stub_oracles`` (impls/reference re-exports the key)."""
    jail = [BWRAP, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    jail += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session"]
    if not network:
        jail.append("--unshare-net")
    jail += _hidden_home()
    # /tmp first: a submission (or the grader) may live under the host's /tmp and is bound back below
    jail += ["--size", str(tmp_mb << 20), "--perms", "1777", "--tmpfs", "/tmp"]
    # The grader's own tree and interpreter stay as visible (read-only) as they are anywhere else when they live
    # under the host's /tmp; bound before ``hide``, so a hidden folder inside them stays hidden.
    for path in _grader_paths():
        if path.is_relative_to("/tmp") and path != Path("/tmp"):
            jail += [*_mount_point(path, [Path("/tmp")]), "--ro-bind", str(path), str(path)]
    for path in hide:
        jail += ["--perms", "0755", "--tmpfs", str(path)]
    emptied = [Path.home().resolve(), Path("/tmp"), *map(Path, hide)]
    for path in _interpreter():  # a venv inside a hidden folder: bound back, read-only
        inside = any(path.is_relative_to(h) for h in hide)
        if inside and not any(Path(h).is_relative_to(path) for h in hide):  # never re-expose a hidden folder
            jail += [*_mount_point(path, emptied), "--ro-bind", str(path), str(path)]
    for path in readable:
        jail += [*_mount_point(Path(path), emptied), "--ro-bind", str(path), str(path)]
    for path in writable:
        jail += [*_mount_point(Path(path), emptied), "--bind", str(path), str(path)]
    if stub_oracles:  # last: a readable tree holding the answer key (the grader's own) does not bring it back
        jail += _oracle_stubs(frozenset(keep))
    jail += ["--chdir", "/tmp", "--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp"]
    if os.geteuid() == 0 and uid is None:
        jail.append("--")  # root, for the grader's own judge only: it starts jailed workers (nested bwrap)
    elif os.geteuid() == 0:
        # a user of its own: no capabilities, no ptrace/kill/proc access to the grader's processes
        jail += ["--", "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all"]
    else:
        jail += ["--unshare-user", "--"]
    limits = [f"--as={memory_mb << 20}", f"--fsize={FILE_MB << 20}", f"--nproc={MAX_PROCS}", "--core=0"]
    jail += ["prlimit", *limits, "--"]
    return ["timeout", "-s", "KILL", f"{time_s:g}", *jail, *argv]


def _hidden_home() -> list[str]:
    """The grader's home as an empty tmpfs, with the interpreter (a pyenv/venv under it) bound back."""
    home = Path.home().resolve()
    if home == Path("/") or not home.is_dir():
        return []
    out = ["--perms", "0755", "--tmpfs", str(home)]
    for path in _interpreter():
        if path.is_relative_to(home) and path != home:
            out += [*_parents_in_home(path), "--ro-bind", str(path), str(path)]
    return out


def _interpreter() -> list[Path]:
    """The folders the running interpreter needs (its venv, its base installation), resolved."""
    needed = (sys.prefix, sys.base_prefix, sys.exec_prefix, Path(sys.executable).parent)
    return sorted({Path(p).resolve() for p in needed})


def _grader_paths() -> list[Path]:
    """The interpreter's folders and the grader's own tree (spec/, gpt2spec/, ...), outermost first."""
    from gpt2spec.registry import ROOT

    paths = sorted({*_interpreter(), ROOT.resolve()})
    return [p for i, p in enumerate(paths) if not any(p.is_relative_to(q) for q in paths[:i])]


def _parents_in_home(path: Path) -> list[str]:
    return _mount_point(path, [Path.home().resolve()])


def _mount_point(path: Path, emptied: list[Path]) -> list[str]:
    """The parents of ``path`` inside the deepest emptied directory (a tmpfs: the home, /tmp, a hidden
    one) made traversable for the jail's user: bwrap would create them 0700 (root's)."""
    inside = [root for root in emptied if root != Path("/") and path.is_relative_to(root) and path != root]
    if not inside:
        return []
    root = max(inside, key=lambda r: len(r.parts))
    return [arg for parent in reversed(path.relative_to(root).parents[:-1]) for arg in
            ("--perms", "0755", "--dir", str(root / parent))]  # fmt: skip


def oracle_dirs() -> dict[str, Path]:
    """Where the oracle packages and the answer key live (found without importing them)."""
    import importlib.util

    from gpt2spec.registry import ROOT

    found = {"reference": ROOT / "reference"}
    for name in ORACLES:
        spec = importlib.util.find_spec(name)
        locations = list(spec.submodule_search_locations or []) if spec else []
        for i, location in enumerate(locations):
            found[name if i == 0 else f"{name}#{i}"] = Path(location).resolve()  # bwrap binds onto no symlink
    return found


_STUBS_LOCK = threading.Lock()


def stub_root() -> Path:
    """One stub package per oracle name, written once per grader process (read-only to the jail).
    Locked: the grader's job threads ask at once, and two folders would mean a worker's launcher naming
    one while its judge's jail binds the other (CI: the first job's worker died at hello, exit code 1,
    "bwrap: Can't find source path")."""
    with _STUBS_LOCK:
        return _write_stubs()


@functools.cache
def _write_stubs() -> Path:
    from .oracle_stub import stub_source

    root = Path(tempfile.mkdtemp(prefix="gpt2spec-stubs-"))
    root.chmod(0o755)
    for name in {n.split("#")[0] for n in oracle_dirs()}:
        (root / name).mkdir(mode=0o755)
        (root / name / "__init__.py").write_text(stub_source(name))
    return root


def _oracle_stubs(keep: frozenset[str] = frozenset()) -> list[str]:
    root = stub_root()
    out: list[str] = []
    for key, path in oracle_dirs().items():
        if key.split("#")[0] not in keep:
            out += ["--ro-bind", str(root / key.split("#")[0]), str(path)]
    return out
