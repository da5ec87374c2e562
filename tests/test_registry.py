"""--impl: names under impls/, paths anywhere, comma-separated lists, 'all', and the errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpt2spec.contract import NotImplementedExport
from gpt2spec.registry import (
    IMPLS_DIR,
    Implementation,
    ImplImportError,
    ImplRef,
    SelectionError,
    available,
    import_impl,
    resolve,
    resolve_each,
)

from .helpers import FIXTURES


def test_registered_names() -> None:
    assert {"reference", "template"} <= set(available())


def test_default_name_resolves_under_impls() -> None:
    (ref,) = resolve("reference")
    assert ref == ImplRef("reference", IMPLS_DIR / "reference")


def test_path_anywhere_on_disk(tmp_path: Path) -> None:
    pkg = tmp_path / "bob_gpt"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for spelling in (str(pkg), f"{pkg}/"):
        (ref,) = resolve(spelling)
        assert ref.name == "bob_gpt" and ref.path == pkg


def test_relative_path() -> None:
    (ref,) = resolve("./impls/template")
    assert ref.path == IMPLS_DIR / "template"


def test_comma_separated_list_keeps_order_and_dedupes() -> None:
    refs = resolve("template, reference,template,./impls/reference")
    assert [r.name for r in refs] == ["template", "reference"]


def test_all_is_every_registered_package() -> None:
    assert [r.name for r in resolve("all")] == available()


def test_same_directory_name_gets_distinct_ids(tmp_path: Path) -> None:
    for parent in ("a", "b"):
        (tmp_path / parent / "gpt").mkdir(parents=True)
        (tmp_path / parent / "gpt" / "__init__.py").write_text("")
    refs = resolve(f"{tmp_path}/a/gpt,{tmp_path}/b/gpt")
    assert [r.name for r in refs] == ["gpt", "gpt-2"]


@pytest.mark.parametrize(
    "selection, message",
    [
        ("nobody", "no implementation named 'nobody' under impls/ (known: "),
        ("", "--impl is empty"),
        ("./does/not/exist", "is not a directory"),
        (str(FIXTURES / "not_a_package"), "is not a Python package (it has no __init__.py)"),
    ],
)
def test_bad_selection_is_one_clear_line(selection: str, message: str) -> None:
    with pytest.raises(SelectionError) as excinfo:
        resolve(selection)
    assert message in str(excinfo.value) and "\n" not in str(excinfo.value)


@pytest.mark.parametrize(
    "fixture, message",
    [
        ("syntax_error", "SyntaxError: invalid syntax (__init__.py, line 3) at "),
        ("import_raises", "RuntimeError: missing weights file at "),
    ],
)
def test_import_failure_is_one_clear_line(fixture: str, message: str) -> None:
    (ref,) = resolve(str(FIXTURES / fixture))
    with pytest.raises(ImplImportError) as excinfo:
        import_impl(ref)
    text = str(excinfo.value)
    assert text.startswith(f"implementation {fixture!r} failed to import: ") and message in text, text
    assert "\n" not in text
    assert ref.module_name not in __import__("sys").modules, "a failed import must not stay half-registered"


def test_missing_export_is_not_implemented_with_its_week() -> None:
    (ref,) = resolve(str(FIXTURES / "attention_only"))
    impl = Implementation(ref, import_impl(ref))
    assert impl.CausalSelfAttention.__name__ == "CausalSelfAttention"
    with pytest.raises(NotImplementedExport) as excinfo:
        _ = impl.LayerNorm
    assert excinfo.value.week == 3


def test_non_contract_names_are_not_reachable() -> None:
    (ref,) = resolve("reference")
    impl = Implementation(ref, import_impl(ref))
    with pytest.raises(AttributeError, match="not a contract name"):
        _ = impl.os


def test_implementations_do_not_share_modules() -> None:
    a, b = resolve("reference,template")
    assert import_impl(a) is not import_impl(b)
    assert import_impl(a).__name__ != import_impl(b).__name__


def test_resolve_each_keeps_the_known_and_reports_the_unknown() -> None:
    refs, problems = resolve_each("reference,bobb,template")
    assert [r.name for r in refs] == ["reference", "template"]
    assert len(problems) == 1 and "no implementation named 'bobb'" in problems[0] and "\n" not in problems[0]


def test_directory_without_init_is_listed_and_fails_to_import_clearly(tmp_path: Path, monkeypatch) -> None:
    import gpt2spec.registry

    (tmp_path / "carol").mkdir()
    (tmp_path / "carol" / "attention.py").write_text("X = 1\n")
    (tmp_path / "notes").mkdir()  # no Python at all: not an implementation
    monkeypatch.setattr(gpt2spec.registry, "IMPLS_DIR", tmp_path)
    assert available() == ["carol"]
    (ref,) = resolve("all")
    with pytest.raises(ImplImportError, match=r"^implementation 'carol' failed to import: .*has no __init__.py"):
        import_impl(ref)
