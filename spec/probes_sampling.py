"""What a sampler written by hand draws: counted, not read off torch.multinomial.

spec/probes.py fits generate's temperature and top-k from the distribution it hands to torch.multinomial. A
participant who samples another way (an inverse CDF with torch.searchsorted, the Gumbel-max trick, an
exponential race) never calls it, and that probe sees nothing. The contract still says what every row's draw
must follow: softmax(logits / temperature) over the row's own logits, restricted to its top_k. So this probe
counts the draws of many copies of one prompt in one batch (your own model and forward, so a model bug is not
mistaken for a sampling one) and fits, in order:

1. whether a row's draws depend on the batch around it: the same prompt drawn alone (one row per call) follows
   softmax(logits) while the 40,000-row batch does not (a normalisation, cumsum or mask taken over the batch);
2. the temperature the draws follow (the least-squares slope of log-frequency on the logits), checked at a
   second temperature it was not fitted on;
3. how many tokens top_k leaves drawable.

What fits none of these is said as a fact without a fix (how far the draws are from softmax, and which way).
"""

from __future__ import annotations

import functools
import math
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

from gpt2spec.verdicts import OBSERVED, Finding

from .oracles import TINY, hf_lm, load_into

N_ROWS = 40_000  # draws of one prompt in one batch: a correct sampler is within TV 0.01 of softmax here (measured)
N_ALONE = 200  # calls with a batch of one row (the batch-free draws; a likelihood test, not a TV one)
TV_BOUND = 0.04  # total variation above this is no sampling noise at N_ROWS (test_top_k_keeps_exactly_k's bound)
SHARPEN = 3.0  # the embedding scaled as the spec's make_pair(sharpen=3): peaked enough to fit a temperature
SAMPLER = "generate's own sampler (it never calls torch.multinomial)"


def hand_sampled(impl) -> list[Finding]:
    """Findings about a generate that samples without torch.multinomial (none when its draws follow the
    contract, or when it cannot be run on a batch)."""
    loaded = _loaded(impl)
    if loaded is None:
        return []
    ours, prompt, logits = loaded
    at_one = _drawn(ours, prompt, temperature=1.0)
    if at_one is None:
        return []
    want = F.softmax(logits, -1)
    if _tv(at_one, want) > TV_BOUND:
        return _wrong_at_one(ours, prompt, logits, at_one)
    at_two = _drawn(ours, prompt, temperature=2.0)
    if at_two is not None and _tv(at_two, F.softmax(logits / 2, -1)) > TV_BOUND:
        return _temperature(ours, prompt, logits, at_two)
    return _top_k(ours, prompt, logits)


# the settings a sampler is counted at when a repair of generate is judged by its draws, and the rows of the cheap
# first count (its bound scaled by sqrt(N_ROWS / rows): sampling noise shrinks as 1 / sqrt(rows))
DRAWN_AT = ({"temperature": 1.0}, {"temperature": 2.0}, {"temperature": 1.0, "top_k": 5}, {"temperature": 0.5})
SCREEN_ROWS = 4_000


def draws_follow_the_contract(impl, rows: int = N_ROWS) -> bool:
    """Whether ``impl``'s generate draws as the contract says at each of DRAWN_AT (``rows`` copies of one prompt
    each, within TV_BOUND of softmax(logits / temperature) over the top_k): what a repair of a sampler written
    otherwise than GPT-2's must do, where GPT-2's very tokens cannot be asked of it."""
    loaded = _loaded(impl)
    if loaded is None:
        return False
    ours, prompt, logits = loaded
    bound = TV_BOUND * math.sqrt(N_ROWS / rows)
    for kwargs in DRAWN_AT:
        drawn = _drawn(ours, prompt, rows, **kwargs)
        if drawn is None or _tv(drawn, _wanted(logits, **kwargs)) > bound:
            return False
    return True


def sampling_lines(impl) -> set[tuple[str, int]]:
    """The (file name, line) of ``impl``'s own code that generate runs when it samples (temperature 1) and not when
    it is greedy (temperature 0): where a slip can change the draws and leave the argmax's tokens alone."""
    loaded = _loaded(impl)
    if loaded is None:
        return set()
    ours, prompt, _ = loaded
    root = str(Path(impl.module.__path__[0]).resolve()) if hasattr(impl, "module") else None
    ran: dict[float, set[tuple[str, int]]] = {}
    for temperature in (1.0, 0.0):
        lines: set[tuple[str, int]] = set()

        def trace(frame, event, arg, lines=lines):
            if root is None or not frame.f_code.co_filename.startswith(root):
                return None
            lines.add((Path(frame.f_code.co_filename).name, frame.f_lineno))
            return trace

        sys.settrace(trace)
        try:
            with torch.no_grad():
                ours.generate(
                    prompt.repeat(4, 1), 2, temperature=temperature, generator=torch.Generator().manual_seed(3)
                )
        except Exception:
            pass
        finally:
            sys.settrace(None)
        ran[temperature] = lines
    return ran[1.0] - ran[0.0]


def _wanted(logits: torch.Tensor, temperature: float, top_k: int | None = None) -> torch.Tensor:
    """softmax(logits / temperature) over the top_k largest logits (all of them without top_k)."""
    kept = torch.full_like(logits, float("-inf"))
    top = torch.topk(logits, top_k or logits.numel()).indices
    kept[top] = logits[top] / temperature
    return F.softmax(kept, -1)


@functools.cache
def _sharpened() -> torch.nn.Module:
    """The HF model the draws are counted on, its embedding scaled by SHARPEN (built once)."""
    hf = hf_lm(TINY, seed=81, dtype=torch.float64)
    with torch.no_grad():
        hf.transformer.wte.weight.mul_(SHARPEN)
    return hf


def _loaded(impl) -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor] | None:
    """``impl``'s GPT with the sharpened weights, the prompt, and its forward's last logits (None if it raises)."""
    prompt = torch.randint(0, TINY["vocab_size"], (1, 6), generator=torch.Generator().manual_seed(89))
    try:
        ours = load_into(impl.GPT(impl.GPTConfig(**TINY)).double().eval(), _sharpened(), what="GPT")
        with torch.no_grad():
            logits = ours(prompt)[0][0, -1].detach()
    except Exception:
        return None
    return ours, prompt, logits


def _wrong_at_one(ours, prompt: torch.Tensor, logits: torch.Tensor, drawn: torch.Tensor) -> list[Finding]:
    """At temperature 1 the batch's draws are not softmax(logits): the batch's doing, or the sampler's own."""
    want = F.softmax(logits, -1)
    alone = _drawn_alone(ours, prompt)
    if alone is not None and _likely(alone, want) and not _likely(alone, drawn, floor=want):
        words = (
            f"{SAMPLER}: one prompt drawn alone (a batch of one row, {N_ALONE} calls) follows softmax(logits), "
            f"but {N_ROWS:,} copies of it in one batch draw from another distribution (total variation "
            f"{_tv(drawn, want):.2f}; {_most(drawn, want)}): each row's draw depends on the other rows. "
            + (  # every row the same token: one random number for the batch is the likelier (v24: torch.rand(1, 1))
                "Every row drew the same token: the rows share one random draw (a uniform or noise made for one "
                "row and broadcast), or a normalisation, cumulative sum or mask is taken over the batch"
                if drawn.max().item() >= 0.99
                else "A normalisation, cumulative sum or mask is taken over the batch, not over each row's "
                "vocabulary, or the rows share random draws"
            )
        )
        fix = (
            "give each row its own random draws (a batch dim of B, not 1) and reduce over each row's vocabulary "
            "only (dim=-1, keepdim=True), never over the batch dim"
        )
        return [Finding("sampling: rows depend on the batch", words, fix, evidence="counted draws, alone and batched")]
    tau = _fitted_temperature(drawn, logits)
    if tau is not None and abs(tau - 1.0) > 0.05:
        again = _drawn(ours, prompt, temperature=2.0)
        if again is not None and _tv(again, F.softmax(logits / (2.0 * tau), -1)) <= TV_BOUND:
            shape = "flatter" if tau > 1 else "more peaked"
            words = (
                f"{SAMPLER} draws {shape} than softmax(logits): at temperature 1 as softmax(logits / {tau:.3g}), "
                f"at 2 as softmax(logits / {2 * tau:.3g}). The temperature is applied, but the scores the noise "
                "is added to are not the logits, or the noise is not Gumbel(0, 1)"
            )
            fix = "argmax(logits / temperature - log(-log(u))) with u ~ U(0, 1), or torch.multinomial(softmax(...))"
            return [Finding(f"sampling: draws as softmax(logits / {tau:.3g})", words, fix,
                            evidence=f"{N_ROWS:,} counted draws at temperatures 1 and 2")]  # fmt: skip
    return [_observed(drawn, want, "temperature 1, no top_k")]


def _temperature(ours, prompt: torch.Tensor, logits: torch.Tensor, drawn: torch.Tensor) -> list[Finding]:
    """Right at temperature 1, wrong at 2: the temperature the draws follow."""
    tau = _fitted_temperature(drawn, logits)
    if tau is None or _tv(drawn, F.softmax(logits / tau, -1)) > TV_BOUND:
        return [_observed(drawn, F.softmax(logits / 2, -1), "temperature 2, no top_k")]
    half = _drawn(ours, prompt, temperature=0.5)  # a temperature it was not fitted on
    fix = "divide the logits by the temperature before sampling (with Gumbel-max: before adding the noise)"
    evidence = f"{N_ROWS:,} counted draws at temperature 2, confirmed at 0.5"
    for rule, at_half, tag, words in (
        (1.0, 1.0, "temperature: ignored", "temperature=2 draws as softmax(logits): the temperature is not applied"),
        (0.5, 2.0, "temperature: multiplied", "temperature=2 draws as softmax(logits * 2): multiplied, not divided"),
    ):
        if abs(tau - rule) < 0.05 and half is not None and _tv(half, F.softmax(logits / at_half, -1)) <= TV_BOUND:
            return [Finding(tag, f"{SAMPLER}: {words}", fix, evidence=evidence)]
    words = f"{SAMPLER}: temperature=2 draws as temperature {tau:.3g}"
    return [Finding(f"temperature: {tau:.3g} for 2", words, kind=OBSERVED, evidence=f"{N_ROWS:,} counted draws")]


def _top_k(ours, prompt: torch.Tensor, logits: torch.Tensor, k: int = 5) -> list[Finding]:
    """Right at temperatures 1 and 2: how many tokens top_k leaves drawable, and with which weights."""
    drawn = _drawn(ours, prompt, temperature=1.0, top_k=k)
    if drawn is None:
        return []
    top = torch.topk(logits, k).indices
    want = torch.zeros_like(logits)
    want[top] = F.softmax(logits[top], -1)
    if _tv(drawn, want) <= TV_BOUND:
        return []
    kept = int((drawn > 0).sum())
    fix = "mask logits < the k-th largest value (not <=) with -inf, then softmax and sample"
    evidence = f"{N_ROWS:,} counted draws with top_k={k}"
    if kept != k and set(torch.topk(logits, kept).indices.tolist()) == set(drawn.nonzero().flatten().tolist()):
        words = f"{SAMPLER}: top_k={k} leaves the {kept} largest logits drawable"
        return [Finding(f"top-k: keeps {kept}", words, fix, evidence=evidence)]
    return [_observed(drawn, want, f"temperature 1, top_k={k}")]


def _observed(drawn: torch.Tensor, want: torch.Tensor, where: str) -> Finding:
    """No fit: how the draws differ from the contract's distribution, said without a fix."""
    words = (f"{SAMPLER} draws from another distribution than the contract's ({where}): total variation "
             f"{_tv(drawn, want):.2f} over {N_ROWS:,} draws of one prompt; {_most(drawn, want)}")  # fmt: skip
    return Finding("sampling: draws follow another distribution", words, kind=OBSERVED, evidence="counted draws")


def _most(drawn: torch.Tensor, want: torch.Tensor) -> str:
    """The token whose frequency is furthest from its probability, and the entropy either way."""
    i = int((drawn - want).abs().argmax())
    return (f"token {i} drawn {drawn[i]:.3f} of the time where its probability is {want[i]:.3f}; entropy "
            f"{_entropy(drawn):.2f} nats against {_entropy(want):.2f}")  # fmt: skip


def _entropy(p: torch.Tensor) -> float:
    return float(-(p[p > 0] * p[p > 0].log()).sum())


def _tv(p: torch.Tensor, q: torch.Tensor) -> float:
    return 0.5 * float((p - q).abs().sum())


def _fitted_temperature(drawn: torch.Tensor, logits: torch.Tensor) -> float | None:
    """The tau of softmax(logits / tau) that the frequencies follow: the slope of log-frequency on the logits,
    weighted by the counts (the tokens drawn often decide it)."""
    seen = drawn > 1e-4
    if int(seen.sum()) < 3:
        return None
    w, x, y = drawn[seen], logits[seen], drawn[seen].log()
    xm, ym = (w * x).sum() / w.sum(), (w * y).sum() / w.sum()
    slope = float((w * (x - xm) * (y - ym)).sum() / (w * (x - xm) ** 2).sum())
    return 1.0 / slope if slope > 1e-6 else None


def _likely(draws: torch.Tensor, p: torch.Tensor, floor: torch.Tensor | None = None) -> bool:
    """The N_ALONE draws (as counts) are as likely under ``p`` as draws from ``p`` itself: their mean log-probability
    within 3 standard errors of -entropy(p). ``floor`` mixes a little of another distribution into ``p`` so that a
    token ``p`` never draws does not make the test infinitely unlikely."""
    if floor is not None:
        p = 0.99 * p + 0.01 * floor
    logp = p.clamp_min(1e-12).log()
    mean, var = float((p * logp).sum()), float((p * logp**2).sum()) - float((p * logp).sum()) ** 2
    got = float((draws * logp).sum() / draws.sum())
    return abs(got - mean) <= 3 * math.sqrt(max(var, 1e-12) / float(draws.sum()))


def _drawn(ours, prompt: torch.Tensor, rows: int = N_ROWS, **kwargs) -> torch.Tensor | None:
    """The frequencies of the tokens drawn for ``rows`` copies of the prompt in one batch (None if generate raises
    or returns something else than (rows, T + 1) tokens)."""
    idx = prompt.repeat(rows, 1)
    with torch.random.fork_rng(devices=[]):  # a sampler on the global RNG: seeded, and the test's RNG untouched
        torch.manual_seed(90)
        try:
            with torch.no_grad():
                out = ours.generate(idx, 1, generator=torch.Generator().manual_seed(91), **kwargs)
        except Exception:
            return None
    return _frequencies(out, idx)


def _drawn_alone(ours, prompt: torch.Tensor) -> torch.Tensor | None:
    """The counts of N_ALONE draws of the prompt as a batch of one row, one call each (temperature 1)."""
    tokens = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(92)
        for seed in range(N_ALONE):
            try:
                with torch.no_grad():
                    out = ours.generate(prompt, 1, generator=torch.Generator().manual_seed(seed))
            except Exception:
                return None
            tokens.append(out)
    freq = _frequencies(torch.cat(tokens), prompt.repeat(N_ALONE, 1))
    return None if freq is None else freq * N_ALONE


def _frequencies(out, idx: torch.Tensor) -> torch.Tensor | None:
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (idx.size(0), idx.size(1) + 1):
        return None
    last = out[:, -1].long()
    if bool((last < 0).any()) or bool((last >= TINY["vocab_size"]).any()):
        return None
    return torch.bincount(last, minlength=TINY["vocab_size"]).double() / idx.size(0)
