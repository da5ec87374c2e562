"""Spec gaps that held-out authors found (a plausible bug no non-slow test failed), each closed by one test:
the bug, written as a mutant of reference/, now fails exactly the test that closes its gap and not the test
next to it that already covered its neighbours."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpt2spec.known_bugs.mutant import Mutant

from .mutation import function_name, grade, impl_of

_SAMPLE = "torch.multinomial(probs, num_samples=1, generator=generator)"
_CROSS_ENTROPY = "loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))"
_PATTERN_END = r'|\s+(?!\S)|\s+"""'  # the end of GPT2_PATTERN's line in reference/tokenizer.py
_KV_MASK = "tril(diagonal=S - T)"
_SDPA_CAUSAL = "return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1.0 / math.sqrt(k.size(-1)))"
_MASKED_BY_1E4 = (  # attend written out, the future filled with -1e4 instead of -inf
    "att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))\n        future = torch.ones(q.size(-2), k.size(-2), "
    "dtype=torch.bool).triu(1)\n        return att.masked_fill(future, -1e4).softmax(dim=-1) @ v"
)
_TOP_K_FILTER = (  # reference/gpt.py's top-k filter, the softmax and the draw
    "                    kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]\n"
    '                    logits = logits.masked_fill(logits < kth, float("-inf"))\n'
    "                probs = F.softmax(logits, dim=-1)\n"
    "                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n"
)


def _top_k_branch(kept: str, draw: str) -> str:
    """Top-k as a branch of its own (topk, a draw among the k values, gather), as v27's author wrote it."""
    return (
        "                    top_vals, top_idx = torch.topk(logits, min(top_k, logits.size(-1)), dim=-1)\n"
        f"                    choice = torch.multinomial(F.softmax({kept}, dim=-1), 1{draw})\n"
        "                    idx_next = top_idx.gather(-1, choice)\n"
        "                else:\n"
        "                    idx_next = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator)\n"
    )


_MERGE_LOOP = (  # reference/tokenizer.py's _merge, after its first line
    "    a, b = pair\n"
    "    while i < n:\n"
    "        if i < n - 1 and ids[i] == a and ids[i + 1] == b:\n"
    "            out.append(new_id)\n"
    "            i += 2\n"
    "        else:\n"
    "            out.append(ids[i])\n"
    "            i += 1\n"
    "    return out\n"
)
_MERGE_AS_TEXT = (  # the pair replaced in the ids' text, no boundaries
    "    a, b = pair\n"
    '    return [int(t) for t in regex.sub(f"{a} {b}", str(new_id), " ".join(map(str, ids))).split()]\n'
)
_CACHE_LINE = "cache = [KVCache(cache_len) for _ in self.transformer.h] if use_kv_cache else None"
_LN_PARAMS = "self.weight = nn.Parameter(torch.ones(ndim))\n        self.bias = nn.Parameter(torch.zeros(ndim))"
_PARAMS = "params = [p for p in model.parameters() if p.requires_grad]  # parameters() yields a tied weight once"
_AUTOCAST = "torch.autocast(x.device.type, dtype=autocast_dtype) if autocast_dtype else contextlib.nullcontext()"
# (mutant, the spec file, the test that closes the gap, a neighbour test that must still pass); a test is named by
# its function, or by its function and a parametrization id ("test_x[id]") when the neighbour is another case of it
GAPS = [
    (
        Mutant("gap-top-k-capped-by-batch", "gpt.py", "min(top_k, logits.size(-1))", "min(top_k, logits.size(0))",
               (), "generate", "v11/v13: k capped with the batch size; one prompt keeps one token"),
        "spec/test_generate.py", "test_top_k_samples_a_single_prompt", "test_top_k_keeps_exactly_k",
    ),
    (
        Mutant("gap-probs-squeezed", "gpt.py", _SAMPLE, _SAMPLE.replace("(probs,", "(probs.squeeze(),"),
               (), "generate", "v13: the probabilities squeezed before multinomial; a batch of one loses a dim"),
        "spec/test_generate.py", "test_top_k_samples_a_single_prompt", "test_top_k_keeps_exactly_k",
    ),
    (
        Mutant("gap-pattern-without-final-whitespace", "tokenizer.py", _PATTERN_END, r'|\s+(?!\S)"""',
               (), "tokenizer", "v14: the default pattern without its final \\s+: whitespace before a word dropped"),
        "spec/test_tokenizer_roundtrip.py", "test_default_pattern_loses_no_text", "test_round_trip",
    ),
    (
        Mutant("gap-kv-prompt-sees-next", "attention.py", _KV_MASK, "tril(diagonal=S - T + 1)",
               (), "generate", "v14: the cached prompt pass lets each position see the next one"),
        "spec/test_generate.py", "test_kv_cached_generation_equals_recomputation[prompt-then-cached-steps]",
        "test_kv_cached_generation_equals_recomputation[prompt-fills-block]",
    ),
    (
        Mutant("gap-top-k-defaults-to-50", "gpt.py", "top_k: int | None = None", "top_k: int | None = 50",
               (), "generate", "v15: generate's top_k defaults to 50 (Hugging Face's default), not None"),
        "spec/test_generate.py", "test_top_k_defaults_to_none", "test_temperature_applies_without_top_k",
    ),
    (
        Mutant("gap-stream-lookahead-1", "tokenizer.py", "_LOOKAHEAD = 8", "_LOOKAHEAD = 1",
               (), "tokenizer", "v15: streaming holds back 1 character; only a tokenizer without specials shows it"),
        "spec/test_tokenizer_streaming.py", "test_streaming_two_chunks_cut_anywhere[contractions-without-specials]",
        "test_streaming_two_chunks_cut_anywhere[special-token]",
    ),
    (
        Mutant("gap-encode-cache-kept-across-init", "tokenizer.py", "self._cache: dict[str, list[int]] = {}",
               'self._cache = getattr(self, "_cache", {})',
               (), "tokenizer", "v15: the encode cache survives train: words encoded before keep stale ids"),
        "spec/test_tokenizer_training.py", "test_encode_after_training_uses_the_new_merges",
        "test_training_is_deterministic",
    ),
    (
        Mutant("gap-stream-cut-without-specials", "tokenizer.py", "self._stable_prefix(buf, len(buf) - hold,",
               "self._stable_prefix(buf, len(buf) - _LOOKAHEAD,",
               (), "tokenizer", "v15: the streaming cut ignores the specials' length: a split special leaks"),
        "spec/test_tokenizer_streaming.py", "test_streaming_two_chunks_cut_anywhere[special-token]",
        "test_streaming_two_chunks_cut_anywhere[contractions-without-specials]",
    ),
    (
        Mutant("gap-loader-state-wrong-key", "data.py", 'self.batches = int(state["batches"])',
               'self.batches = int(state.get("batch", 0))',
               (), "data", "v15: load_state_dict reads another key than state_dict writes: resumes at batch 0"),
        "spec/test_data.py", "test_state_dict_resumes_the_position", "test_reset_rewinds_to_the_first_batch",
    ),
    (
        Mutant("gap-loader-skips-c-attn-bias", "gpt.py", "if key.endswith(_HF_BUFFER_SUFFIXES):",
               'if "attn.bias" in key or key.endswith(_HF_BUFFER_SUFFIXES):',
               (), "gpt", "v16 author: skipping every key with 'attn.bias' skips c_attn.bias too (zero in HF's init)"),
        "spec/test_gpt.py", "test_from_hf_state_dict", "test_init_statistics",
    ),
    (
        Mutant("gap-mask-filled-with-1e4", "attention.py", _SDPA_CAUSAL, _MASKED_BY_1E4,
               (), "attention", "v17 author: the mask filled with -1e4 (old HF's masked_bias), not -inf"),
        "spec/test_attention.py", "test_masked_positions_get_no_weight_however_low_the_scores",
        "test_causality",
    ),
    (
        Mutant("gap-default-specials-a-string", "tokenizer.py", "special_tokens: Iterable[str] = (ENDOFTEXT,)",
               "special_tokens: Iterable[str] = (ENDOFTEXT)",
               (), "tokenizer", "v17 author: train's default specials without the comma: each character a special"),
        "spec/test_tokenizer_training.py", "test_train_defaults_to_the_endoftext_special",
        "test_vocab_size_is_bytes_plus_merges_plus_specials",
    ),
    (
        Mutant("gap-disallowed-special-at-start", "tokenizer.py", "(disallowed).search(text)):",
               "(disallowed).search(text)) and m.start() > 0:",
               (), "tokenizer", "v17 author: a disallowed special at position 0 is missed (find(s) > 0)"),
        "spec/test_tokenizer_specials.py", "test_disallowed_special_raises",
        "test_special_as_plain_text_when_not_disallowed",
    ),
    (
        Mutant("gap-loader-reset-default-rank", "data.py", "def reset(self) -> None:\n        self.batches = 0",
               "def reset(self) -> None:\n        self.__init__(self.tokens, self.B, self.T)",
               (), "data", "v18 author: reset() builds the loader afresh with rank 0 of 1"),
        "spec/test_data.py", "test_reset_rewinds_to_the_first_batch", "test_state_dict_resumes_the_position",
    ),
    (
        Mutant("gap-loader-state-restores-writer-rank", "data.py", 'self.batches = int(state["batches"])',
               'self.batches, self.rank = int(state["batches"]), 0',
               (), "data", "v18 author: load_state_dict restores the writer's rank: every rank resumes on rank 0's"),
        "spec/test_data.py", "test_state_dict_resumes_the_position", "test_reset_rewinds_to_the_first_batch",
    ),
    (
        Mutant("gap-train-step-returns-floats", "training.py", "    return loss_accum, norm",
               "    return loss_accum.item(), norm.item()",
               (), "training", "v18 author: train_step returns Python floats, a host sync every step"),
        "spec/test_training.py", "test_train_step_returns_0dim_tensors", "test_clipping_equals_clip_grad_norm",
    ),
    (
        Mutant("gap-top-k-threshold-of-the-batch", "gpt.py", ".values[:, [-1]]", ".values.min()",
               (), "generate", "v18 author: one threshold for the batch, the lowest row's k-th largest"),
        "spec/test_generate.py", "test_top_k_keeps_exactly_k", "test_top_k_samples_a_single_prompt",
    ),
    (
        Mutant("gap-crop-negative-start", "gpt.py", "idx_cond = idx[:, -self.config.block_size :]",
               "idx_cond = idx[:, idx.size(1) - self.config.block_size : idx.size(1)]",
               (), "generate", "v19 author: the crop idx[:, n - bs : n] slices from the end while bs/2 < n < bs"),
        "spec/test_generate.py", "test_context_grows_into_block_size_without_the_cache",
        "test_context_is_cropped_to_block_size",
    ),
    (
        Mutant("gap-loaded-vocab-minbpe-style", "tokenizer.py", "return dict(sorted(self._decoder.items()))",
               "vocab = {b: bytes([b]) for b in range(256)}\n        for (p0, p1), i in self.merges.items():\n"
               "            vocab[i] = vocab[p0] + vocab[p1]\n"
               "        return vocab | {i: s.encode() for s, i in self.special_tokens.items()}",
               (), "tokenizer", "v19 author: vocab rebuilt minbpe-style, byte b at id b: wrong for loaded ranks"),
        "spec/test_tokenizer_parity.py", "test_byte_ranks_need_not_be_byte_values", "test_parity_on_the_corpus",
    ),
    (
        Mutant("gap-loader-state-live", "data.py", 'return {"batches": self.batches}', "return vars(self)",
               (), "data", "v19 author: state_dict() returns vars(self), the live dict: it moves with the loader"),
        "spec/test_data.py", "test_state_dict_resumes_the_position", "test_reset_rewinds_to_the_first_batch",
    ),
    (
        Mutant("gap-greedy-below-temperature-one", "gpt.py", "if temperature == 0:", "if temperature < 1:",
               (), "generate", "v20 author: the greedy branch taken for every temperature below 1"),
        "spec/test_generate.py", "test_temperature_below_one_still_samples", "test_temperature_zero_is_greedy",
    ),
    (
        Mutant("gap-stream-settles-by-start", "tokenizer.py", "if piece.end() > limit:", "if piece.start() > limit:",
               (), "tokenizer", "v20 author: a pre-token settled by where it starts: a long one cut at a chunk end"),
        "spec/test_tokenizer_streaming.py", "test_streaming_two_chunks_cut_anywhere[pre-token-longer-than-the-hold]",
        "test_streaming_two_chunks_cut_anywhere[special-token]",
    ),
    (
        Mutant("gap-top-k-threshold-before-temperature", "gpt.py",
               "kth = torch.topk(logits, min(top_k, logits.size(-1)))",
               "kth = torch.topk(logits * temperature, min(top_k, logits.size(-1)))",
               (), "generate", "v21 author: top-k's k-th largest taken before the division by the temperature"),
        "spec/test_generate.py", "test_top_k_keeps_the_same_k_at_any_temperature", "test_top_k_keeps_exactly_k",
    ),
    (
        Mutant("gap-temperature-ignored-with-top-k", "gpt.py",
               'logits = logits.masked_fill(logits < kth, float("-inf"))',
               'logits = (logits * temperature).masked_fill(logits < kth, float("-inf"))',
               (), "generate", "v23 author: the top-k branch samples its logits without the temperature"),
        "spec/test_generate.py", "test_temperature_applies_with_top_k", "test_temperature_applies_without_top_k",
    ),
    (
        Mutant("gap-sampling-weights-exp-without-softmax", "gpt.py", "probs = F.softmax(logits, dim=-1)",
               "probs = torch.exp(logits)",
               (), "generate", "v24 author: exp(logits / T) handed to multinomial: inf at a low temperature"),
        "spec/test_generate.py", "test_low_temperature_sampling_is_finite_in_float32",
        "test_temperature_applies_without_top_k",
    ),
    (
        Mutant("gap-generator-reseeded-every-step", "gpt.py", _SAMPLE,
               _SAMPLE.replace("generator=generator)", "generator=generator if generator is None else "
                               "torch.Generator().manual_seed(generator.initial_seed()))"),
               (), "generate", "v26 author: a fresh generator from initial_seed() at each draw"),
        "spec/test_generate.py", "test_the_generator_moves_on_with_every_draw", "test_seeded_generator_is_reproducible",
    ),
    (
        Mutant("gap-loss-one-hot-without-num-classes", "gpt.py", _CROSS_ENTROPY,
               "loss = -(F.one_hot(targets.reshape(-1)) * F.log_softmax(logits.view(-1, logits.size(-1)), dim=-1))"
               ".sum(-1).mean()",
               (), "loss", "v26 author: one_hot(targets) sized by the largest target: right when V-1 is a target"),
        "spec/test_gpt.py", "test_loss_whichever_ids_the_targets_hold", "test_shapes_with_and_without_targets",
    ),
    (
        Mutant("gap-training-splits-by-gpt2-pattern", "tokenizer.py", "for piece in self._pieces(part))",
               "for piece in regex.findall(GPT2_PATTERN, part))",
               (), "tokenizer", "v26 author: train pre-tokenizes with GPT2_PATTERN, not the tokenizer's own pattern"),
        "spec/test_tokenizer_training.py", "test_training_splits_by_the_tokenizers_own_pattern",
        "test_save_load_keeps_a_custom_pattern",
    ),
    (
        Mutant("gap-train-refuses-zero-merges", "tokenizer.py", "if n_merges < 0:", "if n_merges <= 0:",
               (), "tokenizer", "v26 author: train raises when the vocabulary leaves no merge to learn"),
        "spec/test_tokenizer_training.py", "test_no_merges_when_the_vocabulary_is_bytes_and_specials",
        "test_training_stops_when_every_pre_token_is_one_token",
    ),
    (
        Mutant("gap-loader-state-added", "data.py", 'self.batches = int(state["batches"])',
               'self.batches += int(state["batches"])',
               (), "data", "v26 author: load_state_dict adds the saved count to the loader's own"),
        "spec/test_data.py", "test_state_dict_resumes_the_position", "test_reset_rewinds_to_the_first_batch",
    ),
    (
        Mutant("gap-pad-rows-zeroed-from-the-last-token", "gpt.py", "weight[config.vocab_size :].zero_()",
               "weight[config.vocab_size - 1 :].zero_()",
               (), "gpt", "v27 author: the padding rows zeroed from vocab_size - 1, the last token's row too"),
        "spec/test_gpt.py", "test_every_token_has_an_embedding_at_init", "test_init_statistics",
    ),
    (
        Mutant("gap-temperature-again-in-top-k", "gpt.py", _TOP_K_FILTER,
               _top_k_branch("top_vals / temperature", ", generator=generator"),
               (), "generate", "v27 author: the top-k branch divides its k values by the temperature again"),
        "spec/test_generate.py", "test_top_k_draws_follow_the_temperature", "test_top_k_keeps_exactly_k",
    ),
    (
        Mutant("gap-top-k-draw-without-generator", "gpt.py", _TOP_K_FILTER, _top_k_branch("top_vals", ""),
               (), "generate", "v27 author: the top-k branch's multinomial is not given the generator"),
        "spec/test_generate.py", "test_seeded_generator_is_reproducible[top-k]",
        "test_seeded_generator_is_reproducible[no-top-k]",
    ),
    (
        Mutant("gap-train-specials-deleted", "tokenizer.py",
               "    return Tokenizer._special_regex(specials).split(text)\n",
               '    return [Tokenizer._special_regex(specials).sub("", text)]\n',
               (), "tokenizer", "v27 author: training deletes the specials, joining the text on both sides"),
        "spec/test_tokenizer_training.py", "test_text_is_split_at_each_special", "test_special_tokens_never_merged",
    ),
    (
        Mutant("gap-merge-on-the-ids-text", "tokenizer.py", _MERGE_LOOP, _MERGE_AS_TEXT,
               (), "tokenizer", "v27 author: the pair merged by a text replace on the ids' digits"),
        "spec/test_tokenizer_training.py", "test_a_merge_replaces_the_pair_and_nothing_else",
        "test_training_matches_reference",
    ),
    (
        Mutant("gap-loader-state-folded-into-an-epoch", "data.py", 'self.batches = int(state["batches"])',
               'self.batches = int(state["batches"]) % max(1, len(self.tokens) // (self.B * self.T * self.world_size))',
               (), "data", "v27 author: load_state_dict reduces the count modulo the whole batches of one epoch"),
        "spec/test_data.py", "test_state_dict_resumes_the_position", "test_reset_rewinds_to_the_first_batch",
    ),
    (
        Mutant("gap-autocast-flag-inverted", "training.py", _AUTOCAST,
               "torch.autocast(x.device.type, dtype=autocast_dtype, enabled=autocast_dtype is None)",
               (), "training", "v27 author: autocast enabled when no autocast dtype is given"),
        "spec/test_training.py", "test_train_step_runs_in_the_models_dtype_by_default",
        "test_train_step_returns_0dim_tensors",
    ),
    (
        Mutant("gap-default-generator-of-a-fixed-seed", "gpt.py", _CACHE_LINE,
               _CACHE_LINE + "\n        if generator is None:\n"
               "            generator = torch.Generator(device=idx.device).manual_seed(1337)",
               (), "generate", "v28 author: without a generator, generate makes one of a fixed seed"),
        "spec/test_generate.py", "test_without_a_generator_the_global_seed_decides",
        "test_seeded_generator_is_reproducible",
    ),
    (
        Mutant("gap-layernorm-made-in-bfloat16", "layernorm.py", _LN_PARAMS,
               _LN_PARAMS.replace("(ndim))", "(ndim, dtype=torch.bfloat16))"),
               (), "layernorm", "v28 author: LayerNorm's weight and bias created in bfloat16"),
        "spec/test_layernorm.py", "test_parameters", "test_weight_and_bias_applied",
    ),
    (
        Mutant("gap-stream-checks-the-chunk-for-specials", "tokenizer.py",
               "allowed = self._allowed(allowed_special, disallowed_special, buf)",
               "allowed = self._allowed(allowed_special, disallowed_special, chunk)",
               (), "tokenizer", "v28 author: encode_iter looks for disallowed specials in the new chunk only"),
        "spec/test_tokenizer_streaming.py", "test_streaming_raises_on_a_disallowed_special_cut_across_chunks",
        "test_streaming_two_chunks_cut_anywhere",
    ),
    (
        Mutant("gap-mask-kept-from-the-first-call", "attention.py", "            y = self.attend(q, k, v)\n",
               "            if '_mask' not in self.__dict__:  # built once, on the first call\n"
               "                self._mask = torch.ones(T, T, dtype=torch.bool).tril()\n"
               "            y = F.scaled_dot_product_attention(q, k, v, attn_mask=self._mask, "
               "scale=1.0 / math.sqrt(k.size(-1)))\n",
               (), "attention", "v30 author: the causal mask built on the first call and kept for every length"),
        "spec/test_attention.py", "test_one_module_serves_every_length", "test_parity_with_hf",
    ),
    (
        Mutant("gap-frozen-parameter-breaks-the-loop", "training.py", _PARAMS,
               "params = []\n    for p in model.parameters():\n        if not p.requires_grad:\n"
               "            break\n        params.append(p)",
               (), "training", "v30 author: break for continue: every parameter after a frozen one left out"),
        "spec/test_training.py", "test_every_trainable_parameter_is_grouped_when_one_is_frozen",
        "test_weight_decay_on_matrices_only",
    ),
]  # fmt: skip


@pytest.mark.parametrize("spec", sorted({g[1] for g in GAPS}))
def test_each_gap_is_closed_by_its_test(spec: str, tmp_path: Path) -> None:
    """Each gap's mutant fails its closing test and passes the neighbour (one failing test per departure)."""
    gaps = [g for g in GAPS if g[1] == spec]
    paths = [m.materialize(tmp_path) for m, *_ in gaps]
    # each mutant runs its own two tests only (-k matches the package's name in the test's id): the union of every
    # gap's tests on every mutant cost three minutes for the generate file alone
    names = [path.name for path in paths]
    assert not [a for a in names for b in names if a != b and a in b], "a gap's name is a part of another's"
    only = tuple(
        f"({path.name} and ({closing.split('[')[0]} or {neighbour.split('[')[0]}))"
        for (_, _, closing, neighbour), path in zip(gaps, paths, strict=True)
    )
    outcomes = grade(",".join(map(str, paths)), (spec,), tmp_path / "junit.xml", only=only)
    got: dict[tuple[str, str], list[str]] = {}
    for o in outcomes:
        case = o.nodeid.rstrip("]").split("[", 1)[1].partition("-")[2]  # the id after the implementation's name
        for name in (function_name(o.nodeid), f"{function_name(o.nodeid)}[{case}]"):
            got.setdefault((impl_of(o.nodeid), name), []).append(o.outcome)
    for (mutant, _, closing, neighbour), path in zip(gaps, paths, strict=True):
        assert "failed" in got.get((path.name, closing), []), (mutant.name, closing, got)
        assert set(got.get((path.name, neighbour), [])) == {"passed"}, (mutant.name, neighbour, got)


@pytest.mark.parametrize("mutant", [m for m, *_ in GAPS], ids=lambda m: m.name)
def test_gap_mutants_apply(mutant: Mutant, tmp_path: Path) -> None:
    """The mutants still apply to today's reference/ (their ``old`` occurs once and the edit compiles)."""
    mutant.materialize(tmp_path)
