"""Running the spec in a child interpreter, for tests that check what a participant sees."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass
class Run:
    returncode: int
    output: str


def run_pytest(*args: str, timeout: float = 600, env: dict[str, str] | None = None) -> Run:
    """``python -m pytest ARGS`` from the project root, as a participant would type it (``env``: extra
    environment variables)."""
    proc = run_module("pytest", "-p", "no:randomly", *args, timeout=timeout, env=env)
    return Run(proc.returncode, proc.stdout + proc.stderr)


def run_module(module: str, *args: str, timeout: float = 120, env: dict[str, str] | None = None):
    """``python -m MODULE ARGS`` from the project root, as a user types it; stdout and stderr kept apart
    (``env``: extra environment variables)."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env={**os.environ, **env} if env else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
