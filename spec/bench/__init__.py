"""Throughput benchmarks (pytest-benchmark), collected only with ``pytest spec/bench --bench``."""
