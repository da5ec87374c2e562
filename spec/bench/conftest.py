"""Collects spec/bench/bench_*.py (pytest's default only collects test_*.py). This directory is
collected at all only with ``--bench`` (see spec/plugin.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    # Files named on the command line are collected by pytest itself; collecting them here too would
    # run every benchmark twice.
    if file_path.suffix == ".py" and file_path.name.startswith("bench_") and not parent.session.isinitpath(file_path):
        return pytest.Module.from_parent(parent, path=file_path)
    return None
