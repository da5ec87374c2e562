"""The implementation contract as data: which names an implementation may export, and
which seminar week each belongs to. spec/CONTRACT.md is the prose version of this table;
the plugin uses it to turn a missing export into "not implemented (week N)"."""

from __future__ import annotations

# Where the spec lives, relative to the project root: the grader runs only files under it; its benchmarks are
# collected only with --bench.
SPEC_DIR = "spec"
BENCH_DIR = f"{SPEC_DIR}/bench"

# name -> week in which participants write it
EXPORTS: dict[str, int] = {
    "GPTConfig": 1,
    "CausalSelfAttention": 1,
    "LayerNorm": 3,
    "MLP": 3,
    "Block": 3,
    "GPT": 3,
    # --- week 4: the tokenizer ---
    "Tokenizer": 4,
    # --- weeks 5-6: data and training ---
    "DataLoader": 5,
    "configure_optimizers": 6,
    "get_lr": 6,
    "train_step": 6,
    "save_checkpoint": 6,
    "load_checkpoint": 6,
}

# The pre-tokenizer regex of the GPT-2 release, in the ``regex`` package's syntax (spec/CONTRACT.md, W4-pattern).
# The spec, the benchmarks and the training tool read it here; the answer key (reference/tokenizer.py) and
# every implementation write their own copy, since a submission may not import the tool, and the spec checks
# that copy against this one.
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

WEEKS: dict[int, str] = {
    1: "causal self-attention (weeks 1-2)",
    3: "LayerNorm, MLP, block and the assembled GPT",
    4: "byte-level BPE tokenizer",
    5: "data loader",
    6: "training loop",
}


class NotImplementedExport(NotImplementedError):
    """An implementation does not export a contract name (yet)."""

    def __init__(self, name: str, week: int) -> None:
        super().__init__(f"{name} is not exported by this implementation (week {week}: {WEEKS.get(week, '')})")
        self.name = name
        self.week = week
