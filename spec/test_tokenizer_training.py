"""Week 4, training: ``Tokenizer.train`` learns GPT-2's merges: vocab size, maximal counts, the
tie-break, specials and pre-token boundaries, determinism, save/load and ``from_ranks``.

Contract: spec/CONTRACT.md, "Week 4". Shared helpers: spec/tokenizer_helpers.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pytest
import regex

from gpt2spec.builtin_corpus import PROJECT_TEXT, builtin_corpus
from gpt2spec.contract import GPT2_PATTERN

from .assertions import assert_ids_equal
from .tokenizer_helpers import (
    EOT,
    SPECIALS,
    apply_merge,
    first_merge_difference,
    loaded,
    naive_pair_counts,
    no_network,  # noqa: F401  (autouse: tiktoken is offline during these tests)
    oracle_tokenizer,
    pieces_of,
    trained,
    vocab_of,
)

pytestmark = pytest.mark.week4


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


@pytest.mark.parametrize(
    "specials",
    [(), (EOT,), SPECIALS, SPECIALS[::-1]],
    ids=["no-specials", "eot", "two-specials", "two-specials-unsorted"],
)
def test_vocab_size_is_bytes_plus_merges_plus_specials(impl, specials):
    """Clause: after train(text, V, specials), len(vocab) == V == 256 + len(merges) + len(specials); ids are
    0..V-1; the specials take the last ids in the order given (also when that order is not sorted: <|pad|>
    before <|endoftext|>).
    Catches: forgetting to reserve ids for the special tokens (vocab one too big), merging one time too many
    or too few, specials given ids that collide with merges, specials numbered in sorted order (a sorted set
    used to drop duplicates)."""
    tok = trained(impl, vocab_size=300, specials=specials)
    vocab, merges = vocab_of(tok), dict(tok.merges)
    assert len(vocab) == 300, f"len(vocab) = {len(vocab)} after train(vocab_size=300, special_tokens={specials})"
    assert len(merges) == 300 - 256 - len(specials), (
        f"{len(merges)} merges, expected 300 - 256 - {len(specials)} specials = {300 - 256 - len(specials)}"
    )
    assert sorted(vocab) == list(range(300)), "ids must be exactly 0..vocab_size-1"
    expected = {s: 300 - len(specials) + k for k, s in enumerate(specials)}
    assert dict(tok.special_tokens) == expected, (
        f"special_tokens {dict(tok.special_tokens)} != {expected} after train(special_tokens={specials}): the "
        "specials take the last ids in the order given (drop duplicates with dict.fromkeys, not sorted(set(...)))"
    )


def test_train_defaults_to_the_endoftext_special(impl):
    """Clause: train(text, vocab_size) without special_tokens reserves one special, "<|endoftext|>", with the last
    id (the default is special_tokens=("<|endoftext|>",)).
    Catches: the default written ("<|endoftext|>") without its comma: a string, so each of its characters
    becomes a special token (every other test passes the specials explicitly)."""
    tok = impl.Tokenizer().train(PROJECT_TEXT, 300)
    assert dict(tok.special_tokens) == {EOT: 299}, (
        f"special_tokens {dict(tok.special_tokens)} after train(text, 300) with the default specials; expected "
        f"{{{EOT!r}: 299}}. A default of ({EOT!r}) is a string, not a tuple: write ({EOT!r},)"
    )


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


def test_text_is_split_at_each_special(impl):
    """Clause: training splits the text at each special token: the text before a special and the text after it
    are separate, never one pre-token. f"ab{EOT}" * 50 holds one merge, "ab" (every piece is "ab").
    Catches: the specials deleted from the text (``regex.sub('', text)``, v27 author) instead of split at: "ab"
    and "ab" are glued into "abab..." and merges form across the removed special. test_special_tokens_never_merged
    looks for special-token bytes in the learned tokens, which deleting them also keeps out."""
    text = f"ab{EOT}" * 50
    merges = dict(trained(impl, text, vocab_size=256 + 3 + 1, specials=(EOT,)).merges)
    assert merges == {(97, 98): 256}, (
        f"train({text[:24]!r} * 50, vocab_size=260, special_tokens=[{EOT!r}]) learned {merges}, expected the one "
        "merge 'ab' {(97, 98): 256}: every piece of text between two specials is 'ab'. A merge across a special "
        "means the text on both sides was joined: split the text at the specials (a regex of the escaped specials "
        "and .split), do not delete them"
    )


def test_a_merge_replaces_the_pair_and_nothing_else(impl):
    """Clause: a merge replaces each occurrence of the pair of ids (a, b), two whole ids side by side, and nothing
    else. "ABåB AB " * 20 is the pre-tokens "ABåB", " ABåB" x 19, " AB" x 20 and " ": "AB" (65, 66) is the most
    frequent pair (40), then " " + "AB" (39); 'å' is the bytes 195 165.
    Catches: the pair merged on the ids written as text ("65 66 195 165 66") with a string replace (v27 author):
    "65 66" also matches the end of "165 66" ('å' then 'B'), which becomes the id 1256.
    test_training_matches_reference's corpus has no id whose digits end another pair."""
    text = "ABåB AB " * 20
    try:
        merges = dict(trained(impl, text, vocab_size=258, specials=()).merges)
    except (IndexError, KeyError, ValueError) as exc:
        raise AssertionError(
            f"train({text[:8]!r} * 20, vocab_size=258) raised {type(exc).__name__}: {exc}. The first merge, "
            "(65, 66) = 'AB', made an id that does not exist: in 'ABåB' ('å' is bytes 195 165) your merge also "
            "replaced the '65 66' at the end of '165 66'. Compare whole ids (ids[i] == a and ids[i + 1] == b), "
            "not their text"
        ) from exc
    assert merges == {(65, 66): 256, (32, 256): 257}, (
        f"train({text[:8]!r} * 20, vocab_size=258) learned {merges}, expected 'AB' then ' AB', "
        "{(65, 66): 256, (32, 256): 257}. If your merge works on the ids as text, '65 66' also matches inside "
        "'165 66' ('å' then 'B'): compare whole ids, not their digits"
    )


# Contractions, letters and digits outside ASCII: where a pattern other than GPT-2's splits differently.
# GPT-2's pattern is case-sensitive: in "DON'T" the "'" and the "T" are two pre-tokens, never "'T".
PATTERN_TEXT = (
    "I'm sure they're fine, aren't you? We'll see; you'd've 's 'LL. Größe, Straße, übermäßig schöne Bücher; "
    "Grüß Gott! naïve café 日本語 ١٢٣ ٤٥٦ ²³ Ⅻ DON'T PANIC, IT'S FINE; WE'LL SEE, THEY'RE HERE, YOU'D'VE"
)


def spanning(tokens: Iterable[bytes]) -> list[str]:
    """The tokens that are valid UTF-8 but not one pre-token of GPT-2's regex (the contract's, not the
    implementation's): pieces of a multi-byte character have no pre-token to compare with."""
    bad = []
    for b in tokens:
        try:
            s = b.decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            continue
        if len(regex.findall(GPT2_PATTERN, s)) != 1:
            bad.append(s)
    return bad


def test_merges_stay_inside_pre_tokens(impl):
    """Clause: text is split by GPT-2's regex before counting, so every learned token that is valid UTF-8 is a
    single pre-token of that regex (no token spans "word space word", "word punctuation", ...); and, given
    merges enough for all of them (the sum of len(bytes) - 1 over the distinct pre-tokens), every pre-token
    of that regex becomes one token, contractions and letters or digits outside ASCII included, and no learned
    token spans two of them (the regex is case-sensitive: "DON'T" is "DON", "'", "T").
    Catches: training without the regex split (learning 'o w', 'd.' or 'lo wor'); the pattern compiled
    case-insensitively (learning "'T" from "DON'T", "'LL" from "WE'LL"); a default pattern that splits finer than
    GPT-2's: without the 's|'t|'re|'ve|'m|'ll|'d branch ("'re" never learned), with ASCII
    classes [a-zA-Z] / [0-9] instead of \\p{L} / \\p{N} (" Größe" never learned)."""
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
    bad = spanning(learned.values())
    assert not bad, f"tokens that span pre-token boundaries: {bad[:5]} — split with the GPT-2 regex first"
    pieces = set(regex.findall(GPT2_PATTERN, PATTERN_TEXT))
    enough = 256 + sum(len(p.encode()) - 1 for p in pieces)  # each merge shortens at least one distinct pre-token
    tokens = set(vocab_of(trained(impl, PATTERN_TEXT, vocab_size=enough, specials=())).values())
    # every learned token lies inside one pre-token of the contract's regex (a merge never crosses a boundary)
    inside = [p.encode() for p in pieces]
    bad = sorted(t.decode("utf-8", "replace") for t in tokens if len(t) > 1 and not any(t in p for p in inside))
    assert not bad, (
        f"train({PATTERN_TEXT[:40]!r}..., vocab_size={enough}) learned tokens that span GPT-2 pre-token "
        f"boundaries: {bad[:5]}. GPT-2's pattern is case-sensitive: in DON'T and IT'S the apostrophe and the "
        "letter are separate pre-tokens ('T and 'S are no contractions); compile GPT2_PATTERN exactly, "
        "without regex.IGNORECASE or (?i)"
    )
    missing = sorted(p for p in pieces if p.encode() not in tokens)
    assert not missing, (
        f"train({PATTERN_TEXT[:40]!r}..., vocab_size={enough}, special_tokens=()) never learned these GPT-2 "
        f"pre-tokens as one token: {missing[:8]}, although {enough - 256} merges suffice for every pre-token. "
        "Your default pattern splits them: Tokenizer() must use GPT2_PATTERN exactly, with the contractions "
        "branch 's|'t|'re|'ve|'m|'ll|'d and the Unicode classes \\p{L} and \\p{N} (the `regex` package)"
    )


def test_training_is_deterministic(impl):
    """Clause: training the same text twice gives the same merges.
    Catches: iterating a set of pairs, or a tie-break that depends on hash order."""
    text = builtin_corpus(5_000)
    a = impl.Tokenizer().train(text, 300)
    b = impl.Tokenizer().train(text, 300)
    assert dict(a.merges) == dict(b.merges), "two trainings on the same text gave different merges"


def test_encode_after_training_uses_the_new_merges(impl):
    """Clause: encode uses the tokenizer's current vocabulary: a tokenizer that has encoded text and is then
    trained (train returns self) encodes with the merges it just learned, exactly like one trained fresh.
    Catches: an encode cache (pre-token -> ids) that survives train, e.g. ``self._cache = getattr(self, "_cache",
    {})`` in the method that installs the new ranks: the words encoded before training keep their stale
    single-byte ids."""
    text, words = builtin_corpus(5_000), "the tokenizer learns the merges of the text"
    tok = impl.Tokenizer()
    before = tok.encode_ordinary(words)  # 256 byte tokens: fills any encode cache with single-byte ids
    assert_ids_equal(before, list(words.encode()), what=f"Tokenizer().encode_ordinary({words!r})")
    tok.train(text, 300, special_tokens=())
    fresh = impl.Tokenizer().train(text, 300, special_tokens=())
    assert_ids_equal(
        tok.encode_ordinary(words),
        fresh.encode_ordinary(words),
        what=f"encode_ordinary({words!r}) after encoding it, then training on 5,000 corpus characters",
        vocab=vocab_of(fresh),
        hint="a tokenizer that encoded before train must encode with the new merges afterwards: clear (or "
        "rebuild) any pre-token -> ids cache when train (or loading ranks) replaces the vocabulary",
    )


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


LINE_PATTERN = r"[^\n]+|\n"  # one pre-token per line: merges may cross spaces, which GPT-2's pattern forbids


def test_save_load_keeps_a_custom_pattern(impl, tmp_path: Path):
    """Clause: save/load keeps the pattern, whatever it is: a tokenizer trained with Tokenizer(pattern=...)
    other than GPT-2's loads with that pattern and encodes identically (merges across spaces included).
    Catches: load() rebuilding the tokenizer with GPT2_PATTERN (the default-pattern round trip cannot tell),
    a pattern not written to the file."""
    text = builtin_corpus(3_000)
    tok = impl.Tokenizer(pattern=LINE_PATTERN).train(text, 300, special_tokens=())
    tok.save(tmp_path / "tok.bpe")
    back = impl.Tokenizer.load(tmp_path / "tok.bpe")
    assert back.pattern == LINE_PATTERN, (
        f"Tokenizer.load gave pattern {back.pattern!r}, saved {LINE_PATTERN!r}: write the pattern in save() and "
        "pass it on in load()"
    )
    sample = text[:400]
    assert_ids_equal(back.encode(sample), tok.encode(sample), what="encode after load (custom pattern)")


def test_training_splits_by_the_tokenizers_own_pattern(impl):
    """Clause: train pre-tokenizes with the pattern the tokenizer was built with (Tokenizer(pattern=...)), not
    GPT-2's. With one pre-token per line, "ab,ab,ab," learns ab, then "ab," (a merge across the pre-tokens GPT-2's
    pattern cuts "ab" and "," into); with GPT-2's pattern no second merge exists (every piece is then one token).
    Catches: training that splits with the module's GPT2_PATTERN whatever the tokenizer's pattern (v26 author):
    the default tokenizer cannot tell, and test_save_load_keeps_a_custom_pattern compares the trained tokenizer
    with itself."""
    tok = impl.Tokenizer(pattern=LINE_PATTERN).train("ab,ab,ab,", 258, special_tokens=())
    merges = dict(tok.merges)
    assert merges == {(97, 98): 256, (256, 44): 257}, (
        f"Tokenizer(pattern={LINE_PATTERN!r}).train('ab,ab,ab,', 258) learned {merges}, expected ab then 'ab,' "
        "{(97, 98): 256, (256, 44): 257}: "
        + ("only 'ab', what GPT-2's pattern allows (it cuts 'ab' from ','): " if merges == {(97, 98): 256} else "")
        + "split the training text with the tokenizer's own pattern (self.pattern), not GPT2_PATTERN"
    )


def test_no_merges_when_the_vocabulary_is_bytes_and_specials(impl):
    """Clause: train(text, 256 + len(specials), specials) learns no merge: the 256 byte tokens, then the
    specials; the tokenizer still encodes and decodes.
    Catches: train raising when the number of merges asked for is 0 (a check written ``n_merges <= 0``, v26
    author), or learning one merge anyway."""
    tok = impl.Tokenizer().train("ab ab ab", 256 + len(SPECIALS), special_tokens=SPECIALS)
    assert dict(tok.merges) == {}, f"train('ab ab ab', {256 + len(SPECIALS)}) learned {dict(tok.merges)}"
    want = {s: 256 + k for k, s in enumerate(SPECIALS)}
    assert dict(tok.special_tokens) == want, f"special_tokens {dict(tok.special_tokens)} != {want}"
    assert tok.decode(tok.encode("ab ab")) == "ab ab", "encode/decode of 'ab ab' with no merges learned"


def test_training_stops_when_every_pre_token_is_one_token(impl):
    """Clause: train learns fewer merges than vocab_size asks for only when every pre-token has become one
    token; then len(vocab) == 256 + len(merges) + len(specials) and the specials take the ids right after
    the last merge, in the order given. "ab ab ab" holds two merges: ab, then " ab".
    Catches: numbering the specials from vocab_size (a hole in the ids), raising or looping forever when no
    pair is left, padding the vocab with empty tokens."""
    tok = impl.Tokenizer().train("ab ab ab", 300, special_tokens=SPECIALS)
    merges = dict(tok.merges)
    assert merges == {(97, 98): 256, (32, 256): 257}, f"train('ab ab ab', 300) learned {merges}"
    want = {s: 258 + k for k, s in enumerate(SPECIALS)}
    assert dict(tok.special_tokens) == want, (
        f"special_tokens {dict(tok.special_tokens)} != {want}: with 2 merges learned, the specials take ids 258, "
        "259 (right after the last merge), not vocab_size - len(special_tokens) + k"
    )
    assert sorted(vocab_of(tok)) == list(range(260)), "the vocab ids must be 0..259 with no hole"
