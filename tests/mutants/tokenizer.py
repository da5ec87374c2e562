"""Mutants of the tokenizer (week 4): the bugs people really make writing GPT-2's BPE."""

from ..mutation import Mutant

_PARITY = ("test_parity_with_tiktoken_curated", "test_parity_on_the_corpus")

MUTANTS = [
    Mutant(
        name="no-regex-split",
        file="tokenizer.py",
        old="        return self._compiled.findall(text)",
        new="        return [text] if text else []",
        # Not the whole-corpus parity: one 60 kB "pre-token" makes BPE quadratic (minutes).
        catches=("test_merges_stay_inside_pre_tokens", "test_parity_with_tiktoken_curated"),
        section="tokenizer",
        why="skipped GPT-2's regex pre-split: merges run across words, spaces and punctuation",
    ),
    Mutant(
        name="merges-in-frequency-order",
        file="tokenizer.py",
        old="        rank = min(pair_ranks)\n",
        # Equal ranks are equal pairs, so pair_ranks.count(r) is how often that pair occurs in the piece;
        # ties go to the leftmost pair, as max(stats, key=stats.get) over training's get_stats does.
        new="        rank = min(pair_ranks, key=lambda r: (r == inf, -pair_ranks.count(r)))\n",
        catches=(*_PARITY, "test_parity_on_real_cl100k_vocabulary"),
        section="tokenizer",
        why="at encode time merged the most frequent adjacent pair instead of the lowest-ranked one",
    ),
    Mutant(
        name="strict-utf8-decode",
        file="tokenizer.py",
        old='.decode("utf-8", errors="replace")',
        new='.decode("utf-8")',
        catches=("test_decode_any_ids_never_raises", "test_decode_partial_utf8_is_replaced"),
        section="tokenizer",
        why="decoded with errors='strict': a token holding half a character raises UnicodeDecodeError",
    ),
    Mutant(
        name="specials-as-plain-text",
        file="tokenizer.py",
        old="                ids.append(self.special_tokens[part])",
        new="                ids.extend(self.encode_ordinary(part))",
        catches=("test_allowed_special_maps_to_its_id", "test_special_tokens_never_merged", *_PARITY),
        section="tokenizer",
        why="encoded '<|endoftext|>' with ordinary BPE instead of its one id",
    ),
    Mutant(
        name="vocab-off-by-one",
        file="tokenizer.py",
        old="n_merges = vocab_size - 256 - len(specials)",
        new="n_merges = vocab_size - 255 - len(specials)",
        catches=("test_vocab_size_is_bytes_plus_merges_plus_specials", "test_known_small_example"),
        section="tokenizer",
        why="learned one merge too many: the vocab ends up vocab_size + 1 tokens",
    ),
    Mutant(
        name="specials-not-reserved",
        file="tokenizer.py",
        old="n_merges = vocab_size - 256 - len(specials)",
        new="n_merges = vocab_size - 256",
        catches=("test_vocab_size_is_bytes_plus_merges_plus_specials", "test_training_matches_reference"),
        section="tokenizer",
        why="forgot that the special tokens take ids too: the vocab is too big by len(special_tokens)",
    ),
    Mutant(
        name="tie-break-by-id",
        file="tokenizer.py",
        old="return (-count, vocab[pair[0]], vocab[pair[1]], pair)",
        new="return (-count, pair[0], pair[1], pair)",
        catches=("test_tie_break_compares_bytes_not_ids", "test_training_matches_reference"),
        section="tokenizer",
        why="broke count ties by token id instead of the documented bytes order",
    ),
    Mutant(
        name="stale-neighbour-counts",
        file="tokenizer.py",
        old="                    stats[p] -= f\n",
        new="                    stats[p] -= f if p == pair else 0\n",
        catches=("test_each_merge_has_the_maximal_count", "test_training_matches_reference"),
        section="tokenizer",
        why="incremental counts: removed the merged pair but not the neighbour pairs it destroyed",
    ),
    Mutant(
        name="specials-merged-in-training",
        file="tokenizer.py",
        old="_split_out(text, specials) for piece",
        new="[text] for piece",
        catches=("test_special_tokens_never_merged", "test_training_matches_reference"),
        section="tokenizer",
        why="trained on the raw text, so '<|endoftext|>' is split and merged like any other text",
    ),
    Mutant(
        name="chunks-encoded-separately",
        file="tokenizer.py",
        old="            cut, ids = self._stable_prefix(buf, len(buf) - hold, allowed)",
        new="            cut, ids = len(buf), self.encode(buf, allowed_special=allowed)",
        catches=("test_streaming_a_large_input",),
        section="tokenizer",
        why="streaming encode encodes each chunk on its own, splitting words at chunk boundaries",
    ),
    Mutant(
        name="disallowed-special-ignored",
        file="tokenizer.py",
        old="if disallowed and (m := self._special_regex(disallowed).search(text)):",
        new="if False and (m := self._special_regex(disallowed).search(text)):",
        catches=("test_disallowed_special_raises",),
        section="tokenizer",
        why="ignored disallowed_special: '<|endoftext|>' in user text passes silently",
    ),
    Mutant(
        name="byte-id-is-byte-value",
        file="tokenizer.py",
        old='ids = [self._ranks[p] for p in _bpe(piece.encode("utf-8"), self._ranks)]',
        new='ids = [p[0] if len(p) == 1 else self._ranks[p] for p in _bpe(piece.encode("utf-8"), self._ranks)]',
        catches=("test_byte_ranks_need_not_be_byte_values", "test_parity_on_real_cl100k_vocabulary"),
        section="tokenizer",
        why="assumed byte b has id b, true after training but not for GPT-2's (permuted) byte ranks",
    ),
]
