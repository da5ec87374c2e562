"""Finding and importing implementations: what ``--impl`` means.

``--impl`` takes a name under impls/, a path to a package directory anywhere on disk,
a comma-separated list of either, or ``all``. Each implementation is imported under
a private module name, so two of them never share ``sys.modules`` entries.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import os
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from .contract import EXPORTS, NotImplementedExport

ROOT = Path(__file__).resolve().parents[1]
# Where named implementations live; GPT2SPEC_IMPLS_DIR points elsewhere (e.g. a cohort's directory).
IMPLS_DIR = Path(os.environ.get("GPT2SPEC_IMPLS_DIR") or ROOT / "impls").expanduser().resolve()


class SelectionError(ValueError):
    """``--impl`` names something that is not an implementation. The message is one line."""


class ImplImportError(ImportError):
    """An implementation's package raised while being imported. The message is one line."""


@dataclass(frozen=True)
class ImplRef:
    name: str  # shown in test ids: test_causality[alice]
    path: Path  # the package directory (holds __init__.py)

    @property
    def module_name(self) -> str:
        return "_gpt2spec_impl_" + re.sub(r"\W", "_", self.name)


def available() -> list[str]:
    """Names of the implementations under impls/: packages, and directories of Python files that lack
    their ``__init__.py`` (those are still selected, and fail to import with that reason: a participant's
    directory is never skipped in silence)."""
    if not IMPLS_DIR.is_dir():
        return []
    return sorted(p.name for p in IMPLS_DIR.iterdir() if not p.name.startswith(("_", ".")) and _holds_python(p))


def _holds_python(path: Path) -> bool:
    return path.is_dir() and ((path / "__init__.py").is_file() or any(path.glob("*.py")))


def resolve(selection: str) -> list[ImplRef]:
    """Turn an ``--impl`` value into implementation references, or raise SelectionError (its first problem)."""
    refs, problems = resolve_each(selection)
    if problems:
        raise SelectionError(problems[0])
    return refs


def resolve_each(selection: str) -> tuple[list[ImplRef], list[str]]:
    """Resolve every item of an ``--impl`` value on its own: the references found, and one line for each
    item that names no implementation. One unknown name in a list does not stop the others being graded."""
    items = [s.strip() for s in selection.split(",") if s.strip()]
    if not items:
        return [], ["--impl is empty: give a name under impls/, a package path, a list, or 'all'"]
    refs: list[ImplRef] = []
    problems: list[str] = []
    for item in items:
        try:
            if item == "all":
                refs.extend(ImplRef(n, IMPLS_DIR / n) for n in available())
            elif _looks_like_path(item):
                refs.append(_ref_from_path(item))
            else:
                refs.append(_ref_from_name(item))
        except SelectionError as exc:
            problems.append(str(exc))
    return _dedupe(refs), problems


def _looks_like_path(item: str) -> bool:
    return "/" in item or "\\" in item or item.startswith((".", "~"))


def _ref_from_name(name: str) -> ImplRef:
    path = IMPLS_DIR / name
    if name not in available():
        known = ", ".join(available()) or "none"
        raise SelectionError(
            f"--impl {name}: no implementation named {name!r} under impls/ (known: {known}); "
            "to grade a package elsewhere, pass its path, e.g. --impl=./path/to/pkg"
        )
    return ImplRef(name, path)


def _ref_from_path(item: str) -> ImplRef:
    try:
        path = Path(item).expanduser().resolve()
        path.is_dir()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python 3.11)
        raise SelectionError(f"--impl {item}: not a usable path (a symlink loop?): {exc}") from None
    if not path.is_dir():
        raise SelectionError(f"--impl {item}: {path} is not a directory")
    if not _holds_python(path):
        raise SelectionError(f"--impl {item}: {path} is not a Python package (it has no __init__.py)")
    return ImplRef(path.name, path)


def _dedupe(refs: list[ImplRef]) -> list[ImplRef]:
    """Drop repeated paths; give distinct packages that share a directory name distinct ids."""
    out: list[ImplRef] = []
    seen_paths: set[Path] = set()
    used_names: set[str] = set()
    for ref in refs:
        if ref.path in seen_paths:
            continue
        name, n = ref.name, 2
        while name in used_names:
            name, n = f"{ref.name}-{n}", n + 1
        seen_paths.add(ref.path)
        used_names.add(name)
        out.append(ImplRef(name, ref.path))
    return out


def import_impl(ref: ImplRef) -> ModuleType:
    """Import the package at ``ref.path``; any failure becomes a one-line ImplImportError."""
    if ref.module_name in sys.modules:
        return sys.modules[ref.module_name]
    if not (ref.path / "__init__.py").is_file():
        raise ImplImportError(
            f"implementation {ref.name!r} failed to import: {_shown(ref.path)} has no __init__.py, so it is not "
            "a Python package (copy impls/template/__init__.py: it imports your modules and lists the exports)"
        )
    spec = importlib.util.spec_from_file_location(
        ref.module_name, ref.path / "__init__.py", submodule_search_locations=[str(ref.path)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[ref.module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt-at-import are its bugs too
        for key in [k for k in sys.modules if k == ref.module_name or k.startswith(ref.module_name + ".")]:
            del sys.modules[key]
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise ImplImportError(f"implementation {ref.name!r} failed to import: {_one_line(exc, ref.path)}") from exc
    return module


def _one_line(exc: BaseException, path: Path) -> str:
    where = ""
    if isinstance(exc, SyntaxError) and exc.filename:
        where = f" at {_shown(exc.filename)}:{exc.lineno}"
    else:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).is_relative_to(path)]
        if frames:
            where = f" at {_shown(frames[-1].filename)}:{frames[-1].lineno}"
    message = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {message}{where}"


def _shown(path: str | Path) -> str:
    """A path as the participant typed it: relative to the working directory when it lies below it."""
    path = Path(path).resolve()
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


class Implementation:
    """What a spec test receives as ``impl``: the contract names of one implementation.

    ``impl.CausalSelfAttention`` returns the export, or raises NotImplementedExport
    (reported as "not implemented (week N)") when the package does not define it.
    """

    def __init__(self, ref: ImplRef, module: ModuleType) -> None:
        self.ref = ref
        self.module = module

    @property
    def name(self) -> str:
        return self.ref.name

    def __getattr__(self, name: str) -> Any:
        if name not in EXPORTS:
            raise AttributeError(f"{name!r} is not a contract name (see spec/CONTRACT.md)")
        try:
            return getattr(self.module, name)
        except AttributeError:
            raise NotImplementedExport(name, EXPORTS[name]) from None

    def run(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` where the implementation's objects live: here. Under --isolate the same call
        runs it in the implementation's process (gpt2spec/remote/proxy.py: RemoteImplementation.run), so a spec
        test that builds a torch object around the implementation's (an optimizer over its parameters, a deep
        copy of its model) says so with ``impl.run(torch.optim.SGD, model.parameters(), lr=0.5)``."""
        return fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<implementation {self.ref.name} at {self.ref.path}>"


def written_source(package: Path | None) -> str | None:
    """Every .py file of the implementation at ``package`` as ``ast.unparse`` writes it (the spelling the diagnosis
    quotes code in), squeezed of whitespace: read, never run, so a fix can be checked against the participant's
    text also under --isolate. None when it cannot be read."""
    if package is None:
        return None
    try:
        return "\n".join(unparsed(path.read_text()) for path in sorted(Path(package).rglob("*.py")))
    except (OSError, SyntaxError, ValueError):
        return None


def written_lines(package: Path | None) -> frozenset[str] | None:
    """Every line of the implementation's .py files as ``ast.unparse`` writes them, each squeezed: a statement of
    yours is one of these whole (``idx_cond = idx`` is not in a file that has ``idx_cond = idx[:, -T:]``)."""
    if package is None:
        return None
    try:
        return frozenset(line for path in sorted(Path(package).rglob("*.py")) for line in _lines(path.read_text()))
    except (OSError, SyntaxError, ValueError):
        return None


def _lines(code: str) -> tuple[str, ...]:
    return tuple(squeezed(line) for line in _unparse(code).splitlines())


def unparsed(code: str) -> str:
    """``code`` as ``ast.unparse`` writes it, squeezed of whitespace."""
    return squeezed(_unparse(code))


@functools.lru_cache(maxsize=256)
def _unparse(code: str) -> str:
    """``code`` as ``ast.unparse`` writes it (cached by text: every failing test of a run reads the same files
    again, for their text and for their lines, and parsing them is the cost)."""
    return ast.unparse(ast.parse(code))


def squeezed(text: str) -> str:
    return "".join(text.split())
