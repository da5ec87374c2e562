"""The graded interpreter: what ``python -I -c 'import gpt2spec.grading.child...'`` runs for one
implementation. Started by gpt2spec/grading/grade.py, never by hand.

It reads its settings from stdin (so nothing about the results channel is on the command
line or in the environment), sets its resource limits, then runs pytest on the grader's
own spec tree with plugin autoload off and the conftest machinery off, with this module's
Recorder as the only extra plugin. The Recorder writes one JSON line per event to a
grader-owned file, each stamped with a nonce the implementation never sees; it snapshots
the comparison machinery before the implementation is imported and checks it after
every test; and it guards the implementation's imports.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path

MiB = 1 << 20
NOT_GRADED = "not graded here"  # gpt2spec.points.NOT_GRADED (not imported: this module stays import-light)
TIMEOUT_MARK = "Timeout (>"  # how pytest-timeout's failure starts


def main() -> int:
    sys.dont_write_bytecode = True  # also set by -B: no __pycache__ in a submission or the grader's tree
    settings = json.loads(sys.stdin.readline())
    sys.stdin.close()
    limit = int(settings["memory_mb"]) * MiB
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    root = settings["root"]
    sys.path.insert(0, root)

    import pytest
    import torch

    torch.set_num_threads(int(settings["threads"]))
    recorder = Recorder(settings)
    args = [
        *settings["spec"],
        f"--impl={settings['impl_path'] or 'reference'}",
        "--rootdir",
        root,
        "-c",
        str(Path(root) / "pyproject.toml"),
        "--confcutdir",
        root,
        "--noconftest",
        "-p",
        "gpt2spec.plugin",
        "-p",
        "pytest_timeout",
        f"--timeout={settings['timeout_test']}",
        "--timeout-method=signal",
        "-q",
        "-rN",
        "--color=no",
        "-p",
        "no:cacheprovider",  # no .pytest_cache in the grader's tree (pyproject says so too; -c may point elsewhere)
        "--no-fingerprint",  # scores need no diagnosis; a participant's own run names the bug (gpt2spec/fingerprint.py)
        *settings["pytest_args"],
    ]
    if settings.get("isolate"):  # the implementation runs in a worker process; this one only judges
        args += ["--isolate", f"--worker-launcher={settings.get('launcher', '')}"]
        not_dumpable()
    if settings["mode"] == "collect":
        args.append("--collect-only")
    plugins: list[object] = [recorder]
    if settings.get("worker_uid") is not None:  # a jailed worker of its own user writes in the spec's tmp dirs
        plugins.append(tmp_dirs_for(int(settings["worker_uid"])))
    return int(pytest.main(args, plugins=plugins))


PR_SET_DUMPABLE = 4  # linux/prctl.h


def not_dumpable() -> None:
    """No process of this user may read the judge's memory, environment or maps under /proc, nor ptrace it
    (defence in depth: a graded worker already runs in a pid namespace of its own, where the judge does not
    exist, as another user). Reset by execve: the worker the judge starts is not affected."""
    import ctypes

    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def tmp_dirs_for(uid: int) -> object:
    """A plugin that hands the tmp dirs fixtures give (tmp_path...) to the jailed worker's user, and before each
    request to the worker what the judge wrote in them (save_pretrained writes 0600): pytest makes them 0700
    and root's, and the implementation writes checkpoints, saved models and DDP files there. The judge (root,
    in a jail of its own where only its scratch dir is writable) still reads them, and loads what the worker
    wrote with ``weights_only=True`` only. Ownership changes go through directory descriptors and never
    follow a symlink, so one the worker plants redirects nothing."""
    import pytest

    from gpt2spec.remote import proxy

    dirs: list[Path] = []  # the current test's tmp dirs

    def hand_over() -> None:
        for top in dirs:
            for _, subdirs, files, fd in os.fwalk(top):
                for name in subdirs + files:
                    if os.stat(name, dir_fd=fd, follow_symlinks=False).st_uid != uid:
                        os.chown(name, uid, uid, dir_fd=fd, follow_symlinks=False)

    proxy.BEFORE_REQUEST.append(hand_over)

    class TmpDirs:
        @pytest.hookimpl(hookwrapper=True)
        def pytest_fixture_setup(self, fixturedef, request):
            outcome = yield
            value = outcome.get_result() if outcome.excinfo is None else None
            if isinstance(value, os.PathLike):
                base = request.config._tmp_path_factory.getbasetemp()
                path = Path(value)
                if path.is_relative_to(base) and path != base:
                    for d in [path, *path.parents]:
                        os.chown(d, uid, uid, follow_symlinks=False)
                        if d == base:
                            break
                    dirs.append(path)

        def pytest_runtest_logfinish(self, nodeid, location) -> None:
            dirs.clear()

    return TmpDirs()


class Recorder:
    """Grader-side pytest plugin inside the graded interpreter (see the module docstring)."""

    def __init__(self, settings: dict) -> None:
        import pytest

        self.settings = settings
        self.impl_path = Path(settings["impl_path"]).resolve() if settings["impl_path"] else None
        self.not_implemented = "not implemented"  # gpt2spec.plugin.NOT_IMPLEMENTED (imported later, by pytest)
        self.skip_exception = pytest.skip.Exception
        nonce = settings["nonce"]
        fd = int(settings["results_fd"])  # opened by the grader, inherited: no path to find
        dumps, write = json.dumps, os.write

        def emit(record: dict, _fd=fd, _nonce=nonce, _dumps=dumps, _write=write) -> None:
            record["nonce"] = _nonce
            _write(_fd, (_dumps(record) + "\n").encode())

        self.emit = emit
        self.skip_by_impl: dict[tuple[str, str], bool] = {}
        self.phases: dict[str, dict[str, tuple[str, str, float]]] = {}
        self.failures: dict[tuple[str, str], str] = {}
        self.lost: dict[tuple[str, str], str] = {}  # the tests in which the implementation's process was lost
        self.integrity = None
        self.session = None
        self.current: str | None = None  # the test running now: what a run-time violation is charged to

    # -------------------------------------------------------------- collection and import

    def pytest_configure(self, config) -> None:
        from gpt2spec.plugin import REFS
        from gpt2spec.registry import ImplRef

        # One implementation per interpreter, always under the id "impl", so that test ids are
        # the same for every implementation (the grader keys results by them).
        refs = config.stash[REFS]
        config.stash[REFS] = [ImplRef("impl", ref.path) for ref in refs]
        # The run's secret seed (spec/strategies.py): after the plugin loaded its Hypothesis profile.
        from spec.strategies import set_run_seed

        set_run_seed(int(self.settings.get("seed", 0)))

    def pytest_collection_finish(self, session) -> None:
        from gpt2spec.plugin import week_of

        self.session = session
        tests = [{"key": item.nodeid, "week": week_of(item)} for item in session.items]
        self.emit({"t": "collected", "tests": tests})
        if self.settings["mode"] != "grade":
            return
        self._import_implementation(session)

    def _import_implementation(self, session) -> None:
        from gpt2spec.plugin import REFS, remote_implementation
        from gpt2spec.registry import ImplImportError, import_impl

        from . import sandbox

        if not self.settings.get("isolate"):
            # In-process the implementation shares this interpreter: HF's GPT-2 (imported lazily by the spec's
            # oracles) must be in the integrity snapshot before the implementation is imported.
            from spec.oracles import hf_gpt2

            hf_gpt2()
        sandbox.warm_up()  # torch patches itself lazily: let it, before the snapshot
        self.integrity = sandbox.Integrity()
        ref = session.config.stash[REFS][0]

        def on_violation(v: sandbox.Violation, emit=self.emit) -> None:
            # key None: outside any test (importing the package), i.e. used by every test
            record = {"t": "violation", "module": v.module, "where": v.where, "why": v.why, "used": v.used}
            emit({**record, "key": self.current})

        if self.settings.get("isolate"):  # imported in its own process, under the same import policy
            guard = self.settings["exceptions"]

            def seen(found: list[dict]) -> None:
                for v in found:
                    on_violation(sandbox.Violation(v["module"], v["where"], v["why"]))

            self.emit({"t": "importing"})
            try:
                remote_implementation(session.config, ref, guard=guard, on_violations=seen)
            except ImplImportError as exc:
                self.emit({"t": "import_error", "message": str(exc)})
                session.shouldstop = "the implementation failed to import"
                return
            self.emit({"t": "imported"})
            return

        sandbox.ImportGuard(ref.module_name, frozenset(self.settings["exceptions"]), on_violation).install()
        self.emit({"t": "importing"})
        try:
            import_impl(ref)
        except ImplImportError as exc:
            self.emit({"t": "import_error", "message": str(exc)})
            session.shouldstop = "the implementation failed to import"
            return
        self.emit({"t": "imported"})
        self._check_integrity()

    # -------------------------------------------------------------- each test

    def pytest_runtest_logstart(self, nodeid: str, location) -> None:
        self.current = nodeid
        self.emit({"t": "start", "key": nodeid})

    def pytest_runtest_makereport(self, item, call):  # plain hook: classify the raw exception
        if call.excinfo is None:
            return
        from gpt2spec.remote.proxy import WorkerLost

        if isinstance(call.excinfo.value, self.skip_exception):
            self.skip_by_impl[(item.nodeid, call.when)] = self._raised_by_impl(call.excinfo.tb)
        elif isinstance(call.excinfo.value, WorkerLost):
            self.lost[(item.nodeid, call.when)] = str(call.excinfo.value)
        else:
            self.failures[(item.nodeid, call.when)] = failure_message(call.excinfo.value)

    def pytest_runtest_logreport(self, report) -> None:
        outcome = report.outcome
        message = details = ""
        if report.failed:
            details = report.longreprtext
            message = self.failures.pop((report.nodeid, report.when), "") or details
            lost = self.lost.pop((report.nodeid, report.when), None)
            if TIMEOUT_MARK in details:
                outcome = "timeout"
                message = next((ln.strip(" +") for ln in details.splitlines() if TIMEOUT_MARK in ln), message)
                if self.settings.get("isolate"):
                    message = f"hung past the per-test limit ({self.settings['timeout_test']:g} s): {message}"
            elif lost is not None:  # the worker died or hung: its crash, charged to this test only
                outcome = "timeout" if "no answer within" in lost else "crash"
                message = lost
            elif report.when != "call":
                outcome = "error"
        elif report.skipped:
            reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else report.longreprtext
            message = reason
            if hasattr(report, "wasxfail"):
                outcome = "xfailed"
            elif reason.startswith(self.not_implemented):
                outcome = self.not_implemented
            else:
                by_impl = self.skip_by_impl.pop((report.nodeid, report.when), False)
                outcome = "skipped" if by_impl else NOT_GRADED
        elif hasattr(report, "wasxfail"):
            outcome = "xpassed"
        self.phases.setdefault(report.nodeid, {})[report.when] = (outcome, message, details, report.duration)

    def pytest_runtest_logfinish(self, nodeid: str, location) -> None:
        phases = self.phases.pop(nodeid, {})
        outcome, message, details, duration = "error", "no report for this test", "", 0.0
        for when in ("setup", "call", "teardown"):
            if when not in phases:
                continue
            o, m, dt, d = phases[when]
            duration += d
            if when == "setup" or o != "passed" or outcome == "passed":
                if when == "teardown" and o == "passed":
                    continue
                outcome, message, details = o, m, dt
        record = {"t": "test", "key": nodeid, "outcome": outcome, "message": message[:2000], "details": details[:6000]}
        self.emit({**record, "seconds": duration})
        self.current = None
        self._check_integrity()

    def pytest_sessionfinish(self, session, exitstatus) -> None:
        self._check_integrity()
        self.emit({"t": "finished", "exitstatus": int(exitstatus)})

    def _check_integrity(self) -> None:
        if self.integrity is None:
            return
        changed = self.integrity.changed()
        if changed:
            self.emit({"t": "tampered", "changed": changed})
            if self.session is not None:
                self.session.shouldstop = "the comparison machinery was tampered with"

    def _raised_by_impl(self, tb) -> bool:
        while tb is not None and self.impl_path is not None:
            if Path(tb.tb_frame.f_code.co_filename).resolve().is_relative_to(self.impl_path):
                return True
            tb = tb.tb_next
        return False


def failure_message(exc: BaseException) -> str:
    """What the spec's assertion says (the quantity, the diff, where, the hint), without pytest's
    assertion-rewriting explanation (``assert False``...); other exceptions as ``Type: message``."""
    text = str(exc)
    if isinstance(exc, AssertionError):
        lines = text.splitlines()
        cut = next((i for i, ln in enumerate(lines) if ln.startswith("assert ") and i > 0), len(lines))
        text = "\n".join(lines[:cut]).strip()
        return text or "AssertionError (a bare assert, no message)"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
