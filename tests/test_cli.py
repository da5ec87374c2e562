"""The ``gpt2spec`` console script: every subcommand's ``--help`` (with an example), a real subcommand run
whole, and the ``python -m`` forms the docs name (the old ``spec.grade``-style aliases are gone)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from gpt2spec.cli import COMMANDS
from gpt2spec.grading.grade import EXIT_USAGE

from .helpers import ROOT, run_module, run_pytest


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m gpt2spec ARGS`` from the project root: the console script's own code path."""
    return run_module("gpt2spec", *args, env=env)


def test_the_console_script_is_declared_and_points_at_the_cli() -> None:
    """pyproject's [project.scripts] installs `gpt2spec` -> gpt2spec.cli:main (the function tested here)."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["gpt2spec"] == "gpt2spec.cli:main"


def test_no_command_lists_every_subcommand_with_an_example() -> None:
    proc = run("--help")
    assert proc.returncode == 0, proc.stderr
    for name, cmd in COMMANDS.items():
        assert f"  {name} " in proc.stdout and cmd.examples[0] in proc.stdout
    assert run().returncode == 2
    unknown = run("gradee")
    assert unknown.returncode == 2 and "unknown command 'gradee'" in unknown.stderr


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_subcommand_help_shows_its_options_and_an_example(name: str) -> None:
    proc = run(name, "--help")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "usage:" in proc.stdout and "examples:" in proc.stdout, proc.stdout
    assert f"gpt2spec {name}" in proc.stdout.split("examples:")[1]
    assert "Traceback" not in proc.stderr


def test_grade_list_runs_whole() -> None:
    """`gpt2spec grade --impl list`: the grader's real code, listing the registered implementations."""
    proc = run("grade", "--impl", "list")
    assert proc.returncode == 0, proc.stderr
    assert "reference" in proc.stdout and "template" in proc.stdout
    nobody = run("grade", "--impl", "nobody")
    assert nobody.returncode == EXIT_USAGE and "nobody" in nobody.stderr


def test_new_creates_an_implementation_the_spec_accepts(tmp_path: Path) -> None:
    """`gpt2spec new alice`, then `pytest --impl=alice` on one spec module: blanks, not errors (exit 0)."""
    env = {"GPT2SPEC_IMPLS_DIR": str(tmp_path)}
    proc = run("new", "alice", env=env)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "alice" / "__init__.py").is_file() and (tmp_path / "alice" / "README.md").is_file()
    again = run("new", "alice", env=env)
    assert again.returncode == 2 and "already exists" in again.stderr
    spec = run_pytest("spec/test_config.py", "--impl=alice", "-q", env=env, timeout=300)
    assert spec.returncode == 0, spec.output[-3000:]
    assert "not implemented" in spec.output.lower(), spec.output[-3000:]


@pytest.mark.parametrize(
    "form",
    [
        ["gpt2spec", "grade", "--help"],  # `python -m gpt2spec CMD`, the console script's twin
        ["gpt2spec.training.train", "--help"],  # what torchrun runs (README, DDP)
        ["gpt2spec.builtin_corpus", "--help"],
        ["tools.kill_matrix", "--help"],  # the scripts that regenerate the measured docs
        ["tools.diagnosis", "--help"],
        ["tools.flakiness", "--help"],
    ],
    ids=lambda a: a[0],
)
def test_the_documented_python_dash_m_forms_run(form: list[str]) -> None:
    proc = run_module(*form)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "usage:" in proc.stdout


def test_the_installed_console_script_runs(tmp_path: Path) -> None:
    """The `gpt2spec` executable pip installs next to this interpreter (skipped if not installed)."""
    exe = Path(sys.executable).parent / "gpt2spec"
    if not exe.is_file():
        pytest.skip(f"{exe} not installed: pip install -e . (./spec.sh does it)")
    proc = subprocess.run([str(exe), "grade", "--help"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "gpt2spec grade --impl alice" in proc.stdout, proc.stdout + proc.stderr
