"""Shared helpers of the week-4 tokenizer spec (spec/test_tokenizer_*.py): the oracles (a tokenizer
the reference trains on the built-in corpus, and its tiktoken Encoding), cached trained tokenizers,
naive BPE bookkeeping, and the parity assertion.

Tests never touch the network: the autouse fixture ``no_network`` (imported by every tokenizer spec
module) replaces tiktoken's file reader by one that refuses URLs for the duration of each test.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from itertools import pairwise

import pytest
import regex
import tiktoken
import tiktoken.load

from gpt2spec.builtin_corpus import PROJECT_TEXT, builtin_corpus
from gpt2spec.contract import GPT2_PATTERN
from gpt2spec.remote.proxy import is_stale
from reference.tokenizer import Tokenizer as ReferenceTokenizer

from .assertions import assert_ids_equal

EOT = "<|endoftext|>"
SPECIALS = (EOT, "<|pad|>")
VOCAB = 512  # 254 merges on the corpus: enough for multi-byte merges, fast to train
CORPUS_CHARS = 60_000
# tiktoken_ext/openai_public.py (tiktoken 0.14): cl100k_base's pattern and the sha256 of its ranks file.
CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|"""
    r"""\s+(?!\S)|\s"""
)
CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
CL100K_SPECIALS = {EOT: 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259, "<|fim_suffix|>": 100260}
# Curated parity cases (the list), each encoded with allowed_special="all".
CURATED = {
    "contractions": "I'm sure they're fine, aren't you? We'll see; you'd've 'LL 's",
    "numbers": "0 7 42 1024 3.14159 1e-5 100000000000 2026-11-24 $19.99",
    "emoji": "🙂🙂 🚀 👍🏽 🇩🇪 👨\u200d👩\u200d👧 done",
    "german": "Größe, Straße, übermäßig schöne Bücher; Grüß Gott!",
    "cjk": "日本語のテキストです。你好，世界。안녕하세요",
    "multiple-spaces": "a  b   c    d     e \t f",
    "trailing-newlines": "last line\n\n\n",
    "crlf-tab-nul": "one\r\ntwo\tthree\x00four\r\n",
    "special-alone": EOT,
    "special-adjacent": f"{EOT}{EOT}hello{EOT} world{EOT}\n{EOT}",
    "special-inside-word": f"end{EOT}of<|pad|>text",
    "corpus-project-text": PROJECT_TEXT,
}
MERGE_HINT = (
    "encode each pre-token by merging, again and again, the adjacent pair with the LOWEST rank (the merge "
    "learned first), not the most frequent pair and not left to right; split the text with the GPT-2 regex first."
)


# ---------------------------------------------------------------- oracles and helpers


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """tiktoken must never download during the spec: refuse URLs, keep local files."""
    read_file = tiktoken.load.read_file

    def offline(blobpath: str) -> bytes:
        if "://" in blobpath:
            raise RuntimeError(f"the spec is offline: refused to fetch {blobpath}")
        return read_file(blobpath)

    monkeypatch.setattr(tiktoken.load, "read_file", offline)


_cache: dict[tuple, object] = {}


def cached(key: tuple, make):
    """Build once per key (keys include the implementation's name); exceptions are not cached, and neither is an
    object of an implementation process that has died since (--isolate: a crash in one test)."""
    if key not in _cache or is_stale(_cache[key]):
        _cache[key] = make()
    return _cache[key]


def corpus() -> str:
    return builtin_corpus(CORPUS_CHARS)


def oracle_tokenizer() -> ReferenceTokenizer:
    return cached(("oracle",), lambda: ReferenceTokenizer().train(corpus(), VOCAB, special_tokens=SPECIALS))


def oracle_encoding() -> tiktoken.Encoding:
    """tiktoken, holding the ranks the reference learned on the corpus (GPT-2's pattern)."""
    ref = oracle_tokenizer()
    return cached(
        ("oracle-encoding",),
        lambda: tiktoken.Encoding(
            "gpt2spec-oracle",
            pat_str=GPT2_PATTERN,
            mergeable_ranks=ref.mergeable_ranks,
            special_tokens=oracle_specials(),
        ),
    )


def oracle_specials() -> dict[str, int]:
    return dict(oracle_tokenizer().special_tokens)


def loaded(impl):
    """The implementation holding the oracle's ranks (so its encode must equal tiktoken's)."""
    ref = oracle_tokenizer()
    return cached(
        ("loaded", impl.name),
        lambda: impl.Tokenizer.from_ranks(ref.mergeable_ranks, GPT2_PATTERN, dict(ref.special_tokens)),
    )


def trained(impl, text: str | None = None, vocab_size: int = VOCAB, specials=SPECIALS):
    """The implementation trained by itself."""
    text = corpus() if text is None else text
    key = ("trained", impl.name, hashlib.sha1(text.encode()).hexdigest(), vocab_size, specials)
    return cached(key, lambda: impl.Tokenizer().train(text, vocab_size, special_tokens=specials))


def vocab_of(tok) -> dict[int, bytes]:
    vocab = dict(tok.vocab)
    assert all(isinstance(b, bytes) for b in vocab.values()), "vocab must map id -> bytes"
    return vocab


def pieces_of(text: str, specials=SPECIALS) -> Counter[str]:
    """The GPT-2 pre-tokens of ``text`` with the special tokens cut out, with their counts."""
    parts = regex.split("|".join(regex.escape(s) for s in specials), text) if specials else [text]
    return Counter(p for part in parts for p in regex.findall(GPT2_PATTERN, part))


def naive_pair_counts(words: Counter[tuple[int, ...]]) -> Counter[tuple[int, int]]:
    counts: Counter[tuple[int, int]] = Counter()
    for word, n in words.items():
        for pair in pairwise(word):
            counts[pair] += n
    return counts


def apply_merge(word: tuple[int, ...], pair: tuple[int, int], new_id: int) -> tuple[int, ...]:
    out, i = [], 0
    while i < len(word):
        if word[i : i + 2] == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


def assert_parity(tok, enc: tiktoken.Encoding, text: str, what: str, **special) -> None:
    __tracebackhide__ = True
    got, want = tok.encode(text, **special), enc.encode(text, **special)
    if got != want:  # the vocab (for the message) only when needed: building it for cl100k takes a while
        assert_ids_equal(got, want, what=what, vocab=vocab_of(tok), hint=_parity_hint(tok, got, want, special))


def _parity_hint(tok, got: list[int], want: list[int], special: dict) -> str:
    """What the first difference points to: special-token ids where there should be none (or fewer), or the other
    way round, before the merges (v32: an encode that cut at every special was told to merge by lowest rank)."""
    specials = getattr(tok, "special_tokens", None)
    ids = set(specials.values()) if isinstance(specials, dict) else set()  # the hint must not raise in its turn
    ours, theirs = sum(i in ids for i in got), sum(i in ids for i in want)
    if ours > theirs:
        return (f"your ids hold {ours} special-token ids where {theirs} are expected: with {special or 'the defaults'}"
                " a special string that is not allowed is plain text (or raises, when disallowed); only the allowed"
                " specials become ids")  # fmt: skip
    if ours < theirs:
        return (f"your ids hold {ours} special-token ids where {theirs} are expected: an allowed special string "
                "becomes its one id, not its bytes merged as plain text")  # fmt: skip
    return MERGE_HINT


def first_merge_difference(text: str, got: dict[tuple[int, int], int], want: dict[tuple[int, int], int]) -> str:
    """Replay the expected merges on ``text`` up to the first one that differs, and say whether the two
    pairs had the same count there (a tie-break question) or not (a counting question)."""
    words = Counter({tuple(p.encode()): n for p, n in pieces_of(text, ()).items()})
    vocab = {i: bytes([i]) for i in range(256)}
    for k, ((pair, new_id), (ours, our_id)) in enumerate(zip(want.items(), [*got.items(), (None, None)], strict=False)):
        if (pair, new_id) != (ours, our_id):
            counts = naive_pair_counts(words)
            if ours is None:
                return f"merge {k} is missing: expected {vocab[pair[0]]!r}+{vocab[pair[1]]!r} -> {new_id}"
            show = [vocab.get(i, i) for i in ours]
            if ours != pair and counts.get(ours) == counts[pair]:
                return (
                    f"merge {k}: you merged {show[0]!r}+{show[1]!r}, expected {vocab[pair[0]]!r}+{vocab[pair[1]]!r}; "
                    f"both occur {counts[pair]} times here, so this is the TIE-BREAK: among equal counts take the "
                    "smallest (left bytes, right bytes), compared as bytes"
                )
            if ours != pair:
                return (
                    f"merge {k}: you merged {show[0]!r}+{show[1]!r} (count {counts.get(ours, 0)}), expected "
                    f"{vocab[pair[0]]!r}+{vocab[pair[1]]!r} (count {counts[pair]}, the highest): a counting error, "
                    "not a tie-break (count overlapping pairs inside each pre-token, after the earlier merges)"
                )
            return f"merge {k} ({vocab[pair[0]]!r}+{vocab[pair[1]]!r}) got id {our_id}, expected {new_id} (256 + k)"
        vocab[new_id] = vocab[pair[0]] + vocab[pair[1]]
        words = Counter({apply_merge(w, pair, new_id): n for w, n in words.items()})
    return f"{len(got) - len(want)} merges too many"
