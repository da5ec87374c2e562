"""Meta-test: real code that nobody here wrote fails in the spec's words, exactly one test per departure.

tests/fixtures/nanogpt_style and tests/fixtures/mingpt_style keep the departures from spec/CONTRACT.md that
nanoGPT's and minGPT's GPT really have, behind adapters that only rename. Each departure must fail exactly one
spec test function, and its report must give the clause in the spec's words (spec/raised.py) and the
participant's file:line, never only a raw torch error or "a bare assert". One pytest run grades both on the
week-3 GPT modules; the unit tests below check the translator on exceptions as data (as a worker process
would send them).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gpt2spec import verdicts
from spec.raised import Frame, Raised, crash_site, translate

from .mutation import ROOT, function_name, impl_of, read_junit

FIXTURES = ROOT / "tests" / "fixtures"
FROM_PRETRAINED = "from_pretrained must accept a local directory: the spec has no network (CONTRACT.md, week 3)"
LAST_POSITION = "the contract asks for logits at every position when targets is None; yours returned T=1"
GREEDY = "temperature=0 must mean greedy (argmax); your generate divided by it"
TOP_K = "top_k larger than the vocabulary must keep every token; your generate passed it to torch.topk as is"

# implementation -> {the one test function each departure fails: what its message must say}
DEPARTURES = {
    "nanogpt_style": {
        "test_from_pretrained_reads_a_local_directory": (FROM_PRETRAINED, "nanogpt_style/model.py:"),
        "test_shapes_with_and_without_targets": (LAST_POSITION, "nanoGPT returns only the last position"),
        "test_temperature_zero_is_greedy": (GREEDY, "nanogpt_style/model.py:"),
    },
    "mingpt_style": {
        "test_from_pretrained_reads_a_local_directory": (FROM_PRETRAINED, "mingpt_style/model.py:"),
        "test_temperature_zero_is_greedy": (GREEDY, "mingpt_style/model.py:"),
        "test_top_k_keeps_exactly_k": (TOP_K, "mingpt_style/model.py:"),
    },
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list[str]]]:
    """implementation -> failed test function -> the reports of its failed cases (message and full text)."""
    junit = tmp_path_factory.mktemp("real") / "junit.xml"
    impls = ",".join(str(FIXTURES / name) for name in DEPARTURES)
    cmd = [sys.executable, "-m", "pytest", "spec/test_gpt.py", "spec/test_generate.py", "spec/test_pretrained.py"]
    cmd += [f"--impl={impls}", "-m", "not slow", "-q", "-p", "no:randomly", "--no-fingerprint", f"--junitxml={junit}"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    assert junit.is_file(), proc.stdout[-3000:] + proc.stderr[-3000:]
    out: dict[str, dict[str, list[str]]] = {name: {} for name in DEPARTURES}
    for o in read_junit(junit):
        if o.outcome in ("failed", "error"):
            out[impl_of(o.nodeid)].setdefault(function_name(o.nodeid), []).append(o.message)
    return out


@pytest.mark.parametrize("name", DEPARTURES)
def test_one_failing_test_per_departure(name: str, graded) -> None:
    assert sorted(graded[name]) == sorted(DEPARTURES[name]), (
        f"{name}: failed {sorted(graded[name])}, expected exactly one test per departure: {sorted(DEPARTURES[name])}"
    )


@pytest.mark.parametrize("name", DEPARTURES)
def test_each_departure_is_reported_in_the_specs_words(name: str, graded) -> None:
    for test, (words, where) in DEPARTURES[name].items():
        for message in graded[name].get(test, []):
            assert message.startswith(words) or words in message, f"{name} {test}: {message!r} lacks {words!r}"
            assert where in message, f"{name} {test}: {message!r} lacks {where!r}"


# ---------------------------------------------------------------- the translator on exceptions as data


IMPL = Path("/home/alice/gpt")


def raised(type_name: str, message: str, *frames: tuple[str, int, str, str]) -> Raised:
    return Raised(type_name, message, (Frame(str(ROOT / "spec/test_x.py"), 10, "test_x"), *(Frame(*f) for f in frames)))


def test_a_bare_assert_shows_its_source_and_clause() -> None:
    r = raised("AssertionError", "", (str(IMPL / "model.py"), 42, "forward", "assert x.dim() == 3"))
    t = translate("test_causality", r, IMPL)
    assert t is not None and "a bare assert in your code failed: `assert x.dim() == 3`" in t.text
    assert t.where == f"{IMPL / 'model.py'}:42" and t.clause == "W1-attn-causal"
    assert "CONTRACT.md [W1-attn-causal]" in t.render()


def test_an_embedding_index_error_names_the_table() -> None:
    r = raised("IndexError", "index out of range in self", (str(IMPL / "model.py"), 7, "forward", "x = wpe(pos)"))
    t = translate("test_parity_with_hf", r, IMPL)
    assert t is not None and "outside an nn.Embedding table" in t.text and t.where.endswith("model.py:7")


def test_the_specs_own_assertion_is_left_as_it_is() -> None:
    assert translate("test_causality", raised("AssertionError", "output differs: max abs diff 0.1"), IMPL) is None


def test_out_of_memory_names_the_size_and_place() -> None:
    message = "DefaultCPUAllocator: can't allocate memory: you tried to allocate 308779008 bytes. Error code 12"
    r = raised("RuntimeError", message, (str(IMPL / "gpt.py"), 88, "__init__", "self.lm_head = nn.Linear(C, V)"))
    t = translate("test_parameter_count_124M", r, IMPL)
    assert t is not None and "out of memory under the" in t.text and "while allocating 294 MB in" in t.text
    assert f"{IMPL / 'gpt.py'}:88" in t.text


def test_logits_of_the_last_position_only_are_named() -> None:
    r = raised("AssertionError", "logits shape (3, 1, 96) != (3, 7, 96)")
    t = translate("test_parity_with_hf", r, IMPL)
    assert t is not None and t.clause == "W3-forward" and t.text.startswith(LAST_POSITION)


def test_an_error_raised_in_your_code_is_placed_at_your_line() -> None:
    """Where no bug fits, the Diagnosis's verdict is the error the participant's code raised: their file and line,
    the statement, and what a well-known error means (a bare StopIteration says nothing by itself). The spec's own
    check raised in no frame of theirs, so it gets none. Bug caught: v31's StopIteration from
    `next(model.buffers())`, an EOFError from a buffer never rewound and torch's "use the `~` operator" were each
    told only "no known bug reproduces this failure exactly"."""
    r = raised("StopIteration", "", (str(IMPL / "training.py"), 137, "load_checkpoint",
                                     "device = next(model.buffers()).device  # the model's device"))  # fmt: skip
    tag, words = crash_site(r, IMPL)
    assert tag == "raised: your training.py line 137", tag
    assert words.startswith("your training.py line 137 `device = next(model.buffers()).device` (in load_checkpoint)")
    assert "raises StopIteration (next() found its iterator empty" in words, words
    assert crash_site(raised("AssertionError", "output differs: max abs diff 0.1"), IMPL) is None
    notes = verdicts.Notes(raised=(tag, words))
    assert f"  Verdict: [{tag}] {words}" in verdicts.section(notes).splitlines()
    consistent = verdicts.Finding("some-bug", "a known bug", kind=verdicts.CONSISTENT)  # a bug that fits comes first
    assert verdicts.verdict(verdicts.section(notes, [consistent]))[0] == ["some-bug"]


def test_an_error_from_the_implementations_process_keeps_its_frames() -> None:
    """Under --isolate the participant's exception crosses a process boundary as data; it is translated from the
    worker's frames and type name, not from the judge's. Bug caught: the judge's traceback has no frame of the
    participant's code, so an isolated run would lose the line."""
    from gpt2spec.remote.proxy import remote_exception

    frame = [str(IMPL / "training.py"), 143, "load_checkpoint", "state = torch.load(f)"]
    info = {"type": "EOFError", "bases": ["EOFError"], "message": "Ran out of input", "frames": [frame]}
    exc = remote_exception(info)
    r = Raised.of(exc)
    assert (r.type_name, r.message) == ("EOFError", "Ran out of input"), r
    tag, words = crash_site(r, IMPL)
    assert tag == "raised: your training.py line 143" and "read without seek(0)" in words, words


def test_a_crash_gets_its_line_as_the_verdict_end_to_end(tmp_path: Path) -> None:
    """The participant's command on a bug that raises StopIteration: the failure's Diagnosis names their line."""
    from .heldout_bugs import ALL_BY_NAME

    package = ALL_BY_NAME["ho31-checkpoint-device-from-buffers"].bug.materialize(tmp_path)
    test = "spec/test_training.py::test_resume_equals_uninterrupted"
    cmd = [sys.executable, "-m", "pytest", test, f"--impl={package}", "-q", "-p", "no:randomly", "--no-fingerprint"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False).stdout
    body = verdicts.section_body(out) or []
    assert body and body[0].startswith("  Verdict: [raised: your training.py line "), out[-3000:]
    assert "next(model.buffers())" in body[0] and "StopIteration" in body[0], body[0]


@pytest.mark.parametrize(
    ("make", "meaning"),
    [
        (lambda: torch.ones(2, 3) @ torch.ones(2, 3), "not its in_features"),
        (lambda: torch.ones(2, 3) + torch.ones(3, 2), "do not broadcast"),
        (lambda: torch.ones(6).view(4, 2), "whose product is not"),
        (lambda: torch.ones(2, 3).t().view(6), "non-contiguous"),
        (lambda: torch.ones(2, requires_grad=True).detach().sum().backward(), "cut from the graph"),
        (lambda: torch.ones(2, requires_grad=True).mul(2).backward(), "must be a 0-dim tensor"),
        (lambda: bool(torch.ones(2)), "used as a Python bool"),
        (lambda: torch.ones(2).double() @ torch.ones(2), "two dtypes"),
        (lambda: torch.ones(2).item(), "several values"),
        (lambda: next(iter([])), "iterator empty"),
    ],
)
def test_a_well_known_error_is_said_in_plain_words(make, meaning: str) -> None:
    """The meanings are matched on torch's and Python's own messages, raised here by this torch: an upgrade that
    rewords one fails here, not silently in a participant's Diagnosis. Bug caught: a pattern that no real message
    contains (written from memory) would never fire."""
    try:
        make()
    except Exception as exc:  # any error: the point is its message
        raised = Raised.of(exc)
    else:
        pytest.fail("the call did not raise")
    here = Path(__file__).resolve().parent  # this test's frames stand in for the participant's
    found = crash_site(raised, here)
    assert found is not None and meaning in found[1], found
