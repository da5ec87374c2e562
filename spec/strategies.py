"""Hypothesis strategies shared by every spec module (one place, as in array-api-tests)."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st


@dataclass(frozen=True)
class AttentionShape:
    B: int
    T: int
    n_head: int
    head_dim: int

    @property
    def C(self) -> int:
        return self.n_head * self.head_dim

    def config(self, block_size: int | None = None) -> dict:
        return dict(
            block_size=block_size or max(self.T, 8), vocab_size=64, n_layer=1, n_head=self.n_head, n_embd=self.C
        )


attention_shapes = st.builds(
    AttentionShape,
    B=st.integers(1, 3),
    T=st.integers(1, 24),
    n_head=st.sampled_from([1, 2, 3, 4]),
    head_dim=st.sampled_from([1, 2, 4, 8, 16]),
)

seeds = st.integers(0, 2**31 - 1)
