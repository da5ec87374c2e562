"""Stubs for the oracle libraries (transformers, tiktoken) and the answer key: imports by use.

Importing a stub succeeds, and so does any ``from x.y import Z``: real code imports these at module
level for a loader or a comparison it never runs while graded (minbpe's gpt4.py, a PyPI GPT-2's
``from_pretrained``). *Using* what it gave (calling it, subclassing it, reading a value) raises
OracleCallError naming the call in the participant's code::

    your code called transformers.GPT2LMHeadModel.from_pretrained at impls/x/gpt.py:41:
    the oracle libraries are not available to implementations

Two uses: in the sandbox, ``stub_source(name)`` is the ``__init__.py`` of a package mounted over the
real one (gpt2spec/grading/jail.py: every graded worker); and ``stub_module(name, on_use)`` is what the
import guard (in the worker, or an ``--in-process`` child) hands the implementation instead of the real
module (gpt2spec/grading/sandbox.py).
This file is self-contained (standard library only): its source is that ``__init__.py``.
"""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Callable

MESSAGE = "the oracle libraries are not available to implementations"
_HERE = os.path.abspath(__file__)


class OracleCallError(RuntimeError):
    """What using an oracle stub raises (a RuntimeError, so ``except ImportError`` cannot hide it)."""


def _call_site() -> str:
    """file:line of the first frame outside this stub and the import machinery."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if os.path.abspath(name) != _HERE and not name.startswith("<frozen"):
            return f"{name}:{frame.f_lineno}"
        frame = frame.f_back
    return "?"


class _Stub:
    """Stands for any attribute of an oracle: every use of it raises, naming the use and the call site."""

    def __init__(self, dotted: str, on_use: Callable[[str, str], None] | None) -> None:
        object.__setattr__(self, "_dotted", dotted)
        object.__setattr__(self, "_on_use", on_use)

    def _refuse(self, what: str) -> OracleCallError:
        dotted, where = object.__getattribute__(self, "_dotted"), _call_site()
        on_use = object.__getattribute__(self, "_on_use")
        if on_use is not None:
            on_use(dotted, where)
        return OracleCallError(f"your code {what} {dotted} at {where}: {MESSAGE}")

    def __getattr__(self, name: str) -> _Stub:
        if name.startswith("__") and name != "__mro_entries__":
            raise AttributeError(name)
        dotted = object.__getattribute__(self, "_dotted")
        return _Stub(f"{dotted}.{name}", object.__getattribute__(self, "_on_use"))

    def __call__(self, *args: object, **kwargs: object) -> None:
        raise self._refuse("called")

    def __bool__(self) -> bool:
        raise self._refuse("used")

    def __iter__(self):
        raise self._refuse("used")

    def __repr__(self) -> str:
        return f"<oracle stub {object.__getattribute__(self, '_dotted')}>"


def _attributes(name: str, on_use: Callable[[str, str], None] | None) -> Callable[[str], _Stub]:
    """A module's ``__getattr__``: a _Stub for any name, except the dunders that tools probe for."""

    def getattr_(attr: str) -> _Stub:
        if attr.startswith("__"):
            raise AttributeError(f"module {name!r} has no attribute {attr!r}")
        return _Stub(f"{name}.{attr}", on_use)

    return getattr_


def stub_module(name: str, on_use: Callable[[str, str], None] | None = None) -> types.ModuleType:
    """A module object standing for oracle module ``name``: any attribute is a _Stub."""
    module = types.ModuleType(name, f"stub for {name}: {MESSAGE}")
    module.__getattr__ = _attributes(name, on_use)  # type: ignore[method-assign]
    module.__path__ = []  # a package: its submodules are stubs too (_Finder)
    return module


class _Finder:
    """Serves every submodule of a stubbed package (``from transformers.models.gpt2 import X``)."""

    def __init__(self, top: str) -> None:
        self.top = top

    def find_spec(self, fullname: str, path: object = None, target: object = None):
        import importlib.machinery

        if fullname.startswith(self.top + "."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec) -> types.ModuleType:
        return stub_module(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        pass


def stub_source(name: str) -> str:
    """The ``__init__.py`` of a stub package mounted over oracle package ``name`` in the sandbox."""
    with open(_HERE) as f:
        source = f.read()
    return f"{source}\n\n_install({name!r}, sys.modules[__name__])\n"


def _install(name: str, module: types.ModuleType) -> None:
    """Turn this module (loaded as the package ``name``) into the stub."""
    module.__getattr__ = _attributes(name, None)  # type: ignore[method-assign]
    module.__doc__ = f"stub for {name}: {MESSAGE}"
    sys.meta_path.insert(0, _Finder(name))
