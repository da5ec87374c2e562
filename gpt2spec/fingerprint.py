"""Bug fingerprints and the one Diagnosis section a failing spec test carries.

When a spec test fails, this plugin writes a single "Diagnosis" section (gpt2spec/verdicts.py) from:

1. what the spec helpers recorded while the test ran (a known bug that reproduces the output, a
   prerequisite component that fails its own check, where a GPT first diverges from HF's);
2. the probes of the component (spec/probes.py): fixed, cheap measurements that fit a bug family's
   parameter (eps, scale, mask offset, activation, positions, ...), once per implementation and component;
3. when no family fits, the edit search (spec/probes_search.py): every single edit of the component's
   reference code (a number, an operator, a name, a dropped call or statement, ...; spec/edits.py) run
   next to yours on fixed inputs; the one place whose edit reproduces all of your outputs is the verdict;
   when none does, the repair search (spec/probes_repair.py): every single edit of *your* code, and the one
   place whose edit makes it behave as GPT-2's on those inputs (in your own process only, never --isolate);
4. only when none of these names the bug, the fingerprint: the *same test* run again with each known bug of
   the component in place of your implementation (a copy of the reference with the bug's edit), comparing
   what the bug's run handed to the failing comparison with what yours did. A bug whose tensor output
   equals yours to round-off *is* reproduced; on ids or a message it is only *consistent* (another bug
   could fail the same way); several such bugs are "consistent with any of"; pairs are tried when no
   single bug fits.

The work is counted in runs, not seconds: at most MAX_SINGLES single bugs and MAX_PAIRS pairs per failing
test, in a fixed order, so a failure gets the same diagnosis on an idle or a loaded machine; a bug found
once for a component is tried first for its next failing test (one run instead of all).
Passing tests cost nothing. ``--no-fingerprint`` turns off the probes and the re-runs (the section then
says only what the test's own helpers recorded).
"""

from __future__ import annotations

import ast
import math
import re
import tempfile
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import torch

from . import bugs, contract, verdicts
from .registry import Implementation, ImplRef, squeezed, unparsed, written_lines, written_source
from .verdicts import CONSISTENT, REPRODUCED, Finding

ASSERTIONS = ("assert_close", "assert_equal", "assert_ids_equal", "assert_finite")
EXACT = 1e-3  # a bug "is" yours when it explains all but 1e-3 of your distance from the oracle
TIGHT = 1e-9  # ... and pairs are tried unless a single bug explains all but round-off (fp64)
# Re-runs of a failing test with a known bug in place of yours: work, not seconds. Per failure, and per
# session (a planted bug fails many tests; the first failures of a component get the re-runs).
MAX_SINGLES, MAX_PAIRS, MAX_SESSION_RUNS = 12, 6, 48
HEADER = verdicts.HEADER

MODEL = ("attention", "layernorm", "mlp", "block", "gpt", "loss")
# spec module -> the sections whose bugs can make its tests fail, most direct first (the contract's table)
SECTIONS: dict[str, tuple[str, ...]] = {m: contract.suspects(m) for s in contract.SECTIONS.values() for m in s.spec}


# spec module -> the components whose probes (spec/probes.py) can name its failures
PROBED: dict[str, tuple[str, ...]] = {
    "test_config": ("config",),
    "test_attention": ("attention",),
    "test_layernorm": ("layernorm",),
    "test_mlp": ("mlp",),
    "test_block": ("block",),
    "test_gpt": ("gpt",),
    "test_pretrained": ("pretrained",),
    "test_generate": ("generate",),
    "test_data": ("data",),
    "test_training": ("training",),
    **{module: ("tokenizer",) for module in contract.TOKENIZER_SPEC},
}


# spec module -> the model components its tests build on (checked, own parity, before its own component is probed:
# a shape error in attention crashed every generate test, each of which then ran generate's searches, 29 s apiece)
BUILDS_ON: dict[str, tuple[str, ...]] = {
    **{m: contract.prerequisites(name) for name, s in contract.SECTIONS.items() for m in s.spec if s.needs},
    "test_generate": ("gpt",),  # generate runs your GPT
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("gpt2spec").addoption(
        "--no-fingerprint",
        action="store_true",
        help="on a failure, do not probe your component nor re-run the test with the known bugs "
        "(the Diagnosis then says only what the failing test itself found)",
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
    def __init__(self, enumerate_bugs: bool = True) -> None:
        self.enumerate_bugs = enumerate_bugs
        self.runs = 0  # re-runs of failing tests with a known bug, this session
        self.found: dict[tuple[str, tuple[str, ...]], bugs.Bug] = {}  # (impl, sections) -> bug reproduced there
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
        verdicts.take()  # forget what an earlier test left behind
        try:
            return (yield)
        except (Exception, pytest.fail.Exception) as exc:  # pytest.raises' "DID NOT RAISE" is pytest.fail's
            if not isinstance(exc, NotImplementedError) and "impl" in pyfuncitem.funcargs:
                exc.add_note(self.explain(pyfuncitem, exc))
            raise
        finally:
            verdicts.take()

    def explain(self, item: pytest.Function, exc: BaseException) -> str:
        notes = verdicts.take()
        try:
            notes.raised = _crash_site(item.funcargs.get("impl"), exc)
            return self._explain(item, exc, notes)
        except Exception as err:  # a diagnosis must never hide the failure it explains
            return (
                verdicts.section(notes) + f"\n  (the rest of the diagnosis is unavailable: {type(err).__name__}: {err})"
            )

    def _explain(self, item: pytest.Function, exc: BaseException, notes: verdicts.Notes) -> str:
        if not self.enumerate_bugs:
            return _section_for(item.funcargs.get("impl"), notes)
        from spec import probes  # the spec's probes; imported here, when a test has failed

        impl = item.funcargs["impl"]
        stem = item.path.stem
        if not notes.component and BUILDS_ON.get(stem):  # a test without @needs: its prerequisites checked here
            from spec import hints

            verdicts.restore(notes)
            hints.prerequisite_note(impl, BUILDS_ON[stem])
            notes, notes.raised = verdicts.take(), notes.raised
        components = (notes.component,) if notes.component else PROBED.get(stem, ())  # a prerequisite's, or the test's
        for component in components:
            measured = probes.probe(impl, component)
            for finding in measured:
                verdicts.record_into(notes, finding)
            self._demote_unseparated(notes, component, measured)
        if any(f.kind in (REPRODUCED, verdicts.MEASURED) for f in notes.findings):
            for component in components:
                _place_the_fix(impl, component, notes)
            return _section_for(impl, notes)  # named already: no re-runs needed
        from spec import probes_repair, probes_search

        # No family fits: the single edit of GPT-2's code that behaves as yours; failing that, of yours that fixes it.
        # An edit of a line yours does not have is only "consistent with" (spec/probes_search.py), so a rewrite
        # goes on to the repair of its own code, whose one place then is the verdict.
        parts = tuple(p for c in components for p in probes_repair.differing_parts(impl, c))
        for single_edits in (probes_search.search, probes_repair.repair):
            for component in (*parts, *components):
                for finding in single_edits(impl, component):
                    verdicts.record_into(notes, finding)
            if any(f.kind == REPRODUCED for f in notes.findings):
                return _section_for(impl, notes)
        sections = (notes.component,) if notes.component else SECTIONS.get(stem, ())
        fingerprint, guesses, budget = self._fingerprint(item, exc, sections)
        return _section_for(impl, notes, fingerprint, guesses, budget)

    def _demote_unseparated(self, notes: verdicts.Notes, component: str, measured: list[Finding]) -> None:
        """A probe's measurement of a component outranks a known bug of that component that reproduces the
        test's output on the test's own input, when that input cannot separate the family's members: if the
        same probe, run on the known bug itself, names it, and on yours it measures something else, yours is
        not that bug (e.g. eps = 1e-8 reproduces an eps = 1e-12 output on rows whose variance hides eps).
        The reproduction stays in the section as an observation, without its fix."""
        from spec import probes

        tags = {f.tag for f in measured if f.kind == verdicts.MEASURED}
        if not tags:
            return
        for i, f in enumerate(notes.findings):
            if f.kind != REPRODUCED or f.tag in tags:
                continue
            try:
                bug = bugs.by_name(f.tag)
            except KeyError:
                continue
            if any(p.section != component for p in bug.parts):
                continue
            try:
                module = bugs.load(bug, self.workdir)
                own = Implementation(ImplRef(f"known-bug-{bug.name}", Path(module.__file__).parent), module)
            except Exception:
                continue
            if f.tag in {g.tag for g in probes.probe(own, component)}:
                words = f"{f.text}: reproduces this test's output, but the probe tells it apart from yours"
                notes.findings[i] = Finding(f.tag, words, kind=verdicts.OBSERVED, evidence=f.evidence)

    def _fingerprint(self, item: pytest.Function, exc: BaseException, sections: tuple[str, ...]):
        """Re-run the failing test with known bugs: (exact findings, guesses, a note when the budget ran out)."""
        singles = bugs.singles(sections)
        if not singles:
            return [], [], ""
        yours = evidence(exc)
        test = item.originalname
        impl = _impl_name(item)
        # Bugs that your passing tests rule out go last: each fails the tests it declares (tests/test_mutants.py).
        passed = self.passed[impl] - self.failed[impl] - {test}
        singles.sort(key=lambda b: (bool(b.catches & passed), test not in b.catches, sections.index(b.section)))
        key = (impl, sections)
        if key in self.found:  # the bug this component showed before: one run when it explains this failure too
            first = self._score(item, yours, [self.found[key]])
            if first and first[0][0] <= EXACT and isinstance(yours.actual, torch.Tensor):
                return [_finding(first[0], yours)], [], ""
        scored = self._score(item, yours, singles[:MAX_SINGLES])
        budget = (
            "" if len(singles) <= MAX_SINGLES else f"tried the {MAX_SINGLES} likeliest of {len(singles)} known bugs"
        )
        if not any(s[0] <= TIGHT for s in scored):  # two bugs at once, likeliest pairs first
            order = {b.name: i for i, (_, _, b) in enumerate(sorted(scored, key=lambda s: s[0]))}
            pairs = bugs.pairs(sections[:1])
            pairs.sort(key=lambda b: sorted(order.get(p.name, len(order)) for p in b.parts))
            scored += self._score(item, yours, pairs[: max(min(MAX_PAIRS, MAX_SESSION_RUNS - self.runs), 0)], True)

        def rank(s: tuple) -> tuple:  # exact first; then bugs your passing tests do not rule out; closest first
            score, _, bug = s
            return (score > EXACT, bool(bug.catches & passed), score, len(bug.parts), test not in bug.catches)

        scored.sort(key=rank)
        exact = [s for s in scored if s[0] <= EXACT and not (s[2].catches & passed)] or [
            s for s in scored if s[0] <= EXACT
        ]
        if exact:
            if len(exact) == 1 and len(exact[0][2].parts) == 1:
                self.found[key] = exact[0][2]
            return [_finding(s, yours) for s in exact[:4]], [], ""
        single = {s[2].name: s[0] for s in scored if len(s[2].parts) == 1}
        near = [s for s in scored if s[0] < math.inf and (len(s[2].parts) == 1 or _beats_parts(s, single))][:3]
        guesses = [Finding(s[2].name, s[2].why, kind="guess", evidence=s[1]) for s in near]
        return [], guesses, budget

    def _score(self, item: pytest.Function, yours: Evidence, candidates: list, stop_at_fit: bool = False) -> list:
        scored = []
        for bug in candidates:
            self.runs += 1
            scored.append((*compare(yours, self.run(item, bug)), bug))
            verdicts.take()  # what the bug's run recorded is not about your implementation
            if stop_at_fit and scored[-1][0] <= TIGHT:
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
        dtype = a.dtype
        a, b = a.detach().cpu().double(), b.detach().cpu().double()
        same = (a == b) | (a.isnan() & b.isnan())
        d = (a - b).abs().masked_fill(same, 0.0).nan_to_num(nan=math.inf).max().item() if a.numel() else 0.0
        ref = e.detach().cpu().double() if isinstance(e, torch.Tensor) and e.shape == a.shape else None
        off = _distance_from_oracle(a, ref, dtype) if ref is not None else 1.0
        score = 0.0 if d == 0 else d / off if 0 < off < math.inf else math.inf
        return score, "bit for bit" if d == 0 else f"to {d:.0e}" if score <= EXACT else f"off by {d:.0e}"
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        a, b = list(a), list(b)
        if a == b:
            return 0.0, "id for id"
        differ = sum(x != y for x, y in zip(a, b, strict=False)) + abs(len(a) - len(b))
        return 1.0 + differ / max(len(a), len(b), 1), f"{differ} ids differ"
    return (0.0, "identical") if repr(a) == repr(b) else (10.0, "differs")


def _distance_from_oracle(a: torch.Tensor, ref: torch.Tensor, dtype: torch.dtype) -> float:
    """How far your output is from the oracle's, over the entries where that distance is finite, and at least
    round-off in your dtype. A NaN or inf of yours must not make the distance infinite: every bug would then be
    within round-off of yours (a softmax over the heads, with NaN rows, was "reproduced" by the NaN-attention
    bug 0.06 away). The floor keeps a failure that is only NaN (finite entries equal to the oracle) matched by
    a bug that gives the same NaN and the same round-off."""
    from spec.variants import tolerance  # the spec's round-off per dtype; spec is imported once a test fails

    gap = (a - ref).abs()
    finite = gap[gap.isfinite()]
    floor = tolerance(dtype if dtype.is_floating_point else torch.float64)[0]
    return max(finite.max().item(), floor) if finite.numel() else math.inf


def _finding(scored: tuple, yours: Evidence) -> Finding:
    """A bug that fails this test as you do: reproduced when the compared output is a tensor (equal to
    round-off: no coincidence), only consistent when it is ids or a message (another bug may give them)."""
    _, how, bug = scored
    kind = REPRODUCED if isinstance(yours.actual, torch.Tensor) else CONSISTENT
    what = yours.what or "failure"
    return Finding(bug.name, bug.why, bug.fix, kind, f"the same {what}, {how}, in this test")


def _beats_parts(scored: tuple, single: dict[str, float]) -> bool:
    return all(single.get(p.name, math.inf) > scored[0] * (1 + 1e-6) for p in scored[2].parts)


def pytest_configure(config: pytest.Config) -> None:
    enumerate_bugs = not config.getoption("--no-fingerprint", default=False)
    config.pluginmanager.register(Fingerprinter(enumerate_bugs), "gpt2spec-fingerprint")


def _crash_site(impl, exc: BaseException) -> tuple[str, str] | None:
    """Where the participant's code raised ``exc`` (spec/raised.py), for a verdict when no bug fits; an assertion
    counts only as their own ``assert``, not the spec's check."""
    from spec.raised import Raised, crash_site

    root = getattr(getattr(impl, "ref", None), "path", None)
    if root is None:
        return None
    own_only = isinstance(exc, AssertionError | pytest.fail.Exception)
    return crash_site(Raised.of(exc), Path(root), innermost=own_only)


def _section_for(impl, notes: verdicts.Notes, fingerprint: list[Finding] = (), guesses=(), budget: str = "") -> str:
    """The Diagnosis section, each known bug's fix read against your code first: a fix that says "write `A`
    instead of `B`" where your code has no `B` is the bug's, not yours (v14: LayerNorm statistics taken over the
    wrong axis by a reshape were told "write `x.mean(dim=-1)` instead of `x.mean(dim=0)`", a line the participant
    never wrote). Such a verdict keeps its words, without the fix."""
    path = getattr(getattr(impl, "ref", None), "path", None)
    yours, lines = written_source(path), written_lines(path)
    if yours is not None:
        notes.findings[:] = [_fix_against(f, yours, lines) for f in notes.findings]
        fingerprint = [_fix_against(f, yours, lines) for f in fingerprint]
    return verdicts.section(notes, fingerprint, guesses, budget)


def _fix_against(f: Finding, yours: str, lines: frozenset[str] | None = None) -> Finding:
    """``f`` as it stands when your code has its fix's `B`: a whole statement of yours when `B` is one (v16: the
    crop `idx_cond = idx[:, -T:]` contains the text `idx_cond = idx` and was told to replace it), else its text
    anywhere; otherwise without the fix."""
    m = re.fullmatch(r"write `(.*)` instead of `(.*)`", f.fix, flags=re.S)
    if m is None:
        return f
    statement = _statement(m.group(2))
    if statement is not None and lines is not None:
        if statement in lines:
            return f
    elif squeezed(m.group(2)) in yours or _unparsed(m.group(2)) in yours:
        return f
    gpt2, theirs = m.groups()
    words = f"{f.text} (GPT-2's code has `{gpt2}` there; your code has no `{theirs}`: yours is written another way)"
    return replace(f, text=words, fix="")


def _statement(code: str) -> str | None:
    """``code`` squeezed as ast.unparse writes it, when it is one simple statement (an assignment, a call), else
    None (an expression, a compound statement's header, several lines)."""
    try:
        body = ast.parse(code.strip()).body
    except SyntaxError:
        return None
    if len(body) != 1 or not isinstance(body[0], ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Return):
        return None
    return squeezed(ast.unparse(body[0]))


def _unparsed(code: str) -> str:
    try:
        return unparsed(code.strip())
    except SyntaxError:
        return "\0"


def _place_the_fix(impl, component: str, notes: verdicts.Notes) -> None:
    """A family's or known bug's fix is GPT-2's code; the one edit of yours that makes it behave as GPT-2's is the
    fix for your code. When the repair search finds exactly one such place, it leads the verdict, and the family's
    words follow as what the probes saw (v15: batches shaped (T, B) by `T, B = self.B, self.T` were told to rewrite
    the view lines the participant had right; v17: `batches * (world_size + rank)` was told "the rank is ignored",
    and ids deduplicated by set() "counts not weighted", where the repair named the slip itself)."""
    from spec import probes_repair

    if component == "training":  # the one training function that differs, alone (its repair costs seconds)
        component = probes_repair.training_part(impl)
        if component == "training":
            return
    placed = [f for f in probes_repair.repair(impl, component) if f.kind == REPRODUCED]
    # what your code was measured doing leads; a known bug reproduced comes after it, since its words describe that
    # bug's own code (v33: a std from a vector norm was told it "used x.var()", a strip before encoding that its
    # decode "removes whitespace")
    named = [f for kind in (verdicts.MEASURED, REPRODUCED) for f in notes.findings if f.kind == kind and f.fix]
    # a measurement without a fix (v25: a GELU "neither tanh nor a common variant", typed `torch.tan`) is led by the
    # one place whose edit fixes yours, when there is one
    named = named or [f for f in notes.findings if f.kind == verdicts.MEASURED]
    if len(placed) != 1 or not named:
        return
    lead = named[0]
    # the known bugs that reproduce yours are the same behaviour the one edit fixes: named, not offered as options
    alike = [f for f in notes.findings if f.kind == REPRODUCED and f.fix and f is not lead]
    saw = lead.text if lead.kind == verdicts.MEASURED else f"it behaves as the known bug [{lead.tag}] ({lead.text})"
    if lead.kind == verdicts.MEASURED and alike:
        saw += "; it behaves as the known bug " + ", ".join(f"[{f.tag}]" for f in alike)
    words = f"{placed[0].text}. What the probes saw: {saw}"
    notes.findings[notes.findings.index(lead)] = replace(placed[0], text=words, evidence=placed[0].evidence)
    if lead.kind == verdicts.MEASURED:
        notes.findings[:] = [f for f in notes.findings if not any(f is a for a in alike)]
