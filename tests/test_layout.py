"""The house's layout, checked statically (docs/ARCHITECTURE.md): the tool (gpt2spec/) has no import cycle,
reference/ holds only the answer key, and the tool imports spec/ only where it runs it."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
from pathlib import Path

from .helpers import ROOT

TOOL = ROOT / "gpt2spec"


def _module(path: Path, base: Path = ROOT) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, base: Path = ROOT, deferred: bool = True) -> set[str]:
    """Every module ``path`` imports, absolute, at any depth (a deferred import in a function counts: it is
    still a cycle, only hidden). ``from pkg import name`` yields ``pkg.name`` (a submodule) and ``pkg``."""
    name = _module(path, base)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text())
    nodes = ast.walk(tree) if deferred else _outside_functions(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return found


def _outside_functions(node: ast.AST) -> list[ast.AST]:
    """The nodes run when the module is imported (not those inside a function body)."""
    out = [node]
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            out += _outside_functions(child)
    return out


def import_graph(tree: Path, base: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the modules of the same tree it imports (modules named as importable from ``base``)."""
    modules = {_module(p, base): p for p in tree.rglob("*.py")}
    return {name: (imports(path, base) & modules.keys()) - {name} for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == "open":
                found.append([*stack[stack.index(dep) :], dep])
            elif dep not in state:
                visit(dep, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return found


def test_the_tool_has_no_import_cycle() -> None:
    found = cycles(import_graph(TOOL))
    assert not found, "import cycles in gpt2spec/ (give the shared names their own module):\n" + "\n".join(
        " -> ".join(c) for c in found
    )


def test_the_cycle_check_finds_a_deferred_cycle(tmp_path: Path) -> None:
    """The check itself: two modules that import each other, one of them inside a function, are a cycle."""
    pkg = tmp_path / "gpt2spec"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import x\n")
    (pkg / "b.py").write_text("x = 1\n\ndef f():\n    from gpt2spec import a\n")
    assert cycles(import_graph(pkg, tmp_path)) == [["gpt2spec.a", "gpt2spec.b", "gpt2spec.a"]]


# The tool's imports of spec/, each where it runs the spec: the plugin translates the errors a spec test raised,
# the fingerprint runs the spec's probes on a failed test (and reads the spec's round-off per dtype when it scores a
# reproduction, and where the participant's code raised), the grader's child seeds the spec's strategies
# before pytest starts (and, judging in-process, imports the oracles' HF GPT-2 before its integrity snapshot),
# and gpu-check runs the benchmarks.
RUNS_THE_SPEC = {
    "gpt2spec.plugin": {"spec.raised"},
    "gpt2spec.fingerprint": {
        "spec",
        "spec.hints",
        "spec.probes",
        "spec.probes_repair",
        "spec.probes_search",
        "spec.raised",
        "spec.variants",
        "spec.variants.tolerance",
    },
    "gpt2spec.grading.child": {
        "spec.oracles",
        "spec.oracles.hf_gpt2",
        "spec.strategies",
        "spec.strategies.set_run_seed",
    },
    "gpt2spec.gpusteps": {"spec.bench", "spec.bench.bench_model", "spec.bench.bench_tokenizer"},
}


def test_the_tool_imports_the_spec_only_to_run_it() -> None:
    """Importing any module of gpt2spec/ imports nothing of spec/; the deferred imports are the ones listed."""
    at_import, deferred = {}, {}
    for path in TOOL.rglob("*.py"):
        name = _module(path)
        at_import[name] = {m for m in imports(path, deferred=False) if m.split(".")[0] == "spec"}
        found = {m for m in imports(path) if m.split(".")[0] == "spec"}
        if found:
            deferred[name] = {m for m in found if not m.startswith("spec.raised.")}
    assert not any(at_import.values()), {k: v for k, v in at_import.items() if v}
    assert deferred == RUNS_THE_SPEC


def test_reference_holds_only_the_answer_key() -> None:
    """reference/ has one module per concept, the same files as the template (names mirror across the trees);
    the tool's own code (corpus, MFU, speed switches, the training driver) lives in gpt2spec/."""
    ours = sorted(p.name for p in (ROOT / "reference").glob("*.py"))
    template = sorted(p.name for p in (ROOT / "impls" / "template").glob("*.py"))
    assert ours == template
    assert not any(m.split(".")[0] == "gpt2spec" for p in (ROOT / "reference").glob("*.py") for m in imports(p))


# ---------------------------------------------------------------- the docs name what exists

DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
TREES = (
    "gpt2spec",
    "spec",
    "reference",
    "impls/reference",
    "impls/template",
    "tests",
    "tools",
    "docs",
    ".github",
    ".ci",
)
PATH = re.compile(r"(?<![\w./-])((?:" + "|".join(map(re.escape, TREES)) + r")(?:/[\w.-]*)*)")
DOTTED = re.compile(r"(?:gpt2spec|spec|reference|tests|tools)(?:\.\w+)+")
RUN_MODULE = re.compile(r"(?:python|torchrun)\b[^\n`]*? -m ([\w.]+)")


def named_in(text: str) -> tuple[set[str], set[str]]:
    """The project paths (in backticks: `gpt2spec/x.py`, `spec/`) and the modules (`python -m a.b` anywhere,
    a backticked `a.b.c`) a document names. Patterns and placeholders (`spec/test_*.py`, `<concept>`) are
    not names."""
    paths: set[str] = set()
    modules = set(RUN_MODULE.findall(text))
    for span in re.findall(r"`([^`\n]+)`", text):
        if not any(c in span for c in "*<>{}$…"):
            paths.update(p.rstrip(".") for p in PATH.findall(span) if "/" in p or p in TREES)
        if DOTTED.fullmatch(span.strip()):
            modules.add(span.strip())
    return paths, modules


def _exists(dotted: str) -> bool:
    """A module, or a name in one (``gpt2spec.contract.WEEKS``)."""
    if _is_module(dotted):
        return True
    module, _, attr = dotted.rpartition(".")
    return _is_module(module) and hasattr(importlib.import_module(module), attr)


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def test_the_parser_finds_names() -> None:
    paths, modules = named_in("see `reference/corpus.py:12` and `spec/` (`spec/test_*.py`)\n    python -m tools.x --y")
    assert paths == {"reference/corpus.py", "spec/"}
    assert modules == {"tools.x"}


def test_every_path_and_module_the_docs_name_exists() -> None:
    """README.md, CONTRIBUTING.md and docs/*.md: each backticked project path, each `python -m` module and each
    relative link exists (a move or a rename updates the docs in the same change)."""
    missing = []
    for doc in DOCS:
        text = doc.read_text()
        paths, modules = named_in(text)
        missing += [f"{doc.name}: `{p}`" for p in sorted(paths) if not (ROOT / p).exists()]
        missing += [f"{doc.name}: module {m}" for m in sorted(modules) if not _exists(m)]
        links = re.findall(r"\]\(([^)#\s]+)", text)
        missing += [f"{doc.name}: link {u}" for u in links if "://" not in u and not (doc.parent / u).exists()]
    assert not missing, "named in the docs but not in the tree:\n" + "\n".join(missing)
