"""Bug fingerprints: when a spec test fails, which known bug (gpt2spec/bugs.py) produces exactly your failure?

A spec test is a function of the implementation: it builds your component, feeds it fixed inputs and
seeded weights, and compares what comes out with an oracle. When it fails, this plugin runs the *same
test* again with each known bug of that component in place of your implementation (a copy of the
reference with the bug's edit) and compares what the bug's run handed to the failing comparison with
what yours did: same quantity (``what``), same shape, and how far apart. A bug whose output equals
yours to round-off is named as *the* bug, with the evidence; two bugs of one component are tried
together when no single one fits. When nothing fits, the nearest bugs are listed as a guess.

Passing tests cost nothing: the plugin acts only when the test function has raised. Its work is
bounded by a per-test and a per-session time budget, and it never hides the failure it explains.
Turn it off with ``--no-fingerprint``.
"""

from __future__ import annotations

import math
import re
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from . import bugs
from .registry import Implementation, ImplRef

ASSERTIONS = ("assert_close", "assert_equal", "assert_ids_equal", "assert_finite")
EXACT = 1e-3  # a bug "is" yours when it explains all but 1e-3 of your distance from the oracle
TIGHT = 1e-9  # ... and pairs are tried unless a single bug explains all but round-off (fp64)
PER_TEST_S, PER_SESSION_S = 20.0, 90.0
HEADER = "Known-bug fingerprint"

MODEL = ("attention", "layernorm", "mlp", "block", "gpt", "loss")
# spec module -> the sections whose bugs can make its tests fail, most direct first
SECTIONS: dict[str, tuple[str, ...]] = {
    "test_attention": ("attention",),
    "test_layernorm": ("layernorm",),
    "test_mlp": ("mlp",),
    "test_block": ("block", "attention", "layernorm", "mlp"),
    "test_gpt": ("gpt", "loss", "block", "attention", "layernorm", "mlp"),
    "test_pretrained": ("gpt",),
    "test_generate": ("generate", "gpt"),
    **{
        f"test_tokenizer_{part}": ("tokenizer",)
        for part in ("training", "roundtrip", "parity", "specials", "streaming")
    },
    "test_data": ("data",),
    "test_training": ("training",),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("gpt2spec").addoption(
        "--no-fingerprint",
        action="store_true",
        help="on a failure, do not compare your output with the known bugs' (gpt2spec/bugs.py)",
    )


@dataclass
class Evidence:
    """What a run of one test handed to the comparison that failed (or that it passed)."""

    failed: bool
    kind: str = ""  # exception type
    what: str = ""  # the compared quantity, when an assert_* helper failed
    actual: object = None
    expected: object = None
    message: str = ""


class Fingerprinter:
    def __init__(self) -> None:
        self.spent = 0.0
        self.passed: defaultdict[str, set[str]] = defaultdict(set)
        self.failed: defaultdict[str, set[str]] = defaultdict(set)
        self._tmp: tempfile.TemporaryDirectory | None = None

    @property
    def workdir(self) -> Path:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="gpt2spec-bugs-")
        return Path(self._tmp.name)

    def pytest_unconfigure(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    @pytest.hookimpl(wrapper=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function):
        try:
            return (yield)
        except (Exception, pytest.fail.Exception) as exc:  # pytest.raises' "DID NOT RAISE" is pytest.fail's
            if not isinstance(exc, NotImplementedError) and "impl" in pyfuncitem.funcargs:
                exc.add_note(self.explain(pyfuncitem, exc))
            raise

    def explain(self, item: pytest.Function, exc: BaseException) -> str:
        try:
            return self._explain(item, exc)
        except Exception as err:  # a fingerprint must never hide the failure it explains
            return f"{HEADER} unavailable: {type(err).__name__}: {err}"

    def _explain(self, item: pytest.Function, exc: BaseException) -> str:
        sections = SECTIONS.get(item.path.stem, ())
        singles = bugs.singles(sections)
        if not singles:
            return f"{HEADER}: no known bugs for {item.path.stem}"
        yours = evidence(exc)
        test = item.originalname
        # Bugs that your passing tests rule out go last: each fails the tests it declares (tests/test_mutants.py).
        passed = self.passed[_impl_name(item)] - self.failed[_impl_name(item)] - {test}
        singles.sort(key=lambda b: (bool(b.catches & passed), test not in b.catches, sections.index(b.section)))
        start = time.perf_counter()
        deadline = start + min(PER_TEST_S, PER_SESSION_S - self.spent)
        scored = self._score(item, yours, singles, deadline)
        note = "" if len(scored) == len(singles) else f" (time budget: tried {len(scored)} of {len(singles)} bugs)"
        if not note and not any(s[0] <= TIGHT for s in scored):  # two bugs at once, likeliest pairs first
            order = {b.name: i for i, (_, _, b) in enumerate(sorted(scored, key=lambda s: s[0]))}
            pairs = bugs.pairs(sections[:1])
            pairs.sort(key=lambda b: sorted(order.get(p.name, len(order)) for p in b.parts))
            more = self._score(item, yours, pairs, deadline)
            if len(more) < len(pairs) and time.perf_counter() > deadline:
                note = f" (time budget: tried {len(more)} of {len(pairs)} pairs)"
            scored += more
        self.spent += time.perf_counter() - start

        def rank(s: tuple) -> tuple:  # exact first; then bugs your passing tests do not rule out; closest first
            score, _, bug = s
            return (score > EXACT, bool(bug.catches & passed), score, len(bug.parts), test not in bug.catches)

        scored.sort(key=rank)
        return report(scored, yours, note)

    def _score(self, item: pytest.Function, yours: Evidence, candidates: list, deadline: float) -> list[tuple]:
        scored = []
        for bug in candidates:
            if time.perf_counter() > deadline:
                break
            scored.append((*compare(yours, self.run(item, bug)), bug))
            if len(bug.parts) == 2 and scored[-1][0] <= TIGHT:
                break  # the first pair that fits to round-off: likelier pairs came first
        return scored

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Which test functions each implementation passed: a bug whose declared catching test you pass
        is not yours (the meta-tests prove every bug fails the tests it declares)."""
        impl = dict(report.user_properties).get("impl")
        if impl is not None and report.when == "call":
            name = report.nodeid.split("::")[-1].split("[")[0]
            if report.passed or report.failed:
                (self.passed if report.passed else self.failed)[impl].add(name)

    def run(self, item: pytest.Function, bug: bugs.Bug) -> Evidence:
        """The same test function, same fixtures and seed, with the bug's copy of the reference as impl."""
        try:
            module = bugs.load(bug, self.workdir)
        except Exception as exc:
            return Evidence(True, "unloadable", message=str(exc))
        impl = Implementation(ImplRef(bug.name, Path(module.__file__).parent), module)
        kwargs = {name: item.funcargs[name] for name in item._fixtureinfo.argnames}
        kwargs["impl"] = impl
        torch.manual_seed(0)  # what the autouse _fixed_seeds fixture gave your run
        try:
            item.obj(**kwargs)
        except (Exception, pytest.fail.Exception) as exc:
            return evidence(exc)
        return Evidence(False)


def _impl_name(item: pytest.Function) -> str:
    callspec = getattr(item, "callspec", None)
    ref = callspec.params.get("impl") if callspec is not None else None
    return getattr(ref, "name", "")


def evidence(exc: BaseException) -> Evidence:
    """The failing comparison's quantity and values, read from the assert_* frame in the traceback."""
    if isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    message = (str(exc).strip().splitlines() or [""])[0]  # plain asserts: later lines show object reprs
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_name in ASSERTIONS and frame.f_globals.get("__name__", "").endswith("assertions"):
            what, actual, expected = (frame.f_locals.get(k) for k in ("what", "actual", "expected"))
            return Evidence(True, type(exc).__name__, what or "", actual, expected, message)
        tb = tb.tb_next
    return Evidence(True, type(exc).__name__, message=message)


def compare(yours: Evidence, bug: Evidence) -> tuple[float, str]:
    """(score, evidence): 0 is identical, <= EXACT a match to round-off, larger a worse fit, inf no fit."""
    if not bug.failed:
        return math.inf, "passes this test"
    if yours.what and bug.what == yours.what:
        return _distance(yours, bug)
    if not yours.what and bug.kind == yours.kind:
        return _same_message(yours.message, bug.message)
    if bug.kind == yours.kind and bug.what == yours.what:
        return 10.0, "fails the same check differently"
    return math.inf, f"fails elsewhere ({bug.what or bug.kind})"


NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _same_message(yours: str, bug: str) -> tuple[float, str]:
    """Plain asserts: the same words, and the same numbers to 1e-4 (your round-off is not the reference's)."""
    if NUMBER.split(yours) != NUMBER.split(bug):
        return math.inf, "fails this test with another message"
    a, b = (list(map(float, NUMBER.findall(m))) for m in (yours, bug))
    worst = max((abs(x - y) / max(abs(x), abs(y), 1e-300) for x, y in zip(a, b, strict=True)), default=0.0)
    if worst <= 1e-4:
        return 0.0, "with the same failure message"
    return 1.0 + worst, "with the same message but other numbers"


def _distance(yours: Evidence, bug: Evidence) -> tuple[float, str]:
    a, b, e = yours.actual, bug.actual, yours.expected
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        if a.shape != b.shape:
            return math.inf, f"{yours.what} has shape {tuple(b.shape)}, yours {tuple(a.shape)}"
        a, b = a.detach().cpu().double(), b.detach().cpu().double()
        same = (a == b) | (a.isnan() & b.isnan())
        d = (a - b).abs().masked_fill(same, 0.0).nan_to_num(nan=math.inf).max().item() if a.numel() else 0.0
        ref = e.detach().cpu().double() if isinstance(e, torch.Tensor) and e.shape == a.shape else None
        off = (a - ref).abs().nan_to_num(nan=math.inf, posinf=math.inf).max().item() if ref is not None else 1.0
        score = 0.0 if d == 0 else d / off if off > 0 else math.inf
        return score, "bit for bit" if d == 0 else f"to {d:.0e}" if score <= EXACT else f"off by {d:.0e}"
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        a, b = list(a), list(b)
        if a == b:
            return 0.0, "id for id"
        differ = sum(x != y for x, y in zip(a, b, strict=False)) + abs(len(a) - len(b))
        return 1.0 + differ / max(len(a), len(b), 1), f"{differ} ids differ"
    return (0.0, "identical") if repr(a) == repr(b) else (10.0, "differs")


def report(scored: list, yours: Evidence, note: str) -> str:
    what = yours.what or "failure"
    matches = [s for s in scored if s[0] <= EXACT]
    if matches:
        lines = [f"{HEADER}: your {what} equals {_equals(matches[0])}{note}"]
        lines += [_line(i, s) for i, s in enumerate(matches[:3], 1)]
        return "\n".join(lines)
    single = {s[2].name: s[0] for s in scored if len(s[2].parts) == 1}
    # a pair is a better guess only if it fits better than each of its bugs alone
    near = [s for s in scored if s[0] < math.inf and (len(s[2].parts) == 1 or _beats_parts(s, single))][:3]
    if not near:
        return f"{HEADER}: none of the known bugs reproduces this failure{note}; see the hint above"
    lines = [f"{HEADER}: no known bug reproduces your {what} exactly{note}; nearest (a guess):"]
    lines += [_line(i, s) for i, s in enumerate(near, 1)]
    return "\n".join(lines)


def _beats_parts(scored: tuple, single: dict[str, float]) -> bool:
    return all(single.get(p.name, math.inf) > scored[0] * (1 + 1e-6) for p in scored[2].parts)


def _equals(scored: tuple) -> str:
    _, evidence, bug = scored
    kind = "the two known bugs" if len(bug.parts) == 2 else "the known bug"
    return f"{kind} *{bug.why}* [{bug.name}] {evidence}:"


def _line(i: int, scored: tuple) -> str:
    _, evidence, bug = scored
    return f"  {i}. [{bug.name}] ({bug.component}, {evidence}): {bug.why}.\n     Fix: {bug.fix}"


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("--no-fingerprint", default=False):
        config.pluginmanager.register(Fingerprinter(), "gpt2spec-fingerprint")
