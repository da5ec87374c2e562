"""Mutants of the reference's fast paths: a KV cache in generate that is subtly wrong.

Every one of them still passes the forward/backward parity tests (the cache is used only by
generate), so only the generation tests can catch them.
"""

from .mutant import Mutant

MUTANTS = [
    Mutant(
        name="kv-cache-positions-restart",
        file="gpt.py",
        old="pos = torch.arange(start, start + T, device=idx.device)",
        new="pos = torch.arange(T, device=idx.device)",
        catches=("test_kv_cached_generation_equals_recomputation",),
        section="generate",
        why="with a KV cache, gave the new token position 0 instead of its place after the cached tokens",
        clauses=("W3-kv-cache",),
    ),
    Mutant(
        name="kv-cache-mask-top-left",
        file="attention.py",
        old=".tril(diagonal=S - T)",
        new=".tril(diagonal=0)",
        catches=("test_kv_cached_generation_equals_recomputation",),
        section="generate",
        why="aligned the causal mask to the top-left: the new query sees only the first cached key",
        clauses=("W3-kv-cache",),
    ),
    Mutant(
        name="kv-cache-values-not-stored",
        file="attention.py",
        old="        self.v[:, :, start:end] = v\n",
        new="",
        catches=("test_kv_cached_generation_equals_recomputation",),
        section="generate",
        why="stored the keys in the cache but forgot the values (they stay zero)",
        clauses=("W3-kv-cache",),
    ),
    Mutant(
        name="kv-cache-no-fallback",
        file="gpt.py",
        old="if cache is not None and idx.size(1) <= cache_len:",
        new="if cache is not None:",
        catches=("test_kv_cached_generation_equals_recomputation", "test_context_is_cropped_to_block_size"),
        section="generate",
        why="kept feeding the KV cache once the sequence outgrew block_size instead of cropping and recomputing",
        clauses=("W3-kv-cache",),
    ),
]
