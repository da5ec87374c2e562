"""Week 4, written from spec/CONTRACT.md: byte-level BPE trained on pre-token counts.

A pair's count is recomputed from the distinct pre-tokens at every merge (simple, and fast enough
for the few hundred merges a training run learns); ties go to the smallest (left bytes, right bytes).
"""

from __future__ import annotations

import itertools
from collections import Counter

import regex

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


class Tokenizer:
    def __init__(self, pattern: str = GPT2_PATTERN) -> None:
        self.pattern = pattern
        self._split = regex.compile(pattern)
        self.merges: dict[tuple[int, int], int] = {}
        self.special_tokens: dict[str, int] = {}
        self._bytes = {i: bytes([i]) for i in range(256)}

    @property
    def vocab(self) -> dict[int, bytes]:
        out = dict(self._bytes)
        out.update({i: s.encode("utf-8") for s, i in self.special_tokens.items()})
        return out

    def train(self, text: str, vocab_size: int, special_tokens=("<|endoftext|>",)) -> Tokenizer:
        specials = list(special_tokens)
        chunks = regex.split("|".join(regex.escape(s) for s in specials), text) if specials else [text]
        pieces = Counter(p for chunk in chunks for p in self._split.findall(chunk))  # specials never merge
        words = {tuple(p.encode("utf-8")): n for p, n in pieces.items()}
        for new_id in range(256, vocab_size - len(specials)):
            counts: Counter[tuple[int, int]] = Counter()
            for w, n in words.items():
                for pair in itertools.pairwise(w):
                    counts[pair] += n
            if not counts:
                break
            best = max(counts.items(), key=lambda kv: (kv[1], _neg(self._bytes[kv[0][0]], self._bytes[kv[0][1]])))[0]
            self.merges[best] = new_id
            self._bytes[new_id] = self._bytes[best[0]] + self._bytes[best[1]]
            words = {_replace(w, best, new_id): n for w, n in words.items()}
        first = 256 + len(self.merges)
        self.special_tokens = {s: first + i for i, s in enumerate(specials)}
        return self

    def encode_ordinary(self, text: str) -> list[int]:
        out: list[int] = []
        for piece in self._split.findall(text):
            ids = tuple(piece.encode("utf-8"))
            while len(ids) > 1:
                pair = min(itertools.pairwise(ids), key=lambda p: self.merges.get(p, float("inf")))
                if pair not in self.merges:
                    break
                ids = _replace(ids, pair, self.merges[pair])
            out.extend(ids)
        return out

    def encode(self, text: str, *, allowed_special=frozenset(), disallowed_special="all") -> list[int]:
        allowed = set(self.special_tokens) if allowed_special == "all" else set(allowed_special)
        disallowed = set(self.special_tokens) - allowed if disallowed_special == "all" else set(disallowed_special)
        for s in disallowed:
            if s in text:
                raise ValueError(f"text contains the disallowed special token {s!r}")
        if not allowed:
            return self.encode_ordinary(text)
        parts = regex.split("(" + "|".join(regex.escape(s) for s in sorted(allowed, key=len, reverse=True)) + ")", text)
        out: list[int] = []
        for i, part in enumerate(parts):
            out.extend([self.special_tokens[part]] if i % 2 else self.encode_ordinary(part))
        return out

    def decode_bytes(self, ids) -> bytes:
        vocab = self.vocab
        try:
            return b"".join(vocab[i] for i in ids)
        except KeyError as exc:
            raise ValueError(f"id {exc.args[0]} is not in the vocabulary") from None

    def decode(self, ids) -> str:
        return self.decode_bytes(ids).decode("utf-8", errors="replace")


class _neg:
    """Orders (left, right) byte strings so that max() picks the lexicographically smallest."""

    def __init__(self, left: bytes, right: bytes) -> None:
        self.key = (left, right)

    def __lt__(self, other: _neg) -> bool:
        return self.key > other.key


def _replace(ids: tuple[int, ...], pair: tuple[int, int], new_id: int) -> tuple[int, ...]:
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return tuple(out)
