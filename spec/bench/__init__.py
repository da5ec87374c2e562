"""Throughput benchmarks (pytest-benchmark), collected only with ``pytest spec/bench --bench``.

``GPT2SPEC_BENCH_QUICK=1`` makes a smoke run (tiny shapes, one round each, ~100 KB of text): it proves
the command works end to end in CI, its numbers mean nothing, and it writes its JSON to its own file
so that it never replaces a real run's numbers.
"""

from __future__ import annotations

import os

QUICK = os.environ.get("GPT2SPEC_BENCH_QUICK", "") not in ("", "0")
