"""GPT-2's byte-level BPE tokenizer: training, encoding, decoding, tiktoken-format ranks.

The vocabulary is 256 single-byte tokens, then one token per merge (in the order training
found them: a token's id is its *rank*), then the special tokens. Text is first cut into
pre-tokens by GPT-2's regex, so merges never cross a word/space/punctuation boundary.

Encoding a pre-token repeatedly merges the adjacent pair whose concatenation has the lowest
rank, exactly as tiktoken does; any tiktoken vocabulary loads with ``Tokenizer.from_ranks``.
"""

from __future__ import annotations

import base64
import heapq
import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator
from functools import cached_property
from pathlib import Path
from typing import Literal

import regex

# The pattern of the original GPT-2 release (encoder.py): contractions, optionally-space-prefixed
# runs of letters / digits / other symbols, and whitespace runs that leave their last space to the
# next word (so " world" stays one pre-token).
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
ENDOFTEXT = "<|endoftext|>"

# Streaming holds back this many characters at the end of the buffer: the GPT-2 pattern decides
# a pre-token by looking at most 3 characters past its start ('ll) and 1 past its end ((?!\S)).
_LOOKAHEAD = 8
_BYTES = [bytes([b]) for b in range(256)]  # the single-byte tokens, made once
_CACHE_LIMIT = 1 << 16  # pre-token -> ids entries kept by encode before the cache is cleared

AllowedSpecial = Literal["all"] | Collection[str]


class Tokenizer:
    """Byte-level BPE. ``Tokenizer()`` is the 256-byte identity tokenizer; ``train`` or
    ``from_ranks`` gives it merges."""

    def __init__(self, pattern: str = GPT2_PATTERN) -> None:
        self._init(pattern, {bytes([i]): i for i in range(256)}, {}, {})

    def _init(
        self,
        pattern: str,
        ranks: dict[bytes, int],
        special_tokens: dict[str, int],
        merges: dict[tuple[int, int], int] | None,
    ) -> None:
        self.pattern = pattern
        self._compiled = regex.compile(pattern)
        self._ranks = ranks  # mergeable token bytes -> id (= rank)
        self.special_tokens = dict(special_tokens)  # special string -> id
        self._decoder = {i: b for b, i in ranks.items()} | {i: s.encode() for s, i in special_tokens.items()}
        self._cache: dict[str, list[int]] = {}
        self.__dict__.pop("merges", None)  # drop a cached_property computed for the old ranks
        if merges is not None:
            self.__dict__["merges"] = merges

    # ------------------------------------------------------------------ vocabulary

    @property
    def vocab(self) -> dict[int, bytes]:
        """id -> bytes for every token, the special tokens included (as their UTF-8)."""
        return dict(sorted(self._decoder.items()))

    @property
    def vocab_size(self) -> int:
        return len(self._decoder)

    @property
    def mergeable_ranks(self) -> dict[bytes, int]:
        """The non-special tokens in tiktoken's format: bytes -> rank (= id)."""
        return dict(self._ranks)

    @cached_property
    def merges(self) -> dict[tuple[int, int], int]:
        """(left id, right id) -> merged id, in rank order. Recovered from the ranks when loaded:
        BPE on a token's own bytes, with only lower ranks allowed, stops at exactly its two halves."""
        merges = {}
        for token, rank in sorted(self._ranks.items(), key=lambda kv: kv[1]):
            if len(token) == 1:
                continue
            parts = _bpe(token, self._ranks, max_rank=rank)
            if len(parts) != 2:
                raise ValueError(f"rank {rank} ({token!r}) is not the merge of two lower-ranked tokens: {parts}")
            merges[(self._ranks[parts[0]], self._ranks[parts[1]])] = rank
        return merges

    # ------------------------------------------------------------------ training

    def train(self, text: str, vocab_size: int, special_tokens: Iterable[str] = (ENDOFTEXT,)) -> Tokenizer:
        """Learn ``vocab_size - 256 - len(special_tokens)`` merges from ``text`` (fewer if every
        pre-token becomes a single token first). Returns self.

        Each step merges the pair with the highest count over all pre-tokens (weighted by how often
        the pre-token occurs); ties go to the lexicographically smallest (left bytes, right bytes).
        Special tokens are cut out of the text first, so they never take part in a merge; they get
        the ids after the merges, in the order given.
        """
        specials = list(dict.fromkeys(special_tokens))
        n_merges = vocab_size - 256 - len(specials)
        if n_merges < 0:
            raise ValueError(f"vocab_size={vocab_size} < 256 byte tokens + {len(specials)} special tokens")

        # Each distinct pre-token once, with its count: the corpus shrinks to its vocabulary.
        counts = Counter(piece for part in _split_out(text, specials) for piece in self._pieces(part))
        words = [list(piece.encode("utf-8")) for piece in counts]
        freqs = list(counts.values())
        vocab = [bytes([i]) for i in range(256)]

        # stats: pair -> weighted count; where: pair -> words that (may) hold it. Both are kept up to
        # date incrementally: a merge only revisits the words that contain the merged pair.
        stats: dict[tuple[int, int], int] = defaultdict(int)
        where: dict[tuple[int, int], set[int]] = defaultdict(set)
        for w, ids in enumerate(words):
            for pair in itertools.pairwise(ids):
                stats[pair] += freqs[w]
                where[pair].add(w)

        def entry(pair: tuple[int, int], count: int) -> tuple:
            # heapq pops the smallest: the highest count, then the smallest (left bytes, right bytes).
            return (-count, vocab[pair[0]], vocab[pair[1]], pair)

        # Stale entries (a count that has changed since) are skipped when popped.
        heap = [entry(pair, c) for pair, c in stats.items()]
        heapq.heapify(heap)

        merges: dict[tuple[int, int], int] = {}
        while len(merges) < n_merges and heap:
            neg_count, _, _, pair = heapq.heappop(heap)
            if stats.get(pair, 0) != -neg_count:
                continue  # this entry's count is out of date; a fresher one is in the heap
            new_id = len(vocab)
            merges[pair] = new_id
            vocab.append(vocab[pair[0]] + vocab[pair[1]])
            before: dict[tuple[int, int], int] = {}  # counts of the pairs this merge touches
            for w in where.pop(pair):
                old = words[w]
                new = _merge(old, pair, new_id)
                if len(new) == len(old):
                    continue  # the pair left this word in an earlier merge
                f = freqs[w]
                for p in itertools.pairwise(old):
                    before.setdefault(p, stats[p])
                    stats[p] -= f
                for p in itertools.pairwise(new):
                    before.setdefault(p, stats[p])
                    stats[p] += f
                    where[p].add(w)
                words[w] = new
            for p, c in before.items():
                if stats[p] <= 0:
                    del stats[p]
                elif stats[p] != c:
                    heapq.heappush(heap, entry(p, stats[p]))

        ranks = {token: i for i, token in enumerate(vocab)}
        self._init(self.pattern, ranks, {s: len(vocab) + k for k, s in enumerate(specials)}, merges)
        return self

    # ------------------------------------------------------------------ encoding

    def _pieces(self, text: str) -> list[str]:
        """Pre-tokens: merges happen inside a piece, never across two."""
        return self._compiled.findall(text)

    def _encode_piece(self, piece: str) -> list[int]:
        ids = self._cache.get(piece)
        if ids is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            ids = [self._ranks[p] for p in _bpe(piece.encode("utf-8"), self._ranks)]
            self._cache[piece] = ids
        return ids

    def encode_ordinary(self, text: str) -> list[int]:
        """Encode ignoring special tokens: ``<|endoftext|>`` in ``text`` is plain text here."""
        ids: list[int] = []
        cache = self._cache  # looked up inline: this loop is most of encode's time
        for piece in self._pieces(text):
            piece_ids = cache.get(piece)
            ids.extend(piece_ids if piece_ids is not None else self._encode_piece(piece))
        return ids

    def encode(
        self, text: str, *, allowed_special: AllowedSpecial = frozenset(), disallowed_special: AllowedSpecial = "all"
    ) -> list[int]:
        """Encode ``text`` with tiktoken's special-token rules (see spec/CONTRACT.md, week 4):
        allowed specials become their ids; a disallowed one anywhere in ``text`` raises ValueError;
        any other special string is plain text."""
        allowed = self._allowed(allowed_special, disallowed_special, text)
        ids: list[int] = []
        for is_special, part in self._split_special(text, allowed):
            if is_special:
                ids.append(self.special_tokens[part])
            else:
                ids.extend(self.encode_ordinary(part))
        return ids

    def encode_iter(
        self,
        chunks: Iterable[str],
        *,
        allowed_special: AllowedSpecial = frozenset(),
        disallowed_special: AllowedSpecial = "all",
    ) -> Iterator[int]:
        """Streaming encode: yields the ids of ``"".join(chunks)`` while reading the chunks, holding
        back only the tail whose pre-tokens (or a special token) the next chunk could still change."""
        hold = _LOOKAHEAD + max((len(s) for s in self.special_tokens), default=0)
        buf = ""
        for chunk in chunks:
            buf += chunk
            if len(buf) <= 2 * hold:
                continue  # too little text to be worth a scan
            allowed = self._allowed(allowed_special, disallowed_special, buf)
            cut, ids = self._stable_prefix(buf, len(buf) - hold, allowed)
            yield from ids
            buf = buf[cut:]
        yield from self.encode(buf, allowed_special=allowed_special, disallowed_special=disallowed_special)

    def _stable_prefix(self, buf: str, limit: int, allowed: set[str]) -> tuple[int, list[int]]:
        """The ids of ``buf`` up to its last pre-token or special-token boundary at or before ``limit``,
        and that boundary. The pieces are those of the whole buffer: re-splitting the prefix alone
        could end a whitespace run differently (``(?!\\S)`` would see the end of the text)."""
        ids: list[int] = []
        cut = start = 0
        for m in [*self._special_regex(allowed).finditer(buf), None] if allowed else [None]:
            end = m.start() if m else len(buf)
            for piece in self._compiled.finditer(buf, start, end):
                if piece.end() > limit:
                    return cut, ids
                ids.extend(self._encode_piece(piece.group()))
                cut = piece.end()
            if m is None or m.end() > limit:
                return cut, ids
            ids.append(self.special_tokens[m.group()])
            cut = start = m.end()
        return cut, ids

    def _allowed(self, allowed_special: AllowedSpecial, disallowed_special: AllowedSpecial, text: str) -> set[str]:
        """tiktoken's rules: "all" means every special token; by default every special that is not
        allowed is disallowed, and finding a disallowed one in the text is an error."""
        allowed = set(self.special_tokens) if allowed_special == "all" else set(allowed_special)
        disallowed = set(self.special_tokens) - allowed if disallowed_special == "all" else set(disallowed_special)
        if disallowed and (m := self._special_regex(disallowed).search(text)):
            raise ValueError(
                f"text contains the special token {m.group()!r}, which is disallowed. Pass "
                f"allowed_special={{{m.group()!r}}} (or 'all') to encode it as a special token, or "
                f"disallowed_special=() to encode it as plain text."
            )
        return allowed

    def _split_special(self, text: str, allowed: set[str]) -> Iterator[tuple[bool, str]]:
        """(is_special, part) pieces of ``text``, cut at each allowed special token."""
        if not allowed:
            yield False, text
            return
        start = 0
        for m in self._special_regex(allowed).finditer(text):
            yield False, text[start : m.start()]
            yield True, m.group()
            start = m.end()
        yield False, text[start:]

    @staticmethod
    def _special_regex(specials: Iterable[str]) -> regex.Pattern:
        # Longest first, so a special token that extends another one wins.
        alternatives = sorted(specials, key=len, reverse=True)
        return regex.compile("|".join(regex.escape(s) for s in alternatives) or r"(?!)")

    # ------------------------------------------------------------------ decoding

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        try:
            return b"".join(self._decoder[i] for i in ids)
        except KeyError as exc:
            raise ValueError(f"token id {exc.args[0]} is not in the vocabulary (size {self.vocab_size})") from None

    def decode(self, ids: Iterable[int]) -> str:
        """ids -> text. A token may hold part of a UTF-8 character, so a slice of a valid
        encoding need not be valid UTF-8: invalid bytes become U+FFFD, never an exception."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    # ------------------------------------------------------------------ loading and saving

    @classmethod
    def from_ranks(
        cls,
        mergeable_ranks: dict[bytes, int],
        pattern: str = GPT2_PATTERN,
        special_tokens: dict[str, int] | None = None,
    ) -> Tokenizer:
        """A tokenizer from tiktoken-format ranks (e.g. ``tiktoken.get_encoding("gpt2")._mergeable_ranks``).
        Single bytes need not have rank == byte value (GPT-2's do not)."""
        missing = [b for b in range(256) if bytes([b]) not in mergeable_ranks]
        if missing:
            raise ValueError(f"the ranks lack {len(missing)} single-byte tokens, e.g. {bytes([missing[0]])!r}")
        tok = cls.__new__(cls)
        tok._init(pattern, dict(mergeable_ranks), dict(special_tokens or {}), None)
        return tok

    def save(self, path: str | Path) -> None:
        """JSON: the pattern, the special tokens and the ranks (token bytes in base64, as tiktoken)."""
        data = {
            "format": "gpt2spec-bpe/1",
            "pattern": self.pattern,
            "special_tokens": self.special_tokens,
            "mergeable_ranks": [[base64.b64encode(b).decode("ascii"), i] for b, i in self._ranks.items()],
        }
        Path(path).write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Tokenizer:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != "gpt2spec-bpe/1":
            raise ValueError(f"{path}: not a saved Tokenizer (format {data.get('format')!r})")
        ranks = {base64.b64decode(b): i for b, i in data["mergeable_ranks"]}
        return cls.from_ranks(ranks, data["pattern"], data["special_tokens"])


def _bpe(token: bytes, ranks: dict[bytes, int], max_rank: int | None = None) -> list[bytes]:
    """Merge the adjacent pair with the lowest rank until none is left (tiktoken's algorithm).
    With ``max_rank``, only ranks below it may merge (used to recover the merges)."""
    if token in ranks and max_rank is None:
        return [token]  # a whole pre-token in the vocabulary is its own encoding (BPE ends there too)
    inf = float("inf")
    limit = inf if max_rank is None else max_rank
    parts = [_BYTES[b] for b in token]
    get = ranks.get
    # pair_ranks[i]: the rank of parts[i] + parts[i + 1]; a merge changes only its two neighbours.
    pair_ranks = [get(a + b, inf) for a, b in itertools.pairwise(parts)]
    while pair_ranks:
        # Rank order is training order: the pair merged earliest in training merges first.
        rank = min(pair_ranks)
        if rank >= limit:
            break
        i = pair_ranks.index(rank)  # the leftmost, if the same pair occurs twice
        parts[i : i + 2] = [parts[i] + parts[i + 1]]
        del pair_ranks[i]
        if i > 0:
            pair_ranks[i - 1] = get(parts[i - 1] + parts[i], inf)
        if i < len(pair_ranks):
            pair_ranks[i] = get(parts[i] + parts[i + 1], inf)
    return parts


def _merge(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace every non-overlapping occurrence of ``pair`` (left to right) by ``new_id``."""
    out, i, n = [], 0, len(ids)
    a, b = pair
    while i < n:
        if i < n - 1 and ids[i] == a and ids[i + 1] == b:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def _split_out(text: str, specials: list[str]) -> list[str]:
    """``text`` with every special token cut out, as the parts between them."""
    if not specials:
        return [text]
    return Tokenizer._special_regex(specials).split(text)
