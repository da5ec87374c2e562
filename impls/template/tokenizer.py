"""Week 4: GPT-2's byte-level BPE tokenizer.  Spec: spec/test_tokenizer.py, contract: spec/CONTRACT.md.

Ids: 0..255 are the single bytes (for a trained tokenizer; loaded vocabularies may permute them),
then one id per merge in the order training learned them (an id is its *rank*), then the special
tokens. Every blank below raises NotImplementedError; replace each with your code.
"""

from __future__ import annotations

import base64
import json
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
            "week 4: Tokenizer.merges — {(left id, right id): merged id} in rank order. After train, keep the "
            "dict you built; after from_ranks, recover each token's two halves: run BPE on its own bytes allowing "
            "only lower ranks; it stops at exactly two parts."
        )

    def train(self, text: str, vocab_size: int, special_tokens: Iterable[str] = (ENDOFTEXT,)) -> Tokenizer:
        raise NotImplementedError(
            "week 4: Tokenizer.train — cut the special tokens out of text, split the rest with self.compiled.findall, "
            "count each distinct piece once (collections.Counter), then repeat vocab_size - 256 - len(specials) "
            "times: merge the pair with the highest count (ties: smallest (left bytes, right bytes)) in every piece. "
            "Keep pair counts up to date incrementally (only pieces that contain the pair change). Specials get the "
            "last ids. Return self."
        )

    def encode_ordinary(self, text: str) -> list[int]:
        raise NotImplementedError(
            "week 4: Tokenizer.encode_ordinary — for each piece of self.compiled.findall(text): start from its UTF-8 "
            "bytes as single-byte parts and keep merging the adjacent pair whose concatenation has the LOWEST rank "
            "in self.ranks until no pair is in it. Cache the ids of each piece (a dict) — text repeats."
        )

    def encode(
        self, text: str, *, allowed_special: AllowedSpecial = frozenset(), disallowed_special: AllowedSpecial = "all"
    ) -> list[int]:
        raise NotImplementedError(
            "week 4: Tokenizer.encode — tiktoken's rules: 'all' means every special; disallowed 'all' means every "
            "special not allowed; a disallowed special in text raises ValueError; split text at the allowed specials "
            "(regex of regex.escape'd alternatives), emit their ids, encode_ordinary the text between them."
        )

    def encode_iter(
        self,
        chunks: Iterable[str],
        *,
        allowed_special: AllowedSpecial = frozenset(),
        disallowed_special: AllowedSpecial = "all",
    ) -> Iterator[int]:
        raise NotImplementedError(
            "week 4: Tokenizer.encode_iter — yield the ids of ''.join(chunks) while reading them: keep a buffer, "
            "emit the pieces that end well before its end (a few characters of lookahead, plus the longest special "
            "token), keep the rest for the next chunk. Do not encode each chunk on its own."
        )

    def decode(self, ids: Iterable[int]) -> str:
        raise NotImplementedError(
            "week 4: Tokenizer.decode — join the tokens' bytes, then .decode('utf-8', errors='replace'): a token "
            "may hold half a character, and decode must never raise on valid ids."
        )

    @classmethod
    def from_ranks(
        cls,
        mergeable_ranks: dict[bytes, int],
        pattern: str = GPT2_PATTERN,
        special_tokens: dict[str, int] | None = None,
    ) -> Tokenizer:
        raise NotImplementedError(
            "week 4: Tokenizer.from_ranks — a tokenizer holding tiktoken-format ranks (bytes -> rank), the pattern "
            "and the special tokens. Byte b's id is mergeable_ranks[bytes([b])], not b."
        )

    # Saving is given: it relies on mergeable_ranks and from_ranks.
    def save(self, path: str | Path) -> None:
        data = {
            "format": "gpt2spec-bpe/1",
            "pattern": self.pattern,
            "special_tokens": self.special_tokens,
            "mergeable_ranks": [[base64.b64encode(b).decode("ascii"), i] for b, i in self.mergeable_ranks.items()],
        }
        Path(path).write_text(json.dumps(data) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Tokenizer:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        ranks = {base64.b64decode(b): i for b, i in data["mergeable_ranks"]}
        return cls.from_ranks(ranks, data["pattern"], data["special_tokens"])
