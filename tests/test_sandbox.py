"""The grader's OS sandbox (gpt2spec/grading/jail.py) against the attacks it closes (issue 21's table and
more, tests/hostile/): each gets no undeserved credit and a clear reason, honest neighbours keep their
scores, nothing survives the grade and nothing leaks out of it. Also: the oracle stubs of the judge/worker
split, run on participant-like scripts, and the grader's refusal to grade without a sandbox.

Each hostile package earns the points of spec/test_config.py's one test only if its attack worked (see
its docstring), so "score 0" means "the attack failed". All are graded in one run, two at a time, from a
scratch copy (an attack that got through could then only damage the copy).
"""

from __future__ import annotations

import glob
import os
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gpt2spec.grading import childrun, jail
from gpt2spec.grading import grade as g

from .submissions import once_per_session

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "tests" / "hostile"
SPEC = ["spec/test_config.py"]
ONE_TEST = ["-k", "test_defaults_are_gpt2_small"]
LIMITS = g.Limits(test_seconds=20, impl_seconds=120, memory_mb=4096)
MISSING = jail.available()
pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"no sandbox here: {MISSING}")

SURVIVOR = "gpt2spec-hostile-survivor"  # in the command line of every process an attack leaves behind
SECRET = "gpt2spec-hostile-secret-6d1f"  # tests/hostile/steal_secrets looks for it
ABSTRACT_SOCKET = "\0gpt2spec-hostile-socket"  # tests/hostile/open_socket connects to it
LEAK = "gpt2spec-hostile-leak"  # tests/hostile/leak_files writes files of this name

# package -> (status, words its reason or notes must contain); every one earns 0 points
EXPECTED = {
    "poison_neighbour": ("graded", "block_size': 1,"),
    "grader_tree": ("graded", "block_size': 1,"),
    "escape_processes": ("graded", "block_size': 1,"),
    "stdout_flood": ("output-limit", "File too large"),
    "results_fd": ("graded", "block_size': 1,"),
    "resolve_answer_key": ("forbidden-import", "pkgutil"),
    "copy_reference": ("graded", "block_size': 1,"),
    "steal_secrets": ("graded", "block_size': 1,"),
    "leak_files": ("graded", "block_size': 1,"),
    "open_socket": ("graded", "block_size': 1,"),
    "spy_on_parent": ("graded", "block_size': 1,"),
    "fork_bomb": ("graded", "block_size': 1,"),
    "fill_disk": ("graded", "block_size': 1,"),
    "symlink_out": ("graded", "block_size': 1,"),
    "torch_alloc": ("out-of-memory", "can't allocate memory"),
}
# correct: full marks, whatever their neighbours do. torch_defaults sets torch's default dtype to float64:
# under the judge/worker split that changes its own process only, so its (correct) GPTConfig is what counts.
HONEST = ("honest_neighbour", "sleep_at_exit", "torch_defaults")


def _grade_them_all(scratch: Path) -> dict:
    """Grade the reference, the honest packages and every hostile one from a scratch copy, with a secret
    in the grader's environment and home and a listening abstract socket; record what is left after."""
    packages = scratch / "packages"
    for name in (*HONEST, *EXPECTED):
        shutil.copytree(HOSTILE / name, packages / name)
    victim = (packages / "honest_neighbour" / "__init__.py").read_text()
    refs = [("reference", ROOT / "impls" / "reference")] + [(n, packages / n) for n in (*HONEST, *EXPECTED)]
    secret_file = Path.home() / ".gpt2spec-hostile-secret"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(ABSTRACT_SOCKET)
    listener.listen(4)
    connections: list[object] = []
    threading.Thread(target=lambda: connections.append(listener.accept()), daemon=True).start()
    os.environ["GPT2SPEC_HOSTILE_SECRET"] = SECRET
    secret_file.write_text(SECRET)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        run = g.grade_all(refs, SPEC, ONE_TEST, LIMITS, jobs=2)
    finally:
        del os.environ["GPT2SPEC_HOSTILE_SECRET"]
        secret_file.unlink()
        listener.close()
    time.sleep(1)  # the kernel tears the pid namespaces down asynchronously
    return {
        "run": run,
        "peak_growth_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before,
        "survivors": _survivors(),
        "connections": len(connections),
        "leaks": [p for place in ("/tmp", "/var/tmp", "/dev/shm", "~/.cache") for p in _leaks(place)],
        "victim_unchanged": (packages / "honest_neighbour" / "__init__.py").read_text() == victim,
        "stolen_copy": (packages / "copy_reference" / "_stolen.py").exists(),
        "pycache": sorted(str(p) for p in packages.rglob("__pycache__")),
    }


def _survivors() -> list[str]:
    found = []
    for path in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            with open(path, "rb") as f:
                if SURVIVOR.encode() in f.read():
                    found.append(path)
        except OSError:
            pass
    return found


def _leaks(place: str) -> list[str]:
    return glob.glob(os.path.join(os.path.expanduser(place), LEAK))


@pytest.fixture(scope="module")
def attacked(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return once_per_session(tmp_path_factory, "sandbox_run", _grade_them_all)


def by_name(run: g.Run) -> dict[str, g.Grade]:
    return {grade.name: grade for grade in run.grades}


@pytest.mark.parametrize("name", EXPECTED)
def test_attack_earns_nothing(attacked: dict, name: str) -> None:
    """Each attack fails inside the jail: its package earns 0, with the reason it should have."""
    status, words = EXPECTED[name]
    grade = by_name(attacked["run"])[name]
    explained = " ".join([grade.reason, *grade.notes, *(t.message for t in grade.tests)])
    assert grade.status == status, f"{name}: status {grade.status!r} ({explained}), expected {status!r}"
    assert words in explained, f"{name}: {explained!r} should mention {words!r}"
    assert grade.score == 0, f"{name}: earned {grade.score} points: its attack worked ({explained})"


@pytest.mark.parametrize("name", ["reference", *HONEST])
def test_honest_neighbours_keep_their_score(attacked: dict, name: str) -> None:
    """The reference, the package next to the poisoner, the one that sleeps at exit and the one that changes
    torch's defaults in its own process get full marks."""
    grade = by_name(attacked["run"])[name]
    assert grade.status == "graded" and grade.score == grade.max_score > 0, (grade.status, grade.reason, grade.notes)


def test_the_victims_files_are_untouched(attacked: dict) -> None:
    """poison_neighbour could not append to its neighbour's __init__.py, nor copy_reference write a file."""
    assert attacked["victim_unchanged"]
    assert not attacked["stolen_copy"]


def test_no_process_survives_the_grade(attacked: dict) -> None:
    """The daemon (double fork, new session), the setpgid children and the fork bomb's sleepers all died
    with their pid namespace."""
    assert attacked["survivors"] == []


def test_nothing_leaks_out(attacked: dict) -> None:
    """No file written in a jail reaches the host's /tmp, /var/tmp, /dev/shm or home; no connection to an
    abstract socket of the host's network namespace; no __pycache__ in any submission."""
    assert attacked["leaks"] == []
    assert attacked["connections"] == 0
    assert attacked["pycache"] == []


def test_grader_memory_stays_bounded(attacked: dict) -> None:
    """stdout_flood printed until the 64 MiB file limit stopped it; the grader read only the log's tail
    (the grader's peak memory did not grow by the size of the log)."""
    assert attacked["peak_growth_kib"] < (jail.FILE_MB << 10) // 2, attacked["peak_growth_kib"]


def test_sleep_at_exit_does_not_hold_the_grader(attacked: dict) -> None:
    """A child that lingers after its last record is killed a few seconds later, not at the
    per-implementation limit (120 s here)."""
    grade = by_name(attacked["run"])["sleep_at_exit"]
    assert grade.seconds < LIMITS.impl_seconds / 2, grade.seconds


# ---------------------------------------------------------------- the jail alone, on small scripts


def _jailed(script: str, memory_mb: int = 4096, **options: object) -> subprocess.CompletedProcess:
    argv = jail.jail_argv([sys.executable, "-I", "-B", "-c", script], memory_mb=memory_mb, time_s=120, **options)
    return subprocess.run(argv, capture_output=True, text=True, timeout=180)


PARTICIPANT = """
import sys
sys.path[:0] = [{fixtures!r}, {root!r}]
import oracle_import_minbpe, oracle_import_pypi  # both import an oracle at module level: fine
print("config", oracle_import_minbpe.GPTConfig().n_embd)
for build in (oracle_import_pypi.from_pretrained, oracle_import_minbpe.GPT4Tokenizer):
    try:
        build()
    except Exception as exc:
        print(type(exc).__name__, exc)
import reference
try:
    reference.GPTConfig()
except Exception as exc:
    print(type(exc).__name__, exc)
import os
print("answer key files", os.listdir({reference!r}))
"""


def test_oracle_stubs_refuse_use_not_import() -> None:
    """With stub_oracles (the worker of the judge/worker split): importing transformers, tiktoken or the
    answer key succeeds, calling them fails with the call site in the participant's code, and the answer
    key's files are gone."""
    fixtures, reference = str(ROOT / "tests" / "fixtures"), str(ROOT / "reference")
    script = PARTICIPANT.format(fixtures=fixtures, root=str(ROOT), reference=reference)
    proc = _jailed(script, stub_oracles=True)
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "config 768" in out
    pypi = ROOT / "tests" / "fixtures" / "oracle_import_pypi" / "__init__.py"
    minbpe = ROOT / "tests" / "fixtures" / "oracle_import_minbpe" / "gpt4.py"
    called = f"transformers.GPT2LMHeadModel.from_pretrained at {pypi}:{line_of(pypi, '.from_pretrained(name)')}"
    assert f"OracleCallError your code called {called}" in out, out
    assert f"your code called tiktoken.get_encoding at {minbpe}:{line_of(minbpe, 'get_encoding(')}" in out, out
    assert "the oracle libraries are not available to implementations" in out
    assert "your code called reference.GPTConfig at <string>:" in out, out
    assert "answer key files ['__init__.py']" in out, out


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_hidden_and_readable_paths(tmp_path: Path) -> None:
    """``hide`` empties a directory, ``readable`` binds one of its entries back, read-only; the grader's
    tree is read-only; /tmp is private; there is no network."""
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "secret.txt").write_text("x")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "code.py").write_text("y")
    script = f"""
import os, socket
print(sorted(os.listdir({str(tmp_path)!r})))
print(open({str(tmp_path / "mine" / "code.py")!r}).read())
for path in ({str(tmp_path / "mine" / "new.py")!r}, {str(ROOT / "spec" / "new.py")!r}):
    try:
        open(path, "w")
        print("wrote", path)
    except OSError as exc:
        print("refused", exc.strerror)
open("/tmp/mine", "w").write("private")
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2)
except OSError as exc:
    print("network", exc.strerror)
"""
    proc = _jailed(script, hide=[tmp_path], readable=[tmp_path / "mine"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.splitlines() == [
        "['mine']",
        "y",
        "refused Read-only file system",
        "refused Read-only file system",
        "network Network is unreachable",
    ], proc.stdout
    assert not Path("/tmp/mine").exists()


def test_wall_clock_and_memory_limits() -> None:
    """The jail's own limits hold even if the grader's watch did not: the wall clock kills the whole
    namespace, the address-space limit refuses a large allocation."""
    start = time.monotonic()
    argv = jail.jail_argv(["sleep", "60"], memory_mb=512, time_s=2)
    assert subprocess.run(argv, timeout=60).returncode != 0
    assert time.monotonic() - start < 30
    proc = _jailed("bytearray(2 << 30)", memory_mb=1024)
    assert proc.returncode != 0 and "MemoryError" in proc.stderr


WEIGHTS_PROBE = """
import os
from huggingface_hub import constants
print(open(os.path.join(constants.HF_HUB_CACHE, "probe")).read())
"""


@pytest.mark.parametrize("side", ["judge", "worker"])
def test_weights_cache_reaches_both_jails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, side: str) -> None:
    """Clause: a Hugging Face cache on the grader's machine (real GPT-2 weights, under a home the jail hides)
    is readable in the judge's jail and in the worker's, found through HF_HUB_CACHE (the jail's HOME is
    /tmp). Catches: a grade where the real-weights tests are "not graded here" although the weights are there."""
    cache = tmp_path / "home" / ".cache" / "huggingface" / "hub"
    cache.mkdir(parents=True)
    (cache / "probe").write_text("weights here")
    for path in (cache, *cache.parents[:3]):
        path.chmod(0o755)
    (cache / "probe").chmod(0o644)
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    env = {**childrun._child_env(1), **childrun.weights_env()}
    assert env["HF_HUB_CACHE"] == str(cache.resolve())
    (tmp_path / "scratch").mkdir()
    argv = [sys.executable, "-I", "-B", "-c", WEIGHTS_PROBE]
    where = {side: tmp_path / "scratch"}
    argv = childrun._jailed(argv, None, LIMITS, 60, childrun.Jail(hide=(tmp_path / "home",)), **where)
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0 and proc.stdout.strip() == "weights here", proc.stderr[-3000:]


def test_concurrent_graders_get_users_of_their_own() -> None:
    """Clause: two graders on one machine (CI's two test workers) never share a jail user id, so never its
    process limit. Catches: uids FIRST_UID + slot in every grader: a fork bomb graded by one made the other's
    worker die at its hello (exit 126: no process left to start it)."""
    open_fds = len(os.listdir("/proc/self/fd"))
    with jail.claimed_uids(2) as first, jail.claimed_uids(2) as second:
        assert len(set(first) | set(second)) == 4, (first, second)
        assert all(jail.FIRST_UID <= uid < jail.FIRST_UID + jail.UID_SLOTS for uid in first + second)
        assert len(os.listdir("/proc/self/fd")) == open_fds + 4  # one lock held per id
    assert len(os.listdir("/proc/self/fd")) == open_fds  # released: another grader may take them now


# ---------------------------------------------------------------- the worker's own jail: oracles by use

SNEAKY_INIT = '''
"""Builds GPT-2's defaults with Hugging Face's GPT2Config, from a module that renames itself: the import
guard judges imports made under the package's name only, so only the worker's jail (the real library
stubbed) stops it."""
from .helper import GPTConfig
'''
SNEAKY_HELPER = """
__name__ = "oracle_helper"  # not under the package's name: the import guard lets its imports through
from dataclasses import dataclass, field

from transformers import GPT2Config


def _width() -> int:
    return GPT2Config().n_embd  # the oracle's answer


@dataclass
class GPTConfig:
    block_size: int = 1024
    vocab_size: int = 50257
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = field(default_factory=_width)
"""
PEEK_INIT = '''
"""Reads GPT-2's defaults out of the answer key's source file (reference/config.py) by its path."""
import re
from dataclasses import dataclass, field
from pathlib import Path

ANSWER = Path({answer!r})


def _width() -> int:
    return int(re.search(r"n_embd: int = (\\d+)", ANSWER.read_text()).group(1))  # the answer key's file


@dataclass
class GPTConfig:
    block_size: int = 1024
    vocab_size: int = 50257
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = field(default_factory=_width)
'''


@pytest.fixture(scope="module")
def oracle_users(tmp_path_factory: pytest.TempPathFactory) -> dict[str, g.Grade]:
    """Two packages that take GPT-2's defaults from the oracle inside the worker, and one that only imports
    transformers at module level, graded together (isolated, each worker in its own jail)."""
    root = tmp_path_factory.mktemp("oracle_users")
    (root / "sneaky").mkdir()
    (root / "sneaky" / "__init__.py").write_text(SNEAKY_INIT)
    (root / "sneaky" / "helper.py").write_text(SNEAKY_HELPER)
    (root / "peek").mkdir()
    (root / "peek" / "__init__.py").write_text(PEEK_INIT.format(answer=str(ROOT / "reference" / "config.py")))
    refs = [(n, root / n) for n in ("sneaky", "peek")] + [("pypi", ROOT / "tests" / "fixtures" / "oracle_import_pypi")]
    return by_name(g.grade_all(refs, SPEC, ONE_TEST, LIMITS, jobs=2))


def _reports(grade: g.Grade) -> str:
    return "\n".join(f"{t.key} {t.outcome}: {t.message}\n{t.details}" for t in grade.tests)


def test_oracle_used_inside_the_worker_earns_nothing(oracle_users: dict[str, g.Grade]) -> None:
    """Clause: the implementation's process runs in a jail of its own with transformers, tiktoken and the
    answer key stubbed (the judge keeps the real ones). Catches: a submission that calls Hugging Face from a
    module the import guard does not watch, or reads reference/*.py by its path: no credit, and the failure
    names the call site in the submission."""
    sneaky, peek = oracle_users["sneaky"], oracle_users["peek"]
    assert sneaky.status == "graded" and sneaky.score == 0, (sneaky.status, sneaky.reason, sneaky.tests)
    line = SNEAKY_HELPER.splitlines().index("    return GPT2Config().n_embd  # the oracle's answer") + 1
    helper = f"sneaky/helper.py:{line}"
    text = _reports(sneaky)
    assert "your code called transformers.GPT2Config at" in text and helper in text, text[:3000]
    assert peek.status == "graded" and peek.score == 0, (peek.status, peek.reason, peek.tests)
    text = _reports(peek)
    assert "FileNotFoundError" in text and "reference/config.py" in text and "peek/__init__.py" in text, text[:3000]


def test_oracle_imported_at_module_level_is_graded_on_what_it_computes(oracle_users: dict[str, g.Grade]) -> None:
    """Clause: importing transformers costs nothing, in the jailed worker too. Catches: a worker jail whose
    stubs fail at import (a PyPI GPT-2's module-level ``from transformers import ...`` would score 0)."""
    pypi = oracle_users["pypi"]
    assert pypi.status == "graded" and pypi.score == pypi.max_score > 0, (pypi.status, pypi.reason, pypi.notes)


STUBS_FROM_THREADS = """
import threading
from gpt2spec.grading import jail
start, roots = threading.Barrier(8), []
def ask():
    start.wait()
    roots.append(str(jail.stub_root()))
threads = [threading.Thread(target=ask) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(set(roots)), sorted(set(roots)))
"""


def test_every_job_thread_gets_the_same_oracle_stubs() -> None:
    """Clause: the grader writes one folder of oracle stubs per process, whichever of its job threads asks
    first. Catches: an unlocked cache that let two threads each write a folder, so that a worker's launcher
    named one and its judge's jail bound the other: the worker died at hello ("bwrap: Can't find source
    path", exit code 1), and CI graded the reference 0. (A fresh interpreter: nothing cached yet.)"""
    proc = subprocess.run([sys.executable, "-c", STUBS_FROM_THREADS], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith("1 "), f"several stub folders for one grader: {proc.stdout}"


def test_an_interpreter_under_the_hosts_tmp_still_runs(tmp_path: Path) -> None:
    """The jail's private /tmp must not hide the interpreter: a clone (and its venv) under the host's /tmp ran
    nothing ("prlimit: failed to execute /tmp/.../.venv/bin/python"). A venv under /tmp runs jailed, and
    sees its own folder read-only and nothing else of the host's /tmp but the grader's own tree when that
    lives there too (a clone under /tmp: as visible as it is anywhere else)."""
    venv = Path("/tmp") / f"gpt2spec-venv-{os.getpid()}"
    try:
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)], check=True)
        (tmp_path / "host-secret.txt").write_text("x")
        probe = (
            "import subprocess, sys\n"
            "from gpt2spec.grading.jail import jail_argv\n"
            "script = 'import os, sys; print(sys.prefix); print(os.access(sys.prefix, os.W_OK)); '\n"
            "script += 'print(sorted(os.listdir(\"/tmp\")))'\n"
            "argv = jail_argv([sys.executable, '-I', '-c', script], memory_mb=1024, time_s=60)\n"
            "sys.exit(subprocess.run(argv).returncode)\n"
        )
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.run([str(venv / "bin" / "python"), "-c", probe], capture_output=True, text=True, env=env,
                              timeout=120, check=False)  # fmt: skip
    finally:
        shutil.rmtree(venv, ignore_errors=True)
    assert proc.returncode == 0, f"a venv under /tmp could not run in the jail: {proc.stderr[-2000:]}"
    grader = [ROOT.resolve().relative_to("/tmp").parts[0]] if ROOT.resolve().is_relative_to("/tmp") else []
    assert proc.stdout.split("\n")[:3] == [str(venv), "False", str(sorted([venv.name, *grader]))], proc.stdout
