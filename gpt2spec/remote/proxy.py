"""The judge's side: a worker process per implementation, and proxies that drive its objects.

``RemoteImplementation`` is what a spec test receives as ``impl`` under ``--isolate``:
``impl.GPT(config)`` asks the worker to build the model and returns a ``RemoteObject``; attribute chains,
calls, indexing and iteration go to the worker, one request each; tensors and plain data come back by
value; the worker's parameters come back as ``RemoteTensor`` handles, so ``p.copy_(w)`` under
``torch.no_grad()`` edits the real parameter and ``p.grad`` reads its gradient. Passing a proxy back as an
argument hands the worker its own object. The judge never sends a reference to one of its own objects: a
value that is not data (an HF module, a lambda) cannot be sent at all.

What one process would share, the requests carry: grad mode, the global torch RNG (the judge's state goes
with a request when it changed, the worker's comes back when it changed, so ``torch.manual_seed`` before
``impl.GPT(...)`` seeds the model's init), the thread count, in-place changes to tensor arguments (copied
back), the state of ``torch.Generator`` arguments. A result that needs gradients comes back attached to
the judge's autograd graph by ``_Bridge``: its backward sends grad_output to the worker, which runs
``backward`` there (the parameters' ``.grad`` accumulate in the worker) and returns the gradients of the
judge's inputs.
"""

from __future__ import annotations

import builtins
import contextlib
import operator
import os
import signal
import socket
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import torch

from ..contract import EXPORTS, NotImplementedExport
from ..registry import ImplImportError, ImplRef
from . import codec
from .codec import GradOutput, Handle

CALL_TIMEOUT_S = float(
    os.environ.get("GPT2SPEC_CALL_TIMEOUT", "600")
)  # a backstop: the grader's per-test limit acts first
IMPORT_TIMEOUT_S = 600.0
WORKER_MODULE = "gpt2spec.remote.worker"
# Called before each request: the grader hands the files the judge wrote in the spec's tmp dirs to a jailed
# worker's user (gpt2spec/grading/child.py), just before the worker may look for them.
BEFORE_REQUEST: list[Callable[[], None]] = []


class WorkerLost(RuntimeError):
    """The implementation's process died, hung or broke the protocol: this call (and, until the next spec module,
    every other call of this implementation) fails with this message."""


class RemoteError(Exception):
    """An exception raised by the implementation's code in its process: its type's name, message and frames.
    The class raised derives from this and from the builtin exception type the original derives from."""

    remote_type: str = "Exception"
    remote_frames: list[tuple[str, int, str, str]] = []  # noqa: RUF012  (overridden per instance)
    remote_traceback: str = ""


_exception_classes: dict[tuple[str, type], type] = {}


def remote_exception(info: dict) -> RemoteError:
    """The exception to raise in the judge for the worker's exception ``info`` (data only, never its class)."""
    name = str(info.get("type", "Exception"))
    message = str(info.get("message", ""))
    frames = [(str(f[0]), int(f[1]), str(f[2]), str(f[3])) for f in info.get("frames", [])]
    where = f" (at {frames[-1][0]}:{frames[-1][1]} in {frames[-1][2]})" if frames else ""
    text = f"{message}\n[raised in the implementation's process{where}]\n{info.get('traceback', '')}".rstrip()
    for base_name in [*info.get("bases", []), "Exception"]:
        base = getattr(builtins, str(base_name), None)
        if not (isinstance(base, type) and issubclass(base, Exception)):
            continue  # never KeyboardInterrupt, SystemExit or other BaseExceptions: they would stop the judge
        key = (name, base)
        if key not in _exception_classes:
            cls_name = name if name.isidentifier() else "RemoteException"
            _exception_classes[key] = type(cls_name, (RemoteError, base), {"__module__": "gpt2spec.remote"})
        try:
            exc = _exception_classes[key](text)
        except Exception:
            continue  # a base whose constructor wants more arguments (UnicodeDecodeError): take the next one
        exc.remote_type, exc.remote_frames = name, frames
        exc.remote_traceback = str(info.get("traceback", ""))
        return exc
    raise AssertionError("unreachable: Exception always constructs")  # pragma: no cover


def is_stale(obj: Any) -> bool:
    """Whether ``obj`` is an object of an implementation process that has died (crashed, hung, was killed)."""
    return isinstance(obj, RemoteObject) and object.__getattribute__(obj, "_conn").lost is not None


def beside(obj: Any, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` in the process where ``obj`` lives: its worker for a proxy, here otherwise."""
    if isinstance(obj, RemoteObject):
        return object.__getattribute__(obj, "_conn").request("call", target=fn, args=args, kwargs=kwargs)
    return fn(*args, **kwargs)


def remote_frames(exc: BaseException) -> list[tuple[str, str, str]] | None:
    """(filename, function, source line) of each frame where a RemoteError was raised in the worker, else None."""
    if isinstance(exc, RemoteError):
        return [(f[0], f[2], f[3]) for f in exc.remote_frames]
    return None


# ---------------------------------------------------------------- the connection


class Connection:
    """One worker process and its socket. Thread-safe; one request at a time."""

    def __init__(self, ref: ImplRef, launcher: Sequence[str] = (), timeout: float = CALL_TIMEOUT_S) -> None:
        self.ref, self.timeout = ref, timeout
        self.lock = threading.RLock()
        self.lost: str | None = None
        ours, theirs = socket.socketpair()
        self.sock = ours
        self.launched = bool(launcher)
        argv = [*launcher, sys.executable, "-I", "-B", "-m", WORKER_MODULE, "--fd", str(theirs.fileno())]
        # Judge and worker take turns: OpenMP threads that spin-wait after each op would steal the other's CPU
        # (measured: 47 ms instead of 1.2 ms per small call on 2 busy cores).
        env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
        self.proc = subprocess.Popen(
            argv, pass_fds=[theirs.fileno()], process_group=0, stdin=subprocess.DEVNULL, env=env
        )
        theirs.close()
        self.proxies: weakref.WeakValueDictionary[int, RemoteObject] = weakref.WeakValueDictionary()
        self.pinned: list[Any] = []  # proxies kept alive for the current test, so id(proxy) is stable
        self.release_pending: list[int] = []
        self.free_calls: list[int] = []
        self.rng_synced: torch.Tensor | None = None
        self.module: RemoteObject | None = None
        self.impl_root = str(ref.path)
        self.on_violations: Callable[[list[dict]], None] | None = None

    # ------------------------------------------------------------ requests

    def request(self, op: str, *, timeout: float | None = None, **fields: Any) -> Any:
        """Send one request and return the decoded result, raising the participant's exception as ours."""
        timeout = self.timeout if timeout is None else timeout
        for hook in BEFORE_REQUEST:
            hook()
        with self.lock:
            if self.lost is not None:
                raise WorkerLost(self.lost)
            judge_tensors: list[torch.Tensor] = []
            generators: list[torch.Generator] = []

            def on_tensor(t: torch.Tensor) -> int:
                judge_tensors.append(t)
                return len(judge_tensors) - 1

            grad = torch.is_grad_enabled()
            message = {"op": op, "grad": grad, "threads": torch.get_num_threads(), **fields}
            if self.release_pending:
                message["release"], self.release_pending = self.release_pending, []
            if self.free_calls:
                message["free_calls"], self.free_calls = self.free_calls, []
            state = torch.get_rng_state()
            if self.rng_synced is None or not torch.equal(state, self.rng_synced):
                message["rng"] = state
            encoder = codec.Encoder(self._encode_object, on_tensor, judge=True, references=(RemoteObject, RemoteMethod))
            _collect_generators(fields, generators)
            try:
                parts = encoder.encode(message)
            except BaseException:  # an argument that cannot travel: nothing was sent, keep what was to be sent
                self.release_pending += message.get("release", [])
                self.free_calls += message.get("free_calls", [])
                raise
            try:
                codec.send(self.sock, parts)
                self.sock.settimeout(timeout)
                frame = codec.receive(self.sock)
            except TimeoutError:
                self._lose(f"the implementation's process gave no answer within {timeout:g} s ({op}); killed")
            except codec.ProtocolError as exc:
                self._lose(f"the implementation's process broke the protocol during {op}: {exc}")
            except (OSError, EOFError):
                self._lose(f"the implementation's process died ({self._exit_status()}) during {op}")
            except BaseException:  # interrupted (a test timeout's signal): the stream is out of step, start over
                self._mark_lost(f"the call ({op}) was interrupted in the judge; its process was killed")
                raise
            grad_outputs: list[GradOutput] = []

            def on_gradout(out: GradOutput) -> GradOutput:
                grad_outputs.append(out)
                return out

            try:
                reply = codec.Decoder(frame, False, self._proxy_for, on_gradout=on_gradout).decode()
                if not isinstance(reply, dict):
                    raise codec.ProtocolError(f"a reply must be a dict, got {type(reply).__name__}")
            except codec.ProtocolError as exc:
                self._lose(f"the implementation's process broke the protocol: {exc}")
            if isinstance(reply.get("violations"), list) and self.on_violations is not None:
                self.on_violations([v for v in reply["violations"] if isinstance(v, dict)])
            if isinstance(reply.get("rng"), torch.Tensor):
                torch.set_rng_state(reply["rng"])
            self.rng_synced = torch.get_rng_state()
            _copy_back(judge_tensors, reply.get("mutated") or {}, generators, reply.get("generators") or [])
            if "error" in reply:
                raise remote_exception(reply["error"] if isinstance(reply["error"], dict) else {})
            result = reply.get("ok")
            if grad_outputs:
                result = self._bridge(result, grad_outputs, [t for t in judge_tensors if t.requires_grad], grad)
            return result

    def _bridge(self, result: Any, outputs: list[GradOutput], inputs: list[torch.Tensor], grad: bool) -> Any:
        """Attach the worker's results that need gradients to the judge's graph (see _Bridge)."""
        if not grad:
            return _substitute(result, {})
        call = outputs[0].call
        slots = sorted({o.slot for o in outputs})
        values = {o.slot: o.value for o in outputs}
        token = _CallToken(self, call, slots)
        anchor = torch.zeros((), requires_grad=True)  # so the outputs need grad even when no input does
        attached = _Bridge.apply(token, anchor, *inputs, *[values[s] for s in slots])
        attached = attached if isinstance(attached, tuple) else (attached,)
        return _substitute(result, {(call, s): t for s, t in zip(slots, attached, strict=True)})

    def _encode_object(self, obj: Any) -> Handle:
        if isinstance(obj, RemoteObject):
            if obj._conn is not self:
                raise WorkerLost(
                    "this object belongs to an implementation process that has since been replaced "
                    "(it crashed earlier); build it again"
                )
            return Handle(obj._id, obj._type)
        if isinstance(obj, RemoteMethod):
            raise TypeError("a bound method of a remote object cannot be sent; send the object")
        raise TypeError(
            f"{type(obj).__name__} cannot be sent to the implementation's process: only plain data, tensors and "
            "the implementation's own objects travel (build judge-side objects there with impl.run(...))"
        )

    def _proxy_for(self, h: Handle) -> Any:
        proxy = self.proxies.get(h.id)
        if proxy is None:
            cls = RemoteTensor if h.kind == "tensor" else RemoteObject
            proxy = cls(self, h.id, h.type_name)
            self.proxies[h.id] = proxy
            with contextlib.suppress(ValueError):
                self.release_pending.remove(h.id)  # died and came back before its release was sent
        self.pinned.append(proxy)
        if h.kind == "method":
            object.__getattribute__(proxy, "_methods").add(h.name)
            return RemoteMethod(proxy, h.name)
        return proxy

    def released(self, number: int) -> None:
        if self.lost is None:
            self.release_pending.append(number)

    def _lose(self, why: str) -> None:
        self._mark_lost(why)
        raise WorkerLost(self.lost)

    def _mark_lost(self, why: str) -> None:
        self.lost = why + " (a fresh process starts for the next test)"
        self.kill()

    def _exit_status(self) -> str:
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "still running"
        if code > 128 and self.launched and code - 128 in signal.valid_signals():
            code = 128 - code  # a launcher (bubblewrap's init, a shell) reports a death by signal N as 128 + N
        if code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exit code {code}"

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            self.proc.wait(timeout=5)
        with contextlib.suppress(OSError):
            self.sock.close()

    def close(self) -> None:
        """End the worker: closing the socket makes it exit; kill it if it does not."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def end_test(self) -> None:
        self.pinned.clear()


def _collect_generators(value: Any, out: list[torch.Generator]) -> None:
    if isinstance(value, torch.Generator):
        out.append(value)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            _collect_generators(v, out)
    elif isinstance(value, dict):
        for v in value.values():
            _collect_generators(v, out)


def _copy_back(tensors: list[torch.Tensor], mutated: dict, generators: list[torch.Generator], states: list) -> None:
    """What the worker's code changed in place in the judge's arguments, changed here too."""
    with torch.no_grad():
        for slot, value in mutated.items():
            if isinstance(slot, int) and 0 <= slot < len(tensors) and isinstance(value, torch.Tensor):
                target = tensors[slot]
                if target.shape == value.shape:
                    target.copy_(value)
                else:  # resized in place (x.resize_): follow it
                    target.set_(value.to(target.dtype))
    for g, state in zip(generators, states, strict=False):
        if isinstance(state, torch.Tensor):
            g.set_state(state)


def _substitute(value: Any, attached: dict[tuple[int, int], torch.Tensor]) -> Any:
    """Replace the GradOutput placeholders of a decoded result by the attached tensors."""
    if isinstance(value, GradOutput):
        return attached.get((value.call, value.slot), value.value)
    if isinstance(value, list):
        return [_substitute(v, attached) for v in value]
    if isinstance(value, tuple):
        return tuple(_substitute(v, attached) for v in value)
    if isinstance(value, dict):
        return {k: _substitute(v, attached) for k, v in value.items()}
    return value


class _CallToken:
    """Stands for one call's graph in the worker; when the judge's graph lets go of it, the worker may too."""

    def __init__(self, conn: Connection, call: int, slots: list[int]) -> None:
        self.conn, self.call, self.slots = conn, call, slots

    def __del__(self) -> None:
        self.conn.free_calls.append(self.call)


class _Bridge(torch.autograd.Function):
    """Outputs computed in the worker, attached to the judge's inputs: backward runs in the worker."""

    @staticmethod
    def forward(ctx, token: _CallToken, anchor: torch.Tensor, *tensors: torch.Tensor):
        n_outputs = len(token.slots)
        ctx.token, ctx.n_inputs = token, len(tensors) - n_outputs
        ctx.set_materialize_grads(False)
        outputs = tensors[ctx.n_inputs :]
        return tuple(o.clone() for o in outputs)

    @staticmethod
    def backward(ctx, *grads: torch.Tensor | None):
        token: _CallToken = ctx.token
        by_slot = dict(zip(token.slots, grads, strict=True))
        sent = [by_slot.get(s) for s in range(max(token.slots) + 1)]
        reply = token.conn.request("backward", call=token.call, grads=sent)
        input_grads = reply.get("grads", {}) if isinstance(reply, dict) else {}
        ordered = sorted(input_grads)  # the slots of the judge tensors that needed grad, in argument order
        grads_in = [input_grads[s] for s in ordered][: ctx.n_inputs]
        grads_in += [None] * (ctx.n_inputs - len(grads_in))
        return (None, None, *grads_in, *([None] * len(token.slots)))


# ---------------------------------------------------------------- proxies


class RemoteMethod:
    """``obj.name`` where that is a method of the worker's object: calling it is one request."""

    __slots__ = ("name", "owner")

    def __init__(self, owner: RemoteObject, name: str) -> None:
        self.owner, self.name = owner, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        conn = object.__getattribute__(self.owner, "_conn")
        return conn.request("call", target=self.owner, name=self.name, args=args, kwargs=kwargs)

    def __repr__(self) -> str:
        return f"<remote method {self.name} of {self.owner!r}>"


_LOCAL = frozenset({"__name__", "__qualname__", "__doc__", "__module__", "__wrapped__"})


class RemoteObject:
    """An object of the implementation, living in its process."""

    __slots__ = ("__weakref__", "_conn", "_id", "_methods", "_type")

    def __init__(self, conn: Connection, number: int, type_name: str) -> None:
        object.__setattr__(self, "_conn", conn)
        object.__setattr__(self, "_id", number)
        object.__setattr__(self, "_type", type_name)
        object.__setattr__(self, "_methods", set())

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self._conn.released(self._id)

    def _run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return self._conn.request("call", target=fn, args=(self, *args), kwargs=kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__") and name not in _LOCAL:
            raise AttributeError(name)  # Python's and libraries' protocol probes stay here
        if name in self._methods:
            return RemoteMethod(self, name)
        return self._conn.request("getattr", target=self, name=name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._conn.request("setattr", target=self, name=name, value=value)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._conn.request("call", target=self, args=args, kwargs=kwargs)

    def __getitem__(self, key: Any) -> Any:
        return self._run(operator.getitem, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._run(operator.setitem, key, value)

    def __delitem__(self, key: Any) -> None:
        self._run(operator.delitem, key)

    def __len__(self) -> int:
        return self._run(len)

    def __contains__(self, item: Any) -> bool:
        return self._run(operator.contains, item)

    def __bool__(self) -> bool:
        return self._run(bool)

    def __iter__(self) -> Any:
        return _RemoteIterator(self._run(iter))

    def __next__(self) -> Any:
        return next(_RemoteIterator(self))

    def __repr__(self) -> str:
        try:
            return self._run(repr)
        except Exception:
            return f"<remote {self._type} object>"

    def __str__(self) -> str:
        try:
            return self._run(str)
        except Exception:
            return f"<remote {self._type} object>"

    def __float__(self) -> float:
        return self._run(float)

    def __int__(self) -> int:
        return self._run(int)

    def __index__(self) -> int:
        return self._run(operator.index)


class _RemoteIterator:
    """Iterates a worker's iterator, a batch of items per request for generators (see worker.next_items)."""

    def __init__(self, target: Any) -> None:
        self.target, self.buffer, self.done, self.n = target, [], False, 1

    def __iter__(self) -> _RemoteIterator:
        return self

    def __next__(self) -> Any:
        if not self.buffer and not self.done:
            if not isinstance(self.target, RemoteObject):  # iter() gave back data: a list's iterator
                self.buffer, self.done = list(self.target), True
            else:
                conn = object.__getattribute__(self.target, "_conn")
                reply = conn.request("next", target=self.target, n=self.n)
                self.buffer, self.done = list(reply["items"]), bool(reply["done"])
                self.n = min(self.n * 4, 256)
        if not self.buffer:
            raise StopIteration
        return self.buffer.pop(0)


class RemoteTensor(RemoteObject):
    """An ``nn.Parameter`` of the implementation. Methods (``copy_``, ``zero_``, ``detach``, ``dim``) and
    indexing run in the worker; torch functions given one (``F.layer_norm(x, s, ln.weight)``) and arithmetic
    use its current value, read from the worker. In-place torch functions on it must be its methods."""

    __slots__ = ()

    def value(self) -> torch.Tensor:
        return self._conn.request("call", target=self, name="detach")

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name.endswith("_") and not name.endswith("__"):
            raise TypeError(f"torch.{name} on a remote parameter: call it as a method of the parameter instead")
        return func(*_values(args), **_values(kwargs or {}))

    def __iadd__(self, other: Any) -> RemoteTensor:
        self.add_(other)
        return self

    def __isub__(self, other: Any) -> RemoteTensor:
        self.sub_(other)
        return self

    def __imul__(self, other: Any) -> RemoteTensor:
        self.mul_(other)
        return self


def _values(value: Any) -> Any:
    if isinstance(value, RemoteTensor):
        return value.value()
    if isinstance(value, list | tuple):
        return type(value)(_values(v) for v in value)
    if isinstance(value, dict):
        return {k: _values(v) for k, v in value.items()}
    return value


def _binary(op: Any, reflected: bool = False) -> Any:
    def method(self: RemoteTensor, other: Any) -> Any:
        a, b = self.value(), _values(other)
        return op(b, a) if reflected else op(a, b)

    return method


for _name, _op in {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
    "matmul": operator.matmul,
    "pow": operator.pow,
}.items():
    setattr(RemoteTensor, f"__{_name}__", _binary(_op))
    setattr(RemoteTensor, f"__r{_name}__", _binary(_op, reflected=True))
RemoteTensor.__neg__ = lambda self: -self.value()  # type: ignore[method-assign]
RemoteTensor.__abs__ = lambda self: abs(self.value())  # type: ignore[method-assign]


# ---------------------------------------------------------------- the implementation


class RemoteImplementation:
    """``impl`` under --isolate: the contract's names of one implementation imported in its own process."""

    def __init__(
        self,
        ref: ImplRef,
        launcher: Sequence[str] = (),
        timeout: float = CALL_TIMEOUT_S,
        guard: Sequence[str] | None = None,
        on_violations: Callable[[list[dict]], None] | None = None,
    ) -> None:
        """``guard``: the grader's import policy exceptions (gpt2spec/grading/sandbox.py), enforced in the worker;
        each forbidden import it sees is passed to ``on_violations`` (module, where, why)."""
        self.ref, self.launcher, self.timeout = ref, tuple(launcher), timeout
        self.guard, self.on_violations = (None if guard is None else list(guard)), on_violations
        self.restarts = 0
        self.conn = self._start()

    @property
    def name(self) -> str:
        return self.ref.name

    def _start(self) -> Connection:
        conn = Connection(self.ref, self.launcher, self.timeout)
        conn.on_violations = self.on_violations
        try:
            # importing torch and the package takes its time on a busy machine: the call limit starts after it
            hello = conn.request("hello", timeout=max(self.timeout, IMPORT_TIMEOUT_S), impl_path=str(self.ref.path),
                                 name=self.ref.name, guard=self.guard)  # fmt: skip
        except RemoteError as exc:
            conn.close()
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ImplImportError(first) from None
        except WorkerLost as exc:
            how = str(exc).split(" (a fresh process")[0]
            raise ImplImportError(
                f"implementation {self.ref.name!r} failed to import: while importing, {how}"
            ) from None
        conn.module = hello["module"]
        conn.impl_root = hello.get("impl_root", str(self.ref.path))
        return conn

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in EXPORTS:
            raise AttributeError(f"{name!r} is not a contract name (see spec/CONTRACT.md)")
        try:
            return getattr(self.conn.module, name)
        except AttributeError as exc:
            if isinstance(exc, RemoteError):
                raise NotImplementedExport(name, EXPORTS[name]) from None
            raise

    def run(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` in the implementation's process (fn: an importable function or class)."""
        return self.conn.request("call", target=fn, args=args, kwargs=kwargs)

    @property
    def alive(self) -> bool:
        return self.conn.lost is None

    def fresh_if_lost(self) -> None:
        """After each test: a worker that crashed or hung in it is replaced (its objects are gone
        with it, so a crash costs the test it happened in, and tests that reuse an object built before it)."""
        if self.conn.lost is not None:
            self.restarts += 1
            self.conn = self._start()

    def end_test(self) -> None:
        self.conn.end_test()

    def close(self) -> None:
        self.conn.close()

    def __repr__(self) -> str:
        return f"<implementation {self.ref.name} at {self.ref.path}, in process {self.conn.proc.pid}>"
