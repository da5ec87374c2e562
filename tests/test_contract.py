"""The contract's table (gpt2spec/contract.py) is the one place a week or a section is written: every view
is derived from it, and the spec modules' week markers agree with it."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from gpt2spec import contract

from .helpers import ROOT

FAKE_ROW = (
    '    Week(7, "a fake week", 5.0, sections=(\n'
    '        Section("fake", "fake component", {"FakeThing": "model"}, ("test_fake",), needs=("gpt",)),\n'
    "    )),\n"
)

# Run in a copy of the project whose table has FAKE_ROW: each view, as its own module computes it.
VIEWS = """
import json
from gpt2spec import bugs, contract, fingerprint, points
from gpt2spec.training import parts
from spec import hints
from tests import mutation
print(json.dumps({
    "exports": contract.EXPORTS.get("FakeThing"),
    "weeks": contract.WEEKS.get(7),
    "points": points.POINTS.get(7),
    "component": bugs.COMPONENTS.get("fake"),
    "suspects": fingerprint.SECTIONS.get("test_fake"),
    "depends": hints.DEPENDS.get("fake"),
    "spec_file": hints.SPEC_FILE.get("fake"),
    "model_part": parts.PARTS["model"],
    "section_specs": mutation.SECTION_SPECS.get("fake"),
}))
"""


def _project_with_fake_week(tmp: Path) -> Path:
    """The project with its own gpt2spec/ copied and one row added to the table; the rest linked."""
    shutil.copytree(ROOT / "gpt2spec", tmp / "gpt2spec", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("spec", "tests", "reference", "impls"):
        (tmp / name).symlink_to(ROOT / name)
    path = tmp / "gpt2spec" / "contract.py"
    text = path.read_text()
    end = ")  # fmt: skip"
    assert text.count(end) == 1, "the table must end with ')  # fmt: skip'"
    path.write_text(text.replace(end, FAKE_ROW + end))
    return tmp


def _run(cwd: Path, *args: str) -> str:
    proc = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc.stdout


def test_a_new_week_is_one_row(tmp_path: Path) -> None:
    """Adding a Week row to the table is all it takes: exports, weeks, points, the diagnosis' component and
    suspects, the @needs order, the training parts, the mutants' spec files and the pytest marker follow."""
    project = _project_with_fake_week(tmp_path)
    views = json.loads(_run(project, "-c", VIEWS))
    assert views == {
        "exports": 7,
        "weeks": "a fake week",
        "points": 5.0,
        "component": "fake component",
        "suspects": ["fake", "gpt", "block", "attention", "layernorm", "mlp"],
        "depends": ["attention", "layernorm", "mlp", "block", "gpt"],
        "spec_file": "spec/test_fake.py",
        "model_part": ["GPTConfig", "GPT", "FakeThing"],
        "section_specs": ["spec/test_fake.py"],
    }, views
    markers = _run(project, "-m", "pytest", "-p", "gpt2spec.plugin", "--markers")
    assert "@pytest.mark.week7: a fake week" in markers, markers[-2000:]


def _marked_weeks(path: Path) -> set[int]:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets):
            return {int(m) for m in re.findall(r"mark\.week(\d+)", ast.unparse(node))}
    return set()


def test_every_spec_module_is_in_the_table_with_its_week() -> None:
    """Each spec/test_*.py grades a section of the table, and its ``weekN`` marker is that section's week."""
    modules = {m for s in contract.SECTIONS.values() for m in s.spec}
    owners = {m: {contract.week_of(n) for n, s in contract.SECTIONS.items() if m in s.spec} for m in modules}
    on_disk = {p.stem for p in (ROOT / contract.SPEC_DIR).glob("test_*.py")}
    assert on_disk == set(owners), (
        f"spec modules not in the table: {on_disk - set(owners)}; gone: {set(owners) - on_disk}"
    )
    wrong = {m: (_marked_weeks(ROOT / contract.spec_path(m)), weeks) for m, weeks in owners.items()}
    assert all(marked == weeks for marked, weeks in wrong.values()), {m: v for m, v in wrong.items() if v[0] != v[1]}
