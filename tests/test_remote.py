"""The judge/worker split (gpt2spec/remote): the wire format refuses anything but data, the participant's
exceptions and gradients cross intact, the worker holds nothing of the judge's, a dead or hung worker costs
one test, and the spec under --isolate still catches the known bugs whose tests depend on what crosses.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import torch

from gpt2spec.known_bugs import ALL
from gpt2spec.registry import IMPLS_DIR, ImplImportError, ImplRef, import_impl
from gpt2spec.remote import codec
from gpt2spec.remote.proxy import RemoteError, RemoteImplementation, WorkerLost

from .mutation import SECTION_SPECS, function_name, grade

ROOT = Path(__file__).resolve().parents[1]
CONFIG = dict(block_size=16, vocab_size=64, n_layer=1, n_head=4, n_embd=32)


@pytest.fixture(scope="module")
def reference() -> RemoteImplementation:
    remote = RemoteImplementation(ImplRef("reference", IMPLS_DIR / "reference"))
    yield remote
    remote.close()


def package(tmp_path: Path, source: str, name: str = "pkg") -> Path:
    """A one-file implementation package written from ``source``."""
    path = tmp_path / name
    path.mkdir()
    (path / "__init__.py").write_text(textwrap.dedent(source))
    return path


# ---------------------------------------------------------------- the wire format


def _decode(data: bytes, trusted: bool = False):
    return codec.Decoder(memoryview(bytearray(data)), trusted, on_handle=lambda h: h).decode()


def test_data_crosses_by_value() -> None:
    """Everything the spec exchanges with an implementation round-trips exactly, tensors with dtype and shape."""
    value = {
        "ints": [0, -1, 2**63 - 1, 2**80],
        b"bytes-key": (1.5, float("inf"), complex(1, 2), None, True),
        "text": "naïve 🙂 \x00",
        "set": {1, 2},
        "frozen": frozenset({b"a"}),
        "slice": slice(1, None, 2),
        "size": torch.Size([2, 3]),
        "dtype": torch.bfloat16,
        "path": Path("/tmp/x"),
        1: [torch.arange(6, dtype=torch.float64).view(2, 3), torch.zeros(0, 4), torch.tensor(3, dtype=torch.uint16)],
    }
    back = _decode(codec.dumps_for_test(value))
    for t, u in zip(value[1], back[1], strict=True):
        assert t.dtype == u.dtype and t.shape == u.shape and torch.equal(t, u)
    assert {k: v for k, v in back.items() if k != 1} == {k: v for k, v in value.items() if k != 1}


class _Boom:
    def __reduce__(self):
        return (os.system, ("touch /tmp/gpt2spec-pickle-ran",))


def test_pickle_from_the_worker_is_refused_before_anything_runs(tmp_path: Path) -> None:
    """A pickle (here one that would run a shell command) is not a message: refused at its first byte."""
    marker = Path("/tmp/gpt2spec-pickle-ran")
    marker.unlink(missing_ok=True)
    with pytest.raises(codec.ProtocolError, match="0x80"):
        _decode(pickle.dumps(_Boom()))
    assert not marker.exists()


def test_worker_cannot_send_code_references() -> None:
    """The judge may name an importable function for the worker to call; the worker may not send one back."""
    data = codec.dumps_for_test(os.system)
    assert _decode(data, trusted=True) is os.system  # judge -> worker
    with pytest.raises(codec.ProtocolError, match="refused"):
        _decode(data)  # worker -> judge


def test_judge_objects_cannot_be_sent() -> None:
    """No reverse references: a judge object that is not data (a module of the oracle, a lambda) never travels."""
    with pytest.raises(TypeError, match=r"not data|cannot be sent"):
        codec.dumps_for_test(torch.nn.Linear(2, 2))
    with pytest.raises(TypeError):
        codec.dumps_for_test(lambda: 0)


# ---------------------------------------------------------------- a hostile worker


EVIL_WORKER = """
import os, pickle, socket, struct, sys
fd = int(sys.argv[sys.argv.index("--fd") + 1])
sock = socket.socket(fileno=fd)
sock.recv(1 << 20)  # the hello
class Boom:
    def __reduce__(self):
        return (os.system, ("touch {marker}",))
payload = pickle.dumps({{"ok": Boom()}})
sock.sendall(struct.pack("<Q", len(payload)) + payload)
sock.recv(1 << 20)
"""


def test_a_worker_that_answers_with_a_pickle_is_dropped(tmp_path: Path) -> None:
    """The judge reads the hostile reply as what it is, a broken protocol; the code in it never runs."""
    marker = tmp_path / "ran"
    script = tmp_path / "evil.py"
    script.write_text(EVIL_WORKER.format(marker=marker))
    with pytest.raises(ImplImportError, match="broke the protocol"):
        RemoteImplementation(ImplRef("evil", IMPLS_DIR / "reference"), launcher=[sys.executable, str(script)])
    assert not marker.exists()


SNOOP = """
import gc, sys
from dataclasses import dataclass

@dataclass
class GPTConfig:
    block_size: int = 16

def snoop(obj=None):
    \"\"\"What the participant's code can reach from inside the worker.\"\"\"
    names = [type(o).__name__ for o in gc.get_objects()]
    frames, f = [], sys._getframe()
    while f is not None:
        frames.append(f.f_code.co_filename)
        f = f.f_back
    return {
        "modules": sorted(m for m in sys.modules if m.split(".")[0] in ("pytest", "_pytest", "transformers",
                                                                      "tiktoken", "spec", "reference", "hypothesis")),
        "judge_objects": sorted({n for n in names if n in ("Recorder", "Session", "GPT2LMHeadModel",
                                                           "ResultTally", "Connection")}),
        "frames": frames,
        "argument": type(obj).__name__,
    }
"""


def test_the_worker_holds_nothing_of_the_judge(tmp_path: Path) -> None:
    """From inside the participant's code: no pytest, no oracle, no spec or answer key module, no recorder or
    session object, no judge frame on the stack; an argument the judge passed is a copy (a plain tensor)."""
    remote = RemoteImplementation(ImplRef("snoop", package(tmp_path, SNOOP)))
    try:
        seen = remote.conn.module.snoop(torch.ones(2))
    finally:
        remote.close()
    assert seen["modules"] == [] and seen["judge_objects"] == [], seen
    assert all("gpt2spec/remote" in f or "snoop" in f or "pkg" in f or "<" in f for f in seen["frames"]), seen
    assert seen["argument"] == "Tensor"


# ---------------------------------------------------------------- exceptions, gradients, RNG, in-place


def test_participant_exception_keeps_type_message_and_frames(tmp_path: Path) -> None:
    source = """
    from dataclasses import dataclass

    @dataclass
    class GPTConfig:
        block_size: int = 16

        def __post_init__(self):
            if self.block_size < 0:
                raise ValueError(f"block_size must be positive, got {self.block_size}")
    """
    path = package(tmp_path, source)
    remote = RemoteImplementation(ImplRef("raiser", path))
    try:
        with pytest.raises(ValueError, match="must be positive, got -1") as info:
            remote.GPTConfig(block_size=-1)
    finally:
        remote.close()
    exc = info.value
    assert isinstance(exc, RemoteError) and type(exc).__name__ == "ValueError"
    filename, line, function, _ = exc.remote_frames[-1]
    assert (Path(filename), line, function) == (path / "__init__.py", 10, "__post_init__")
    assert f"{path / '__init__.py'}:10" in str(exc)


def test_autograd_crosses_the_boundary(reference: RemoteImplementation) -> None:
    """y = attn(x); y.backward(g) gives the same x.grad and parameter grads as in one process."""
    here = import_impl(reference.ref)
    torch.manual_seed(3)
    ours = reference.CausalSelfAttention(reference.GPTConfig(**CONFIG)).double()
    torch.manual_seed(3)
    local = here.CausalSelfAttention(here.GPTConfig(**CONFIG)).double()
    x = torch.randn(2, 7, 32, dtype=torch.float64)
    g = torch.randn(2, 7, 32, dtype=torch.float64)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    y1, y2 = ours(x1 * 2), local(x2 * 2)  # a non-leaf input: the graph continues past the boundary
    assert torch.equal(y1.detach(), y2.detach())
    y1.backward(g)
    y2.backward(g)
    assert torch.equal(x1.grad, x2.grad)
    for (name, p), q in zip(ours.named_parameters(), local.parameters(), strict=True):
        assert torch.equal(p.grad, q.grad), name


def test_seed_and_global_rng_behave_as_in_one_process(reference: RemoteImplementation) -> None:
    """torch.manual_seed in the judge seeds the worker's init, and the worker's draws advance the judge's RNG."""
    here = import_impl(reference.ref)
    torch.manual_seed(0)
    remote = reference.GPT(reference.GPTConfig(**CONFIG)).transformer.wte.weight.detach()
    after_remote = torch.rand(3)
    torch.manual_seed(0)
    local = here.GPT(here.GPTConfig(**CONFIG)).transformer.wte.weight.detach()
    assert torch.equal(remote, local) and torch.equal(after_remote, torch.rand(3))


def test_in_place_changes_reach_the_judge(reference: RemoteImplementation) -> None:
    """An implementation that modifies its input in place modifies the judge's tensor, as in one process
    (spec/test_attention.py::test_input_not_mutated depends on it); a parameter edited through its handle
    under no_grad is edited in the worker."""
    x = torch.zeros(3)
    reference.run(torch.nn.init.ones_, x)
    assert torch.equal(x, torch.ones(3))
    ln = reference.LayerNorm(4)
    with torch.no_grad():
        ln.weight.mul_(3.0)
    assert torch.equal(ln.weight.detach(), torch.full((4,), 3.0))


# ---------------------------------------------------------------- a dead or hung worker


HANGS = """
import time
from dataclasses import dataclass

@dataclass
class GPTConfig:
    block_size: int = 16

    def __post_init__(self):
        if self.block_size == 0:
            time.sleep(3600)
"""


def test_a_killed_worker_fails_its_call_and_the_next_test_gets_a_fresh_one(tmp_path: Path) -> None:
    remote = RemoteImplementation(ImplRef("hangs", package(tmp_path, HANGS)), timeout=60)
    try:
        pid = remote.conn.proc.pid
        threading.Timer(1.0, os.kill, (pid, signal.SIGKILL)).start()
        with pytest.raises(WorkerLost, match=r"died .*SIGKILL"):
            remote.GPTConfig(block_size=0)
        with pytest.raises(WorkerLost):  # the rest of this test: the same clear error
            remote.GPTConfig()
        remote.fresh_if_lost()  # what gpt2spec.plugin does before the next test
        assert remote.conn.proc.pid != pid and remote.GPTConfig().block_size == 16
    finally:
        remote.close()


def test_a_hung_worker_times_out(tmp_path: Path) -> None:
    remote = RemoteImplementation(ImplRef("hangs", package(tmp_path, HANGS)), timeout=2)
    try:
        start = time.monotonic()
        with pytest.raises(WorkerLost, match="no answer within 2 s"):
            remote.GPTConfig(block_size=0)
        assert time.monotonic() - start < 30
    finally:
        remote.close()


# ---------------------------------------------------------------- the spec under --isolate


# Bugs whose catching tests depend on what crosses the boundary: a tied parameter's identity and in-place edit,
# the seeded init, the RNG state in a checkpoint, gradients read after train_step, an optimizer built with
# impl.run, a torch.Generator argument, and DDP ranks forked from the worker.
ACROSS = ("untied-head", "default-pytorch-init", "checkpoint-without-rng", "clip-after-step",
          "generate-ignores-generator", "no-zero-grad", "ddp-loss-from-one-rank")  # fmt: skip


@pytest.mark.parametrize("mutant", [m for m in ALL if m.name in ACROSS], ids=lambda m: m.name)
def test_known_bugs_are_still_caught_under_isolate(mutant, tmp_path: Path) -> None:
    assert len([m for m in ALL if m.name in ACROSS]) == len(ACROSS), "a name in ACROSS is not a known bug"
    pkg = mutant.materialize(tmp_path)
    spec = SECTION_SPECS[mutant.section]
    outcomes = grade(pkg, spec, tmp_path / "junit.xml", only=mutant.catches, extra=("--isolate",))
    failed = {function_name(o.nodeid) for o in outcomes if o.outcome in ("failed", "error")}
    assert set(mutant.catches) <= failed, f"{mutant.name} survived under --isolate: {outcomes}"


# ---------------------------------------------------------------- attacks from inside forward (issue 21)


HOSTILE = ROOT / "tests" / "hostile"
ATTACKS = ("stack_walk", "widen_tolerance", "only_under_pytest")


def test_attacks_from_inside_forward_get_no_credit(tmp_path: Path) -> None:
    """Graded as the grader grades (worker split on), beside the reference: a broken attention that forges the
    recorder from the call stack, one that widens the spec's tolerance table, and one that is correct only when
    pytest is loaded each earn nothing; the reference keeps full marks. The static import check is off, so that
    only the split stands between them and the points (it would refuse stack_walk's sys._getframe unrun)."""
    from gpt2spec.grading import grade as g

    refs = [("reference", IMPLS_DIR / "reference"), *[(name, HOSTILE / name) for name in ATTACKS]]
    spec = ["spec/test_attention.py", "spec/test_gpt.py"]
    limits = g.Limits(test_seconds=60, impl_seconds=400)
    only = ["-k", "parity_with_hf and not 124M"]
    run = g.grade_all(refs, spec, only, limits, jobs=2, workdir=tmp_path, static_check=False)
    grades = {grade.name: grade for grade in run.grades}
    assert grades["reference"].score == grades["reference"].max_score > 0
    for name in ATTACKS:
        grade = grades[name]
        earned = [(t.key, t.outcome) for t in grade.tests if t.points > 0]
        assert grade.status == "graded" and grade.score == 0 and not earned, (name, grade.reason, earned)


def test_readme_isolate_command_on_the_template() -> None:
    """README: `pytest --impl=alice --isolate`, run whole as a user types it: the template's blanks are still
    "not implemented (week N)" (their NotImplementedError and its frames come from the worker), exit code 0."""
    import subprocess

    cmd = [sys.executable, "-m", "pytest", "spec/test_config.py", "spec/test_layernorm.py", "--impl=template"]
    proc = subprocess.run([*cmd, "--isolate", "-q", "-p", "no:randomly"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "not implemented (week 3): LayerNorm.forward" in proc.stdout, proc.stdout[-3000:]
    assert " failed" not in proc.stdout.splitlines()[-1], proc.stdout[-500:]
