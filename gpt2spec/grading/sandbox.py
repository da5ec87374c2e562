"""What graded code may do: the import policy (checked statically and at run time) and the
integrity check that catches an implementation monkeypatching the spec's comparisons.

Implementations may import torch, numpy, regex and the standard library, nothing else: not the
reference, not the spec, not pytest. A few standard-library modules whose only use in a submission
would be reaching into the grader (importlib, pkgutil, builtins, ctypes, gc, subprocess) are refused
too, and so are the dynamic-import spellings that would dodge the static check (``__import__``,
``sys.modules``, ``exec``...).

The oracle libraries (transformers, tiktoken) are judged by use, not by name: importing them hands the
implementation a stub (gpt2spec/grading/oracle_stub.py) and costs nothing; calling into it fails the
test it happens in, naming the call site. Real code imports them at module level for loaders the spec
never runs (minbpe's gpt4.py, a PyPI GPT-2's from_pretrained).

In-process checks raise the bar; they are not a sandbox against a determined attacker, who runs in the
same interpreter as the checks. The OS sandbox around the interpreter (gpt2spec/grading/jail.py) is.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import sys
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

ALLOWED_PACKAGES = frozenset({"torch", "numpy", "regex"})
# File readers the template's from_pretrained uses to read real weights from disk; they
# compute nothing the spec compares. (Drop them here to forbid them too.)
LOADER_PACKAGES = frozenset({"safetensors", "huggingface_hub"})
# Standard-library modules a GPT-2 never needs and a grader-gaming submission would.
TAMPERING_MODULES = frozenset(
    {"importlib", "builtins", "ctypes", "gc", "subprocess", "pty", "_ctypes", "pkgutil", "runpy", "imp", "zipimport"}
)
# Judged by use: importing them yields a stub (oracle_stub.py); calling into it is the violation.
ORACLE_PACKAGES = frozenset({"transformers", "tiktoken", "tiktoken_ext"})
# Names whose use dodges the import check.
DYNAMIC_NAMES = frozenset({"__import__", "__builtins__", "exec", "eval", "compile", "globals"})
DYNAMIC_ATTRIBUTES = frozenset({"modules", "meta_path", "path_hooks", "settrace", "setprofile", "_getframe"})
# The one exception: impls/reference re-exports the answer key.
EXCEPTIONS: dict[str, frozenset[str]] = {"reference": frozenset({"reference"})}


@dataclass(frozen=True)
class Violation:
    module: str  # what was imported or used, e.g. "transformers" or "sys.modules"
    where: str  # file:line
    why: str
    dynamic: bool = False  # a spelling that dodges the run-time guard (refused unrun), not a plain import
    used: bool = False  # a call into an oracle stub (``module`` is what was called), not an import

    def __str__(self) -> str:
        return f"{self.module} at {self.where} ({self.why})"


def import_verdict(module: str, exceptions: frozenset[str] = frozenset()) -> str | None:
    """None if an implementation may import ``module``, else the reason it may not."""
    top = module.split(".")[0]
    if top in exceptions or top in ALLOWED_PACKAGES or top in LOADER_PACKAGES:
        return None
    if top in TAMPERING_MODULES:
        return "reaches into the interpreter or the grader; a GPT-2 does not need it"
    if top in sys.stdlib_module_names:
        return None
    if top in ("spec", "gpt2spec", "reference", "transformers", "tiktoken"):
        return "the answer key / oracle / grader: write it yourself"
    return "not allowed: use torch, numpy, regex and the standard library only"


def exceptions_for(impl_path: Path, impls_dir: Path) -> frozenset[str]:
    """The extra imports an implementation directory is allowed (only impls/reference has any)."""
    path = impl_path.resolve()
    for name, allowed in EXCEPTIONS.items():
        if path == (impls_dir / name).resolve():
            return allowed
    return frozenset()


# ---------------------------------------------------------------- static check


# Files the grader never loads from an implementation directory (it runs pytest with
# --noconftest on its own spec tree): they are listed in the grade's notes, not checked.
NEVER_LOADED = ("conftest.py", "test_*.py", "*_test.py")


def never_loaded(package: Path) -> list[Path]:
    return sorted({p for pattern in NEVER_LOADED for p in package.rglob(pattern)})


def static_violations(package: Path, exceptions: frozenset[str] = frozenset()) -> list[Violation]:
    """Every forbidden import or dynamic-import trick in the package's .py files (a syntax error
    is not reported here: importing reports it, with its line). Files the grader never loads
    (conftest.py, test files) are skipped: if the package imports one itself, the run-time
    guard sees its imports.

    The grader judges the two kinds differently. A plain ``import``/``from ... import`` is only a
    warning here: the run-time guard sees it if it ever executes, and then costs the tests during
    which it ran (a lazy import in an uncalled ``from_pretrained`` costs nothing). A dynamic
    spelling (``dynamic=True``: ``__import__``, ``sys.modules``, ``exec``...) would dodge that
    guard, so it alone refuses the submission unrun."""
    found: list[Violation] = []
    skipped = set(never_loaded(package))
    for file in sorted(set(package.rglob("*.py")) - skipped):
        try:
            tree = ast.parse(file.read_bytes(), filename=str(file))
        except (SyntaxError, ValueError):
            continue
        rel = file.relative_to(package.parent)
        for node in ast.walk(tree):
            for module in _imported(node):
                why = import_verdict(module, exceptions)
                if why:
                    found.append(Violation(module, f"{rel}:{node.lineno}", why))
            trick = _dynamic(node)
            if trick:
                found.append(
                    Violation(trick, f"{rel}:{node.lineno}", "dynamic import/introspection is not allowed", True)
                )
    return found


def _imported(node: ast.AST) -> Iterable[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def _dynamic(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name) and node.id in DYNAMIC_NAMES:
        return node.id
    if isinstance(node, ast.Attribute) and node.attr == "sys":  # os.sys.modules and friends
        return "<module>.sys"
    if isinstance(node, ast.Attribute) and node.attr in DYNAMIC_ATTRIBUTES:
        if isinstance(node.value, ast.Name) and node.value.id == "sys":
            return f"sys.{node.attr}"
    return None


# ---------------------------------------------------------------- run-time guard


class ImportGuard:
    """Refuses forbidden imports made *by the implementation's own code* (what torch imports for
    itself is torch's business) and remembers each one, so a submission that catches the
    ImportError still loses its grade."""

    def __init__(self, package_prefix: str, exceptions: frozenset[str], on_violation: Callable[[Violation], None]):
        self.prefix = package_prefix
        self.exceptions = exceptions
        self.on_violation = on_violation
        self._import = builtins.__import__
        self._import_module = importlib.import_module

    def install(self) -> None:
        builtins.__import__ = self._guarded_import
        importlib.import_module = self._guarded_import_module

    def _from_impl(self, frame: types.FrameType | None) -> bool:
        name = frame.f_globals.get("__name__", "") if frame is not None else ""
        return name == self.prefix or name.startswith(self.prefix + ".")

    def _check(self, module: str, frame: types.FrameType | None) -> None:
        why = import_verdict(module, self.exceptions)
        if why is None:
            return
        where = f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else "?"
        self.on_violation(Violation(module, where, why))
        raise ImportError(f"gpt2spec grader: importing {module!r} is not allowed here ({why})", name=module)

    def _guarded_import(self, name, globals=None, locals=None, fromlist=(), level=0):
        frame = sys._getframe(1)
        if level == 0 and self._from_impl(frame):
            if name.split(".")[0] in ORACLE_PACKAGES:
                return self._stub(name, fromlist)
            self._check(name, frame)
        return self._import(name, globals, locals, fromlist, level)

    def _guarded_import_module(self, name, package=None):
        frame = sys._getframe(1)
        if not name.startswith(".") and self._from_impl(frame):
            if name.split(".")[0] in ORACLE_PACKAGES:
                return self._stub(name, ("*",))
            self._check(name, frame)
        return self._import_module(name, package)

    def _stub(self, name: str, fromlist) -> types.ModuleType:
        """What ``import name`` gives the implementation: a stub (``import a.b`` binds ``a``; ``from a.b
        import c`` reads ``c`` from ``a.b``). The spec keeps the real module."""
        from .oracle_stub import MESSAGE, stub_module

        def on_use(dotted: str, where: str) -> None:
            self.on_violation(Violation(dotted, where, f"your code called it: {MESSAGE}", used=True))

        return stub_module(name if fromlist else name.split(".")[0], on_use)


# ---------------------------------------------------------------- integrity


GUARDED_MODULE_PREFIXES = (
    "torch",
    "numpy",
    "pytest",
    "_pytest",
    "pluggy",
    "hypothesis",
    "spec",
    "gpt2spec",
    "transformers.models.gpt2",
    "builtins",
    "math",
    "operator",
    "functools",
)
# submodules of torch that are mutable registries, not comparisons
_SKIP = (
    "torch.distributed",
    "torch._dynamo",
    "torch._inductor",
    "torch.fx",
    "torch._library",
    "torch._ops",
    "torch.library",
    "torch.utils",
)


def _guarded_modules() -> list[types.ModuleType]:
    out = []
    for name, module in list(sys.modules.items()):
        if not isinstance(module, types.ModuleType) or name.startswith(_SKIP):
            continue
        if name in GUARDED_MODULE_PREFIXES or name.startswith(tuple(p + "." for p in GUARDED_MODULE_PREFIXES)):
            if name.count(".") <= 3:
                out.append(module)
    return out


def _is_code(value: object) -> bool:
    return isinstance(value, (types.FunctionType, types.BuiltinFunctionType, type, types.MethodType)) or (
        callable(value) and not isinstance(value, types.ModuleType)
    )


class Integrity:
    """Identity snapshot of the functions and classes the spec compares with (torch, numpy,
    pytest internals, the spec's own helpers, HF's GPT-2) and of the methods of their classes.
    ``changed()`` names what was replaced since, and also catches a method *added* to a guarded
    class to shadow an inherited one (``torch.Tensor.__sub__ = ...`` lands in Tensor's own dict,
    not in TensorBase's).

    The threat is a submission replacing a comparison so that a wrong answer passes. torch also
    rewrites some of its own attributes the first time they are used (``Optimizer.__init__``
    wraps ``type(self).step`` in a profiling hook, once per class), so the snapshot is taken
    after ``warm_up()`` has used torch the way the spec does, and a replacement that is torch's
    own optimizer-step wrapper around the snapshotted function is not a change."""

    def __init__(self) -> None:
        self.snapshot: list[tuple[str, object, str, object]] = []
        self.classes: list[tuple[str, type, frozenset[str], frozenset[str]]] = []
        self.wrapper_codes = _torch_wrapper_codes()
        self.default_dtype = _default_dtype()
        seen: set[int] = set()
        for module in _guarded_modules():
            self._take(module.__name__, vars(module), seen, classes_of=module.__name__)
        for cls in _tensor_classes():
            if id(cls) not in seen:
                seen.add(id(cls))
                self._take_class(f"{cls.__module__}.{cls.__qualname__}", cls, seen)

    def _take(self, label: str, namespace, seen: set[int], classes_of: str | None) -> None:
        for key, value in list(namespace.items()):
            if key.startswith("__") and key not in _DUNDERS:
                continue
            if not _is_code(value):
                continue
            self.snapshot.append((label, namespace, key, value))
            if classes_of and isinstance(value, type) and id(value) not in seen:
                if getattr(value, "__module__", None) == classes_of:
                    seen.add(id(value))
                    self._take_class(f"{label}.{key}", value, seen)

    def _take_class(self, label: str, cls: type, seen: set[int]) -> None:
        self._take(label, cls.__dict__, seen, classes_of=None)
        inherited = frozenset(name for base in cls.__mro__[1:] for name in vars(base))
        self.classes.append((label, cls, frozenset(cls.__dict__), inherited))

    def changed(self, limit: int = 5) -> list[str]:
        out = []
        dtype = _default_dtype()
        if dtype != self.default_dtype:  # torch then rebinds torch.Storage itself: that is not a second change
            out.append(f"torch's default dtype ({self.default_dtype} -> {dtype}: torch.set_default_dtype)")
        out += [
            f"{label}.{key}"
            for label, ns, key, value in self.snapshot
            if ns.get(key, _MISSING) is not value
            and not self._torch_wrapped(ns.get(key, _MISSING), value)
            and not (dtype != self.default_dtype and f"{label}.{key}" == "torch.Storage")
        ]
        for label, cls, own, inherited in self.classes:
            for key in cls.__dict__.keys() - own:
                if key in inherited and (not key.startswith("__") or key in _DUNDERS):
                    out.append(f"{label}.{key}")
        return out[:limit]

    def _torch_wrapped(self, new: object, old: object) -> bool:
        """``new`` is torch's own wrapper (its code object, not a look-alike) closing over ``old``."""
        code = getattr(new, "__code__", None)
        cells = getattr(new, "__closure__", None) or ()
        return code is not None and code in self.wrapper_codes and any(c.cell_contents is old for c in cells)


def warm_up() -> None:
    """Use torch the way the spec does (modules, autograd, attention, every optimizer's step,
    schedulers, save/load, numpy interop) so that torch's lazy self-patching happens before the
    integrity snapshot, not during a graded test."""
    import io

    import numpy as np
    import torch
    import torch.nn.functional as F
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Embedding(8, 4), nn.LayerNorm(4), nn.Linear(4, 8))
    idx = torch.tensor([[1, 2, 3]])
    x = model[1](model[0](idx)).view(1, 1, 3, 4)
    y = F.scaled_dot_product_attention(x, x, x, is_causal=True).view(1, 3, 4)
    loss = F.cross_entropy(model[2](F.gelu(y, approximate="tanh")).view(-1, 8), idx.view(-1))
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    for name in dir(torch.optim):
        cls = getattr(torch.optim, name)
        if isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer) and cls is not torch.optim.Optimizer:
            try:
                opt = cls(model.parameters(), lr=1e-3)
                schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0)
                opt.step(lambda: loss) if name == "LBFGS" else opt.step()
                schedule.step()
                opt.zero_grad(set_to_none=True)
            except Exception:  # an optimizer with other required arguments: its constructor still ran
                pass
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict()}, buffer)
    buffer.seek(0)
    torch.load(buffer, weights_only=True)
    with torch.no_grad():
        np.asarray(torch.from_numpy(np.zeros(3, dtype=np.float32)).numpy())


def _default_dtype() -> object:
    import torch

    return torch.get_default_dtype()


def _torch_wrapper_codes() -> frozenset[object]:
    """Code objects of the wrappers torch puts around its own methods at run time."""
    import torch

    return frozenset({torch.optim.Optimizer.profile_hook_step(lambda: None).__code__})


_MISSING = object()
_DUNDERS = frozenset(
    {"__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__sub__", "__rsub__", "__abs__", "__bool__"}
    | {"__getattr__", "__getattribute__", "__call__", "__init__", "__new__", "__float__", "__int__", "__len__"}
    | {"__add__", "__mul__", "__truediv__", "__matmul__", "__getitem__", "__setitem__", "__iter__", "__repr__"}
)


def _tensor_classes() -> list[type]:
    import torch

    return [c for c in torch.Tensor.__mro__ if c is not object]
