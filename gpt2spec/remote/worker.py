"""The implementation's process: ``python -I -m gpt2spec.remote.worker --fd N`` (behind the launcher prefix the
grader gives, e.g. a bubblewrap sandbox). It imports the implementation and then does what the judge asks,
one request at a time, over the socket it inherited as file descriptor N: get an attribute, call something,
run backward, read an iterator. Objects stay here and travel as handles (numbers in ``Table``); tensors and
plain data travel by value (gpt2spec/remote/codec.py). It holds nothing of the judge's: no results, no
oracle, no reference to any judge object, so the participant's code has nothing to reach.

It imports torch and the implementation only: never pytest, the spec's test modules or the oracles.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import signal
import socket
import sys
import traceback
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from . import codec
from .codec import GradOutput, Handle

GENERATOR_BATCH = 256  # a generator is read ahead by up to this many items per request


class Table:
    """The worker's objects the judge holds handles to: number <-> object (kept alive until released)."""

    def __init__(self) -> None:
        self.objects: dict[int, Any] = {}
        self.numbers: dict[int, int] = {}  # id(obj) -> number
        self.next = 1

    def handle(self, obj: Any) -> Handle:
        number = self.number(obj)
        kind = "tensor" if isinstance(obj, torch.nn.Parameter) else "object"
        return Handle(number, _type_name(obj), kind)

    def number(self, obj: Any) -> int:
        key = id(obj)
        if key in self.numbers:
            return self.numbers[key]
        number, self.next = self.next, self.next + 1
        self.objects[number], self.numbers[key] = obj, number
        return number

    def get(self, number: int) -> Any:
        try:
            return self.objects[number]
        except KeyError:
            raise LookupError(f"handle {number} is not (or no longer) an object of this process") from None

    def release(self, number: int) -> None:
        obj = self.objects.pop(number, None)
        if obj is not None:
            self.numbers.pop(id(obj), None)


def _type_name(obj: Any) -> str:
    t = obj if isinstance(obj, type) else type(obj)
    return getattr(t, "__qualname__", "?")


def _is_bound_method(value: Any, owner: Any) -> bool:
    return (
        isinstance(value, types.MethodType | types.BuiltinMethodType | types.MethodWrapperType)
        and getattr(value, "__self__", None) is owner
    )


class Worker:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.table = Table()
        self.calls: dict[int, tuple[list[torch.Tensor], dict[int, torch.Tensor]]] = {}  # autograd graphs kept
        self.next_call = 1
        self.module: Any = None
        self.violations: list[dict] = []  # forbidden imports the grader's import guard saw (reported, then cleared)

    # ------------------------------------------------------------ the loop

    def serve(self) -> None:
        while True:
            try:
                frame = codec.receive(self.sock)
            except EOFError:
                return
            self.handle(frame)

    def handle(self, frame: memoryview) -> None:
        inputs: dict[int, tuple[torch.Tensor, int]] = {}
        generators: list[torch.Generator] = []

        def on_tensor(t: torch.Tensor, slot: int, requires_grad: bool) -> torch.Tensor:
            if requires_grad and t.is_floating_point():
                t.requires_grad_(True)
            if slot >= 0:
                inputs[slot] = (t, t._version)
            return t

        def on_handle(h: Handle) -> Any:
            return self.table.get(h.id)

        reply: dict[str, Any] = {}
        rng_before = None
        self.reply_grad = False
        self.inputs_needing_grad: dict[int, torch.Tensor] = {}
        try:
            request = codec.Decoder(frame, True, on_handle, on_tensor).decode()
            generators = [g for g in _walk(request.get("args", ())) if isinstance(g, torch.Generator)]
            generators += [g for g in _walk(request.get("kwargs", {})) if isinstance(g, torch.Generator)]
            self._apply_context(request)
            rng_before = torch.get_rng_state()
            grad = bool(request.get("grad", False))
            self.inputs_needing_grad = {s: t for s, (t, _) in inputs.items() if t.requires_grad}
            with torch.set_grad_enabled(grad):
                reply["ok"] = self.dispatch(request)
            self.reply_grad = grad and request["op"] in ("call", "getattr")
        except BaseException as exc:  # the participant's exception, or ours: the judge decides what it means
            reply = {"error": describe(exc)}
        rng_after = torch.get_rng_state()
        if rng_before is None or not torch.equal(rng_before, rng_after):
            reply["rng"] = rng_after  # the judge continues from the worker's global RNG, as in one process
        reply["mutated"] = {slot: t.detach() for slot, (t, v) in inputs.items() if t._version != v}
        reply["generators"] = [g.get_state() for g in generators]
        if self.violations:
            reply["violations"], self.violations = self.violations, []
        self.send(reply)

    def send(self, reply: dict[str, Any]) -> None:
        call = {"id": 0, "outputs": [], "slots": {}}

        def on_tensor(t: torch.Tensor) -> Any:
            return self._grad_output(call, t) if self.reply_grad and t.requires_grad else None

        try:
            parts = codec.Encoder(self.table.handle, on_tensor).encode(reply)
        except BaseException as exc:  # a result that cannot travel: say so instead of dying
            parts = codec.Encoder(self.table.handle).encode({"error": describe(exc)})
        if call["outputs"]:
            self.calls[call["id"]] = (call["outputs"], self.inputs_needing_grad)
        codec.send(self.sock, parts)

    def _grad_output(self, call: dict, t: torch.Tensor) -> GradOutput:
        if not call["id"]:
            call["id"], self.next_call = self.next_call, self.next_call + 1
        key = id(t)
        if key not in call["slots"]:
            call["slots"][key] = len(call["outputs"])
            call["outputs"].append(t)
        return GradOutput(t, call["id"], call["slots"][key])

    def _apply_context(self, request: dict) -> None:
        for number in request.get("release", ()):
            self.table.release(number)
        for number in request.get("free_calls", ()):
            self.calls.pop(number, None)
        if request.get("rng") is not None:
            torch.set_rng_state(request["rng"])
        threads = request.get("threads")
        if threads and threads != torch.get_num_threads():
            torch.set_num_threads(threads)

    # ------------------------------------------------------------ operations

    def dispatch(self, request: dict) -> Any:
        op = request["op"]
        if op == "hello":
            return self.hello(request)
        if op == "getattr":
            obj, name = request["target"], request["name"]
            value = getattr(obj, name)
            if _is_bound_method(value, obj):
                return Handle(self.table.number(obj), _type_name(obj), "method", name)
            return value
        if op == "setattr":
            setattr(request["target"], request["name"], request["value"])
            return None
        if op == "call":
            target = request["target"]
            fn: Callable = getattr(target, request["name"]) if request.get("name") else target
            return fn(*request.get("args", ()), **request.get("kwargs", {}))
        if op == "next":
            return self.next_items(request["target"], int(request.get("n", 1)))
        if op == "backward":
            return self.backward(int(request["call"]), request["grads"])
        if op == "release":
            return None
        raise ValueError(f"unknown operation {op!r}")

    def hello(self, request: dict) -> dict:
        from gpt2spec.registry import ImplRef, import_impl

        ref = ImplRef(request["name"], Path(request["impl_path"]))
        if request.get("guard") is not None:  # the grader's import policy, applied where the code runs
            from gpt2spec.grading.sandbox import ImportGuard

            def on_violation(v: Any) -> None:
                self.violations.append({"module": v.module, "where": v.where, "why": v.why})

            ImportGuard(ref.module_name, frozenset(request["guard"]), on_violation).install()
        self.module = import_impl(ref)
        return {"module": self.module, "pid": os.getpid(), "impl_root": str(Path(request["impl_path"]).resolve())}

    def next_items(self, iterator: Any, n: int) -> dict:
        if not isinstance(iterator, types.GeneratorType):
            n = 1  # an iterator object with state of its own (a loader): never read ahead
        items = list(itertools.islice(iterator, max(1, min(n, GENERATOR_BATCH))))
        return {"items": items, "done": len(items) < max(1, min(n, GENERATOR_BATCH))}

    def backward(self, call: int, grads: list) -> dict:
        if call not in self.calls:
            raise RuntimeError(
                "backward through a result whose graph is gone (backward twice needs retain_graph, which "
                "does not cross to the implementation's process)"
            )
        outputs, inputs = self.calls.pop(call)
        pairs = [(o, g) for o, g in zip(outputs, grads, strict=True) if g is not None]
        for t in inputs.values():
            t.grad = None
        if pairs:
            torch.autograd.backward([o for o, _ in pairs], [g.to(o.dtype) for o, g in pairs])
        return {"grads": {slot: t.grad for slot, t in inputs.items()}}


def _walk(value: Any):
    yield value
    if isinstance(value, list | tuple | set | frozenset):
        for v in value:
            yield from _walk(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)


def describe(exc: BaseException) -> dict:
    """An exception as data: its type's name, the builtin exception types it derives from (the judge raises
    one of those, so ``pytest.raises(ValueError)`` still works), its message and its file:line frames."""
    try:
        message = str(exc)
    except BaseException:
        message = f"<{type(exc).__name__}: str() raised>"
    frames = [[f.filename, f.lineno or 0, f.name, f.line or ""] for f in traceback.extract_tb(exc.__traceback__)]
    bases = [c.__name__ for c in type(exc).__mro__ if c.__module__ == "builtins"]
    try:
        text = "".join(traceback.format_exception(exc))
    except BaseException:
        text = message
    return {
        "type": type(exc).__name__,
        "module": type(exc).__module__,
        "bases": bases,
        "message": message[:20000],
        "frames": frames[-60:],
        "traceback": text[-20000:],
    }


def _die_with_parent() -> None:
    """If the judge dies, so does this process (Linux): a worker never outlives its judge."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    fd = int(argv[argv.index("--fd") + 1])
    _die_with_parent()
    sock = socket.socket(fileno=fd)
    Worker(sock).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
