"""Week 4, written from spec/CONTRACT.md: byte-level BPE.

Training recounts the pairs of the distinct pre-tokens at every merge (simple, and fast enough for the
few hundred merges a training run learns); ties go to the smallest (left bytes, right bytes). Encoding
works on byte strings, as tiktoken does: the adjacent pair whose concatenation has the lowest rank
merges first, so a loaded vocabulary whose single bytes are permuted (GPT-2's) encodes the same way.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections import Counter
from collections.abc import Iterable, Iterator

import regex

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


class Tokenizer:
    def __init__(self, pattern: str = GPT2_PATTERN) -> None:
        self.pattern = pattern
        self._split = regex.compile(pattern)
        self.merges: dict[tuple[int, int], int] = {}
        self.special_tokens: dict[str, int] = {}
        self._ranks = {bytes([b]): b for b in range(256)}  # token bytes -> id (its rank); specials excluded

    # ------------------------------------------------------------ the vocabulary

    @property
    def mergeable_ranks(self) -> dict[bytes, int]:
        return dict(self._ranks)

    @property
    def vocab(self) -> dict[int, bytes]:
        out = {i: b for b, i in self._ranks.items()}
        out.update({i: s.encode("utf-8") for s, i in self.special_tokens.items()})
        return out

    @classmethod
    def from_ranks(cls, mergeable_ranks: dict[bytes, int], pattern: str = GPT2_PATTERN, special_tokens=None):
        tok = cls(pattern)
        tok._ranks = dict(mergeable_ranks)
        tok.special_tokens = dict(special_tokens or {})
        for token, rank in sorted(tok._ranks.items(), key=lambda kv: kv[1]):
            if len(token) > 1:  # BPE on its own bytes with lower ranks only ends in its two halves
                left, right = _bpe(token, tok._ranks, below=rank)
                tok.merges[(tok._ranks[left], tok._ranks[right])] = rank
        return tok

    def save(self, path) -> None:
        ranks = {base64.b64encode(b).decode(): i for b, i in self._ranks.items()}
        data = {"pattern": self.pattern, "ranks": ranks, "special_tokens": self.special_tokens}
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f)

    @classmethod
    def load(cls, path) -> Tokenizer:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        ranks = {base64.b64decode(b): i for b, i in data["ranks"].items()}
        return cls.from_ranks(ranks, data["pattern"], data["special_tokens"])

    # ------------------------------------------------------------ training

    def train(self, text: str, vocab_size: int, special_tokens=("<|endoftext|>",)) -> Tokenizer:
        specials = list(special_tokens)
        chunks = regex.split("|".join(regex.escape(s) for s in specials), text) if specials else [text]
        pieces = Counter(p for chunk in chunks for p in self._split.findall(chunk))  # specials never merge
        words = {tuple(p.encode("utf-8")): n for p, n in pieces.items()}
        id_bytes = {i: bytes([i]) for i in range(256)}
        for new_id in range(256, vocab_size - len(specials)):
            counts: Counter[tuple[int, int]] = Counter()
            for w, n in words.items():
                for pair in itertools.pairwise(w):
                    counts[pair] += n
            if not counts:
                break
            best = max(counts.items(), key=lambda kv: (kv[1], _Smallest(id_bytes[kv[0][0]], id_bytes[kv[0][1]])))[0]
            self.merges[best] = new_id
            id_bytes[new_id] = id_bytes[best[0]] + id_bytes[best[1]]
            self._ranks[id_bytes[new_id]] = new_id
            words = {_replace(w, best, new_id): n for w, n in words.items()}
        first = 256 + len(self.merges)
        self.special_tokens = {s: first + i for i, s in enumerate(specials)}
        return self

    # ------------------------------------------------------------ encoding

    def encode_ordinary(self, text: str) -> list[int]:
        out: list[int] = []
        for piece in self._split.findall(text):
            out.extend(self._ranks[part] for part in _bpe(piece.encode("utf-8"), self._ranks))
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

    def encode_iter(
        self, chunks: Iterable[str], *, allowed_special=frozenset(), disallowed_special="all"
    ) -> Iterator[int]:
        # Reads the whole iterable first: the contract allows it, and no cut can then split a pre-token.
        yield from self.encode("".join(chunks), allowed_special=allowed_special, disallowed_special=disallowed_special)

    # ------------------------------------------------------------ decoding

    def decode_bytes(self, ids) -> bytes:
        vocab = self.vocab
        try:
            return b"".join(vocab[i] for i in ids)
        except KeyError as exc:
            raise ValueError(f"id {exc.args[0]} is not in the vocabulary") from None

    def decode(self, ids) -> str:
        return self.decode_bytes(ids).decode("utf-8", errors="replace")


class _Smallest:
    """Orders (left, right) byte strings so that max() picks the lexicographically smallest."""

    def __init__(self, left: bytes, right: bytes) -> None:
        self.key = (left, right)

    def __lt__(self, other: _Smallest) -> bool:
        return self.key > other.key


def _bpe(token: bytes, ranks: dict[bytes, int], below: int | None = None) -> list[bytes]:
    """Merge the adjacent pair whose concatenation has the lowest rank (under ``below``), until none is left."""
    parts = [bytes([b]) for b in token]
    limit = float("inf") if below is None else below
    while len(parts) > 1:
        best, best_rank = -1, limit
        for i in range(len(parts) - 1):
            rank = ranks.get(parts[i] + parts[i + 1])
            if rank is not None and rank < best_rank:
                best, best_rank = i, rank
        if best < 0:
            break
        parts[best : best + 2] = [parts[best] + parts[best + 1]]
    return parts


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
