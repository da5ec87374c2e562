"""Week 4 benchmarks: the reference tokenizer's training time and encode throughput.

Run: ``python -m pytest spec/bench/bench_tokenizer.py --bench``. Goals (issue 3): training on about
1 MB of text up to a vocab of 2048 in <= 2 s, and encode at >= 0.25x tiktoken's single-threaded
throughput. The tiktoken baseline is measured in the same process, on the same text and ranks, and
every ratio lands in ``benchmark.extra_info`` (``--benchmark-json`` keeps it). No timed asserts.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import tiktoken

from gpt2spec.builtin_corpus import builtin_corpus
from gpt2spec.contract import GPT2_PATTERN
from reference.tokenizer import Tokenizer

from . import QUICK

MB = 1_000_000
CHARS, VOCAB, ROUNDS = (100_000, 512, 1) if QUICK else (MB, 2048, 5)  # QUICK: a smoke run, see __init__.py


@pytest.fixture(scope="module")
def text() -> str:
    return builtin_corpus(CHARS)


@pytest.fixture(scope="module")
def trained(text: str) -> Tokenizer:
    return Tokenizer().train(text, VOCAB)


@pytest.fixture(scope="module")
def tiktoken_seconds(text: str, trained: Tokenizer) -> float:
    """tiktoken's best time over 5 single-threaded encodes of the text, with the reference's ranks."""
    enc = tiktoken.Encoding(
        "bench", pat_str=GPT2_PATTERN, mergeable_ranks=trained.mergeable_ranks, special_tokens=trained.special_tokens
    )
    return best_of(ROUNDS, lambda: enc.encode_ordinary(text))


def best_of(n: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def test_train_1mb_to_vocab_2048(benchmark, text: str) -> None:
    """Training time of the reference on ~1 MB of the built-in corpus up to vocab 2048 (goal <= 2 s)."""
    tok = benchmark.pedantic(lambda: Tokenizer().train(text, VOCAB), rounds=min(3, ROUNDS), iterations=1)
    if benchmark.disabled:  # --benchmark-disable (or xdist): ran once, untimed
        return
    benchmark.extra_info.update(
        mbytes=len(text.encode()) / MB, vocab_size=len(tok.vocab), goal_seconds=2.0, best_seconds=benchmark.stats["min"]
    )


def test_encode_tiktoken_baseline(benchmark, text: str, trained: Tokenizer) -> None:
    """tiktoken itself (single-threaded encode_ordinary), as a benchmark row next to the reference's."""
    enc = tiktoken.Encoding(
        "bench", pat_str=GPT2_PATTERN, mergeable_ranks=trained.mergeable_ranks, special_tokens=trained.special_tokens
    )
    benchmark.pedantic(lambda: enc.encode_ordinary(text), rounds=ROUNDS, iterations=1)
    if benchmark.disabled:  # --benchmark-disable (or xdist): ran once, untimed
        return
    benchmark.extra_info.update(mbytes_per_s=len(text.encode()) / MB / benchmark.stats["min"])


@pytest.mark.parametrize("cache", ["warm", "cold"])
def test_encode_throughput_vs_tiktoken(benchmark, text: str, trained: Tokenizer, tiktoken_seconds: float, cache):
    """Reference encode of ~1 MB, as a ratio to tiktoken (goal >= 0.25x). 'warm': the per-pre-token cache
    already holds the text's pieces (steady state); 'cold': the cache is emptied before every round."""
    trained.encode_ordinary(text)  # warm the cache (and check it runs)

    def setup() -> None:
        if cache == "cold":
            trained._cache.clear()

    benchmark.pedantic(trained.encode_ordinary, args=(text,), setup=setup, rounds=ROUNDS, iterations=1)
    if benchmark.disabled:
        return
    ours = benchmark.stats["min"]
    benchmark.extra_info.update(
        mbytes_per_s=len(text.encode()) / MB / ours,
        tiktoken_seconds=tiktoken_seconds,
        ratio_to_tiktoken=tiktoken_seconds / ours,
        goal_ratio=0.25,
    )
