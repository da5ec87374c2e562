"""A participant's own exception, in the spec's words: which clause the test checks, what the raw error means
there, and where in the participant's code it was raised.

When an implementation's code raises (a bare ``assert``, a torch ``RuntimeError``, an ``IndexError``), the raw
traceback says what broke but not which rule of spec/CONTRACT.md it departs from. ``translate`` works on the
exception's type name, message and frames only (``Raised``), never on live objects, so it serves an exception
that crossed a process boundary as well as one raised in this process; the plugin adds its text to the report
(gpt2spec/plugin.py), and any explainer can call it.
"""

from __future__ import annotations

import gc
import linecache
import re
import resource
import sys
from dataclasses import dataclass
from pathlib import Path

from .clauses import cite, clauses_of_test

# Frames in these places are the harness or a library, not the participant's code.
_NOT_PARTICIPANT = (str(Path(__file__).resolve().parent), sys.prefix, sys.base_prefix, "<")


@dataclass(frozen=True)
class Frame:
    filename: str
    lineno: int
    function: str
    line: str = ""  # the source line, when the sender had it


@dataclass(frozen=True)
class Raised:
    """An exception as data: its type's name, its message and its frames (outermost first)."""

    type_name: str
    message: str
    frames: tuple[Frame, ...]

    @classmethod
    def of(cls, exc: BaseException) -> Raised:
        remote = getattr(exc, "remote_frames", None)  # raised in the implementation's process (--isolate)
        if remote is not None:
            message = str(exc).split("\n[raised in the implementation's process", 1)[0]
            frames = tuple(Frame(f, int(n), fn, line.strip()) for f, n, fn, line in remote)
            return cls(getattr(exc, "remote_type", type(exc).__name__), message, frames)
        frames, tb = [], exc.__traceback__
        while tb is not None:
            code = tb.tb_frame.f_code
            line = linecache.getline(code.co_filename, tb.tb_lineno).strip()
            frames.append(Frame(code.co_filename, tb.tb_lineno, code.co_name, line))
            tb = tb.tb_next
        return cls(type(exc).__name__, str(exc), tuple(frames))


@dataclass(frozen=True)
class Translation:
    clause: str | None  # the clause id the failure departs from, e.g. "W3-from-pretrained"
    text: str  # what went wrong, in the spec's words
    where: str | None  # "file:line" in the participant's code, when it was raised there

    def headline(self) -> str:
        """One line for the short summary: what went wrong and where."""
        return self.text + (f" (at {self.where})" if self.where else "")

    def render(self) -> str:
        lines = [self.text]
        if self.where:
            lines.append(f"raised at {self.where}")
        if self.clause:
            lines.append(cite(self.clause))
        return "\n".join(lines)


def participant_frames(raised: Raised, impl_root: Path | None) -> list[Frame]:
    """The frames in the participant's code (under ``impl_root`` when given), outermost first."""
    out = []
    for frame in raised.frames:
        if frame.filename.startswith("<"):
            continue
        path = Path(frame.filename).resolve()
        mine = path.is_relative_to(Path(impl_root).resolve()) if impl_root is not None else None
        if mine or (mine is None and not str(path).startswith(_NOT_PARTICIPANT)):
            out.append(frame)
    return out


def participant_frame(raised: Raised, impl_root: Path | None) -> Frame | None:
    """The deepest frame in the participant's code: where their code raised, or called what raised."""
    frames = participant_frames(raised, impl_root)
    return frames[-1] if frames else None


def release(exc: BaseException) -> None:
    """Free what a failed test held: its traceback's frames keep every tensor of the test alive (and pytest
    keeps the last exception in sys.last_*), so after an out-of-memory the next test would fail for memory
    too. Called once the report is written."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:  # the exception and those it was raised from
        seen.add(id(exc))
        tb = exc.__traceback__
        while tb is not None:
            try:
                tb.tb_frame.clear()
            except RuntimeError:  # a frame still running (the harness's own): nothing of the test's
                pass
            else:
                # A traceback repr (pytest's "self = GPT()") materialised the locals into a dict the frame
                # keeps; reading f_locals again syncs that dict with the now cleared locals.
                _ = tb.tb_frame.f_locals
            tb = tb.tb_next
        exc = exc.__cause__ or exc.__context__
    for name in ("last_type", "last_value", "last_traceback", "last_exc"):
        if getattr(sys, name, None) is not None:
            setattr(sys, name, None)
    gc.collect()


def is_oom(raised: Raised) -> bool:
    return raised.type_name in ("MemoryError", "OutOfMemoryError") or bool(_OOM.search(raised.message))


_OOM = re.compile(r"out of memory|can't allocate memory|CUDA out of memory|OutOfMemory", re.IGNORECASE)
_T1_SHAPES = re.compile(r"\((\d+), 1, (\d+)\).*?\(\1, ([2-9]|\d\d+), \2\)|\(\1, ([2-9]|\d\d+), \2\).*?\((\d+), 1, \2\)")


def translate(test: str, raised: Raised, impl_root: Path | None = None) -> Translation | None:
    """The failure of spec test function ``test`` in the spec's words, or None when the spec's own check
    already said it (an AssertionError raised by the test itself, not by the participant's code)."""
    frame = participant_frame(raised, impl_root)
    where = f"{frame.filename}:{frame.lineno}" if frame else None
    in_impl = frame is not None and frame == raised.frames[-1]
    functions = {f.function for f in participant_frames(raised, impl_root)}
    own = (clauses_of_test(test) or (None,))[0]
    message = raised.message.strip()
    raw = f"{raised.type_name}: {message.splitlines()[0][:200]}" if message else f"{raised.type_name} (no message)"

    if is_oom(raised):
        return Translation(None, oom_text(message, where), where)
    if "from_pretrained" in test or "from_pretrained" in functions:
        why = (
            "your from_pretrained asserts a model name (a bare assert)"
            if raised.type_name == "AssertionError" and not message and in_impl
            else f"yours raised {raw}"
        )
        return Translation(
            "W3-from-pretrained",
            f"from_pretrained must accept a local directory: the spec has no network (CONTRACT.md, week 3); {why}",
            where,
        )
    divided = "probability tensor contains" in message or raised.type_name == "ZeroDivisionError"
    if "temperature_zero" in test or ("generate" in functions and divided):
        return Translation(
            "W3-gen-greedy",
            f"temperature=0 must mean greedy (argmax); your generate divided by it ({raw})",
            where,
        )
    if "selected index k out of range" in message:
        return Translation(
            "W3-gen-sampling",
            "top_k larger than the vocabulary must keep every token; your generate passed it to torch.topk as is "
            f"(use min(top_k, V)) ({raw})",
            where,
        )
    if _T1_SHAPES.search(message):
        return Translation(
            "W3-forward",
            "the contract asks for logits at every position when targets is None; yours returned T=1 (nanoGPT "
            f"returns only the last position at inference) ({raw})",
            where,
        )
    if frame is None and raised.type_name == "AssertionError":
        return None  # the spec's own check: its message is already in the spec's words
    if raised.type_name == "AssertionError" and not message:
        source = f": `{frame.line}`" if frame and frame.line else ""
        text = f"a bare assert in your code failed{source}"
    elif raised.type_name == "IndexError" and "index out of range in self" in message:
        text = (
            "an index fell outside an nn.Embedding table: token ids must be < vocab_size and positions < "
            f"block_size ({raw})"
        )
    else:
        text = f"your code raised {raw}"
    if own:
        text += f"; this test checks [{own}]"
    return Translation(own, text, where)


# What a well-known error means, when its own message does not say (torch's usually does: "use the `~` operator")
_MEANINGS = (
    ("StopIteration", "", "next() found its iterator empty: what it iterates yields nothing here"),
    ("EOFError", "Ran out of input", "the file or buffer it loads is empty or read from its end (a buffer written, "
     "then read without seek(0)?)"),
    ("TypeError", "of type method", "a method is passed where its value belongs: a call's () or an @property left off"),
    ("TypeError", "'method' object", "a method is used where its value belongs: a call's () or an @property left off"),
    ("TypeError", "'NoneType' object", "a value here is None: a function without its return, or a default left None"),
    ("RuntimeError", "modified inplace", "an in-place method (one ending in _) changes a view autograd tracks: write "
     "it out of place (x = x * s, not x.mul_(s))"),
    ("RuntimeError", "modified by an inplace operation", "a tensor autograd saved for the backward pass was changed in "
     "place after: write that operation out of place"),
    ("RuntimeError", "cannot be multiplied", "a matmul or Linear got an input whose last size is not its in_features: "
     "a view, transpose or split of the input is off"),
    ("RuntimeError", "must match the size of tensor", "two tensors' sizes do not broadcast: one is viewed, sliced or "
     "reduced along another axis than the other"),
    ("RuntimeError", "is invalid for input of size", "a view or reshape to sizes whose product is not the tensor's "
     "number of elements"),
    ("RuntimeError", "view size is not compatible", "a view of a tensor a transpose made non-contiguous: .contiguous() "
     "first, or reshape"),
    ("RuntimeError", "does not require grad and does not have a grad_fn", "backward on a value cut from the graph "
     "(torch.no_grad, .detach(), .data, .item() or a tensor rebuilt from numbers)"),
    ("RuntimeError", "grad can be implicitly created only for scalar outputs", "backward on a value with more than one "
     "element: the loss must be a 0-dim tensor"),
    ("RuntimeError", "backward through the graph a second time", "one graph used by two backward calls: a tensor "
     "carried over from an earlier step"),
    ("RuntimeError", "Boolean value of Tensor with more than one value", "a tensor used as a Python bool (if, and, or, "
     "not) where it has several values"),
    ("RuntimeError", "expected scalar type", "tensors of two dtypes meet in one operation"),
    ("RuntimeError", "same dtype", "tensors of two dtypes meet in one operation"),
    ("RuntimeError", "cannot be converted to Scalar", ".item() or float() on a tensor with several values"),
    ("RuntimeError", "Expected all tensors to be on the same device", "a tensor made on another device than the "
     "model's (torch.zeros, arange or a buffer without device=)"),
    ("ValueError", "only one element tensors can be converted", ".item() or float() on a tensor with several values"),
    ("TypeError", "unhashable type", "a list or tensor used as a dict key or set member: a tuple or int is hashable"),
)  # fmt: skip


def crash_site(raised: Raised, impl_root: Path, innermost: bool = False) -> tuple[str, str] | None:
    """(tag, words) for an exception raised in the participant's code, or by a library it called there: the line
    it was raised at, the error, and what the error means when it is a well-known one. None when no frame of the
    participant's code is on the traceback (the spec's own check failed), or, with ``innermost``, when theirs is
    not the frame that raised (an assertion: only their own ``assert`` is theirs)."""
    frame = participant_frame(raised, impl_root)
    if frame is None or (innermost and frame != raised.frames[-1]):
        return None
    try:
        file = Path(frame.filename).resolve().relative_to(Path(impl_root).resolve()).as_posix()
    except ValueError:
        file = Path(frame.filename).name
    place = f"your {file} line {frame.lineno}"
    message = raised.message.strip().splitlines()[0][:300] if raised.message.strip() else ""
    error = f"{raised.type_name}: {message}" if message else raised.type_name
    meaning = next((m for t, pattern, m in _MEANINGS if t == raised.type_name and pattern in message), "")
    code = frame.line.split("  # ")[0].rstrip()  # the statement, without its comment
    line = f" `{code}`" if code else ""
    words = f"{place}{line} (in {frame.function}) raises {error}" + (f" ({meaning})" if meaning else "")
    return f"raised: {place}", words


def oom_text(message: str, where: str | None) -> str:
    """'out of memory under the X GiB limit while allocating N MB in <file:line>'."""
    m = re.search(r"allocate (\d+) bytes", message)
    size = f"{int(m.group(1)) / 2**20:.0f} MB" if m else None
    if size is None and (m := re.search(r"allocate ([\d.]+) (MiB|GiB)", message)):
        size = f"{float(m.group(1)) * (1024 if m.group(2) == 'GiB' else 1):.0f} MB"
    return (
        f"out of memory under the {memory_limit_gib()} limit while allocating {size or 'memory'}"
        f" in {where or 'a library call (no frame of your code)'}: the test's tensors were freed before the next test"
    )


def memory_limit_gib() -> str:
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        return f"{soft / 2**30:.1f} GiB"
    try:
        kb = int(next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")))
        return f"{kb / 2**20:.1f} GiB (the machine's memory)"
    except (OSError, StopIteration, ValueError):
        return "memory"
