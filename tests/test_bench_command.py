"""The README's benchmark command, run whole in a child interpreter as a user types it.

``pytest spec/bench --bench`` once crashed at its very end (pytest-benchmark 5.3 wants
``--benchmark-json`` as a path; the conftest passed an open file), after every benchmark had run:
only a run to the end, JSON written, catches that. GPT2SPEC_BENCH_QUICK=1 shrinks the workloads
so the command takes seconds; it is the same command, collection, hooks and JSON writer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from spec.bench.conftest import ROOT

QUICK_JSON = ROOT / ".benchmarks" / "gpt2spec-bench-quick.json"


def test_readme_bench_command_runs_to_the_end_and_writes_json() -> None:
    started = time.time()
    # A user's shell, not an xdist worker's: pytest-benchmark disables itself under xdist.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    env |= {"GPT2SPEC_BENCH_QUICK": "1", "OMP_NUM_THREADS": "1"}
    # `pytest spec/bench --bench`, word for word (python -m pytest: the venv's pytest, as in the README).
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "spec/bench", "--bench"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert "Traceback" not in output and "INTERNALERROR" not in output, output[-4000:]
    assert "gpt2spec: throughput (tokens/s) and ratios" in output, output[-4000:]
    assert QUICK_JSON.is_file() and QUICK_JSON.stat().st_mtime >= started, f"{QUICK_JSON} was not written"
    data = json.loads(QUICK_JSON.read_text())
    infos = [b["extra_info"] for b in data["benchmarks"]]
    workloads = {i["workload"] for i in infos if "workload" in i}
    assert workloads == {"forward", "train_step", "generate"}, workloads
    assert all(i["ratio_vs_hf_eager"] > 0 for i in infos if "workload" in i), infos
    assert any("ratio_to_tiktoken" in i for i in infos), "the tokenizer benchmarks did not reach the JSON"
