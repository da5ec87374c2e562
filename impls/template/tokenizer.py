"""Week 4: GPT-2's byte-level BPE tokenizer.  Spec: spec/test_tokenizer_*.py

Handout
-------
Clause (spec/CONTRACT.md, "Week 4"): ids 0..255 are single bytes (for a trained tokenizer; loaded
vocabularies may permute them), then one id per merge in the order training learned them (an id is
its *rank*), then the special tokens. ``train`` learns merges from text; ``encode`` / ``decode`` follow
tiktoken's rules (special tokens allowed or disallowed, decode never raises on valid ids);
``from_ranks`` loads tiktoken-format ranks; save/load round-trip everything.

Shapes: text (str) -> pieces (GPT-2's pre-tokenizer regex below) -> bytes -> ids (list[int]).

Reading: Sennrich et al., "Neural Machine Translation of Rare Words with Subword Units" (2016), §3.2;
the GPT-2 paper §2.2 (byte-level BPE, why merges never cross character categories); OpenAI's gpt-2
encoder.py and tiktoken's educational ``_educational.py``; Karpathy's minbpe and his video
"Let's build the GPT Tokenizer".

Questions:
1. train: what do you count — pairs inside each pre-token piece, or across the whole text? Why does
   counting each distinct piece once (with its frequency) give the same answer faster? When two pairs
   have the same count, which one wins here (see the contract), and why must ties compare *bytes*,
   not ids? What happens to the special tokens while counting?
2. encode_ordinary: given the learned ranks, in which order do you apply merges to one piece — the
   order they appear in the text, or by rank? When do you stop?
3. encode with specials: what should happen when the text contains "<|endoftext|>" and it is not allowed?
4. encode_iter: text arrives in chunks; where can you safely cut so that the ids equal those of the
   whole text, and how much must you keep back?
5. decode: a token can hold half of a multi-byte character. What must decode do then?
6. from_ranks / merges: given only bytes -> rank, how do you recover the two tokens each merge joined?
7. save / load: what must the file hold so that load(save(t)) encodes exactly like t?
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Literal

import regex

# GPT-2's pre-tokenizer (encoder.py in the GPT-2 release). Merges never cross the pieces it finds.
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
ENDOFTEXT = "<|endoftext|>"

AllowedSpecial = Literal["all"] | Collection[str]


class Tokenizer:
    def __init__(self, pattern: str = GPT2_PATTERN) -> None:
        self.pattern = pattern
        self.compiled = regex.compile(pattern)
        self.ranks: dict[bytes, int] = {bytes([i]): i for i in range(256)}  # token bytes -> id (= rank)
        self.special_tokens: dict[str, int] = {}  # "<|endoftext|>" -> id

    @property
    def vocab(self) -> dict[int, bytes]:
        """id -> bytes, the special tokens included (as their UTF-8 bytes)."""
        vocab = {i: b for b, i in self.ranks.items()}
        vocab.update({i: s.encode("utf-8") for s, i in self.special_tokens.items()})
        return vocab

    @property
    def mergeable_ranks(self) -> dict[bytes, int]:
        return dict(self.ranks)

    @property
    def merges(self) -> dict[tuple[int, int], int]:
        raise NotImplementedError(
            "week 4: Tokenizer.merges — {(left id, right id): merged id} in rank order; tokenizer.py's handout, question 6"
        )

    def train(self, text: str, vocab_size: int, special_tokens: Iterable[str] = (ENDOFTEXT,)) -> Tokenizer:
        raise NotImplementedError(
            "week 4: Tokenizer.train — learn vocab_size - 256 - len(specials) merges; tokenizer.py's handout, question 1"
        )

    def encode_ordinary(self, text: str) -> list[int]:
        raise NotImplementedError(
            "week 4: Tokenizer.encode_ordinary — text -> ids, no special tokens; tokenizer.py's handout, question 2"
        )

    def encode(
        self, text: str, *, allowed_special: AllowedSpecial = frozenset(), disallowed_special: AllowedSpecial = "all"
    ) -> list[int]:
        raise NotImplementedError(
            "week 4: Tokenizer.encode — tiktoken's rules for special tokens; tokenizer.py's handout, question 3"
        )

    def encode_iter(
        self,
        chunks: Iterable[str],
        *,
        allowed_special: AllowedSpecial = frozenset(),
        disallowed_special: AllowedSpecial = "all",
    ) -> Iterator[int]:
        raise NotImplementedError(
            "week 4: Tokenizer.encode_iter — the ids of the joined chunks, while reading them; tokenizer.py's handout, question 4"
        )

    def decode(self, ids: Iterable[int]) -> str:
        raise NotImplementedError(
            "week 4: Tokenizer.decode — ids -> text, never raising on valid ids; tokenizer.py's handout, question 5"
        )

    @classmethod
    def from_ranks(
        cls,
        mergeable_ranks: dict[bytes, int],
        pattern: str = GPT2_PATTERN,
        special_tokens: dict[str, int] | None = None,
    ) -> Tokenizer:
        raise NotImplementedError(
            "week 4: Tokenizer.from_ranks — a tokenizer from tiktoken-format ranks; tokenizer.py's handout, question 6"
        )

    def save(self, path: str | Path) -> None:
        raise NotImplementedError("week 4: Tokenizer.save — write it to one file; tokenizer.py's handout, question 7")

    @classmethod
    def load(cls, path: str | Path) -> Tokenizer:
        raise NotImplementedError("week 4: Tokenizer.load — read what save wrote; tokenizer.py's handout, question 7")
