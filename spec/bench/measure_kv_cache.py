"""KV-cache speed-up of the reference's generate, on a model big enough that arithmetic, not per-op
overhead, decides the time (the CPU benchmark's model is small, so its ratio understates it).

    python -m spec.bench.measure_kv_cache [--n-layer 6 --n-embd 384 --new 256 --rounds 3]

Prints tokens/s with and without the cache (greedy, same prompt, interleaved rounds, median).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from reference import GPT, GPTConfig


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-layer", type=int, default=6)
    ap.add_argument("--n-head", type=int, default=6)
    ap.add_argument("--n-embd", type=int, default=384)
    ap.add_argument("--vocab-size", type=int, default=8192)
    ap.add_argument("--prompt", type=int, default=16)
    ap.add_argument("--new", type=int, default=256)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    config = GPTConfig(
        block_size=args.prompt + args.new,
        vocab_size=args.vocab_size,
        n_layer=args.n_layer,
        n_head=args.n_head,
        n_embd=args.n_embd,
    )
    torch.manual_seed(0)
    model = GPT(config).eval()
    idx = torch.randint(0, config.vocab_size, (args.batch, args.prompt))
    times: dict[bool, list[float]] = {True: [], False: []}
    outputs = {}
    for _ in range(args.rounds):
        for use_kv_cache in (True, False):
            t0 = time.perf_counter()
            outputs[use_kv_cache] = model.generate(idx, args.new, temperature=0.0, use_kv_cache=use_kv_cache)
            times[use_kv_cache].append(time.perf_counter() - t0)
    tokens = args.batch * args.new
    cached, recomputed = (tokens / statistics.median(times[c]) for c in (True, False))
    print(
        f"{config}, batch {args.batch}, prompt {args.prompt}, {args.new} new tokens, {torch.get_num_threads()} threads"
    )
    print(
        f"KV cache: {cached:,.1f} tokens/s; recompute: {recomputed:,.1f} tokens/s; speed-up {cached / recomputed:.2f}x"
    )
    print(f"same tokens: {torch.equal(outputs[True], outputs[False])}")


if __name__ == "__main__":
    main()
