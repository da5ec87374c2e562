"""Meta-test: a test that runs out of memory frees what it held before the next test runs, and is reported as
"out of memory under the X GiB limit while allocating N MB in <file:line>" (spec/raised.py, hooked from the
plugin's report hook).

Cheap: one pytest subprocess under a small address-space limit (RLIMIT_AS, set from inside the run to its own
size plus 512 MB), on a two-test module: the first builds tests/fixtures/memory_hog's GPT, which allocates
64 MB blocks until the limit stops it, holding them all in its frame; the second allocates 128 MB. Without the
release (the traceback's frames dropped, then gc.collect()), the first test's blocks would still be alive
and the second would fail for memory too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .mutation import ROOT, read_junit

CASES = """
import resource

import pytest
import torch


@pytest.fixture(scope="module", autouse=True)
def small_limit():
    pages = int(open("/proc/self/statm").read().split()[0])
    size = pages * resource.getpagesize()
    torch.set_num_threads(1)  # no new threads (each reserves stack and malloc arena) inside the limit
    resource.setrlimit(resource.RLIMIT_AS, (size + 512 * 2**20, resource.RLIM_INFINITY))


def test_runs_out_of_memory(impl):
    impl.GPT(impl.GPTConfig(n_layer=1, n_head=1, n_embd=8, vocab_size=16, block_size=8))


def test_next_test_has_the_memory_back(impl):
    x = torch.ones(16 * 2**20, dtype=torch.float64)  # 128 MB: fits only if the first test's blocks were freed
    assert float(x[-1]) == 1.0
"""


def test_out_of_memory_is_released_before_the_next_test(tmp_path: Path) -> None:
    (tmp_path / "test_cases.py").write_text(CASES)
    junit = tmp_path / "junit.xml"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(tmp_path / "test_cases.py"),
        "-p",
        "gpt2spec.plugin",
        "-p",
        "no:randomly",
    ]
    cmd += [f"--impl={ROOT / 'tests' / 'fixtures' / 'memory_hog'}", "--no-fingerprint", "-q", f"--junitxml={junit}"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert junit.is_file(), proc.stdout[-3000:] + proc.stderr[-3000:]
    outcomes = {o.nodeid.split("::")[-1].split("[")[0]: o for o in read_junit(junit)}
    oom, clean = outcomes["test_runs_out_of_memory"], outcomes["test_next_test_has_the_memory_back"]
    assert oom.outcome == "failed", f"the allocation did not fail: {oom}"
    assert "out of memory under the" in oom.message and "GiB limit while allocating 64 MB in" in oom.message, (
        oom.message
    )
    assert "tests/fixtures/memory_hog/__init__.py:" in oom.message, f"no participant file:line: {oom.message}"
    assert clean.outcome == "passed", (
        f"the test after the out-of-memory failed too: {clean.message}\n{proc.stdout[-3000:]}"
    )
