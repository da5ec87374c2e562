"""More probes for the pipeline around the model (spec/probes.py holds the first ones): the tokenizer's
training, decoding, streaming and pattern; the loader's dtype and wrap-around; the LR schedule's shape, the
optimizer's decay and train_step's gradient and clipping. Each is measured on tiny crafted inputs and
reproduced (or read directly) before it is named.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import regex
import torch

from gpt2spec.verdicts import OBSERVED, Finding, unconfirmed

# ---------------------------------------------------------------- tokenizer


def tokenizer(impl) -> list[Finding]:
    found: list[Finding] = []
    parts = (_encode_stateful, _normalised, _decode_per_token, _decode_separator, _merge_keeps_tail,
             _merge_first_only, _distinct_pairs, _stream_tail, _stream_boundary, _pattern, _specials, _specials_ids,
             _specials_deleted_in_training, _default_specials, _cut_only_at_endoftext)  # fmt: skip
    for part in parts:
        try:
            found += part(impl)
        except Exception:  # a part that cannot run says nothing
            continue
    return found


def _normalised(impl) -> list[Finding]:
    """Text comes back as it went in: a round trip that returns each text in one Unicode normal form (a combining
    accent composed, a ligature spelled out) normalises before encoding (v29: NFC, "one spelling per character")."""
    import unicodedata

    tok = impl.Tokenizer()
    texts = ("cafe\u0301", "\ufb01ne", "caf\u00e9")  # e + combining acute; the fi ligature; a precomposed e acute
    back = [tok.decode(tok.encode_ordinary(t)) for t in texts]
    if back == list(texts):
        return []
    for form in ("NFC", "NFKC", "NFD", "NFKD"):
        if back == [unicodedata.normalize(form, t) for t in texts]:
            words = (f"encode {form}-normalises the text first: {texts[0]!a} comes back as {back[0]!a}, so "
                     "decode(encode(text)) is not the text; byte-level BPE encodes the bytes it is given")  # fmt: skip
            fix = f"drop unicodedata.normalize({form!r}, text): encode the text as given"
            return [Finding(f"encode: text {form}-normalised", words, fix, evidence="round trips of three texts")]
    return []


def _decode_per_token(impl) -> list[Finding]:
    """A character split over two byte tokens decodes whole (the bytes are joined before the UTF-8 decode)."""
    tok = impl.Tokenizer()
    ids = tok.encode_ordinary("é")
    if len(ids) < 2 or tok.decode(ids) == "é":
        return []
    if tok.decode(ids) != "".join(tok.decode([i]) for i in ids):
        return []
    words = "decode decodes each token on its own: a character whose bytes span two tokens becomes U+FFFD"
    fix = "b''.join(vocab[i] for i in ids).decode('utf-8', errors='replace'): join the bytes, then decode once"
    return [Finding("decode: per token", words, fix, evidence="decode of 'é' as its two byte tokens")]


def _decode_separator(impl) -> list[Finding]:
    """decode of byte tokens joins their bytes with nothing: a separator found between the tokens of "ab" and
    again, the same, between each two of "xyz" is one decode puts there (the str.join habit for words)."""
    tok = impl.Tokenizer()
    two = tok.decode([ord("a"), ord("b")])
    sep = two[1:-1] if len(two) > 2 and two[0] == "a" and two[-1] == "b" else ""
    if not sep or tok.decode([ord(c) for c in "xyz"]) != sep.join("xyz"):
        return []
    name = "spaces" if sep == " " else repr(sep)
    words = f"decode joins the tokens' bytes with {name} ({sep!r} between each two tokens), not with nothing"
    fix = "b''.join(vocab[i] for i in ids).decode('utf-8', errors='replace'): nothing between the tokens"
    return [Finding(f"decode: tokens joined with {name}", words, fix, evidence="decode of 'ab' and of 'xyz' as bytes")]


def _merge_keeps_tail(impl) -> list[Finding]:
    """Training on "abzy" (each pair once) with room for three merges: (a, b), then (ab, z), then (abz, y); a
    merge loop that loses a word's last id (when it is not part of the pair) has no (abz, y) left to merge."""
    tok = impl.Tokenizer().train("abzy", 259, special_tokens=())
    ids = tok.encode_ordinary("abzy")
    pieces = [tok.decode([i]) for i in ids]
    if pieces != ["abz", "y"]:
        return []
    if len(tok.merges) != 2:  # the premise: the lost y leaves no third pair (a third merge means the words were
        return []  # never updated, or merged apart from the counts: not this)
    if getattr(tok, "special_tokens", None):  # none asked for, yet one took the third merge's id (v35: specials
        return []  # defaulting to <|endoftext|> was told "drops the last id")
    words = "training's merge loop drops a word's last id when it is not part of the merged pair"
    fix = "while i < len(ids): merge at i if i < len(ids) - 1 and (ids[i], ids[i+1]) == pair, else keep ids[i]"
    return [Finding("merge: drops the last id", words, fix, evidence="trained on 'abzy' with room for 3 merges")]


def _merge_first_only(impl) -> list[Finding]:
    """Training on "abab" with room for two merges: (a, b), then (ab, ab). A merge that replaces only the pair's
    first occurrence in a word leaves "ab" + "a" + "b", so the second merge is another pair; confirmed on "abcabc",
    where (ab, c) occurs twice only when both (a, b) were merged."""

    def second_is(text: str, right: Callable[[int], tuple[int, int]], holds_ab: bool) -> bool | None:
        """Whether training's second merge on ``text`` is ``right(id of ab)``; None: the first is not (a, b), or
        (``holds_ab``) the second does not hold ab (words never updated after a merge: not this)."""
        merged = sorted(impl.Tokenizer().train(text, 258, special_tokens=()).merges.items(), key=lambda kv: kv[1])
        if len(merged) != 2 or merged[0][0] != (97, 98) or (holds_ab and merged[0][1] not in merged[1][0]):
            return None
        return merged[1][0] == right(merged[0][1])

    if second_is("abab", lambda ab: (ab, ab), True) is not False:
        return []
    if second_is("abcabc", lambda ab: (ab, 99), False) is not False:
        return []
    words = ("training's merge replaces only the first occurrence of the pair in a word: after (a, b), 'abab' still "
             "holds a, b, so the second merge is not (ab, ab) (nor, on 'abcabc', (ab, c))")  # fmt: skip
    fix = "merge every occurrence: scan the whole word, i += 2 after a merge, i += 1 otherwise (no early return)"
    return [Finding("merge: first occurrence only", words, fix, evidence="two merges trained on 'abab' and 'abcabc'")]


def _distinct_pairs(impl) -> list[Finding]:
    """Training's first merge on "zzzab": (z, z) occurs twice in the one pre-token, every other pair once; counted
    once per pre-token it ties with (a, b), which then wins the tie-break (the smaller bytes)."""
    tok = impl.Tokenizer().train("zzzab", 257, special_tokens=())
    pieces = [tok.decode([i]) for i in tok.encode_ordinary("zzzab")]
    if "ab" not in pieces or "zz" in pieces:
        return []
    words = "pair counts take each distinct pair once per pre-token: (z, z) in 'zzz' counts 1, not 2"
    fix = "for pair in zip(ids, ids[1:]): stats[pair] += freq (every occurrence counts)"
    found = Finding("tokenizer-counts: distinct pairs", words, fix, evidence="one merge trained on 'zzzab'")
    # confirmed where the rarest-pair-first order parts from it: distinct counts merge (a, b) (2), the rarest ' a'
    if first_merge(impl, "zzzab ab") == "ab":
        return [found]
    return [unconfirmed(found, "a second text ('zzzab ab': distinct counts merge (a, b) first)")]


def first_merge(impl, text: str) -> str | None:
    """The first pair training merges on ``text`` (one merge), as text; None if it cannot be seen."""
    try:
        tok = impl.Tokenizer().train(text, 257, special_tokens=())
        return next((p for p in (tok.decode([i]) for i in tok.encode_ordinary(text)) if len(p) == 2), None)
    except Exception:
        return None


def _stream_tail(impl) -> list[Finding]:
    """encode_iter over chunks gives encode's ids of the joined text; a prefix only means the tail was dropped."""
    tok = impl.Tokenizer()
    chunks = ["hello world, ", "this is a stream ", "of text that ends here."]
    want = tok.encode("".join(chunks))
    got = list(tok.encode_iter(iter(chunks)))
    if got == want or got != want[: len(got)]:
        return []
    words = f"encode_iter yields {len(got)} of {len(want)} ids: what is left in the buffer after the last chunk "
    words += "is never encoded"
    fix = "after the loop over the chunks: yield from self.encode(buf, ...)"
    return [Finding("encode-iter: tail dropped", words, fix, evidence="encode_iter against encode on three chunks")]


# the bytes and the merges " a", " ab": " ab" is one token, "ab" two, so a cut or a key that loses the space shows
_AB_RANKS = {bytes([i]): i for i in range(256)} | {b" a": 256, b" ab": 257}


def _encode_stateful(impl) -> list[Finding]:
    """encode is a function of its text: "ab" encodes the same on a fresh tokenizer and after " ab" was encoded
    (with the merges " a" and " ab", the two pre-tokens differ only by the space)."""
    from gpt2spec.contract import GPT2_PATTERN

    def fresh():
        return impl.Tokenizer.from_ranks(_AB_RANKS, GPT2_PATTERN, {})

    alone = fresh().encode("ab")
    tok = fresh()
    tok.encode(" ab")
    after = tok.encode("ab")
    if after == alone:
        return []
    words = (f"encode('ab') gives {after} after encode(' ab') ran, {alone} on a fresh tokenizer: encode keeps state "
             "between calls that changes its answer (a cache of pre-tokens keyed by something other than the exact "
             "pre-token, e.g. piece.strip())")  # fmt: skip
    fix = "key the pre-token cache by the exact piece it stores (self._cache[piece] = ids)"
    return [Finding("encode: depends on earlier calls", words, fix, evidence="encode('ab') fresh and after ' ab'")]


def _stream_boundary(impl) -> list[Finding]:
    """encode_iter over many chunks against encode of the joined text, with merges " a" and " ab" so that a cut
    through a pre-token changes the ids: the first difference, read back as text, says where the stream cut."""
    from gpt2spec.contract import GPT2_PATTERN

    text = " ".join(["ab"] * 700)
    chunks = [text[i : i + 37] for i in range(0, len(text), 37)]

    def fresh():
        return impl.Tokenizer.from_ranks(_AB_RANKS, GPT2_PATTERN, {"<|endoftext|>": 258})

    tok = fresh()  # each on its own tokenizer, and encode's answer checked on a second call: a cache kept wrong
    want, got = tok.encode(text), list(fresh().encode_iter(iter(chunks)))
    if tok.encode(text) != want:  # makes encode disagree with itself, which is no streaming fact
        return []
    if got == want or got == want[: len(got)]:
        return []  # equal, or only the tail missing (_stream_tail)
    i = next((k for k, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), min(len(got), len(want)))
    if i >= min(len(got), len(want)):
        return []
    piece = tok.decode([want[i]])
    pieces, joined = [], ""
    for g in got[i : i + 4]:
        pieces.append(tok.decode([g]))
        joined = "".join(pieces)
        if len(joined) >= len(piece):
            break
    evidence = "encode_iter against encode, 'ab ab ab ...' in chunks of 37 characters, ' a' and ' ab' merged"
    if joined != piece or len(pieces) < 2:
        read = tok.decode(got)
        if read != text:  # characters lost or repeated: say how many, and where
            j = next((k for k, (a, b) in enumerate(zip(read, text, strict=False)) if a != b), min(len(read), len(text)))
            words = (f"encode_iter's ids decode to {len(read) - len(text):+d} characters against the text, first at "
                     f"character {j} ({read[j : j + 8]!r} for {text[j : j + 8]!r}): the cut loses or repeats text "
                     "at a chunk boundary")  # fmt: skip
        else:
            words = f"encode_iter first differs from encode at id {i}: encode reads {tok.decode(want[i : i + 3])!r} "
            words += f"there, encode_iter {tok.decode(got[i : i + 3])!r}"
        return [Finding("encode-iter: differs from encode", words, kind=OBSERVED, evidence=evidence)]
    if pieces[0].isspace() and not piece.isspace():
        words = (f"encode_iter cuts a pre-token after its leading space: {pieces!r} where encode gives {piece!r}; "
                 "a GPT-2 pre-token starts with the space before it, so the space belongs with the text after "
                 "the cut")  # fmt: skip
        fix = "cut the buffer before a space (or hold back the last pre-token) so each pre-token is encoded whole"
        return [Finding("encode-iter: space cut from its word", words, fix, evidence=evidence)]
    words = f"encode_iter splits a pre-token at a chunk boundary: {pieces!r} where encode gives {piece!r}"
    fix = "encode only the pre-tokens before the last one in the buffer; hold the rest until more text comes"
    return [Finding("encode-iter: pre-token split at a chunk boundary", words, fix, evidence=evidence)]


_GPT2 = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
_PATTERNS = {  # name: (the pattern, what differs from GPT-2's)
    r"no \s+(?!\S)": (r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+""", r"\s+(?!\S) missing"),
    # one alternative edited: its optional leading space left out, or the punctuation class without \s
    "no space before letters": (r"""'(?:[sdmt]|ll|ve|re)|\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
                                "letters without their optional leading space ( ?)"),
    "no space before digits": (r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+|\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
                               "digits without their optional leading space ( ?): ' 42' splits as ' ' and '42'"),
    "no space before punctuation": (r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+|[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
                                    "punctuation without its optional leading space ( ?)"),
    "punctuation includes whitespace": (r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\p{L}\p{N}]+|\s+(?!\S)|\s+""",
                                        r"the punctuation class [^\p{L}\p{N}] without \s: punctuation runs take "
                                        "the whitespace after them"),
    "digits in groups of 3": (r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
                              r"cl100k's \p{N}{1,3} for ' ?\p{N}+': numbers split in threes, no leading space"),
    "\\w for letters": (r"""'(?:[sdmt]|ll|ve|re)| ?\w+| ?\p{N}+| ?[^\s\w\p{N}]+|\s+(?!\S)|\s+""",
                        r"\w for \p{L}: digits and _ join the letters (' abc123' is one pre-token)"),
    "ASCII classes": (r"""'(?:[sdmt]|ll|ve|re)| ?[a-zA-Z]+| ?[0-9]+| ?[^\sa-zA-Z0-9]+|\s+(?!\S)|\s+""",
                      r"ASCII classes instead of \p{L} and \p{N}"),
    "no contractions": (r""" ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""", "contractions missing"),
}  # fmt: skip


def _pattern(impl) -> list[Finding]:
    """The pre-tokens, read from a tokenizer trained until every pre-token is one token (merges never cross a
    pre-token), fitted among patterns a participant types: GPT-2's, without \\s+(?!\\S), ASCII classes, one
    alternative edited; the pattern fitted on one text must give the pre-tokens of a second text too."""
    texts = ("I'm  héllo   wörld 42, ok ?! 12345 abc123 \n\n  x", "we'll pay 7 or 99 ... né ;  you've 2024 x_9\t!x y")

    def pre_tokens(text: str) -> list[str]:
        tok = impl.Tokenizer().train(text, 256 + 4 * len(text.encode()), special_tokens=())
        return [tok.decode([i]) for i in tok.encode_ordinary(text)]

    got = pre_tokens(texts[0])
    fix = f"GPT-2's pattern: {_GPT2}"
    if got == regex.findall(_GPT2, texts[0]):  # the one contraction these texts hold is kept: the others?
        return _contractions(pre_tokens, texts, fix)
    if grouped := _capturing_group(impl, got, texts[0]):
        return grouped
    for name, (pattern, differs) in _PATTERNS.items():
        if got == regex.findall(pattern, texts[0]):
            words = f"the pre-tokenisation pattern is GPT-2's with {differs}"
            found = Finding(f"pattern: {name}", words, fix, evidence=f"pre-tokens of {texts[0]!r} and {texts[1]!r}")
            if pre_tokens(texts[1]) == regex.findall(pattern, texts[1]):
                return [found]
            return [unconfirmed(found, f"a second text, {texts[1]!r}")]
    return _contractions(pre_tokens, texts, fix)


def _capturing_group(impl, got: list[str], text: str) -> list[Finding]:
    """A pattern with one capturing group, split with regex.findall: findall returns the group's text, not the
    whole match, so what lies outside the group (the space before a word, every alternative outside it) is lost.
    Read off the tokenizer's own ``pattern`` (a contract property) and fitted: the pre-tokens are exactly the
    non-empty groups (v30: the letters as ' ?(\\p{L}+)')."""
    try:
        pattern = impl.Tokenizer().pattern
        groups = regex.compile(pattern).groups
    except Exception:
        return []
    if groups != 1 or got != [p for p in regex.findall(pattern, text) if p]:
        return []
    words = (f"the pattern `{pattern}` has a capturing group: regex.findall returns the group's text, not the whole "
             f"match, so {text[:24]!r} pre-tokenises as {got[:6]!r}: the spaces before words and every piece outside "
             "the group are lost")  # fmt: skip
    fix = "a non-capturing group (?:...) in the pattern (or m.group(0) of regex.finditer)"
    return [Finding("pattern: capturing group", words, fix, evidence=f"pre-tokens of {text!r}, the pattern's groups")]


_CONTRACTIONS = ("s", "t", "re", "ve", "m", "ll", "d")  # GPT-2's '(?:[sdmt]|ll|ve|re), one by one


def _contractions(pre_tokens, texts: tuple[str, str], fix: str) -> list[Finding]:
    """Which of GPT-2's contractions the pattern keeps as pre-tokens of their own, read off a text holding each once
    (v21: a pattern typed out without 'd split "I'd" as "I", "'", "d"); the pattern with those alone must give the
    pre-tokens of both texts."""
    probe = "it's don't you're they've I'm we'll I'd"
    got = pre_tokens(probe)
    kept = [c for c in _CONTRACTIONS if "'" + c in got]
    if not kept or len(kept) == len(_CONTRACTIONS):
        return []
    pattern = _GPT2.replace("'(?:[sdmt]|ll|ve|re)", "'(?:" + "|".join(kept) + ")")
    if any(pre_tokens(t) != regex.findall(pattern, t) for t in (probe, *texts)):
        return []
    missing = ", ".join("'" + c for c in _CONTRACTIONS if c not in kept)
    words = f"the pre-tokenisation pattern is GPT-2's without the contraction {missing}: {probe!r} splits as {got!r}"
    return [Finding(f"pattern: without {missing}", words, fix, evidence=f"pre-tokens of {probe!r} and two texts")]


def _specials(impl) -> list[Finding]:
    """Special tokens get ids in the order given, and the longest one that matches wins: 24 pairs "<|k|>" and
    "<|k|>x", so that a regex whose alternatives follow a set's (hash) order puts a shorter one first somewhere."""
    from gpt2spec.contract import GPT2_PATTERN

    base = {bytes([i]): i for i in range(256)}
    specials = {}
    for k in "abcdefghijklmnopqrstuvwx":  # 24 pairs: all in the right order by hash chance is 2**-24 (8 was 1/256)
        specials |= {f"<|{k}|>": 256 + len(specials), f"<|{k}|>x": 257 + len(specials)}
    tok = impl.Tokenizer.from_ranks(base, GPT2_PATTERN, specials)
    short = [s for s in specials if s.endswith("x") and tok.encode(s, allowed_special="all") != [specials[s]]]
    if short and all(tok.encode(s, allowed_special="all") == [specials[s[:-1]], ord("x")] for s in short):
        words = f"'{short[0]}' encodes as '{short[0][:-1]}' then 'x': a special token that extends another loses to "
        words += "the shorter one (the regex's alternatives are not longest first)"
        fix = "join the specials into the regex longest first: sorted(specials, key=len, reverse=True)"
        return [Finding("specials: shortest match", words, fix, evidence="24 specials, each extended by 'x'")]
    trained = impl.Tokenizer().train("ab", 258, special_tokens=("<|z|>", "<|a|>"))
    order = [trained.encode(s, allowed_special="all") for s in ("<|z|>", "<|a|>")]
    if order == [[257], [256]]:
        words = "special tokens get ids in sorted order, not in the order given"
        fix = "specials = list(dict.fromkeys(special_tokens)): keep the order given"
        return [Finding("specials: ids in sorted order", words, fix, evidence="train with specials ('<|z|>', '<|a|>')")]
    return []


def _specials_deleted_in_training(impl) -> list[Finding]:
    """Training splits the text at each special token: nothing merges across one. Trained on 'xy<|s|>zw' ten times
    with room for eight merges, a token holding 'yz' can only come from text joined where the special was (v29:
    ``text.replace(special, "")`` before training)."""
    tok = impl.Tokenizer().train(" ".join(["xy<|s|>zw"] * 10), 256 + 8, special_tokens=("<|s|>",))
    pieces = [tok.decode([i]) for i in tok.encode_ordinary("xyzw")]
    if not any("yz" in p for p in pieces):
        return []
    words = (f"training deletes the special tokens and joins the text around them: trained on 'xy<|s|>zw', it "
             f"learns a merge across the special ('xyzw' encodes as {pieces})")  # fmt: skip
    fix = "split the training text at each special token (regex.split on the escaped specials) and train on the parts"
    return [Finding("training specials: deleted, text joined", words, fix,
                    evidence="trained on 'xy<|s|>zw' x10 with room for 8 merges")]  # fmt: skip


_EOT = "<|endoftext|>"


def _default_specials(impl) -> list[Finding]:
    """train(text, vocab_size) without special_tokens reserves "<|endoftext|>" alone: a default written without
    its comma, ("<|endoftext|>"), is a string, and iterating it makes each of its characters a special (v30)."""
    tok = impl.Tokenizer().train("ab ab ab", 300)
    specials = dict(tok.special_tokens)
    if set(specials) != set(_EOT) or len(specials) == 1:
        return []
    words = (
        f"train without special_tokens reserves {len(specials)} specials, one per character of {_EOT!r} "
        f"({', '.join(map(repr, list(specials)[:4]))}, ...): its default is a string, not a one-element tuple"
    )
    fix = f"special_tokens: Iterable[str] = ({_EOT!r},): the comma makes it a tuple"
    return [Finding("train: default specials a string", words, fix, evidence="train('ab ab ab', 300) with no specials")]


def _cut_only_at_endoftext(impl) -> list[Finding]:
    """Training cuts the text at every special it is given, not only at "<|endoftext|>": trained on
    'xy<|s|>' x20 with the special "<|s|>", the only merge is 'xy' (v30: ``text.split(ENDOFTEXT)``, hard-coded),
    while the same text with "<|endoftext|>" in its place is cut as it should be."""

    def learned(special: str) -> list[str]:
        tok = impl.Tokenizer().train(f"xy{special}" * 20, 256 + 4 + 1, special_tokens=(special,))
        return [tok.decode([i]) for i in range(256, tok.vocab_size) if i not in tok.special_tokens.values()]

    own, eot = learned("<|s|>"), learned(_EOT)
    if not any(c in p for p in own for c in "<|>") or any(c in p for p in eot for c in "<|>"):
        return []
    words = (f"training cuts the text at {_EOT!r} but not at the other specials it is given: trained on 'xy<|s|>' "
             f"x20 with the special '<|s|>', it learns {own}, merges of the special's own characters")  # fmt: skip
    fix = "split the training text at every special in special_tokens (regex.split on the escaped specials), not one"
    return [Finding("training specials: cut only at <|endoftext|>", words, fix,
                    evidence="'xy<|s|>' x20 and 'xy<|endoftext|>' x20, each with its own special")]  # fmt: skip


def _specials_ids(impl) -> list[Finding]:
    """Trained special tokens are numbered right after the merges: with room for no merge, ("<|z|>", "<|a|>") get
    256 and 257. Ids that start d past that are confirmed with room for one merge (then 257 + d)."""

    def ids(text: str, vocab_size: int) -> list[int]:
        """The two specials' ids, then the text's own ids (the merges learned: the gap is checked, not assumed)."""
        tok = impl.Tokenizer().train(text, vocab_size, special_tokens=("<|z|>", "<|a|>"))
        got = [tok.encode(s, allowed_special="all") for s in ("<|z|>", "<|a|>")]
        return [g[0] for g in got] + tok.encode_ordinary(text) if all(len(g) == 1 for g in got) else []

    first = ids("ab", 258)
    if len(first) != 4 or first[2:] != [97, 98] or first[1] != first[0] + 1 or first[0] <= 256:
        return []  # no merge learned, and the specials after 256: ids left unused
    d = first[0] - 256
    if ids("abab", 259) != [257 + d, 258 + d, 256, 256]:  # one merge (id 256), then the specials as far past it
        return []
    n = "one" if d == 1 else str(d)
    words = f"trained special tokens are numbered from len(vocab) + {d}, not len(vocab): an id gap after the merges"
    fix = "specials get len(vocab) + k for the k-th special: right after the last merge"
    return [Finding(f"specials: ids start {n} past the merges", words, fix,
                    evidence="train with specials ('<|z|>', '<|a|>'), room for 0 merges and for 1")]  # fmt: skip


# ---------------------------------------------------------------- data


def loader_resume(impl) -> list[Finding]:
    """A loader resumed with load_state_dict(state_dict()) after 3 batches, for rank 0 of 1 and rank 1 of 2: which
    batch it reads next, found among the batches a fresh loader of that rank (and of the other rank) reads. Named
    only when the uninterrupted loaders read the contract's batches (each rank's its own) and the resumed
    one reads one of them: the wrong index, or the other rank's."""
    tokens = torch.arange(1000)
    B, T, k = 2, 8, 3
    fix = ("state_dict() saves the count of batches read (per rank, not times world_size); load_state_dict() sets it "
           "back; next_batch() reads from rank * B*T + count * B*T * world_size")  # fmt: skip
    for rank, world in ((0, 1), (1, 2)):
        loader = impl.DataLoader(tokens, B, T, rank=rank, world_size=world)
        if not all(callable(getattr(loader, m, None)) for m in ("state_dict", "load_state_dict")):
            return []  # optional in the contract
        runs = {r: _batches(impl.DataLoader(tokens, B, T, rank=r, world_size=world), 9) for r in range(world)}
        # v29: a fresh loader that drifts (cached offsets shifted in place) is no ground to judge a resume on
        if not all(torch.equal(x, _contract_batch(i, r, world, B, T)) for r in runs for i, x in enumerate(runs[r])):
            return []
        own = runs[rank]
        if live := _state_dict_live(impl.DataLoader(tokens, B, T, rank=rank, world_size=world)):
            return live
        for _ in range(k):
            loader.next_batch()
        resumed = impl.DataLoader(tokens, B, T, rank=rank, world_size=world)
        resumed.load_state_dict(loader.state_dict())
        x = resumed.next_batch()[0]
        if torch.equal(x, own[k]):
            continue
        where = f"rank {rank} of {world}" if world > 1 else "one process"
        saved = loader.state_dict()
        evidence = f"a loader ({where}) resumed after {k} batches, against fresh loaders' batches"
        at = [i for i, b in enumerate(own) if torch.equal(x, b)]
        if at:
            j = at[0]
            what = "its first batch: the saved position is not restored" if j == 0 else f"its batch {j}"
            words = (f"a loader ({where}) resumed with load_state_dict({saved!r}) after {k} batches reads {what}, "
                     f"not batch {k}")  # fmt: skip
            if world > 1 and j == k * world:
                words += ": the count saved is the global one (times world_size), and the position multiplies again"
            return [Finding(f"loader-resume: batch {j} for {k}", words, fix, evidence=evidence)]
        other = [(r, i) for r, batches in runs.items() if r != rank for i, b in enumerate(batches) if torch.equal(x, b)]
        if other:
            r, i = other[0]
            words = (f"a loader (rank {rank} of {world}) resumed with load_state_dict({saved!r}) after {k} batches "
                     f"reads rank {r}'s batch {i}: the resumed position leaves out the rank's offset")  # fmt: skip
            return [Finding("loader-resume: the rank's offset lost", words, fix, evidence=evidence)]
        return []
    return []


def _state_dict_live(loader) -> list[Finding]:
    """state_dict() taken, then one more batch read: the state taken must not move with it. A loader that returns
    its own state object (not a copy) hands out a dict that keeps counting, and a checkpoint saved before more
    batches resumes past them (v30: ``return self._state``)."""
    import copy

    loader.next_batch()
    saved = loader.state_dict()
    then = copy.deepcopy(saved)
    loader.next_batch()
    if saved == then:
        return []
    words = (f"state_dict() returns the loader's own state, not a copy: taken as {then!r}, it reads {saved!r} after "
             "one more batch, so a checkpoint taken earlier resumes past the batches read since")  # fmt: skip
    fix = "state_dict() returns a snapshot, a new dict (copy.deepcopy of the state), not the object the loader updates"
    evidence = "state_dict() compared before and after a batch"
    return [Finding("loader: state_dict is live", words, fix, evidence=evidence)]


def _contract_batch(i: int, rank: int, world: int, B: int, T: int) -> torch.Tensor:
    """The contract's ``x`` of batch ``i`` of ``rank`` over the tokens 0, 1, 2, ... (no wrap in the first batches)."""
    return torch.arange((i * world + rank) * B * T, (i * world + rank + 1) * B * T).view(B, T)


def _batches(loader, n: int) -> list[torch.Tensor]:
    return [loader.next_batch()[0].clone() for _ in range(n)]


def data(impl) -> list[Finding]:
    """The ids' dtype, and where the stream wraps (the contract: at len(tokens), back to token 0)."""
    import numpy as np

    for given in (np.arange(100, dtype=np.uint16), list(range(100))):  # as on disk, and a list
        x, y = impl.DataLoader(given, 2, 16).next_batch()
        if x.dtype != torch.int64 or y.dtype != torch.int64:
            break
    if x.dtype != torch.int64 or y.dtype != torch.int64:
        kind = str(x.dtype).removeprefix("torch.")
        words = f"the loader returns {kind} ids; the contract's x and y are int64 (what nn.Embedding and the loss take)"
        fix = "torch.from_numpy(np.asarray(tokens).astype(np.int64))"
        return [Finding(f"loader: {kind} ids", words, fix, evidence="next_batch's dtype")]
    loader = impl.DataLoader(torch.arange(100), 2, 16)
    x, y = loader.next_batch()
    seen = [torch.cat([x.flatten(), y[-1, -1:]])]
    for _ in range(3):
        x, y = loader.next_batch()
        seen.append(torch.cat([x.flatten(), y[-1, -1:]]))
    for m in range(95, 106):
        if m != 100 and all(torch.equal(s, (b * 32 + torch.arange(33)) % m) for b, s in enumerate(seen)):
            d = m - 100
            tag = f"loader: wraps at len {'+' if d > 0 else '-'} {abs(d)}"
            words = f"the stream wraps at len(tokens) {'+' if d > 0 else '-'} {abs(d)}, not at len(tokens): "
            words += f"tokens {m}..99 are never read" if d < 0 else "positions past the end are read"
            fix = "positions = (start + torch.arange(B*T + 1)) % len(tokens)"
            return [Finding(tag, words, fix, evidence="four batches of 33 tokens read from 100")]
    if all(torch.equal(s, b * 32 + torch.arange(33)) for b, s in enumerate(seen[:3])):  # right up to the end
        return _past_the_end(seen[3], (3 * 32 + torch.arange(33)) % 100)
    return []


def _past_the_end(read: torch.Tensor, want: torch.Tensor) -> list[Finding]:
    """The batch that runs past the end of 100 tokens (96..99, then 0..28 wrapped) as read, said from its first
    wrong token (v35: padded with zeros); the known restart (the batch read from token 0 instead) by its name.
    Nothing when it already differs before the end (v29: a loader that drifts from batch to batch)."""
    if torch.equal(read, torch.arange(33)):
        from gpt2spec import bugs

        known = bugs.by_name("loader-drops-tail")
        return [Finding(known.name, known.why, known.fix, evidence="four batches of 33 tokens read from 100")]
    if torch.equal(read, want) or not torch.equal(read[:4], want[:4]):
        return []
    i = int((read != want).nonzero()[0])
    rest = read[i:]
    padded = f" (padded with {int(rest[0])})" if bool((rest == rest[0]).all()) and len(rest) > 1 else ""
    words = f"the batch that runs past the end of 100 tokens reads {read[max(i - 2, 0) : i + 6].tolist()} from its"
    words += (
        f" token {max(i - 2, 0)}{padded}, where the stream wraps to its start: {want[max(i - 2, 0) : i + 6].tolist()}"
    )
    fix = "positions = (start + torch.arange(B*T + 1)) % len(tokens): past the end, the stream goes on from token 0"
    return [
        Finding("loader: past the end of the tokens", words, fix, evidence="four batches of 33 tokens read from 100")
    ]


def loader_state(impl) -> list[Finding]:
    """A loader's state_dict after k batches, loaded into a fresh loader: its next batch must be batch k, the one
    the saved loader reads next. Which batch it is instead is looked up among a fresh loader's own batches (so a
    wrong stride or offset is not mistaken for a wrong state), after k = 3 and after k = 5: the same number of
    batches off both times is a parameter (the state saved or loaded one batch ahead, ...)."""
    import copy

    tokens, B, T = torch.arange(2000), 2, 8

    def starts(n: int) -> list[int]:
        loader = impl.DataLoader(tokens, B, T)
        return [int(loader.next_batch()[0][0, 0]) for _ in range(n)]

    order = starts(12)
    if len(set(order)) != len(order) or order != starts(12):  # no batch can be told from another by its start
        return []

    def resumed_at(k: int) -> int | None:
        saved = impl.DataLoader(tokens, B, T)
        for _ in range(k):
            saved.next_batch()
        fresh = impl.DataLoader(tokens, B, T)
        fresh.load_state_dict(copy.deepcopy(saved.state_dict()))
        first = int(fresh.next_batch()[0][0, 0])
        return order.index(first) if first in order else None

    at = {k: resumed_at(k) for k in (3, 5)}
    if at == {3: 3, 5: 5} or None in at.values():
        return []
    evidence = "state_dict after 3 and after 5 batches, loaded into a fresh loader"
    fix = "state_dict: {'batches': the number of batches read}; load_state_dict restores it as is"
    if at == {3: 0, 5: 0}:
        words = "load_state_dict does not restore the position: a loader resumed from any state reads batch 0 again"
        return [Finding("loader: load_state_dict does not restore", words, fix, evidence=evidence)]
    d = at[3] - 3
    if d == 0 or at[5] - 5 != d:
        words = f"a loader resumed after 3 batches reads batch {at[3]} next, after 5 batches batch {at[5]}"
        return [Finding("loader: state other", words, kind=OBSERVED, evidence=evidence)]
    n = "one batch" if abs(d) == 1 else f"{abs(d)} batches"
    side = "ahead" if d > 0 else "behind"
    words = f"a loader resumed from state_dict() reads {n} {side} of where the saved loader was: after k batches it "
    words += f"reads batch k {'+' if d > 0 else '-'} {abs(d)} next, so a resumed run "
    words += "skips" if d > 0 else "re-reads"
    words += " batches"
    return [Finding(f"loader: state {n} {side}", words, fix, evidence=evidence)]


# ---------------------------------------------------------------- training


def schedule(impl, cosine_lr: Callable) -> list[Finding]:
    """The warmup's length and the decay's shape, fitted: a warmup that also covers step warmup_steps; the decay
    as a quarter cosine cos(pi/2 r) instead of 0.5 (1 + cos(pi r))."""
    max_lr, min_lr, w, m = _FIRST_SCHEDULE
    got = [float(impl.get_lr(s, max_lr, min_lr, w, m)) for s in range(m + 10)]
    ramp = next((s for s in range(m) if abs(got[s] - max_lr * (s + 1) / w) >= 1e-9), m)
    fix = "max_lr * (step + 1) / warmup_steps while step < warmup_steps, then the cosine from warmup_steps"
    evidence = "get_lr measured at every step"
    if ramp == w + 1 and all(abs(got[s] - cosine_lr(s, max_lr, min_lr, w, m)) < 1e-9 for s in range(w + 1, m + 10)):
        words = f"the warmup also covers step warmup_steps (step <= warmup_steps): lr there is {got[w]:g} > max_lr"
        return [Finding("lr-schedule: warmup one step long", words, fix, evidence=evidence)]
    shapes = {
        "quarter cosine": (lambda r: math.cos(math.pi / 2 * r), "cos(pi/2 * r), a quarter period"),
        "half cosine squared": (lambda r: math.cos(math.pi / 2 * r) ** 2, ""),
        "full cosine period": (lambda r: 0.5 * (1 + math.cos(2 * math.pi * r)), "0.5 * (1 + cos(2 pi * r)), a "
                               "full period: the lr falls to min_lr half-way and climbs back to max_lr"),
    }  # fmt: skip
    for name, (c, shape) in shapes.items():
        if ramp == w and all(
            abs(got[s] - (min_lr + (max_lr - min_lr) * c((s - w) / (m - w)))) < 1e-9 for s in range(w, m)
        ):
            if name == "half cosine squared":
                return []  # that is 0.5 (1 + cos(pi r)) itself: right
            words = f"the decay follows {shape}, not 0.5 * (1 + cos(pi * r))"
            fix = "coeff = 0.5 * (1 + math.cos(math.pi * decay_ratio)); lr = min_lr + coeff * (max_lr - min_lr)"
            found = Finding(f"lr-schedule: {name}", words, fix, evidence=evidence)
            hi, lo, w2, m2 = _SECOND_SCHEDULE
            again = _second_lrs(impl, range(w2, m2))
            if again == [] or any(abs(g - (lo + (hi - lo) * c((s - w2) / (m2 - w2)))) >= 1e-9
                                  for s, g in zip(range(w2, m2), again, strict=True)):  # fmt: skip
                return [unconfirmed(found, f"a second schedule {_SECOND_SCHEDULE}")]
            return [found]
    wrong = [s for s in range(m + 10) if abs(got[s] - cosine_lr(s, max_lr, min_lr, w, m)) >= 1e-9]
    return _capped_warmup(impl, got) or _where_it_differs(got, wrong, cosine_lr, _FIRST_SCHEDULE)


def _min_of_ramp_and_cosine(s: int, hi: float, lo: float, w: int, m: int) -> float:
    """min(the warmup's ramp, the cosine with its progress (s - w) / (m - w) unclamped): below zero during warmup,
    where the cosine is under max_lr."""
    return min(hi * (s + 1) / w, lo + (hi - lo) * _cos((s - w) / (m - w)))


def _capped_warmup(impl, got: list[float]) -> list[Finding]:
    """A schedule written min(ramp, cosine) (v34): right after warmup, and during it capped by a cosine whose
    progress is negative there, so the last warmup steps take the cosine's smaller value. Confirmed on a second
    schedule. ``got``: get_lr at every step of _FIRST_SCHEDULE."""
    max_lr, min_lr, w, m = _FIRST_SCHEDULE
    if not all(abs(got[s] - _min_of_ramp_and_cosine(s, max_lr, min_lr, w, m)) < 1e-9 for s in range(m)):
        return []
    hi, lo, w2, m2 = _SECOND_SCHEDULE
    again = _second_lrs(impl, range(m2))
    if len(again) != m2 or any(
        abs(g - _min_of_ramp_and_cosine(s, hi, lo, w2, m2)) >= 1e-9 for s, g in enumerate(again)
    ):
        return []
    words = (
        f"during warmup the lr is min(ramp, cosine), the cosine's progress (step - warmup_steps) / span left negative "
        f"there: the cosine is then below max_lr, so the last warmup steps take it (step {w - 1}: {got[w - 1]:.6g}, "
        f"where the ramp gives {max_lr:g})"
    )
    fix = "return the ramp while step < warmup_steps; the cosine only from warmup_steps on, its progress in [0, 1]"
    evidence = f"get_lr measured at every step, and on a second schedule {_SECOND_SCHEDULE}"
    return [Finding("lr-schedule: warmup capped by the cosine", words, fix, evidence=evidence)]


def _where_it_differs(got: list[float], wrong: list[int], cosine_lr: Callable, args: tuple) -> list[Finding]:
    """No family fits: the steps where the lr differs from the contract's, each with its phase, as a fact."""
    max_lr, min_lr, w, m = args
    if not wrong:
        return []

    def phase(s: int) -> str:
        return "warmup" if s < w else "decay" if s < m else "after max_steps"

    shown = ", ".join(f"step {s} ({phase(s)}) {got[s]:.6g} for {cosine_lr(s, *args):.6g}" for s in wrong[:4])
    phases = ", ".join(dict.fromkeys(phase(s) for s in wrong))
    more = ", ..." if len(wrong) > 4 else ""
    words = (
        f"get_lr differs from the contract's schedule (max_lr {max_lr:g}, min_lr {min_lr:g}, warmup_steps {w}, "
        f"max_steps {m}) at {len(wrong)} of {len(got)} steps: {shown}{more}"
    )
    evidence = "get_lr measured at every step"
    return [Finding(f"lr-schedule: differs in {phases}", words, kind=OBSERVED, evidence=evidence)]


# what a schedule's value is named by, from (max_lr, min_lr, warmup_steps, max_steps)
_LR_SYMBOLS: tuple[tuple[str, Callable[[float, float, int, int], float]], ...] = (
    ("0", lambda hi, lo, w, m: 0.0),
    ("max_lr", lambda hi, lo, w, m: hi),
    ("min_lr", lambda hi, lo, w, m: lo),
    ("max_lr - min_lr", lambda hi, lo, w, m: hi - lo),
    ("max_lr / warmup_steps", lambda hi, lo, w, m: hi / w),
    ("(max_lr + min_lr) / 2", lambda hi, lo, w, m: (hi + lo) / 2),
)
_FIRST_SCHEDULE = (1.0, 0.1, 10, 50)  # max_lr, min_lr, warmup_steps, max_steps: schedule()'s, measured to m + 10
_SECOND_SCHEDULE = (0.7, 0.2, 4, 30)  # a second (max_lr, min_lr, warmup_steps, max_steps): no value coincides


def _second_lrs(impl, steps: Iterable[int]) -> list[float]:
    """get_lr at these steps under the second schedule; [] when it cannot run (which confirms nothing)."""
    try:
        return [float(impl.get_lr(s, *_SECOND_SCHEDULE)) for s in steps]
    except Exception:
        return []


def _cos(r: float) -> float:
    return 0.5 * (1 + math.cos(math.pi * r))


# GPT-2's schedule with one term edited, as participants write it: (step, max_lr, min_lr, warmup, max_steps) -> lr
_WARMUP_EDITS: dict[str, Callable[[int, float, float, int, int], float]] = {
    "warmup from min_lr": lambda s, hi, lo, w, m: lo + (hi - lo) * (s + 1) / w,
    "warmup (step + 1)/(warmup_steps + 1)": lambda s, hi, lo, w, m: hi * (s + 1) / (w + 1),
}


def _ramp(c: int, d: int) -> Callable[[int, float, float, int, int], float]:
    return lambda s, hi, lo, w, m: hi * (s + c) / (w + d) if w + d else math.nan


def _plus(n: str, k: int) -> str:
    return n if k == 0 else f"({n} {'+' if k > 0 else '-'} {abs(k)})"


# the linear ramp written with its two off-by-ones elsewhere: max_lr * (step + c) / (warmup_steps + d)
_RAMPS = {
    (c, d): f"max_lr * {_plus('step', c)} / {_plus('warmup_steps', d)}" for c in (-1, 0, 1, 2) for d in (-1, 0, 1, 2)
}
for _cd in ((1, 0), (1, 1)):  # GPT-2's own, and the edit above
    del _RAMPS[_cd]
_WARMUP_EDITS |= {name: _ramp(c, d) for (c, d), name in _RAMPS.items()}
_EDIT_WORDS = {
    name: f"the warmup is {name}: GPT-2's is max_lr * (step + 1) / warmup_steps, which starts above 0 at step 0 "
    "and reaches max_lr at step warmup_steps - 1"
    for name in _RAMPS.values()
}

_DECAY_EDITS: dict[str, Callable[[int, float, float, int, int], float]] = {
    "cos without pi": lambda s, hi, lo, w, m: lo + 0.5 * (1 + math.cos((s - w) / (m - w))) * (hi - lo),
    "cosine without the 0.5": lambda s, hi, lo, w, m: lo + 2 * _cos((s - w) / (m - w)) * (hi - lo),
    "decay ratio over max_steps": lambda s, hi, lo, w, m: lo + _cos((s - w) / m) * (hi - lo),
    "decay ratio floor-divided": lambda s, hi, lo, w, m: lo + _cos((s - w) // (m - w)) * (hi - lo),
    "min_lr + coeff * max_lr": lambda s, hi, lo, w, m: lo + _cos((s - w) / (m - w)) * hi,
}
_EDIT_WORDS |= {
    "warmup from min_lr": "the warmup rises from min_lr (min_lr + (max_lr - min_lr) * (step + 1) / warmup_steps), "
    "not from 0",
    "warmup (step + 1)/(warmup_steps + 1)": "the warmup divides by warmup_steps + 1: it never reaches max_lr",
    "cos without pi": "the cosine's argument lacks pi: cos(decay_ratio), not cos(pi * decay_ratio)",
    "cosine without the 0.5": "coeff = 1 + cos(pi * decay_ratio), without the 0.5: the decay starts at 2 * max_lr",
    "decay ratio over max_steps": "the decay ratio divides by max_steps, not max_steps - warmup_steps",
    "decay ratio floor-divided": "the decay ratio is floor-divided (//): it stays 0 until max_steps, so the lr "
    "holds max_lr, then drops",
    "min_lr + coeff * max_lr": "the decay returns min_lr + coeff * max_lr, not min_lr + coeff * (max_lr - min_lr)",
}


def _gpt2_lr(s: int, hi: float, lo: float, w: int, m: int, warmup=None, decay=None) -> float:
    if s < w:
        return (warmup or (lambda s, hi, lo, w, m: hi * (s + 1) / w))(s, hi, lo, w, m)
    if s >= m:
        return lo
    return (decay or (lambda s, hi, lo, w, m: lo + _cos((s - w) / (m - w)) * (hi - lo)))(s, hi, lo, w, m)


def schedule_edit(impl, got: list[float], first: tuple[float, float, int, int], fix: str) -> list[Finding]:
    """get_lr at every step fitted as GPT-2's schedule with one term edited (the warmup's or the decay's, from
    the edits above); the edit fitted under ``first`` must give a second schedule's every step too."""
    edits = [(n, dict(warmup=f)) for n, f in _WARMUP_EDITS.items()]
    edits += [(n, dict(decay=f)) for n, f in _DECAY_EDITS.items()]
    for name, edit in edits:
        if all(abs(g - _gpt2_lr(s, *first, **edit)) < 1e-9 for s, g in enumerate(got)):
            found = Finding(
                f"lr-schedule: {name}",
                _EDIT_WORDS[name],
                fix,
                evidence="get_lr measured at every "
                f"step, under {first} and {_SECOND_SCHEDULE} (max_lr, min_lr, warmup_steps, max_steps)",
            )
            again = _second_lrs(impl, range(_SECOND_SCHEDULE[3] + 5))
            if again and all(abs(g - _gpt2_lr(s, *_SECOND_SCHEDULE, **edit)) < 1e-9 for s, g in enumerate(again)):
                return [found]
            return [unconfirmed(found, f"a second schedule {_SECOND_SCHEDULE}")]
    return []


def after_max_steps(impl, value: float, first: tuple[float, float, int, int], fix: str) -> Finding:
    """The constant lr after max_steps, named by the expression in the schedule's arguments that gives it under
    ``first`` and under a second schedule too (a constant that no expression fits is named as a number when it
    is the same under both; otherwise it is a fact without a fix)."""
    min_lr = first[1]
    evidence = "get_lr measured at every step, and past max_steps under a second schedule"
    again = (_second_lrs(impl, [_SECOND_SCHEDULE[3] + 3]) or [math.nan])[0]
    name = next((n for n, fn in _LR_SYMBOLS if abs(fn(*first) - value) < 1e-9 and
                 abs(fn(*_SECOND_SCHEDULE) - again) < 1e-9), None)  # fmt: skip
    said = f"{name} = {value:g}" if name and name != f"{value:g}" else f"{value:g}"
    words = f"after max_steps the lr is {said}, not min_lr = {min_lr:g}"
    if name is None and abs(again - value) < 1e-9:
        name = f"{value:g}"
    found = Finding(f"lr-schedule: {name or f'{value:g}'} after max_steps", words, fix, evidence=evidence)
    second = f"a second schedule {_SECOND_SCHEDULE} (max_lr, min_lr, warmup_steps, max_steps)"
    return found if name else unconfirmed(found, second)


def optimizer(impl) -> list[Finding]:
    """configure_optimizers on GPT-2 itself (the contract's parameter names, one block): exactly the matrices are
    decayed, whatever their names (a rule by name shows here, not on an anonymous Linear), and one step with a
    zero gradient moves a decayed weight by lr * wd * w (AdamW's decoupled decay), not by Adam's normalised L2
    step."""
    model = _gpt2_one_block()
    wd, lr = 0.3, 0.02
    opt = impl.configure_optimizers(model, weight_decay=wd, learning_rate=lr, betas=(0.9, 0.95), eps=1e-8)
    decay = {id(p): g["weight_decay"] for g in opt.param_groups for p in g["params"]}
    named = list(model.named_parameters())
    if any(id(p) not in decay for _, p in named):
        return []  # a parameter in no group: the probe on a Linear says so
    if all(decay[id(p)] > 0 for _, p in named):
        return []  # every parameter decayed: the probe on a Linear names it (decay-every-parameter)
    vectors = sorted(_kind(n) for n, p in named if decay[id(p)] > 0 and p.dim() < 2)
    matrices = sorted(_kind(n) for n, p in named if decay[id(p)] == 0 and p.dim() >= 2)
    fix = "AdamW(groups): decay the dim >= 2 tensors only; LayerNorm gains and biases get weight_decay 0"
    evidence = "configure_optimizers measured on GPT-2's own parameters (one block)"
    if vectors and all(v.startswith("ln_") and v.endswith(".weight") for v in vectors) and not matrices:
        words = f"the LayerNorm gains are decayed too ({', '.join(vectors)}): decay is chosen by name, not dim >= 2"
        return [Finding("weight-decay: LayerNorm weights decayed", words, fix, evidence=evidence)]
    if matrices and not vectors:
        words = f"{', '.join(matrices)} {'is a matrix' if len(matrices) == 1 else 'are matrices'} but not decayed"
        return [Finding(f"weight-decay: {', '.join(matrices)} not decayed", words, fix, evidence=evidence)]
    if matrices or vectors:
        words = f"decayed though vectors: {', '.join(vectors) or 'none'}; not decayed though matrices: "
        words += f"{', '.join(matrices) or 'none'} (decay chosen by name, not by dim >= 2)"
        return [Finding("weight-decay: by name", words, fix, evidence=evidence)]
    w = model.transformer.h[0].attn.c_attn.weight
    before = w.detach().clone()
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    opt.step()
    moved = (before - w.detach()).abs()
    if torch.allclose(moved, lr * wd * before.abs(), rtol=1e-5, atol=1e-9):
        return []
    if torch.allclose(moved, torch.full_like(moved, lr), rtol=1e-3):
        words = "a zero gradient moves every decayed weight by lr: the decay is L2 added to the gradient (Adam), "
        words += "not AdamW's decoupled lr * weight_decay * w"
        fix = "torch.optim.AdamW(groups, ...): decoupled weight decay"
        return [Finding("optimizer: Adam", words, fix, evidence="one step with a zero gradient")]
    return []


def _kind(name: str) -> str:
    """A parameter's kind in GPT-2: transformer.h.0.attn.c_attn.weight -> attn.c_attn, ln_1.bias stays."""
    parts = [p for p in name.split(".") if p not in ("transformer", "h") and not p.isdigit()]
    if parts[-1] == "weight" and not parts[-2].startswith("ln_"):
        parts = parts[:-1]
    return ".".join(parts)


def _gpt2_one_block() -> torch.nn.Module:
    """GPT-2 itself (the reference), one block: the contract's parameter names, its head tied to its embedding."""
    import reference

    with torch.random.fork_rng():  # the init draws: the tests after this one see the same RNG
        return reference.GPT(reference.GPTConfig(block_size=8, vocab_size=16, n_layer=1, n_head=2, n_embd=4))


def listed_twice(impl) -> list[Finding]:
    """configure_optimizers on GPT-2 itself, whose head is tied to the embedding: a parameter handed to AdamW more
    than once (the tied weight collected under both its names, named_parameters(remove_duplicate=False))."""
    model = _gpt2_one_block()
    opt = impl.configure_optimizers(model, weight_decay=0.3, learning_rate=0.02)
    count: dict[int, int] = {}
    for g in opt.param_groups:
        for p in g["params"]:
            count[id(p)] = count.get(id(p), 0) + 1
    twice = [n for n, p in model.named_parameters() if count.get(id(p), 0) > 1]
    if not twice:
        return []
    fix = "decay = [p for p in model.parameters() if p.dim() >= 2]; no_decay = [... p.dim() < 2]: each parameter once"
    words = f"{', '.join(twice)} is handed to AdamW more than once (in two groups, or twice in one)"
    if twice == ["transformer.wte.weight"]:
        words = ("the tied embedding and head (transformer.wte.weight is lm_head.weight) are handed to AdamW twice: "
                 "one tensor, listed once per name (named_parameters(remove_duplicate=False), or both names "
                 "collected); list each parameter once")  # fmt: skip
    evidence = "configure_optimizers measured on GPT-2's own parameters (one block, the head tied)"
    return [Finding("optimizer-groups: a parameter listed twice", words, fix, evidence=evidence)]


def optimizer_defaults(impl, model: torch.nn.Module, passed_on: tuple[bool, bool]) -> list[Finding]:
    """configure_optimizers called without betas and eps: AdamW must get GPT-2's defaults, (0.9, 0.95) and 1e-8.
    A default is read directly, and blamed only where the same argument, when given, reaches AdamW as given
    (``passed_on``, measured by the caller with betas and eps no default has): then the default itself is wrong."""
    try:
        group = impl.configure_optimizers(model, weight_decay=0.3, learning_rate=0.02).param_groups[0]
    except Exception:  # betas and eps without defaults: the test's message says so
        return []
    found = []
    evidence = "configure_optimizers called without betas and eps; with them, it passes them on"
    fix = "def configure_optimizers(..., betas=(0.9, 0.95), eps=1e-8): GPT-2's defaults"
    betas, eps = tuple(group["betas"]), group["eps"]
    if passed_on[0] and betas != (0.9, 0.95):
        b1, b2 = betas
        words = f"configure_optimizers' default betas are ({b1:g}, {b2:g}), not GPT-2's (0.9, 0.95)"
        words += " (beta1 and beta2 swapped)" if betas == (0.95, 0.9) else ""
        found.append(Finding(f"adamw-betas: ({b1:g}, {b2:g})", words, fix, evidence=evidence))
    if passed_on[1] and eps != 1e-8:
        words = f"configure_optimizers' default eps is {eps:g}, not GPT-2's 1e-8"
        found.append(Finding(f"adamw-eps: {eps:g}", words, fix, evidence=evidence))
    return found


def micro_batches(seed: int, n: int = 2) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``n`` micro-batches (x, y) of shape (2, 3) for probes.py's tiny model, from a seed."""
    g = torch.Generator().manual_seed(seed)
    return [(torch.randint(0, 8, (2, 3), generator=g), torch.randint(0, 8, (2, 3), generator=g)) for _ in range(n)]


_REPORTED = {  # the returned loss / n: which loss it divides (the gradient right)
    "last": ("train-step: reported loss of the last micro-batch", "the reported loss is the last micro-batch's loss "
             "/ n (overwritten each micro-batch, not summed): train_step must return the mean of the losses"),
    "mean": ("train-step: loss divided by n twice", "the reported loss is the mean of the micro-batches' losses / n: "
             "each loss, already divided by n for backward, is divided by n again when it is summed"),
}  # fmt: skip


def reported_loss_over_n(impl, model: torch.nn.Module, kind: str, fix: str) -> Finding:
    """train_step returned half the last of two micro-batches' losses, or half their mean (the gradient right):
    confirmed on three micro-batches, where it must return a third of it."""
    batches = micro_batches(64, 3)
    tag, words = _REPORTED[kind]
    found = Finding(tag, words, fix, evidence="train_step measured on two micro-batches, then three (SGD, lr 1)")
    try:
        with torch.no_grad():
            each = [model(x, y)[1] for x, y in batches]
        with torch.enable_grad():
            loss, _ = impl.train_step(model, torch.optim.SGD(model.parameters(), lr=1.0), batches, 1e9)
        want = each[-1] / 3 if kind == "last" else sum(each) / 9
        confirmed = torch.allclose(torch.as_tensor(loss).detach().double(), want, rtol=1e-9)
    except Exception:  # a second step that cannot run confirms nothing
        confirmed = False
    return found if confirmed else unconfirmed(found, "three micro-batches (the loss / 3)")


def clipping(impl, model: torch.nn.Module, batches: list[tuple[torch.Tensor, torch.Tensor]]) -> list[Finding]:
    """After one train_step (SGD, lr 1) on ``model``: the step against the mean gradient clipped entry by entry
    (clip_grad_value_), and the gradients the step used (zeroed after the step)."""
    max_norm = 0.05
    with torch.enable_grad():
        mean = torch.autograd.grad(sum(model(x, y)[1] / len(batches) for x, y in batches), list(model.parameters()))
    start = [q.detach().clone() for q in model.parameters()]
    with torch.enable_grad():
        impl.train_step(model, torch.optim.SGD(model.parameters(), lr=1.0), batches, max_norm)
    step = [s0 - q.detach() for s0, q in zip(start, model.parameters(), strict=True)]
    if all(
        torch.allclose(s, g.clamp(-max_norm, max_norm), rtol=1e-9, atol=1e-12) for s, g in zip(step, mean, strict=True)
    ):
        words = f"each gradient entry is clamped to +-{max_norm} (clip_grad_value_): the whole gradient must be "
        words += "scaled to norm max_norm"
        fix = "norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm): it returns the norm before clipping"
        return [Finding("clip: by value", words, fix, evidence="train_step's step against the clamped mean gradient")]
    grads = [q.grad for q in model.parameters()]
    if any(s.abs().max() > 0 for s in step) and all(g is None or g.abs().max() == 0 for g in grads):
        words = "train_step zeroes the gradients after the step: the gradient the step used is gone when it returns"
        fix = "optimizer.zero_grad() once before the micro-batch loop, not after optimizer.step()"
        return [Finding("train-step: zero_grad after step", words, fix, evidence="the .grad left after train_step")]
    return []
