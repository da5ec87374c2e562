"""Week 3: ``GPT.generate(idx, max_new_tokens, temperature=1.0, top_k=None, generator=None)``.

Returns idx with max_new_tokens sampled tokens appended ([B, T + new], int64). It conditions on
at most the last block_size tokens, samples from the last position's distribution
softmax(logits / temperature) restricted to the top_k tokens, and temperature=0 means greedy.
"""

from __future__ import annotations

import functools
import inspect
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F

from .assertions import assert_equal, assert_greedy, greedy
from .hints import needs
from .oracles import TINY, hf_lm, load_into
from .strategies import seeded

pytestmark = pytest.mark.week3

SEED = 7
# Every test comparing tokens with HF's (all but the generator test) is decorated @needs("gpt"): after a bug in
# the forward pass it says so first, instead of blaming sampling (spec/hints.py).


def make_pair(impl, sharpen: float = 1.0, blocks: float = 1.0):
    """Impl GPT and HF GPT2LMHeadModel with the same weights (fp64). ``sharpen`` scales the embedding
    so next-token distributions are peaked enough to tell sampling bugs apart; ``blocks`` scales the
    blocks' weight matrices, so that the context (not only the last token) decides the next token."""
    hf = hf_lm(TINY, seed=SEED, dtype=torch.float64)
    with torch.no_grad():
        hf.transformer.wte.weight.mul_(sharpen)
        for name, p in hf.transformer.h.named_parameters():
            if name.endswith("weight") and ".ln_" not in name:
                p.mul_(blocks)
    ours = impl.GPT(impl.GPTConfig(**TINY)).double().eval()
    return load_into(ours, hf, what="GPT"), hf


def prompt(B: int = 2, T: int = 5, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, TINY["vocab_size"], (B, T), generator=torch.Generator().manual_seed(seeded(seed)))


def hf_greedy(hf, idx: torch.Tensor, n: int) -> torch.Tensor:
    out = hf.generate(
        idx, attention_mask=torch.ones_like(idx), max_new_tokens=n, do_sample=False, pad_token_id=TINY["vocab_size"] - 1
    )
    return out


def top_k_draws(ours, hf, idx: torch.Tensor, k: int, seed: int, temperature: float | None = None):
    """One new token drawn for each row of ``idx`` (one prompt repeated) with top_k=k, at ``temperature`` (None:
    generate's default): the count of each token drawn, the target (softmax of the prompt's logits / temperature,
    renormalised over the k largest) and the ids of those k."""
    with torch.no_grad():
        logits = hf(idx[:1]).logits[0, -1] / (temperature or 1.0)
    top = torch.topk(logits, k).indices
    target = torch.zeros_like(logits)
    target[top] = F.softmax(logits[top], dim=-1)
    given = {} if temperature is None else {"temperature": temperature}
    out = ours.generate(idx, max_new_tokens=1, top_k=k, generator=torch.Generator().manual_seed(seed), **given)
    return torch.bincount(out[:, -1], minlength=TINY["vocab_size"]).double(), target, top


@needs("gpt")
def test_greedy_matches_hf(impl):
    """Clause: greedy decoding (top_k=1, or temperature=0 where top_k=1 does not match: see assert_greedy)
    reproduces HF's greedy generate token for token.
    Catches: sampling from the first position instead of the last, appending to the wrong dim,
    an off-by-one in the number of new tokens, mutating the prompt."""
    ours, hf = make_pair(impl)
    idx = prompt()
    before = idx.clone()
    out = greedy(ours, idx, 12)  # top_k=1, or temperature=0 if that raises: a top-k bug is its own test's
    assert_equal(idx, before, what="prompt after generate", hint="generate must not modify idx in place")
    assert out.dtype == torch.long, f"generate must return int64 token ids, got {out.dtype}"
    assert_greedy(
        ours,
        idx,
        12,
        hf_greedy(hf, idx, 12),
        what="greedy continuation",
        hint="take logits[:, -1, :] (the last position), append along dim 1",
    )


@needs("gpt")
def test_temperature_zero_is_greedy(impl):
    """Clause: temperature=0 means greedy decoding (the argmax), not a division by zero.
    Catches: dividing the logits by temperature=0 (inf/NaN probabilities: nanoGPT's generate does this), a
    temperature=0 branch that samples anyway. Dividing vs multiplying by the temperature is the clause of
    test_samples_follow_softmax_over_temperature, and is not re-checked here; one new token per prompt keeps
    a KV cache out of it (test_kv_cached_generation_equals_recomputation). With top_k given too (the whole
    vocabulary, so that a top-k filter of its own slip keeps every token), still the argmax: catches a
    temperature=0 branch taken only without top_k, whose top-k path divides by zero (v32 author)."""
    ours, hf = make_pair(impl)
    idx = prompt(B=64, T=5, seed=1)  # one new token for 64 prompts: no KV cache involved, and a sampler that
    want = hf_greedy(hf, idx, 1)  # ignores temperature=0 cannot match 64 argmaxes by chance
    for top_k in (None, TINY["vocab_size"]):
        assert_equal(
            ours.generate(idx, 1, temperature=0.0, top_k=top_k),
            want,
            what=f"generate(temperature=0, top_k={top_k})",
            hint="temperature == 0 must take the argmax of the last position's logits instead of dividing by zero"
            + (", with top_k given as well (test temperature == 0 before the top-k filter)" if top_k else ""),
        )


@needs("gpt")
def test_context_is_cropped_to_block_size(impl):
    """Clause: once the sequence exceeds block_size, generate conditions on the last block_size tokens.
    Greedy by either convention (assert_greedy), so that an implementation without the temperature=0 rule
    (nanoGPT divides by zero there) or with a broken top_k fails only that rule's test, not this one too.
    Catches: no cropping (ValueError/IndexError at the position table), cropping from the front (idx[:, :bs])."""
    ours, hf = make_pair(impl)
    bs = TINY["block_size"]
    idx = prompt(B=2, T=bs + 5, seed=2)
    assert_greedy(
        ours,
        idx,
        3,
        greedy_by_recomputation(hf, idx, 3),  # what cropping means, step by step, with HF as the model
        what="tokens generated past block_size",
        hint="idx_cond = idx[:, -block_size:]",
    )


@needs("gpt")
def test_context_grows_into_block_size_without_the_cache(impl):
    """Clause: each step conditions on the last block_size tokens, however long the sequence is, and the tokens
    are the same without a KV cache (where generate has the switch, the reference's ``use_kv_cache=False``; an
    implementation without one is checked on its only path). From a 12-token prompt, 22 greedy steps walk the
    length through every n from 12 to 33: past block_size / 2 = 16, up to block_size = 32 and beyond.
    Catches: the crop written ``idx[:, n - block_size : n]`` (v19 author): while block_size / 2 < n < block_size
    the start n - block_size is negative and slices from the end, keeping only the last block_size - n tokens
    (right for n <= block_size / 2, where the start clamps to 0, and for n >= block_size). With a KV cache the
    crop runs only past block_size, so test_context_is_cropped_to_block_size (a prompt already past block_size) and
    test_kv_cached_generation_equals_recomputation (the cache on) pass it. Weights as there (blocks scaled by 3:
    the context decides the next token)."""
    ours, hf = make_pair(impl, blocks=3.0)
    off = ours
    if "use_kv_cache" in inspect.signature(ours.generate).parameters:
        off = SimpleNamespace(generate=functools.partial(ours.generate, use_kv_cache=False))
    idx = prompt(B=2, T=12, seed=15)
    want = greedy_by_recomputation(hf, idx, 22)
    assert_greedy(
        off,
        idx,
        22,
        want,
        what=f"greedy tokens {'with use_kv_cache=False ' if off is not ours else ''}vs full recomputation "
        f"(prompt T=12, 22 new: the length passes {TINY['block_size'] // 2} and {TINY['block_size']})",
        hint="crop with idx[:, -block_size:]; idx[:, n - block_size : n] slices from the end while "
        "block_size / 2 < n < block_size (a negative start), keeping only the last block_size - n tokens",
    )


@needs("gpt")
def test_top_k_keeps_exactly_k(impl):
    """Clause: with top_k=k the next token is drawn from softmax(logits / temperature) renormalised over
    exactly the k largest logits: every one of the k can be drawn, nothing else can, with the renormalised
    probabilities. Each row of a batch keeps its own k largest (top_k=1 on 16 different prompts is each one's
    argmax). top_k larger than the vocabulary behaves like no top_k.
    Catches: keeping k-1 or k+1 tokens (the support has the wrong size), ignoring top_k, top-k taken over the
    wrong dim, sampling the k kept tokens uniformly instead of by their renormalised probabilities, the k-th
    largest of row 0 used as every row's threshold, or the batch's smallest k-th largest (``.values.min()``, v18
    author) (the 40,000 draws repeat one prompt, so only the batch of different prompts tells).
    Measured (seeded, 40,000 draws, k=5, temperature 1): the least likely kept token has probability 0.081 (about
    3,200 draws), a correct sampler is within total variation 0.004 of the target; keeping 4 tokens is 0.08
    away and sampling the 5 uniformly 0.45, against the bound 0.04."""
    ours, hf = make_pair(impl, sharpen=3.0)
    k, n = 5, 40_000
    idx = prompt(B=1, T=6, seed=3).repeat(n, 1)
    counts, target, top = top_k_draws(ours, hf, idx, k, seed=1)
    support = set(counts.nonzero().flatten().tolist())
    allowed = set(top.tolist())
    assert support <= allowed, (
        f"top_k={k}: sampled tokens {sorted(support - allowed)} are outside the {k} largest logits {sorted(allowed)}"
    )
    assert support == allowed, (
        f"top_k={k}: only {len(support)} distinct tokens in {n:,} draws; never drawn: {sorted(allowed - support)} "
        f"(renormalised probabilities {[round(target[i].item(), 3) for i in sorted(allowed - support)]}). "
        "Keep the k largest: mask logits < the k-th largest value, not <="
    )
    tv = 0.5 * (counts / n - target).abs().sum().item()
    assert tv <= 0.04, (
        f"top_k={k}: the sampled distribution is {tv:.3f} (total variation) away from softmax(logits) renormalised "
        "over the k largest logits: set the others to -inf *before* the softmax"
    )
    rows = prompt(B=16, T=6, seed=12)  # 16 different prompts in one batch: each row has its own k-th largest
    # at the init scale (not sharpened): top_k=1 still leaves each row its argmax alone, but a row that kept more
    # (one threshold for the batch, the lowest row's) draws the others often, where sharpened logits hide them
    flat, hf_flat = make_pair(impl)
    with torch.no_grad():
        argmax = hf_flat(rows).logits[:, -1].argmax(-1)
    try:
        one = flat.generate(rows, max_new_tokens=1, top_k=1, generator=torch.Generator().manual_seed(3))[:, -1]
    except RuntimeError as exc:  # all -inf in a row (a threshold above its maximum): softmax NaN, multinomial raises
        raise AssertionError(
            f"top_k=1 on a batch of 16 different prompts raised {type(exc).__name__}: {exc}. Some row kept no token: "
            "take the k-th largest logit of each row (torch.topk(logits, k).values[:, [-1]]), not of row 0"
        ) from exc
    wrong = (one != argmax).nonzero().flatten().tolist()
    assert not wrong, (
        f"top_k=1 on a batch of 16 different prompts: rows {wrong} drew {one[wrong].tolist()}, not their argmax "
        f"{argmax[wrong].tolist()} (row 0 is {'right' if 0 not in wrong else 'wrong'}). The threshold must be each "
        "row's own k-th largest logit (torch.topk(logits, k).values[:, [-1]]), not one row's for the whole batch"
    )
    big_k = ours.generate(idx[:2], max_new_tokens=2, top_k=TINY["vocab_size"] + 10)
    assert tuple(big_k.shape) == (2, 8), "top_k larger than the vocabulary must behave like no top_k"


@needs("gpt")
@pytest.mark.parametrize("temperature", [0.5, 2.0])
def test_top_k_keeps_the_same_k_at_any_temperature(impl, temperature):
    """Clause: with top_k=k the next token is drawn among the k largest of logits / temperature, which are the k
    largest logits at every temperature (dividing by a positive number keeps their order).
    Catches: the k-th largest taken from the logits before the division by the temperature and compared with
    them after it (v21 author): at temperature 2 a single token survives (sampling turns greedy), at 0.5 fourteen
    do. test_top_k_keeps_exactly_k samples at temperature 1, where both orders agree.
    Measured (seeded, the sharpened oracle, this prompt): the least likely of the 5 kept tokens has probability
    0.14 at temperature 2 and 0.013 at 0.5, so 2,000 draws miss one with probability below 5 * 0.987 ** 2000
    (1e-11)."""
    ours, hf = make_pair(impl, sharpen=3.0)
    k, n = 5, 2_000
    idx = prompt(B=1, T=6, seed=3).repeat(n, 1)
    with torch.no_grad():
        logits = hf(idx[:1]).logits[0, -1]
    allowed = set(torch.topk(logits, k).indices.tolist())
    out = ours.generate(
        idx, max_new_tokens=1, temperature=temperature, top_k=k, generator=torch.Generator().manual_seed(6)
    )
    drawn = set(out[:, -1].tolist())
    # at 0.5 the bug draws outside the k (fourteen tokens); the least likely of the k can go undrawn there when the
    # grader's oracle is not the seeded one measured above (a jailed reference run drew 4 of 5), so only at 2, where
    # the bug keeps one token, must every one of the k be drawn
    ok = drawn <= allowed if temperature < 1 else drawn == allowed
    assert ok, (
        f"top_k={k} at temperature={temperature}: {n:,} draws gave {len(drawn)} distinct tokens; outside the {k} "
        f"largest logits: {sorted(drawn - allowed)}, never drawn of them: {sorted(allowed - drawn)}. Divide by the "
        "temperature first, then take the k-th largest of the divided logits and compare the same divided logits "
        "with it"
    )


@needs("gpt")
def test_top_k_draws_follow_the_temperature(impl):
    """Clause: with top_k=k and a temperature t the next token is drawn from softmax(logits / t) renormalised over
    the k largest: the k kept tokens share the mass as softmax of their logits divided by t once.
    Catches: a top-k branch that divides its k kept values by the temperature again (v27 author: the temperature
    squared with top_k). test_top_k_keeps_exactly_k measures the distribution at temperature 1, where a second
    division changes nothing, and the temperature's tests check which tokens can be drawn, not how often.
    Measured (the sharpened oracle, this prompt, 20,000 draws at t = 2, generator seeds 8, 1, 2, 3): the reference
    is 0.004 to 0.007 (total variation) from the target, the temperature applied twice 0.109 to 0.118; the bound
    is 0.04. With 5 kept tokens and 20,000 draws the expected distance of a correct sampler is below 0.007."""
    ours, hf = make_pair(impl, sharpen=3.0)
    k, n, temperature = 5, 20_000, 2.0
    counts, target, top = top_k_draws(
        ours, hf, prompt(B=1, T=6, seed=3).repeat(n, 1), k, seed=8, temperature=temperature
    )
    freq = counts / n
    tv = 0.5 * (freq - target).abs().sum().item()
    shown = ", ".join(f"{i}: {freq[i].item():.3f} (want {target[i].item():.3f})" for i in top.tolist())
    assert tv <= 0.04, (
        f"top_k={k} at temperature={temperature}: the {n:,} draws are {tv:.3f} (total variation) from softmax(logits "
        f"/ {temperature}) over the {k} largest; token: share drawn {shown}. "
        + (
            "The kept tokens are too even: the temperature is applied twice (divided again inside the top-k branch). "
            if freq[top[0]] < target[top[0]]
            else ""
        )
        + "Divide the logits by the temperature once, keep the k largest, and sample from their softmax"
    )


@needs("gpt")
def test_top_k_samples_a_single_prompt(impl):
    """Clause: a batch of one prompt is sampled like any batch: top_k=k keeps k tokens for it (not
    min(k, batch size)), and generate returns (1, T + 1).
    Catches: k capped with the batch dim (``min(top_k, logits.size(0))``: one prompt keeps a single token and
    sampling turns greedy), the probabilities squeezed before torch.multinomial (a batch of one loses its batch
    dim). test_top_k_keeps_exactly_k draws 40,000 rows at once, where neither shows.
    Measured (seeded): over 300 calls with top_k=5 at temperature 1, the 5 kept tokens have probabilities 0.081
    and up, so a sampler that keeps them draws all 5 (P(one token only) < 0.92 ** 300 = 1e-11); the check only
    asks for more than one, so a top-k bug of another kind (k - 1 kept) fails test_top_k_keeps_exactly_k alone."""
    ours, _ = make_pair(impl, sharpen=3.0)
    idx = prompt(B=1, T=6, seed=3)
    draws = set()
    for seed in range(300):
        out = ours.generate(idx, max_new_tokens=1, top_k=5, generator=torch.Generator().manual_seed(seed))
        assert tuple(out.shape) == (1, 7), (
            f"generate on one prompt (1, 6) with max_new_tokens=1 returned shape {tuple(out.shape)}, want (1, 7): "
            "keep the batch dim (multinomial(probs, num_samples=1) on (1, V) probabilities gives (1, 1); "
            "do not squeeze them)"
        )
        draws.add(int(out[0, -1]))
    assert len(draws) > 1, (
        f"top_k=5 on a single prompt drew the same token {sorted(draws)} in 300 seeded calls: one prompt keeps "
        "one token. Cap k with the vocabulary, min(top_k, logits.size(-1)), not with the batch size (size(0))"
    )


@needs("gpt")
def test_temperature_applies_without_top_k(impl):
    """Clause: next tokens are drawn from softmax(logits / temperature), with or without top_k.
    At temperature 0.01 the argmax is all but certain: on these 64 prompts the top two logits are at least 1.2
    apart, so any other token has probability below 50 * e^-120; at temperature 1 (the temperature ignored)
    all 64 draws are the argmax with probability 5e-45 (measured on the oracle's logits). No top_k, so a top_k
    bug cannot fail this test; deterministic draws, so it is cheap (test_samples_follow_softmax_over_temperature,
    slow, measures the distributions).
    Catches: the division by the temperature applied only when top_k is given (indented into its branch), the
    temperature ignored, multiplied instead of divided."""
    ours, hf = make_pair(impl, sharpen=3.0)
    idx = prompt(B=64, T=5, seed=13)
    temperature = 0.01
    with torch.no_grad():
        logits = hf(idx).logits[:, -1]
    top2 = torch.topk(logits, 2).values
    margin = (top2[:, 0] - top2[:, 1]).min().item()
    assert margin / temperature > 50, f"test premise: the top two logits are only {margin:.3g} apart"  # oracle side
    argmax = logits.argmax(-1)
    got = ours.generate(idx, max_new_tokens=1, temperature=temperature, generator=torch.Generator().manual_seed(4))
    wrong = (got[:, -1] != argmax).nonzero().flatten().tolist()
    assert not wrong, (
        f"generate(temperature={temperature}, top_k=None): {len(wrong)} of 64 prompts drew a token other than the "
        f"argmax (rows {wrong[:8]}: drew {got[wrong[:8], -1].tolist()}, argmax {argmax[wrong[:8]].tolist()}), where "
        f"softmax(logits / {temperature}) gives the argmax probability > 1 - 1e-40. The temperature is not applied "
        "without top_k: divide the logits by it before (and whether or not) top_k filters them"
    )


@needs("gpt")
def test_temperature_applies_with_top_k(impl):
    """Clause: with top_k=k the next token is drawn from softmax(logits / temperature) over the k largest: the
    temperature still applies. At temperature 0.01 with top_k=5 the argmax is all but certain on the 64 prompts
    of test_temperature_applies_without_top_k (its top two logits at least 1.2 apart: any other token below
    50 * e^-120).
    Catches: a top-k branch that samples its k kept logits without the division by the temperature (v23 author:
    softmax of the top-k values as they came out of the model). The top-k tests count which tokens are drawn,
    and the temperature's tests run without top_k, so nothing else sees it.
    Measured (the bug, this seed): 20 of the 64 draws are not the argmax."""
    ours, hf = make_pair(impl, sharpen=3.0)
    idx = prompt(B=64, T=5, seed=13)
    temperature = 0.01
    with torch.no_grad():
        argmax = hf(idx).logits[:, -1].argmax(-1)
    got = ours.generate(
        idx, max_new_tokens=1, temperature=temperature, top_k=5, generator=torch.Generator().manual_seed(4)
    )
    wrong = (got[:, -1] != argmax).nonzero().flatten().tolist()
    assert not wrong, (
        f"generate(temperature={temperature}, top_k=5): {len(wrong)} of 64 prompts drew a token other than the "
        f"argmax (rows {wrong[:8]}: drew {got[wrong[:8], -1].tolist()}, argmax {argmax[wrong[:8]].tolist()}). "
        "The temperature is not applied when top_k is given: divide the logits by the temperature, then keep the "
        "k largest of the divided logits and sample from their softmax"
    )


@needs("gpt")
def test_low_temperature_sampling_is_finite_in_float32(impl):
    """Clause: next tokens are drawn from softmax(logits / temperature), computed without overflow: in float32,
    exp overflows past 88, and logits / 0.01 passes it whenever a logit exceeds 0.88. The model of
    test_temperature_applies_without_top_k, in float32, at temperature 0.01 (no top_k): every draw is the argmax.
    Catches: sampling weights written as exp(logits / temperature) and handed to multinomial (which normalises
    them): right in distribution, but inf / nan at a low temperature (v24 author). The other temperature tests
    run in float64, where exp overflows only past 709.
    Measured (the bug): multinomial raises on inf probabilities."""
    ours, hf = make_pair(impl, sharpen=3.0)
    idx = prompt(B=64, T=5, seed=13)
    temperature = 0.01
    with torch.no_grad():
        logits = hf(idx).logits[:, -1]
    assert logits.max().item() / temperature > 88, "test premise: no logit passes float32's exp range"  # oracle side
    argmax = logits.argmax(-1)
    try:
        got = ours.float().generate(
            idx, max_new_tokens=1, temperature=temperature, generator=torch.Generator().manual_seed(4)
        )
    except RuntimeError as err:
        pytest.fail(
            f"generate(temperature={temperature}) in float32 raised {type(err).__name__}: {err}. The sampling "
            "weights overflow: exp(logits / temperature) is inf past 88 in float32. Take softmax(logits / "
            "temperature) (it subtracts the maximum first) and sample from that"
        )
    wrong = (got[:, -1] != argmax).nonzero().flatten().tolist()
    assert not wrong, (
        f"generate(temperature={temperature}) in float32: {len(wrong)} of 64 prompts drew a token other than the "
        f"argmax (rows {wrong[:8]}). Sampling weights that overflow (exp(logits / temperature) past 88) turn inf "
        "or nan: take softmax(logits / temperature), which subtracts the maximum first"
    )


@needs("gpt")
def test_temperature_below_one_still_samples(impl):
    """Clause: only temperature == 0 means greedy; any temperature above 0 samples from softmax(logits /
    temperature). At temperature 0.5, on these 64 prompts of the unsharpened model, all 64 draws being the argmax
    has probability below 1e-12 (measured on the oracle's logits, asserted below as the premise). No top_k; cheap
    (test_samples_follow_softmax_over_temperature, slow, measures the distributions).
    Catches: the greedy branch taken for temperature < 1 (or <= some threshold) instead of == 0."""
    ours, hf = make_pair(impl)
    idx = prompt(B=64, T=5, seed=17)
    temperature = 0.5
    with torch.no_grad():
        logits = hf(idx).logits[:, -1]
    p_all_argmax = F.softmax(logits / temperature, dim=-1).amax(-1).log().sum().exp().item()
    assert p_all_argmax < 1e-12, f"test premise: all-argmax has probability {p_all_argmax:.3g}"  # oracle side
    got = ours.generate(idx, max_new_tokens=1, temperature=temperature, generator=torch.Generator().manual_seed(5))
    assert bool((got[:, -1] != logits.argmax(-1)).any()), (
        f"generate(temperature={temperature}): all 64 prompts drew the argmax, which softmax(logits / "
        f"{temperature}) gives probability {p_all_argmax:.1e}: a temperature below 1 is treated as greedy. Only "
        "temperature == 0 takes the argmax; any other temperature divides the logits and samples"
    )


@needs("gpt")
def test_top_k_defaults_to_none(impl):
    """Clause: generate's signature is ``generate(idx, max_new_tokens, temperature=1.0, top_k=None, ...)``: without
    top_k every token of the vocabulary can be drawn (softmax over all of them), none is cut off.
    Catches: ``top_k=50`` as the default (Hugging Face generate's default), or any other default k below the
    vocabulary size: the tokens outside the k largest logits are then never drawn. test_top_k_keeps_exactly_k
    always passes top_k, and the slow test_samples_follow_softmax_over_temperature is the only other one to see it.
    Measured (seeded): at GPT-2's init scale the next-token distribution of this prompt is nearly uniform over
    the 96 tokens (probabilities 0.006 to 0.024 over five run seeds; 0.40 of the mass outside the 50 largest
    at seed 0), so 4,000 draws miss a given token with probability below 0.994 ** 4000 = 4e-11."""
    ours, hf = make_pair(impl)
    n, V = 4_000, TINY["vocab_size"]
    idx = prompt(B=1, T=6, seed=14).repeat(n, 1)
    with torch.no_grad():
        logits = hf(idx[:1]).logits[0, -1]
    out = ours.generate(idx, max_new_tokens=1, generator=torch.Generator().manual_seed(5))
    never = sorted(set(range(V)) - set(out[:, -1].tolist()))
    rank = {t: r for r, t in enumerate(torch.argsort(logits, descending=True).tolist())}
    assert not never, (
        f"generate(idx, 1) without top_k on {n:,} copies of one prompt never drew {len(never)} of the {V} tokens "
        f"(logit ranks {sorted(rank[t] for t in never)[:10]}..., probabilities >= "
        f"{F.softmax(logits, dim=-1).min().item():.3f}): some top-k filter is on by default. The contract's default "
        "is top_k=None (sample from the whole softmax); do not copy Hugging Face's top_k=50"
    )


@pytest.mark.slow  # 3 x ~8 s of sampling on a 2-core CPU
@pytest.mark.parametrize("temperature", [1.0, 0.5, 2.0])
@needs("gpt")
def test_samples_follow_softmax_over_temperature(impl, temperature):
    """Clause: next tokens are drawn from softmax(logits[:, -1] / temperature).
    Catches: sampling from logits or log-probs, softmax applied twice, multiplying by the temperature.
    Measured (seeded, 40,000 draws): a correct sampler is within total variation 0.02 of the target; each
    bug is >= 0.11 away at some temperature here. The bound 0.04 is > 10 standard deviations of the noise."""
    ours, hf = make_pair(impl, sharpen=3.0)
    n = 40_000
    idx = prompt(B=1, T=2, seed=4).repeat(n, 1)
    out = ours.generate(idx, max_new_tokens=1, temperature=temperature, generator=torch.Generator().manual_seed(2))
    counts = torch.bincount(out[:, -1], minlength=TINY["vocab_size"]).double() / n
    with torch.no_grad():
        probs = F.softmax(hf(idx[:1]).logits[0, -1] / temperature, dim=-1)
    tv = 0.5 * (counts - probs).abs().sum().item()
    assert tv <= 0.04, f"sampled distribution is {tv:.3f} (total variation) away from softmax(logits/{temperature})"


@pytest.mark.parametrize("top_k", [None, 5], ids=["no-top-k", "top-k"])
def test_seeded_generator_is_reproducible(impl, top_k):
    """Clause: the same seeded torch.Generator gives the same tokens, with or without top_k; a different seed
    gives different ones.
    Catches: ignoring ``generator`` (drawing from the global RNG), re-seeding inside generate; a top-k branch of
    its own whose torch.multinomial is not given the generator (v27 author): with top_k the global RNG draws."""
    ours, _ = make_pair(impl)
    idx = prompt(B=2, T=4, seed=5)

    def sample(seed: int, global_seed: int) -> torch.Tensor:
        torch.manual_seed(global_seed)  # the global RNG must not matter
        return ours.generate(idx, 20, top_k=top_k, generator=torch.Generator().manual_seed(seed))

    assert_equal(
        sample(1, global_seed=100),
        sample(1, global_seed=200),
        what=f"two runs with Generator seed 1, top_k={top_k} (and different global seeds)",
        hint="pass generator= to every torch.multinomial (the top-k branch's too) instead of using the global RNG",
    )
    assert not torch.equal(sample(1, 100), sample(2, 100)), (
        "seeds 1 and 2 produced identical samples: generator is not used"
    )


def test_without_a_generator_the_global_seed_decides(impl):
    """Clause: with ``generator=None`` the tokens are drawn from torch's global RNG, as torch.multinomial(...,
    generator=None) draws them: torch.manual_seed(s) before generate makes the draws reproducible, and another
    global seed draws other tokens.
    Catches: a default Generator made inside generate with a constant seed when none is given (v28 author): every
    call without a generator draws the same text whatever the caller seeded, and a sampling script that seeds the
    global RNG for each sample prints one sample again and again."""
    ours, _ = make_pair(impl)
    idx = prompt(B=2, T=4, seed=8)

    def sample(global_seed: int) -> torch.Tensor:
        torch.manual_seed(seeded(global_seed))
        return ours.generate(idx, 20)

    assert_equal(
        sample(100),
        sample(100),
        what="two runs without a generator after the same torch.manual_seed",
        hint="with generator=None, draw with torch.multinomial(probs, 1, generator=None): the global RNG",
    )
    assert not torch.equal(sample(100), sample(200)), (
        "two calls of generate without a generator, after torch.manual_seed with two different seeds, drew the same "
        "20 tokens for both prompts: your generate ignores the global RNG when no generator is given (a Generator "
        "made inside generate with a fixed seed?). Pass the caller's generator through as it is, None included: "
        "torch.multinomial(probs, 1, generator=generator)"
    )


def test_the_generator_moves_on_with_every_draw(impl):
    """Clause: the new tokens are drawn with the generator given (torch.multinomial(..., generator=generator)),
    which moves on with every draw: two calls with one Generator, not re-seeded between them, draw different
    tokens, as two draws of torch.multinomial do.
    Catches: a sampler that makes a fresh torch.Generator from ``generator.initial_seed()`` (or re-seeds the one
    given) at every step: every step draws the same uniform, so the steps are not independent, and the caller's
    generator never moves (v26 author). Seeded reproducibility alone (test_seeded_generator_is_reproducible)
    cannot tell: such a sampler is reproducible."""
    ours, _ = make_pair(impl)
    idx = prompt(B=2, T=4, seed=6)
    generator = torch.Generator().manual_seed(seeded(7))
    first = ours.generate(idx, 20, generator=generator)
    second = ours.generate(idx, 20, generator=generator)
    assert not torch.equal(first, second), (
        "two calls of generate with one torch.Generator (not re-seeded between them) drew the same 20 tokens for "
        "both prompts: your sampler draws from a generator that does not move on, a fresh "
        "torch.Generator().manual_seed(generator.initial_seed()) or a re-seeded one. Hand the caller's generator "
        "itself to torch.multinomial(probs, 1, generator=generator): every draw advances it"
    )


def greedy_by_recomputation(hf, idx: torch.Tensor, n: int) -> torch.Tensor:
    """What greedy generate means, with no cache at all: every step runs HF's full forward over the last
    block_size tokens and appends the argmax of the last position."""
    bs = TINY["block_size"]
    seq = idx
    for _ in range(n):
        with torch.no_grad():
            nxt = hf(seq[:, -bs:]).logits[:, -1].argmax(-1, keepdim=True)
        seq = torch.cat([seq, nxt], dim=1)
    return seq


@pytest.mark.parametrize(
    "T,new",
    [(1, 34), (31, 3), (8, 6)],
    ids=["one-token-prompt-past-block_size", "prompt-fills-block", "prompt-then-cached-steps"],
)
@needs("gpt")
def test_kv_cached_generation_equals_recomputation(impl, T, new):
    """Clause: generate returns the tokens that recomputing the full (cropped) context every step gives,
    however it gets there: a KV cache is allowed, but it must be invisible. Checked on runs that fill and
    then pass block_size (where every position shifts and a cache must be dropped), from a one-token
    prompt, and on a second call to the same model (nothing may carry over between calls); an
    implementation without a cache passes trivially. Greedy by either convention (assert_greedy): the
    temperature=0 rule and top_k have their own tests.
    Catches: a KV cache whose new token restarts at position 0, a causal mask aligned top-left (the new
    query sees only the first key), keys or values not stored, a cache reused after cropping or kept on
    the module between generate calls; a prompt pass whose mask lets each prompt position see the next one
    (tril(diagonal=S - T + 1)): invisible in one layer, it corrupts the second layer's cached keys, which only
    a prompt of several tokens followed by several cached steps shows (prompt-then-cached-steps).
    Weights: the blocks' matrices are scaled by 3. At GPT-2's init scale a random model mostly repeats its
    last token (99% of greedy steps here), which hides cache bugs; scaled, the argmax depends on the context
    (78% of the steps repeat, measured with the oracle's random LayerNorms) and every bug above changes the
    tokens (checked with gpt2spec/known_bugs/perf.py)."""
    ours, hf = make_pair(impl, blocks=3.0)
    calls = (
        ("first call", prompt(B=2, T=T, seed=10), new),
        ("second call on the same model", prompt(B=2, T=T, seed=11), 3),
    )
    for name, idx, n in calls:
        assert_greedy(
            ours,
            idx,
            n,
            greedy_by_recomputation(hf, idx, n),
            what=f"greedy tokens vs full recomputation ({name}, prompt T={T}, {n} new)",
            hint="a KV cache must feed position start + t for the t-th new token, let the new query see every "
            "cached key, and be rebuilt (or dropped) once the context is cropped to block_size",
        )
