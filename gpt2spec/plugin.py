"""The pytest plugin that turns spec/ into a grader: ``--impl`` selection, one
parametrized copy of every test per implementation, and the "not implemented (week N)"
outcome, which is neither a pass nor a failure and leaves the exit code at 0.

An implementation that cannot be graded (an unknown name in the list, a package that fails
to import) is reported once, in one line; its tests show as "not run", the other
implementations are still graded, and the exit code is 2 (EXIT_UNGRADABLE, as gpt2spec.grading.grade's).
Only when nothing at all can be graded is it a usage error (exit 4)."""

from __future__ import annotations

import linecache
import os
import random
import re
import shlex
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, Phase, settings

from . import contract
from .contract import WEEKS, NotImplementedExport
from .device import OnDevice, check_device
from .points import SCAFFOLD_MARKER
from .registry import Implementation, ImplImportError, ImplRef, import_impl, resolve_each
from .remote.proxy import RemoteImplementation, remote_frames

NOT_IMPLEMENTED = "not implemented"
NOT_RUN = "not run (import error)"  # the tests of an implementation that failed to import
EXIT_UNGRADABLE = 2  # some implementation could not be graded (gpt2spec.grading.grade uses the same code)
pytest_plugins = ["gpt2spec.fingerprint"]  # on a failure, name the known bug that reproduces it

# Hypothesis profiles. "ci" is derandomized so a CI run is reproducible bit for bit;
# "dev" explores new examples every run. Neither has a deadline: CPU timings are noisy.
# The "explain" phase is off: it re-runs failures to annotate them, which costs time per
# not-implemented test and adds nothing our own failure messages do not say.
_COMMON = dict(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)
settings.register_profile("dev", **_COMMON)
settings.register_profile("ci", derandomize=True, print_blob=True, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gpt2spec", "GPT-2 spec")
    group.addoption(
        "--impl",
        default="reference",
        help="implementation(s) to grade: a name under impls/, a package path, a comma-separated list, "
        "or 'all' (default: reference)",
    )
    group.addoption(
        "--bench",
        action="store_true",
        help="collect the benchmarks under spec/bench (never part of a correctness run)",
    )
    group.addoption(
        "--shuffle",
        type=int,
        default=None,
        metavar="SEED",
        help="run the tests in a random order (seeded), to prove that no test depends on another",
    )
    group.addoption(
        "--isolate",
        action="store_true",
        help="run each implementation in a worker process of its own and drive it from here (how the grader "
        "runs): the spec's process never runs its code (docs/GRADING.md, 'Judge and worker')",
    )
    group.addoption(
        "--worker-launcher",
        default="",
        metavar="PREFIX",
        help="with --isolate: a command prefix the worker is started behind (e.g. a sandbox), split like a shell",
    )
    group.addoption(
        "--hf-model",
        default=None,
        metavar="PATH",
        help="directory (or HF cache name) holding real GPT-2 weights for the real-weights tests",
    )
    group.addoption(
        "--device",
        default="cpu",
        help="torch device the tests create their tensors and modules on (default: cpu; cuda: see gpt2spec gpu-check)",
    )


def pytest_configure(config: pytest.Config) -> None:
    for line in contract.markers():  # weekN: one per row of the contract's table
        config.addinivalue_line("markers", line)
    # Offline first: no HF lookup may reach the network during a spec run.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    device_problem = check_device(config.getoption("--device"))
    if device_problem:
        raise pytest.UsageError(device_problem)
    refs, problems = resolve_each(config.getoption("--impl"))
    if not refs:  # nothing to grade: a usage error, each problem on its line
        raise pytest.UsageError("\n".join(problems))
    config.stash[REFS] = refs
    config.pluginmanager.register(ResultTally(refs, problems), "gpt2spec-tally")


REFS = pytest.StashKey[list[ImplRef]]()  # the implementations selected by --impl (public: the grader child reads it)
BENCH_DIR = Path(__file__).resolve().parents[1] / contract.BENCH_DIR


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Benchmarks are collected only with --bench, so a grading run never times anything by accident."""
    if collection_path.resolve() == BENCH_DIR and not config.getoption("--bench"):
        return True
    return None


def pytest_report_header(config: pytest.Config) -> list[str]:
    refs = config.stash[REFS]
    lines = [f"implementations ({len(refs)}): " + ", ".join(r.name for r in refs)]
    lines += [f"  {r.name}: {r.path}" for r in refs]
    lines += [f"not graded: {problem}" for problem in config.pluginmanager.get_plugin("gpt2spec-tally").problems]
    lines.append(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, --device {config.getoption('--device')}"
    )
    return lines


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "impl" in metafunc.fixturenames:
        refs = metafunc.config.stash[REFS]
        metafunc.parametrize("impl", refs, ids=[r.name for r in refs], indirect=True, scope="session")


# The spec's modules in the order the model is built: with -x the root cause fails first (a LayerNorm
# bug in test_layernorm.py, not in test_block.py; a position bug in test_gpt.py, not in test_generate.py).
BUILD_ORDER = (
    "test_config",
    "test_attention",
    "test_layernorm",
    "test_mlp",
    "test_block",
    "test_gpt",
    "test_generate",
    "test_pretrained",
    "test_tokenizer",
    "test_data",
    "test_training",
)


def build_rank(item: pytest.Item) -> int:
    """The position of an item's spec module in BUILD_ORDER (others, e.g. the suite's own tests, after)."""
    stem = Path(str(item.path)).stem
    return next((i for i, prefix in enumerate(BUILD_ORDER) if stem.startswith(prefix)), len(BUILD_ORDER))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    seed = config.getoption("--shuffle")
    if seed is not None:
        random.Random(seed).shuffle(items)
    else:
        items.sort(key=build_rank)  # stable: within a module, the order of its file


@pytest.fixture(scope="session")
def impl(request: pytest.FixtureRequest) -> Implementation | RemoteImplementation:
    """The implementation under test (one parametrized copy of each test per --impl entry): imported here, or
    with --isolate in a worker process of its own, driven through proxies (gpt2spec/remote)."""
    ref: ImplRef = request.param
    if request.config.getoption("--isolate"):
        return remote_implementation(request.config, ref)  # ImplImportError as below
    return Implementation(ref, import_impl(ref))  # ImplImportError: reported once, see pytest_runtest_makereport


_WORKERS = pytest.StashKey[dict[Path, RemoteImplementation]]()


def remote_implementation(config: pytest.Config, ref: ImplRef, **options) -> RemoteImplementation:
    """The worker of ``ref`` for this session: started on first use, with ``options`` (RemoteImplementation's:
    the grader starts it before the tests, with its import guard)."""
    workers = config.stash.setdefault(_WORKERS, {})
    if ref.path not in workers:
        launcher = shlex.split(config.getoption("--worker-launcher") or "")
        workers[ref.path] = RemoteImplementation(ref, launcher, **options)
    return workers[ref.path]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """After each test (outside its time limit, which wraps inside this): a worker that crashed or hung in it is
    replaced, so a crash costs only the test it happened in; the test's handles are let go."""
    result = yield
    for remote in item.config.stash.get(_WORKERS, {}).values():
        remote.end_test()
        if nextitem is not None:
            try:
                remote.fresh_if_lost()
            except ImplImportError:
                pass  # it imported before: the next test's call reports the lost worker
    return result


def pytest_unconfigure(config: pytest.Config) -> None:
    for remote in config.stash.get(_WORKERS, {}).values():
        remote.close()


@pytest.fixture(autouse=True)
def _fixed_seeds() -> None:
    """Every test starts from the same global RNG state, whatever ran before it."""
    torch.manual_seed(0)


@pytest.fixture(autouse=True)
def _on_device(pytestconfig: pytest.Config) -> Iterator[None]:
    """With --device, every tensor and module a test creates lands there (gpt2spec/device.py says how)."""
    device = pytestconfig.getoption("--device")
    if device == "cpu":  # the default: no mode, no cost (--device cpu:0 runs the CPU through the mode)
        yield
        return
    with OnDevice(device):
        yield


# ---------------------------------------------------------------- not implemented


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    ref = _impl_of(item)
    if ref is not None:
        report.user_properties.append(("impl", ref.name))
        report.user_properties.append(("week", week_of(item)))
    if report.failed and call.excinfo is not None and call.excinfo.errisinstance(ImplImportError):
        # The same import error for every test of this implementation: no traceback per test; the
        # summary prints it once (ResultTally), and the test counts as "not run".
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, str(call.excinfo.value))
        report.user_properties.append(("import_error", str(call.excinfo.value)))
    elif report.failed and call.excinfo is not None and ref is not None:
        week = _not_implemented_week(call.excinfo, ref, item)
        if week is not None:
            message = str(call.excinfo.value).strip().splitlines()
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, _reason(week, message[0] if message else ""))
        else:
            _in_the_specs_words(report, item, call.excinfo.value, ref.path)
    return report


def _in_the_specs_words(report: pytest.TestReport, item: pytest.Item, exc: BaseException, impl_root: Path) -> None:
    """A participant's own exception (a bare assert, a torch RuntimeError, an out-of-memory) gets the clause
    the test checks and the participant's file:line (spec/raised.py), first in the report."""
    try:
        from spec.raised import Raised, is_oom, release, translate
    except ImportError:  # the spec is not importable here (a tool run outside the repository)
        return
    if isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:  # Hypothesis may group what it found
        exc = exc.exceptions[0]
    raised = Raised.of(exc)
    translation = translate(getattr(item, "originalname", item.name), raised, impl_root)
    if translation is not None:
        text = translation.render()
        crash = getattr(report.longrepr, "reprcrash", None)
        if crash is not None:
            raw = crash.message.splitlines()[0][:200] if crash.message else ""
            crash.message = translation.headline() + (f" [{raw}]" if raw and raw not in text else "")
        if hasattr(report.longrepr, "addsection"):
            report.longrepr.addsection("in the spec's words", text)
    if is_oom(raised):
        release(exc)


def _reason(week: int, message: str) -> str:
    message = re.sub(rf"^week {week}:\s*", "", message)  # the template's blanks start with their week
    return f"{NOT_IMPLEMENTED} (week {week}): {message}"


def _impl_of(item: pytest.Item) -> ImplRef | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("impl") if callspec is not None else None


def week_of(item: pytest.Item) -> int | None:
    """The week whose points this test shares; None for a test of code the template gives (0 points)."""
    if item.get_closest_marker(SCAFFOLD_MARKER) is not None:
        return None
    return _marker_week(item)


def _marker_week(item: pytest.Item) -> int | None:
    for marker in item.iter_markers():
        m = re.fullmatch(r"week(\d+)", marker.name)
        if m:
            return int(m.group(1))
    return None


def _not_implemented_week(excinfo: pytest.ExceptionInfo[BaseException], ref: ImplRef, item: pytest.Item) -> int | None:
    """The week to report if this failure is a blank the implementation has not filled, else None.

    A NotImplementedError counts only when the implementation itself raised it with a ``raise``
    statement (or nn.Module's stand-in for a missing ``forward``), so an unsupported torch op
    is still reported as the failure it is, also when torch raises it from C on the
    implementation's own line (``var ^ 2`` on a float tensor).
    """
    exc = excinfo.value
    if isinstance(exc, BaseExceptionGroup):  # Hypothesis may group what it found
        leaves = exc.exceptions
        if len(leaves) != 1:
            return None
        exc = leaves[0]
    if not isinstance(exc, NotImplementedError):
        return None
    if isinstance(exc, NotImplementedExport):
        return exc.week
    frames = _frames(exc)
    raised_by_impl = (
        bool(frames)
        and Path(frames[-1][0]).resolve().is_relative_to(ref.path)
        and frames[-1][2].lstrip().startswith("raise")
    )
    missing_forward = bool(frames) and frames[-1][1] == "_forward_unimplemented"
    if not (raised_by_impl or missing_forward):
        return None
    m = re.search(r"\bweek (\d)", str(exc), flags=re.IGNORECASE)
    return int(m.group(1)) if m else (_marker_week(item) or 0)


def _frames(exc: BaseException) -> list[tuple[str, str, str]]:
    """(filename, function, source line) of each frame, innermost last; for an exception from the worker, its
    own frames."""
    remote = remote_frames(exc)
    if remote is not None:
        return remote
    out = []
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        out.append((code.co_filename, code.co_name, linecache.getline(code.co_filename, tb.tb_lineno)))
        tb = tb.tb_next
    return out


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config):
    if report.skipped and _is_not_implemented(report):
        return NOT_IMPLEMENTED, "N", ("NOT IMPLEMENTED", {"yellow": True})
    if report.skipped and _import_error(report):
        return NOT_RUN, "I", ("NOT RUN (import error)", {"red": True})
    return None


def _import_error(report: pytest.TestReport) -> str | None:
    return dict(report.user_properties).get("import_error")


def _is_not_implemented(report: pytest.TestReport) -> bool:
    return isinstance(report.longrepr, tuple) and str(report.longrepr[2]).startswith(NOT_IMPLEMENTED)


# ---------------------------------------------------------------- summary


class ResultTally:
    """Counts each test's final outcome per implementation and prints them as a table."""

    COLUMNS = ("passed", "failed", "error", NOT_IMPLEMENTED, "skipped")

    def __init__(self, refs: list[ImplRef], problems: list[str]) -> None:
        self.refs = refs
        self.problems = problems  # --impl items that named no implementation, one line each
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        self.blanks: dict[str, Counter[str]] = defaultdict(Counter)
        self.import_errors: dict[str, str] = {}  # implementation -> its one-line import error

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        impl = dict(report.user_properties).get("impl")
        if impl is None:
            return
        if _import_error(report):
            self.import_errors[impl] = _import_error(report)
            self.counts[impl][NOT_RUN] += 1
            return
        if report.when == "call" or (report.when == "setup" and not report.passed):
            outcome = NOT_IMPLEMENTED if _is_not_implemented(report) else report.outcome
            if report.when == "setup" and outcome == "failed":
                outcome = "error"
        elif report.when == "teardown" and report.failed:
            outcome = "error"
        else:
            return
        self.counts[impl][outcome] += 1
        if outcome == NOT_IMPLEMENTED:
            self.blanks[impl][str(report.longrepr[2])] += 1

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Exit 2 when some implementation could not be graded, unless pytest already has a worse code."""
        ungradable = self.problems or self.import_errors
        if ungradable and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            session.exitstatus = EXIT_UNGRADABLE

    def pytest_terminal_summary(self, terminalreporter) -> None:
        tr = terminalreporter
        if self.problems or self.import_errors:
            tr.section("gpt2spec: not graded", red=True)
            for problem in self.problems:
                tr.write_line(problem, red=True)
            for name, message in self.import_errors.items():
                tr.write_line(f"{message} ({self.counts[name][NOT_RUN]} tests not run)", red=True)
        if not self.counts:
            return
        tr.section("gpt2spec: results per implementation")
        tr.write_line(f"{'implementation':<20}" + "".join(f"{c:>17}" for c in self.COLUMNS))
        for ref in self.refs:
            counts = self.counts.get(ref.name, Counter())
            if ref.name in self.import_errors:
                tr.write_line(f"{ref.name:<20}  not graded: failed to import (above)")
                continue
            tr.write_line(f"{ref.name:<20}" + "".join(f"{counts[c]:>17}" for c in self.COLUMNS))
        for name, reasons in self.blanks.items():
            tr.write_line(f"\n{name}: still to write")
            for reason, n in sorted(reasons.items()):
                tr.write_line(f"  [{n:>3} tests] {reason}")
        if self.blanks:
            tr.write_line("\nweeks: " + "; ".join(f"{w}: {t}" for w, t in WEEKS.items()))
