"""Probes: measure which member of a bug family an implementation is, from its own outputs.

Enumerating known bugs names only the bugs someone listed. A probe instead feeds a component inputs
built to expose one parameter and fits it: the LayerNorm eps and variance (rows of tiny variance),
whether weight and bias are used (perturb them), the attention scale (a 1-D fit of the scores' scale),
the causal mask (change one token, see which outputs move), the activation (identity projections make
the MLP its activation), the position indices (the embeddings minus the token rows), the loader's
target shift, the LR schedule's warmup and cosine range, the tokenizer's merge order and decode errors.

Each probe is a fixed, small amount of work (a few dozen forward passes of a tiny fp64 module), so the
same implementation gets the same findings on an idle or a loaded machine; results are cached per
implementation and component. A probe reports only what reproduces the output to round-off
(``confident``) or what it measured directly; when the fit fails it says what it established.
Known families map to the known bugs' names (gpt2spec/known_bugs), so one bug has one name.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import torch
import torch.nn.functional as F

from gpt2spec.verdicts import OBSERVED, Finding, unconfirmed

from . import probes_activation as activation
from . import probes_fits as fits
from . import probes_loading as loading
from . import probes_merges as merges
from . import probes_pipeline as pipeline
from . import probes_sampling as sampling
from . import probes_structure as structure
from .alongside import takes_keyword
from .oracles import TINY, hf_attention, hf_lm, load_into
from .probes_loss import loss_read
from .variants import EPS, conv1d, hf_attention_fn, same

SMALL = dict(block_size=16, vocab_size=64, n_layer=1, n_head=4, n_embd=32)  # head_dim 8: every scale is distinct
_cache: dict[tuple[str, str], list[Finding]] = {}


def probe(impl, component: str) -> list[Finding]:
    """What the probes of ``component`` establish about ``impl`` (cached; never raises)."""
    key = (impl.name, component)
    if key not in _cache:
        fn = PROBES.get(component)
        try:
            with torch.no_grad():
                found = fn(impl) if fn else []
            _cache[key] = sorted(found, key=lambda f: f.kind == OBSERVED)  # what reproduces first
        except Exception:  # a probe that cannot run says nothing; the failure itself is reported elsewhere
            _cache[key] = []
    return _cache[key]


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _unused(module: torch.nn.Module, run: Callable[[], torch.Tensor], known: dict[str, str]) -> list[Finding]:
    """Parameters whose perturbation leaves the output unchanged: declared but not used (one finding). An output
    with no finite entry cannot move, so nothing is concluded from it (it is observed instead)."""
    base = run()
    if not bool(base.isfinite().any()):
        words = "your output has no finite entry (all NaN or inf): no parameter can be seen to act on it"
        return [Finding("output: not finite", words, kind=OBSERVED, evidence="the output of one call")]
    unused = []
    for name, p in module.named_parameters():
        saved = p.detach().clone()
        p.add_(0.5 + torch.rand(p.shape, generator=_gen(1), dtype=p.dtype))
        if same(run(), base):
            unused.append(name)
        p.copy_(saved)
    if not unused:
        return []
    whole = sorted(
        {
            n.rsplit(".", 1)[0]
            for n in unused
            if f"{n.rsplit('.', 1)[0]}.weight" in unused and f"{n.rsplit('.', 1)[0]}.bias" in unused
        }
    )
    names = ", ".join(whole + [n for n in unused if n.rsplit(".", 1)[0] not in whole])
    tag = known.get(names, f"unused-parameter: {names}")
    words = f"{names} does not affect the output: declared but never used"
    return [Finding(tag, words, f"use {names} in forward", evidence="each parameter perturbed")]


# ---------------------------------------------------------------- attention


def _attention_fn(
    hf,
    n_head: int,
    *,
    order=(0, 1, 2),
    scale: float | None = None,
    offset: int | None = 0,
    split: str = "view",
    merge: bool | str = True,
    fill: float = float("-inf"),
    reversed_mask: bool = False,
    scale_after: bool = False,
    added: str | None = None,
    weights: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> Callable[[torch.Tensor], torch.Tensor]:
    """HF's attention with one parameter changed: which of c_attn's three parts plays q, k and v (repeats
    allowed: a typo passes q as v), the scale and whether it multiplies the weights after the softmax, the mask
    offset (None: no mask), the value the masked scores get, a mask of the past (tril) instead of the future,
    or a 0/1 matrix ``added`` to the scores ("keep": tril ones, "hide": triu(1) ones) as if it were a mask, or
    what turns the masked scores into weights (``weights``; the softmax over the keys by default)."""

    def run(x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        hd = C // n_head
        parts = conv1d(hf.c_attn, x).split(C, dim=2)
        q, k, v = (parts[i] for i in order)
        if split == "view":
            q, k, v = (t.view(B, T, n_head, hd).transpose(1, 2) for t in (q, k, v))
        elif split == "interleaved":  # head h takes every n_head-th channel
            q, k, v = (t.view(B, T, hd, n_head).permute(0, 3, 1, 2) for t in (q, k, v))
        elif split == "no transpose":  # (B, T, nh, hd): attention runs over the heads of one time step
            q, k, v = (t.view(B, T, n_head, hd) for t in (q, k, v))
        else:
            q, k, v = (t.reshape(B, n_head, T, hd) for t in (q, k, v))
        factor = hd**-0.5 if scale is None else scale
        att = q @ k.transpose(-2, -1) * (1.0 if scale_after else factor)
        S = att.size(-1)  # T, or n_head when the heads were never moved in front of the time steps
        if added is not None:
            ones = torch.ones(S, S, dtype=att.dtype)
            att = att + (ones.tril() if added == "keep" else ones.triu(1))
        if offset is not None:
            hidden = torch.ones(S, S, dtype=torch.bool)
            hidden = hidden.tril(-1 - offset) if reversed_mask else hidden.triu(1 + offset)
            att = att.masked_fill(hidden, fill)
        y = ((weights or (lambda a: a.softmax(dim=-1)))(att) * (factor if scale_after else 1.0)) @ v
        if merge == "interleaved":  # heads stacked on the last dim: channel c*n_head + h is head h's c
            y = y.permute(0, 2, 3, 1).reshape(B, T, C)
        else:
            y = y.transpose(1, 2).reshape(B, T, C) if merge else y.reshape(B, T, C)
        return conv1d(hf.c_proj, y)

    return run


def _heads(hf, n_head: int, y: torch.Tensor, x: torch.Tensor) -> list[Finding]:
    """How c_attn's output is cut into heads, fitted: one head of width C, heads taking every n_head-th channel
    (view(B, T, head_dim, n_head)), or heads never moved in front of the time steps (no transpose(1, 2))."""
    split = "q.view(B, T, n_head, head_dim).transpose(1, 2) (the same for k, v): n_head contiguous heads, then time"
    merge = "y.transpose(1, 2).contiguous().view(B, T, C): each head's head_dim channels side by side, in head order"
    layouts = (
        ("heads: single head", dict(n_head=1), "one head of width n_embd: the heads were never split"),
        ("heads-split: interleaved", dict(n_head=n_head, split="interleaved"), "head h takes every n_head-th "
         "channel (view(B, T, head_dim, n_head)), not a contiguous block of head_dim channels"),
        ("heads-split: no transpose", dict(n_head=n_head, split="no transpose"), "the heads are not moved in front "
         "of the time steps (no transpose(1, 2)): attention runs over the heads of one position"),
        ("heads-merge: interleaved", dict(n_head=n_head, merge="interleaved"), "the heads' outputs are stacked on "
         "the last dim (torch.stack(heads, dim=-1)): channel c * n_head + h is head h's channel c, not head h's "
         "block of head_dim channels"),
    )  # fmt: skip
    for tag, kwargs, words in layouts:
        if same(y, _attention_fn(hf, **kwargs)(x)):  # the merge's own fix (v15: the split's was told for it)
            return [Finding(tag, words, merge if "merge" in kwargs else split, evidence="reproduced")]
    return []


def _scale_name(s: float, C: int, hd: int) -> str:
    named = {
        "1/sqrt(head_dim)": hd**-0.5,
        "1/sqrt(n_embd)": C**-0.5,
        "1/head_dim": 1.0 / hd,
        "1 (unscaled)": 1.0,
        "sqrt(head_dim)": hd**0.5,
        "1/sqrt(2*head_dim)": (2 * hd) ** -0.5,
        "1/n_embd": 1.0 / C,
    }
    for name, value in named.items():
        if abs(s - value) <= 1e-4 * value:
            return name
    return f"{s * hd**0.5:.4g}/sqrt(head_dim)"


def _fit_scale(fn_of_scale: Callable[[float], torch.Tensor], y: torch.Tensor) -> float:
    """The scale whose output is closest to ``y``: a log grid, then golden-section refinement."""

    def err(log_s: float) -> float:
        return (fn_of_scale(math.exp(log_s)) - y).abs().nan_to_num(nan=1e30).max().item()

    grid = [math.log(1e-3) + i * (math.log(1e3) - math.log(1e-3)) / 60 for i in range(61)]
    best = min(range(len(grid)), key=lambda i: err(grid[i]))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    phi = (math.sqrt(5) - 1) / 2
    for _ in range(40):
        a, b = hi - phi * (hi - lo), lo + phi * (hi - lo)
        lo, hi = (lo, b) if err(a) < err(b) else (a, hi)
    return math.exp((lo + hi) / 2)


def _visibility(run: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """V[t, s]: output t moves when input s changes (the mask, measured)."""
    base = run(x)
    T = x.shape[1]
    seen = torch.zeros(T, T, dtype=torch.bool)
    for s in range(T):
        x2 = x.clone()
        x2[:, s] += 1.0
        y2 = run(x2)
        moved = ~((y2 == base) | (y2.isnan() & base.isnan()) | ((y2 - base).abs() < 1e-12))
        seen[:, s] = moved.any(dim=-1).any(dim=0)
    return seen


def _describe_mask(seen: torch.Tensor) -> str | None:
    """Words for a visibility pattern other than the causal one; None if causal. The diagonal is left out:
    output t always moves with input t, through its query."""
    T = seen.shape[0]
    t, s = torch.arange(T)[:, None], torch.arange(T)[None, :]
    off = s != t
    if torch.equal(seen & off, (s < t) & off):
        return None
    future = [tuple(ts) for ts in (seen & (s > t)).nonzero()[:3].tolist()]
    if not future:
        return "some past positions are not visible to later ones"
    if torch.equal(seen & off, off):
        return "every position sees every other, the future included"
    return f"outputs depend on future positions, e.g. (t, s) = {future}"


def _mask_words(offset: int | None) -> tuple[str, str]:
    if offset is None:
        return "no-causal-mask", "no causal mask: every position sees the future"
    if offset < 0:
        return "mask-hides-diagonal", "the mask hides the diagonal too: a position does not see itself"
    return f"causal-mask: sees t+{offset}", f"your mask lets each position t see {offset} future position(s)"


def _scale_finding(ours, hf, s: float, x: torch.Tensor) -> Finding:
    """The scale fitted on ``x``, confirmed at a second sequence length: the same scale is a constant (named
    against head_dim and n_embd); one that follows 1/sqrt(T) is the sequence length's; any other is unconfirmed."""
    n_head, C = SMALL["n_head"], SMALL["n_embd"]
    hd, T = C // n_head, x.shape[1]
    fix = "att = (q @ k.transpose(-2, -1)) / math.sqrt(head_dim)"
    x2 = torch.randn(2, T + 5, C, generator=_gen(13), dtype=torch.float64)
    try:  # a second measurement that cannot run confirms nothing (and must not drop the first one's findings)
        y2 = ours(x2.clone())
        s2 = _fit_scale(lambda sc: _attention_fn(hf, n_head, scale=sc)(x2), y2)
        fitted = same(y2, _attention_fn(hf, n_head, scale=s2)(x2))
    except Exception:
        s2, fitted = math.nan, False
    if fitted and abs(s2 - s) <= 1e-4 * s:
        name = _scale_name(s, C, hd)
        words = f"the scores are scaled by {name}, not 1/sqrt(head_dim)"
        return Finding(_KNOWN_SCALE.get(name, f"attention-scale: {name}"), words, fix, evidence="scale fitted")
    if fitted and abs(s * T**0.5 - 1) <= 1e-4 and abs(s2 * (T + 5) ** 0.5 - 1) <= 1e-4:
        words = "the scores are scaled by 1/sqrt(T), the sequence length (k.size(-2)), not 1/sqrt(head_dim)"
        return Finding("attention-scale: 1/sqrt(T)", words, fix, evidence=f"scale fitted at T = {T} and {T + 5}")
    words = f"the scores behave as scaled by {_scale_name(s, C, hd)} at T = {T}"
    return unconfirmed(Finding(f"attention-scale: {_scale_name(s, C, hd)}", words), f"a second length, T = {T + 5}")


_KNOWN_SCALE = {"1/sqrt(n_embd)": "attention-scale-by-C", "1 (unscaled)": "no-attention-scale"}
_KNOWN_ORDER = {(2, 1, 0): "qkv-order-swapped"}


_WEIGHTS: dict[str, tuple[Callable[[torch.Tensor], torch.Tensor], str]] = {
    "log_softmax": (lambda a: a.log_softmax(dim=-1), "the weights are log_softmax of the scores (log-probabilities, "
                    "all negative, -inf where masked), not softmax"),
    "exp, not normalised": (lambda a: a.exp(), "the weights are exp(scores), never divided by their sum"),
    "sigmoid": (lambda a: a.sigmoid(), "the weights are sigmoid(scores), not a softmax over the keys"),
    "sum over queries": (lambda a: a.exp() / a.exp().sum(dim=-2, keepdim=True).clamp_min(1e-300),
                         "exp(scores) divided by the sum over the queries (dim -2), not over the keys"),
}  # fmt: skip


def _bias_times(impl, hf, x: torch.Tensor, n_head: int) -> list[Finding]:
    """With every weight and c_attn's bias zero, the attention's output is c_proj's bias at every position: the
    factor it comes out multiplied by, fitted (a bias added once per head when the heads are projected one by one)."""
    import copy

    zero = copy.deepcopy(hf)
    with torch.no_grad():
        for name, p in zero.named_parameters():
            if name != "c_proj.bias":
                p.zero_()
    ours = load_into(impl.CausalSelfAttention(impl.GPTConfig(**SMALL)).double().eval(), zero, what="attention")
    b = zero.c_proj.bias.detach().double()
    y = ours(x.clone())
    k = float((y * b).sum() / (b * b).sum() / (y.numel() // b.numel()))
    if not math.isfinite(k) or round(k) == 1 or abs(k - round(k)) > 1e-6 or not same(y, round(k) * b.expand_as(y)):
        return []
    times = "once per head" if round(k) == n_head else f"{round(k)} times"
    words = (f"c_proj's bias is added {times} ({round(k)}x, n_head = {n_head}): with every weight zero your attention "
             f"returns {round(k)} * c_proj.bias, GPT-2's returns the bias once")  # fmt: skip
    fix = "add c_proj's bias once, after the heads are summed (or project the heads put side by side: self.c_proj(y))"
    return [Finding(f"attention-bias: c_proj.bias x{round(k)}", words, fix, evidence="every weight zeroed, fitted")]


def _attention(impl) -> list[Finding]:
    n_head, C = SMALL["n_head"], SMALL["n_embd"]
    hd = C // n_head
    hf = hf_attention(SMALL, seed=11)
    ours = load_into(impl.CausalSelfAttention(impl.GPTConfig(**SMALL)).double().eval(), hf, what="attention")
    # T = 6, not head_dim (8): a scale by 1/sqrt(T) must not coincide with the right one
    x0 = torch.randn(2, 6, C, generator=_gen(12), dtype=torch.float64)
    x = x0.clone()
    y = ours(x0.clone())  # a copy each call: an attention that writes into its input must not change x
    if same(y, hf_attention_fn(hf)(x)):
        return []
    found = _unused(ours, lambda: ours(x0.clone()), {"c_proj": "no-c-proj"})
    fix_mask = "mask the scores with -inf where key > query (triu(1)) before the softmax: each position sees 0..t"
    for offset in (None, -1, 1, 2, 3):
        if same(y, _attention_fn(hf, n_head, offset=offset)(x)):
            tag, words = _mask_words(offset)
            if offset is None and same(ours.train()(x0.clone()), hf_attention_fn(hf)(x)):
                words = ("your attention is causal in training mode only: in eval mode (generation, evaluation) "
                         "every position sees the future")  # fmt: skip
                tag = "causal-mask: only in training"
            ours.eval()
            return [*found, Finding(tag, words, fix_mask, evidence="reproduced; one token changed at a time")]
    # Masks written by hand with another fill value or the wrong triangle (fitted, each reproduced exactly)
    for tag, kwargs, words in (
        ("causal-mask: reversed", dict(reversed_mask=True), "your mask hides the past (tril): each position sees "
         "itself and the future, not the past"),
        ("causal-mask: filled with 0", dict(fill=0.0), "the masked scores are set to 0, not -inf: the future "
         "still gets weight exp(0) in the softmax"),
        ("causal-mask: additive 0/1", dict(offset=None, added="keep"), "the 0/1 lower-triangular matrix is added to "
         "the scores as if it were an additive mask: +1 on the past, 0 on the future, nothing is hidden"),
        ("causal-mask: additive 0/1", dict(offset=None, added="hide"), "the 0/1 matrix of future positions is added "
         "to the scores (+1, not -inf): the future gets more weight, nothing is hidden"),
        # keys sliced [:t] in a loop over the queries: t never sees itself, and position 0, with no key, outputs 0
        ("mask-hides-diagonal", dict(offset=-1, weights=lambda a: a.softmax(dim=-1).nan_to_num(0.0)),
         "each position sees only the earlier ones, never itself (keys [:t], not [:t + 1]): position 0 attends to "
         "nothing and outputs zero"),
    ):  # fmt: skip
        if same(y, _attention_fn(hf, n_head, **kwargs)(x)):
            return [*found, Finding(tag, words, fix_mask, evidence="reproduced; mask fitted")]
    for name, (fn, words) in _WEIGHTS.items():  # the scores made into weights by another function than softmax
        if same(y, _attention_fn(hf, n_head, weights=fn)(x)):
            fix = "att = att.softmax(dim=-1): the weights over the keys are positive and sum to 1"
            if name == "sum over queries":  # the library's softmax(dim=-2)
                return [*found, _known_or("softmax-wrong-dim", f"attention-softmax: {name}", words, fix)]
            return [*found, Finding(f"attention-softmax: {name}", words, fix, evidence="reproduced")]
    bias = _bias_times(impl, hf, x, n_head)
    if bias:
        return [*found, *bias]
    heads = _heads(hf, n_head, y, x)
    if heads:  # a head layout moves values across positions too: fitted before the mask is described
        return [*found, *heads]
    words = _describe_mask(_visibility(lambda t: ours(t.clone()), x))
    if words:  # neither a scale nor a layout keeps the future hidden: no fit below can reproduce this
        return [*found, Finding("causal-mask: not causal", words, kind=OBSERVED)]
    import itertools

    orders = sorted(itertools.product(range(3), repeat=3), key=lambda o: len(set(o)) != 3)  # permutations first
    for order in orders:
        for split, merge in (("view", True), ("reshape", True), ("view", False)):
            if (order == (0, 1, 2) and split == "view" and merge) or (len(set(order)) < 3 and split != "view"):
                continue
            if same(y, _attention_fn(hf, n_head, order=order, split=split, merge=merge)(x)):
                if order != (0, 1, 2):
                    names = ", ".join("qkv"[i] for i in order)
                    tag = _KNOWN_ORDER.get(order, f"qkv-order: {names}")
                    words = f"c_attn's output split as {names} instead of q, k, v"
                    if len(set(order)) < 3:
                        words = f"the query, key and value are c_attn's {names} parts: one part is used twice"
                    return [
                        *found,
                        Finding(
                            tag,
                            words,
                            "q, k, v = self.c_attn(x).split(n_embd, dim=2)",
                            evidence="reproduced",
                        ),
                    ]
                tag = "heads-split-wrong" if split == "reshape" else "heads-merged-without-transpose"
                return [
                    *found,
                    Finding(tag, "the heads are split or merged in the wrong layout", evidence="reproduced"),
                ]
    s = _fit_scale(lambda sc: _attention_fn(hf, n_head, scale=sc)(x), y)
    if same(y, _attention_fn(hf, n_head, scale=s)(x)) and abs(s * hd**0.5 - 1) > 1e-4:
        return [*found, _scale_finding(ours, hf, s, x)]
    s = _fit_scale(lambda sc: _attention_fn(hf, n_head, scale=sc, scale_after=True)(x), y)
    if same(y, _attention_fn(hf, n_head, scale=s, scale_after=True)(x)):
        words = f"the attention weights are multiplied by {_scale_name(s, C, hd)} after the softmax; the scores must "
        words += "be scaled before it (the weights of a row then sum to 1)"
        fix = "att = softmax((q @ k.transpose(-2, -1)) / math.sqrt(head_dim)) with the mask, then att @ v"
        return [*found, Finding("attention-scale: after softmax", words, fix, evidence="scale fitted")]
    return found


# ---------------------------------------------------------------- LayerNorm


def _layernorm(impl) -> list[Finding]:
    return _layernorm_fit(impl.LayerNorm(16).double())


def _layernorm_ranks(run: Callable[[torch.Tensor], torch.Tensor], w: torch.Tensor, b: torch.Tensor) -> list[Finding]:
    """A LayerNorm right on (B, T, C) inputs, run on a 2-D (N, C) and a 4-D one: its statistics must run over the
    last dim whatever the rank (a dim written as 2 is the last only for 3-D inputs)."""
    C = w.numel()
    wrong, raised, reshaped = [], [], []
    for shape in ((5, C), (2, 3, 4, C)):
        inp = 0.7 + torch.randn(*shape, generator=_gen(22), dtype=torch.float64)
        where = f"{len(shape)}-D {tuple(shape)}"
        try:
            out = run(inp)
        except Exception as err:  # the participant's code may raise anything
            raised.append(f"{where} raises {type(err).__name__}")
            continue
        if not isinstance(out, torch.Tensor) or tuple(out.shape) != shape:
            got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            reshaped.append(f"{where} comes back as {got}")
        elif not same(out, F.layer_norm(inp, (C,), w, b, EPS)):
            wrong.append(where)
    evidence = "inputs of rank 2, 3 and 4"
    if not wrong and (raised or reshaped):  # v34: `B, T, C = x.shape` raises at every other rank; v33: gains viewed
        # (1, 1, C) broadcast a 2-D input up to 3-D. Neither computes statistics over a fixed dim (which gives wrong
        # numbers at rank 4, below): the fix is the code's shape handling
        words = f"your LayerNorm is right on (B, T, C) inputs, but {' and '.join(raised + reshaped)}: it assumes "
        words += "a 3-D input (a shape unpacked as B, T, C, or a view to three dims); the contract's is any rank"
        fix = "leave the input's shape as given: reduce over dim=-1 with keepdim=True, weight and bias of shape (C,)"
        return [Finding("layernorm: assumes a 3-D input", words, fix, evidence=evidence)]
    if not wrong:
        return []
    also = f" (and {', '.join(raised + reshaped)})" if raised or reshaped else ""
    words = (f"your LayerNorm is right on (B, T, C) inputs but not on {' and '.join(wrong)} ones{also}: its statistics "
             "run over a fixed dim (dim=2, say), which is the last only for 3-D inputs")  # fmt: skip
    fix = "x.mean(dim=-1, keepdim=True) and the variance over dim=-1: the last dim, whatever the input's rank"
    return [Finding("layernorm: a fixed dim, not the last", words, fix, evidence=evidence)]


def _layernorm_fit(ln: torch.nn.Module) -> list[Finding]:
    """What a LayerNorm module computes, fitted: its affine part, then its normalisation (eps, variance)."""
    params = dict(ln.named_parameters())
    if set(params) != {"weight", "bias"}:
        return []
    C = params["weight"].numel()
    g = _gen(21)
    w = 1.0 + 0.5 * torch.randn(C, generator=g, dtype=torch.float64)
    b = 0.5 * torch.randn(C, generator=g, dtype=torch.float64)
    stds = [3.0, 1.0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7]
    # two batch rows, so that statistics over the wrong dim are not degenerate
    x = torch.stack([0.7 + sd * torch.randn(2, C, generator=g, dtype=torch.float64) for sd in stds], dim=1)

    def run(weight: torch.Tensor, bias: torch.Tensor, inp: torch.Tensor = x) -> torch.Tensor:
        params["weight"].copy_(weight)
        params["bias"].copy_(bias)
        return ln(inp)

    one, zero = torch.ones(C, dtype=torch.float64), torch.zeros(C, dtype=torch.float64)
    try:
        y = run(w, b)
    except RuntimeError:  # e.g. (B, T) statistics that do not broadcast against (B, T, C)
        return fits.layernorm_keepdim(lambda inp: run(one, zero, inp), C)
    if same(y, F.layer_norm(x, (C,), w, b, EPS)):
        return _layernorm_ranks(lambda inp: run(w, b, inp), w, b)
    y1 = run(one, zero)
    if not bool(torch.isfinite(y1).all()):  # e.g. a variance formula that goes negative when the mean is not 0:
        x = x + 2.3  # rows of mean 3 keep such formulas positive, so they can still be fitted
        y, y1 = run(w, b, x), run(one, zero, x)
    if bool(torch.isfinite(y1).all()) and y1.abs().amax() < 0.1:  # an eps far above the rows' variance (1e5):
        x = x * 1e4  # rows of std 3e4 down to 1e-3 show it
        y, y1 = run(w, b, x), run(one, zero, x)
    if not bool(torch.isfinite(y1).all()) or y1.abs().amax() < 0.1:
        return []  # no normalised output to compare the affine part with
    affine = {
        "layernorm-affine: none": (y1, "your LayerNorm uses neither its weight nor its bias"),
        "layernorm-affine: no weight": (y1 + b, "your LayerNorm adds the bias but never multiplies by the weight"),
        "layernorm-affine: no bias": (y1 * w, "your LayerNorm multiplies by the weight but never adds the bias"),
        "layernorm-weight-bias-swapped": (y1 * b + w, "weight and bias swapped: x_hat * bias + weight"),
        "layernorm-affine: bias subtracted": (y1 * w - b, "your LayerNorm subtracts the bias: x_hat * weight - bias"),
        "layernorm-affine: bias before weight": ((y1 + b) * w, "the bias is added before the weight multiplies: "
                                                 "(x_hat + bias) * weight"),
        "layernorm-affine: weight added": (y1 + w + b, "the weight is added, not multiplied: x_hat + weight + bias"),
        "layernorm-affine: 1 + weight": (y1 * (1 + w) + b, "x_hat * (1 + weight) + bias: GPT-2's weight is the scale "
                                         "itself (initialised to 1), not an offset from 1"),
    }  # fmt: skip
    found = [
        Finding(tag, words, "return x_hat * self.weight + self.bias", evidence="weight and bias perturbed")
        for tag, (want, words) in affine.items()
        if same(y, want)
    ]
    if found or not same(y, y1 * w + b):
        return found[:1]
    return _normalisation(x, y1, C)


def _normalisation(x: torch.Tensor, y1: torch.Tensor, C: int) -> list[Finding]:
    """Fit y1 = (x - mean) / f(var) with f in {sqrt(a var + eps), sqrt(a var) + eps, a var + eps}."""
    xc = x - x.mean(-1, keepdim=True)
    if not same(y1 * (xc.abs().amax(-1, keepdim=True) / y1.abs().amax(-1, keepdim=True)), xc):
        # not (x - mean) times one factor per row: a constant added after, no centering, the wrong dim, ...
        return fits.layernorm_offset(x, y1, lambda z: _normalisation(x, z, C)) or _uncentred(x, y1)
    r = (xc.abs().amax(-1) / y1.abs().amax(-1))[0]  # the divisor of each row
    v = xc.pow(2).mean(-1)[0]  # biased variance
    found = fits.layernorm_norm(r, v, C)
    if found:
        return found
    forms = {
        "inside": (lambda a, e: (a * v + e).sqrt(), lambda a: r[-1] ** 2 - a * v[-1]),
        "outside": (lambda a, e: (a * v).sqrt() + e, lambda a: r[-1] - (a * v[-1]).sqrt()),
        "power 1": (lambda a, e: a * v + e, lambda a: r[-1] - a * v[-1]),
        "clamped": (lambda a, e: (a * v).clamp(min=e).sqrt(), lambda a: r[-1] ** 2),  # max(var, eps)
    }
    for form, (divisor, eps_of) in forms.items():
        for a, variance in ((1.0, "biased"), (C / (C - 1), "unbiased"), (float(C), "summed")):
            raw = max(eps_of(a).item(), 0.0)
            eps = 0.0 if raw < 1e-3 * v[-1].item() else float(f"{raw:.2g}")
            # the rounded eps, else the measured one (an eps such as 2.22e-16 shows at 2 digits on the last row)
            for e in dict.fromkeys((eps, raw if eps else eps)):
                if torch.allclose(divisor(a, e), r, rtol=1e-6, atol=0):
                    return _ln_findings(form, variance, e)
    return _power_and_divisor(r, v, C) or _variance_statistic(x[0], r)


def _power_and_divisor(r: torch.Tensor, v: torch.Tensor, C: int) -> list[Finding]:
    """Each row's divisor fitted as (C var / n + eps) ** p: a power other than the square root (sqrt of the std:
    p = 0.25), or squared deviations divided by another count n than C (x.shape[0], say). p and n from the two
    rows of most variance (where eps is negligible), eps from the row of least."""
    p = (torch.log(r[0] / r[1]) / torch.log(v[0] / v[1])).item()
    if not 0.05 < p < 2:
        return []
    p = round(p * 100) / 100
    fitted = None
    for q, stat in ((p, v), (2 * p, v.sqrt())):  # eps added to the variance, or to the std (then the power)
        # r ** (1/q) = alpha * stat + e: a line through the rows of most and least variance
        lhs = r ** (1 / q)
        alpha = ((lhs[0] - lhs[-1]) / (stat[0] - stat[-1])).item()
        e = max((lhs[-1] - alpha * stat[-1]).item(), 0.0)
        if torch.allclose((alpha * stat + e) ** q, r, rtol=1e-6, atol=0):
            fitted = ("the variance" if q == p else "the standard deviation", alpha ** (q / p))
            break
    if fitted is None:
        return []
    a = fitted[1]
    fix = "(x - mean) / sqrt(var + 1e-5): var = (x - mean).pow(2).mean(-1) over the C channels"
    evidence = "fitted on rows of std 3 down to 1e-7"
    if p != 0.5:
        root = {0.25: "the square root of the std"}.get(p, f"var ** {p:g}")
        words = f"your LayerNorm divides by {root} (eps added to {fitted[0]}), not by sqrt(var + eps)"
        return [Finding(f"layernorm-power: {p:g}", words, fix, evidence=evidence)]
    if fitted[0] != "the variance":
        return []
    n = C / a
    if abs(n - round(n)) > 1e-6 or round(n) in (C, C - 1, 1):
        return []
    words = f"the squared deviations are divided by {round(n)}, not by the number of channels C = {C}"
    return [Finding(f"layernorm-variance: divided by {round(n)}", words, fix, evidence=evidence)]


def _variance_statistic(x: torch.Tensor, r: torch.Tensor) -> list[Finding]:
    """The divisor r of each row fitted as sqrt(s(x) + eps) for statistics s other than the variance: a
    formula written by hand (E[x^2] - E[x]^2) with a slip."""
    m1, m2 = x.mean(-1), x.pow(2).mean(-1)
    mad = (x - m1[:, None]).abs().mean(-1)  # the mean absolute deviation
    stats = (  # (name, s(x), words): the mean absolute deviation in the std's place, or in the variance's
        ("E(x^2)", m2, "the mean is not subtracted inside the variance: E[x^2]"),
        ("E(x^2) - E(x)", m2 - m1, "the variance is E[x^2] - E[x]: the mean is not squared"),
        ("E(x^2) + E(x)^2", m2 + m1.pow(2), "the variance is E[x^2] + E[x]^2: the sign of the mean term is wrong"),
        ("E(x)^2 - E(x^2)", m1.pow(2) - m2, "the variance is E[x]^2 - E[x^2]: the two terms are swapped"),
        ("mean absolute deviation", mad.pow(2), "the spread is the mean absolute deviation, not the mean squared one"),
        ("mean absolute deviation", mad, "the variance is the mean absolute deviation |x - mean|, not the mean "
         "squared deviation"),
    )  # fmt: skip
    fix = "var = (x - mean).pow(2).mean(-1) (or E[x^2] - E[x]^2), then (x - mean) / sqrt(var + 1e-5)"
    for name, stat, words in stats:
        eps = (r.pow(2) - stat)[-1].item()  # the row of least variance shows eps best
        if torch.allclose(stat + eps, r.pow(2), rtol=1e-6, atol=0):
            return [Finding(f"layernorm-variance: {name}", words, fix, evidence="fitted on rows of std 3 down to 1e-7")]
    return []


def _ln_findings(form: str, variance: str, eps: float) -> list[Finding]:
    parts, words = [], []
    if form == "outside":
        parts.append("eps-outside-sqrt" if abs(eps - EPS) <= 1e-3 * EPS else f"layernorm-eps-outside: {eps:.0e}")
        words.append(f"eps = {eps:g} is added to the standard deviation instead of the variance")
    if form == "clamped":
        parts.append(
            "layernorm-eps: clamped, not added"
            if abs(eps - EPS) <= 1e-3 * EPS
            else f"layernorm-eps: clamped at {eps:.0e}"
        )
        words.append(f"the variance is clamped at eps = {eps:g} (max(var, eps)), not eps added to it")
    if form == "power 1":
        parts.append("layernorm-power: 1")
        words.append("it divides by the variance (+ eps), not by its square root")
    if variance == "unbiased":
        parts.append("unbiased-variance")
        words.append("the variance is unbiased (divides by C-1); GPT-2 divides by C")
    if variance == "summed":
        parts.append("layernorm-variance: summed")
        words.append("the squared deviations are summed over C, not averaged")
    machine = abs(eps - torch.finfo(torch.float64).eps) <= 1e-2 * eps  # the probe's dtype's own epsilon
    if form == "inside" and machine:
        parts.append("layernorm-eps: machine epsilon")
        words.append(
            f"your LayerNorm behaves as eps = {eps:.3g} in float64: torch.finfo(x.dtype).eps, the dtype's machine "
            "epsilon (1.2e-07 in float32), not a constant; GPT-2 uses 1e-5 in every dtype"
        )
    elif form == "inside" and abs(eps - EPS) > 1e-3 * EPS:
        parts.append({1e-12: "layernorm-eps-1e-12"}.get(eps, f"layernorm-eps: {eps:.0e}"))
        words.append(f"your LayerNorm behaves as eps = {eps:g}; GPT-2 uses 1e-5")
    if not parts:
        return []
    fix = "(x - mean) / sqrt(biased var + 1e-5): var = (x - mean).pow(2).mean(-1), eps=1e-5 inside the sqrt"
    return [Finding(" + ".join(parts), "; ".join(words), fix, evidence="fitted on rows of std 3 down to 1e-7")]


def _uncentred(x: torch.Tensor, y1: torch.Tensor) -> list[Finding]:
    """x (not x - mean) divided by one factor per row: RMSNorm (the root mean square of x) or the known bug
    that divides by the standard deviation without subtracting the mean."""
    fix = "subtract the mean first: (x - mean) / sqrt(var + 1e-5)"
    evidence = "fitted on rows of std 3 down to 1e-7"
    rms = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS)
    if same(y1, rms):
        words = "your LayerNorm is RMSNorm: x / sqrt(mean(x^2) + eps), without subtracting the mean"
        return [Finding("layernorm: rmsnorm", words, fix, evidence=evidence)]
    xc = x - x.mean(-1, keepdim=True)
    if same(y1, x * torch.rsqrt(xc.pow(2).mean(-1, keepdim=True) + EPS)):
        return [_known_or("layernorm-no-centering", "layernorm: no centering", "the mean is not subtracted", fix)]
    return fits.layernorm_dims(x, y1)


# ---------------------------------------------------------------- MLP


_ACTIVATIONS: dict[str, tuple[str, Callable[[torch.Tensor], torch.Tensor]]] = {
    "exact-gelu": ("the exact (erf) GELU instead of GPT-2's tanh approximation", F.gelu),
    "relu-instead-of-gelu": ("ReLU instead of GELU", F.relu),
    "mlp-no-activation": ("no activation between c_fc and c_proj", lambda h: h),
    "sigmoid-gelu": ("the sigmoid GELU x * sigmoid(1.702 x)", lambda h: h * torch.sigmoid(1.702 * h)),
    "gelu: silu": ("SiLU (x * sigmoid(x)) instead of GELU", F.silu),
    "gelu: tanh-activation": ("tanh instead of GELU", torch.tanh),
    "gelu: softplus": ("softplus (log(1 + e^x)) instead of GELU", F.softplus),
    "gelu: applied twice": ("GELU applied twice: gelu(gelu(x))",
                            lambda h: F.gelu(F.gelu(h, approximate="tanh"), approximate="tanh")),
    "gelu: leaky relu": ("leaky ReLU instead of GELU", F.leaky_relu),
    "gelu: elu": ("ELU instead of GELU", F.elu),
    "gelu: sigmoid": ("sigmoid(x) instead of GELU (x * sigmoid(1.702 x) is the sigmoid approximation)", torch.sigmoid),
    "gelu: hardswish": ("hard-swish (x * relu6(x + 3) / 6, MobileNetV3's) instead of GELU", F.hardswish),
    "gelu: mish": ("Mish (x * tanh(softplus(x))) instead of GELU", F.mish),
    "gelu: relu6": ("ReLU6 (min(max(x, 0), 6)) instead of GELU", F.relu6),
    "gelu: selu": ("SELU instead of GELU", F.selu),
    "gelu: hardtanh": ("hardtanh (x clipped to [-1, 1]) instead of GELU", F.hardtanh),
}  # fmt: skip


def _mlp(impl) -> list[Finding]:
    from .oracles import hf_mlp

    C = SMALL["n_embd"]
    hf = hf_mlp(SMALL, seed=31)
    ours = load_into(impl.MLP(impl.GPTConfig(**SMALL)).double().eval(), hf, what="MLP")
    x = torch.randn(2, 8, C, generator=_gen(32), dtype=torch.float64)
    if same(ours(x), hf(x)):
        return _overflows(impl)
    found = _unused(ours, lambda: ours(x), {})
    if same(ours(x), hf(x) + x):  # checked before the activation: with identity projections x + gelu(x) looks
        words = "your MLP adds its own input to its output: the block adds the residual, the MLP must not"
        fix = 'return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")): no "+ x" inside the MLP'
        return [*found, Finding("mlp: adds its input", words, fix, evidence="reproduced")]  # like an odd activation
    also = fits.mlp_output(ours, hf, x)
    if also:
        return [*found, *also]
    after = F.gelu(conv1d(hf.c_proj, conv1d(hf.c_fc, x)), approximate="tanh")
    if same(ours(x), after):
        words = "the activation is applied after c_proj, not between c_fc and c_proj"
        fix = 'self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))'
        return [*found, Finding("mlp-order: activation after c_proj", words, fix, evidence="reproduced")]
    _identity_projections(ours, C)
    h = torch.linspace(-5, 5, 4 * C, dtype=torch.float64).view(1, 4, C)
    act = ours(h)
    if same(act, F.gelu(h, approximate="tanh")):
        return found
    fix = 'F.gelu(self.c_fc(x), approximate="tanh")'
    evidence = "the activation measured with identity projections"
    for tag, (words, fn) in _ACTIVATIONS.items():
        if same(act, fn(h)):
            return [*found, Finding(tag, words, fix, evidence=evidence)]
    for tag, (words, fn) in {"gelu": ("GPT-2's tanh GELU", lambda t: F.gelu(t, approximate="tanh")),
                             **_ACTIVATIONS}.items():  # fmt: skip
        ref = fn(h)
        c = float((act * ref).sum() / ref.pow(2).sum()) if ref.abs().max() > 0 else 0.0
        if abs(c - 1) > 1e-3 and abs(c) > 1e-3 and same(act, c * ref):  # a hand-written formula off by a factor
            words = f"the activation is {c:.4g} x {words.split(' instead of')[0]}"
            return [*found, Finding(f"{tag}: {c:.3g}x", words, fix, evidence=evidence)]
    fitted = activation.fit(h, act)
    if fitted:
        return [*found, fitted]
    # an activation is one function applied to each channel alike: with identity projections, permuting the input's
    # channels permutes the output's. When it does not, the projections mix the channels (v27: c_proj's weight
    # reshaped with .view instead of transposed) and no activation was measured: the search of the code goes on
    perm = torch.randperm(C, generator=_gen(33))
    if not same(ours(h[..., perm]), act[..., perm]):
        return found
    h2 = torch.zeros(1, 4, C, dtype=torch.float64)
    h2[0, :, 0] = torch.tensor([-1.0, 0.5, 1.0, 2.0], dtype=torch.float64)
    a = ours(h2)[0, :, 0].tolist()
    samples = ", ".join(f"a({v:g}) = {av:.4g}" for v, av in zip((-1.0, 0.5, 1.0, 2.0), a, strict=True))
    words = f"the activation is neither GPT-2's tanh GELU nor a common variant: {samples}"
    return [*found, Finding("gelu: other", words, evidence=evidence)]  # no fit: what it is, not how to fix it


def _identity_projections(mlp: torch.nn.Module, C: int) -> None:
    """c_fc and c_proj set to identities (the first C of the 4C hidden units) and every bias to zero: the MLP's
    output is then its activation of its input, measured directly."""
    eye = torch.zeros(4 * C, C, dtype=next(mlp.parameters()).dtype)
    eye[:C] = torch.eye(C)
    p = dict(mlp.named_parameters())
    p["c_fc.weight"].copy_(eye)
    p["c_proj.weight"].copy_(eye.t())
    for name, q in p.items():
        if name.endswith("bias"):
            q.zero_()


def _overflows(impl) -> list[Finding]:
    """An MLP right on ordinary inputs, measured in float32 at large pre-activations through identity projections:
    GPT-2's GELU is finite there (tanh saturates), a tanh written through exp is inf / inf = NaN (v34)."""
    C = SMALL["n_embd"]
    mlp = impl.MLP(impl.GPTConfig(**SMALL)).float().eval()
    with torch.no_grad():
        _identity_projections(mlp, C)
        h = torch.zeros(1, 1, C)
        h[0, 0, :8] = torch.tensor([-1000.0, -100.0, -30.0, -12.0, 12.0, 30.0, 100.0, 1000.0])
        try:
            act = mlp(h)[0, 0, :8]
        except Exception:
            return []
    want = F.gelu(h, approximate="tanh")[0, 0, :8]
    bad = [float(v) for v, a in zip(h[0, 0, :8], act, strict=True) if not torch.isfinite(a)]
    if not bad or not torch.isfinite(want).all():
        return []
    listed = ", ".join(f"{v:g}" for v in bad)
    words = (
        f"the activation is GPT-2's on ordinary inputs, but in float32 it is not finite at x = {listed}, where "
        "GPT-2's GELU is: an exp that overflows, e.g. tanh written as (exp(2u) - 1) / (exp(2u) + 1), which is inf / inf"
    )
    fix = 'torch.tanh(u) (or F.gelu(x, approximate="tanh")), which saturates at +-1 instead of overflowing'
    evidence = "the activation measured in float32 at |x| from 12 to 1000, identity projections"
    return [Finding("gelu: overflows at large inputs", words, fix, evidence=evidence)]


# ---------------------------------------------------------------- GPT: embeddings


def _gpt(impl) -> list[Finding]:
    """The forward pass's embeddings and logits; when those are right, the loss; then the init; then loading HF's
    weights."""
    for part in (structure.param_shapes, structure.shared_modules, structure.length_check, _gpt_forward,
                 _logits_shape_with_targets, _loss, _init, structure.init_fit, loading.loading):  # fmt: skip
        try:
            found = part(impl)
        except Exception:  # a part that cannot run says nothing; the next may
            continue
        if found:
            return found
    return []


def _logits_shape_with_targets(impl) -> list[Finding]:
    """With targets, forward returns the same (B, T, V) logits as without: a loss computed on a flattened view
    that is then returned in the logits' place (v30: ``logits = logits.view(B * T, V)``) changes the contract's
    first output only when targets are given."""
    torch.manual_seed(0)
    model = impl.GPT(impl.GPTConfig(**TINY)).eval()
    idx = torch.randint(0, TINY["vocab_size"], (2, 16), generator=_gen(44))
    plain = model(idx)[0]
    with_targets = model(idx, idx)[0]
    want = (2, 16, TINY["vocab_size"])
    if tuple(plain.shape) != want or tuple(with_targets.shape) == want:
        return []
    words = (f"with targets, forward returns logits of shape {tuple(with_targets.shape)}, not (B, T, V) = {want} as "
             "it does without them: the view flattened for the loss is returned in the logits' place")  # fmt: skip
    fix = "pass the flattened view to the loss (F.cross_entropy(logits.view(-1, V), targets.view(-1))); return logits"
    return [Finding("logits: flattened with targets", words, fix, evidence="forward with and without targets")]


def _loss(impl) -> list[Finding]:
    """The loss against your own logits (so a forward bug is not mistaken for a loss one), fitted: the mean
    cross-entropy, or it with label smoothing eps (the loss is linear in eps: solved, then checked), an
    ignore_index, or a sum. Targets include ids 0 and V-1."""
    torch.manual_seed(0)
    ours = impl.GPT(impl.GPTConfig(**TINY)).double().eval()
    V, T = TINY["vocab_size"], 8
    targets = torch.arange(2 * T).remainder(V).view(2, T)
    targets[0, :2] = torch.tensor([0, V - 1])
    idx = torch.randint(0, V, (2, T), generator=_gen(43))
    logits, loss = ours(idx, targets)
    flat = logits.reshape(-1, logits.size(-1))[:, :V]  # a padded vocabulary's extra columns are never scored
    ce = F.cross_entropy(flat, targets.reshape(-1))
    loss = torch.as_tensor(loss).double().reshape(())
    if torch.allclose(loss, ce, rtol=1e-9, atol=1e-12):
        return []
    fix = "loss = F.cross_entropy(logits.view(-1, V), targets.view(-1)): the mean, no smoothing, no ignore_index"
    evidence = "the loss fitted against your own logits"
    for ignore in (0, V - 1, -1):  # exact forms before the fitted one: eps is solved from this very loss
        if torch.allclose(loss, F.cross_entropy(flat, targets.reshape(-1), ignore_index=ignore % V)):
            words = f"the loss ignores targets equal to {ignore % V} (ignore_index); every token is a target"
            return [Finding(f"loss: ignore_index {ignore % V}", words, fix, evidence=evidence)]
    uniform = -F.log_softmax(flat, -1).mean(-1).mean()
    eps = float((loss - ce) / (uniform - ce))
    eps = float(f"{eps:.2g}")
    if 0 < eps < 1 and torch.allclose(loss, F.cross_entropy(flat, targets.reshape(-1), label_smoothing=eps)):
        words = f"the loss uses label smoothing {eps:g}; GPT-2's pre-training loss is plain cross-entropy"
        found = Finding(f"loss: label smoothing {eps:g}", words, fix, evidence=evidence)
        # one number solved for one unknown always fits: the same eps must also give the loss of other targets
        # (v21: a loss with ignore_index=V-1 solved as smoothing 0.15 to five digits)
        other = torch.randint(0, V, (2, T), generator=_gen(44))
        again = torch.as_tensor(ours(idx, other)[1]).double().reshape(())
        want = F.cross_entropy(flat, other.reshape(-1), label_smoothing=eps)
        if torch.allclose(again, want, rtol=1e-9, atol=1e-12):
            return [found]
        return [unconfirmed(found, "the loss of other targets (the same eps does not give it)")]
    if torch.allclose(loss, ce * targets.numel()):
        return [_known_or("loss-summed", "loss: summed", "the loss is summed over positions, not averaged", fix)]
    B = targets.size(0)
    for name, n in (("sum / B", B), ("sum / T", T)):  # a sum over every position divided by one of the two dims
        if torch.allclose(loss, ce * targets.numel() / n, rtol=1e-9, atol=1e-12):
            words = f"the loss is summed over all B*T positions and divided by {name[-1]} only: {targets.numel() // n}"
            words += " times the mean per token"
            return [Finding(f"loss: {name}", words, fix, evidence=evidence)]
    if torch.allclose(loss, F.cross_entropy(flat, idx.reshape(-1)), rtol=1e-9, atol=1e-12):
        words = "the loss is taken against idx (the inputs), not targets: the model learns to copy its input"
        return [Finding("loss: targets are the inputs", words, fix, evidence=evidence)]
    return fits.loss_fits(flat, targets.reshape(-1), loss, T) or loss_read(ours, idx, targets, V)


_INIT_KINDS = ("attn.c_proj", "mlp.c_proj", "wte", "wpe")  # tensors whose init GPT-2 sets apart (or may be missed)


def _init(impl) -> list[Finding]:
    """The init's std per kind of tensor, on a model deep and wide enough for 5% estimates: N(0, 0.02) for
    Linear and Embedding weights, 0.02/sqrt(2*n_layer) for the residual projections (attn and mlp c_proj)."""
    shape = dict(block_size=64, vocab_size=512, n_layer=8, n_head=4, n_embd=128)
    torch.manual_seed(0)
    model = impl.GPT(impl.GPTConfig(**shape))
    stds: dict[str, list[float]] = {}
    for name, p in model.named_parameters():
        if p.dim() == 2:
            kind = next((k for k in _INIT_KINDS if name.endswith(f"{k}.weight")), "other")
            stds.setdefault(kind, []).append(p.detach().double().std().item())
    std = {k: sum(v) / len(v) for k, v in stds.items()}
    L = shape["n_layer"]
    want = {"other": 0.02, "attn.c_proj": 0.02 / math.sqrt(2 * L), "mlp.c_proj": 0.02 / math.sqrt(2 * L)}
    want |= {"wte": 0.02, "wpe": 0.02}
    if set(std) != set(want):
        return []
    if all(abs(std[k] - want[k]) <= 0.05 * want[k] for k in want):
        return fits.init_layernorms(model) or fits.init_biases(model)  # the weights right: LayerNorms, biases
    fix = "N(0, 0.02) for every Linear and Embedding weight; attn.c_proj and mlp.c_proj N(0, 0.02/sqrt(2*n_layer))"
    evidence = f"the init measured on a {L}-layer model"
    off = {k for k in want if abs(std[k] - want[k]) > 0.05 * want[k]}
    tables = sorted(off & {"wte", "wpe"})
    if tables and off == set(tables):  # only embeddings: e.g. nn.Embedding's own N(0, 1) kept (a tied wte gets
        sd = std[tables[0]]  # lm_head's init, so often only wpe shows it)
        which = "embeddings" if len(tables) == 2 else tables[0]
        words = (
            f"{' and '.join(tables)} {'are' if len(tables) == 2 else 'is'} initialised N(0, {sd:.2g}); GPT-2 uses 0.02"
        )
        return [Finding(f"init: {which} N(0, {sd:.2g})", words, fix, evidence=evidence)]
    if abs(std["other"] - 0.01) <= 0.05 * 0.01:
        return [_known_or("init-std-0.01", "init: std 0.01", "", fix)]
    if abs(std["other"] - 0.02) > 0.05 * 0.02:  # not (only) the residual scaling: which tensors, by name
        torch.manual_seed(0)
        wider = impl.GPT(impl.GPTConfig(**{**shape, "n_layer": 2, "n_embd": 256}))
        return fits.init_by_tensor(model, wider, L, 2, fix, evidence + " and a 2-layer, 256-wide one")
    factors = {k: (0.02 / std[k]) ** 2 for k in ("attn.c_proj", "mlp.c_proj")}  # 1/sqrt(f): f fitted
    named = {1.0: "1", float(L): "1/sqrt(n_layer)", 2.0 * L: "1/sqrt(2*n_layer)"}

    def name(f: float) -> str:
        return next((n for v, n in named.items() if abs(f - v) <= 0.1 * v), f"1/sqrt({f:.3g})")

    a, m = (name(factors[k]) for k in ("attn.c_proj", "mlp.c_proj"))
    right = "1/sqrt(2*n_layer)"
    if {a, m} == {right, "1"}:
        only = "attention" if a == right else "mlp"
        words = f"only {only}'s c_proj gets the 0.02/sqrt(2*n_layer) init; the other residual projection keeps 0.02"
        return [Finding(f"residual-init: {only} only", words, fix, evidence=evidence)]
    if a == m == "1":
        return [_known_or("no-residual-init-scaling", "residual-init: none", "", fix)]
    if a == m:
        words = f"the residual projections are initialised with std 0.02*{a}; GPT-2 uses 0.02/sqrt(2*n_layer)"
        return [Finding(f"residual-init: {a}", words, fix, evidence=evidence)]
    words = f"attn.c_proj is initialised with std 0.02*{a} and mlp.c_proj with 0.02*{m}"
    return [Finding(f"residual-init: attn {a}, mlp {m}", words, fix, evidence=evidence)]


def _gpt_forward(impl) -> list[Finding]:
    hf = hf_lm(TINY, seed=41, dtype=torch.float64)
    ours = load_into(impl.GPT(impl.GPTConfig(**TINY)).double().eval(), hf, what="GPT")
    T = 10
    idx = torch.randint(0, TINY["vocab_size"], (1, T), generator=_gen(42))
    seen: list[torch.Tensor] = []
    handle = ours.transformer.h[0].register_forward_pre_hook(lambda m, a: seen.append(a[0].detach().clone()))
    try:
        logits = ours(idx)[0]
    finally:
        handle.remove()
    want = hf(idx).logits
    moved = structure.rearranged(logits, want, "B, T, V", "forward")
    if moved is not None:
        return [moved]
    if not same(logits, want) and same(logits, F.log_softmax(want, dim=-1)):
        words = "forward returns log-probabilities (log_softmax of the logits), not the logits"
        return [Finding("logits: log-softmax", words, "return lm_head(ln_f(x)) itself", evidence="reproduced")]
    if not seen:
        return []
    x = seen[0][0]
    wte, wpe = hf.transformer.wte.weight, hf.transformer.wpe.weight
    P = x - wte[idx[0]]
    if torch.allclose(P, wpe[:T], atol=1e-12, rtol=0):
        return _between_blocks(impl)
    fix = "x = wte(idx) + wpe(torch.arange(T)): position t uses row t"
    ln_f = getattr(getattr(ours, "transformer", None), "ln_f", None)
    if ln_f is not None and same(x, ln_f(wte[idx[0]] + wpe[:T])):
        words = "ln_f is applied to the embeddings, before the blocks; GPT-2 applies it after the last block"
        fix = "x = wte + wpe; x = block(x) for each block; logits = lm_head(ln_f(x))"
        return [Finding("ln_f: before the blocks", words, fix, evidence="the first block's input, measured")]
    if torch.allclose(P, wte[:T], atol=1e-12, rtol=0):
        words = "the position vectors are looked up in the token table (wte[t]), not in wpe"
        return [Finding("positions: token table", words, fix, evidence="the first block's input, measured")]
    if P.abs().max() < 1e-12:
        return [Finding("no-position-embedding", "the position embeddings are never added", fix, evidence="measured")]
    if torch.allclose(x, wte[idx[0]] * wpe[:T], atol=1e-12, rtol=0):
        words = "the token and position embeddings are multiplied, not added"
        return [Finding("positions: multiplied", words, fix, evidence="the first block's input, measured")]
    rows = [int(((wpe - p).abs().amax(-1)).argmin()) for p in P]
    if all(torch.allclose(p, wpe[i], atol=1e-12, rtol=0) for p, i in zip(P, rows, strict=True)):
        if rows == [i % TINY["block_size"] for i in idx[0].tolist()] != list(range(T)):
            words = "position embeddings are looked up by token id (wpe[idx]), not by position (wpe[t])"
            return [Finding("positions: token ids", words, fix, evidence="the rows of wpe used, measured")]
        if rows == list(range(T - 1, -1, -1)):
            return [
                Finding(
                    "positions: reversed",
                    "positions are counted from the end (row T-1-t at position t)",
                    fix,
                    evidence="the rows of wpe used, measured",
                )
            ]
        k = rows[0]
        if rows == list(range(k, k + T)):
            return [
                Finding(
                    f"positions: offset {k}",
                    f"positions start at {k}: position t uses wpe row t+{k}",
                    fix,
                    evidence="the rows of wpe used, measured",
                )
            ]
        return [Finding("positions: other", f"position t uses wpe rows {rows}", fix, kind=OBSERVED)]
    tokens = x - wpe[:T]
    k = (tokens * wte[idx[0]]).sum() / wte[idx[0]].pow(2).sum()
    if torch.allclose(tokens, k * wte[idx[0]], atol=1e-10, rtol=0):
        C = TINY["n_embd"]
        name = "sqrt(n_embd)" if abs(k - math.sqrt(C)) < 1e-6 else f"{k.item():.4g}"
        return [
            Finding(
                f"embedding-scale: {name}", f"the token embeddings are multiplied by {name}", fix, evidence="measured"
            )
        ]
    return []


def _between_blocks(impl) -> list[Finding]:
    """Each block's input is the previous block's output. When it is not, what is added in between, measured on a
    model of three blocks (two gaps tell the embeddings from the previous block's input, which are the same thing
    before block 1): the position embeddings (v35), the embeddings, or the previous block's input (the residual
    added around each block as well as inside it, v11 and v34; told "the embeddings" on two blocks)."""
    torch.manual_seed(0)
    model = impl.GPT(impl.GPTConfig(**dict(TINY, n_layer=3))).double().eval()
    blocks = model.transformer.h
    ins: list[torch.Tensor] = []
    outs: list[torch.Tensor] = []
    hooks = [b.register_forward_pre_hook(lambda m, a: ins.append(a[0])) for b in blocks]
    hooks += [b.register_forward_hook(lambda m, a, o: outs.append(o[0] if isinstance(o, tuple | list) else o))
              for b in blocks]  # fmt: skip
    T = 10
    try:
        model(torch.randint(0, TINY["vocab_size"], (1, T), generator=_gen(45)))
    finally:
        for h in hooks:
            h.remove()
    if len(ins) != 3 or len(outs) != 3 or any(i.shape != o.shape for i, o in zip(ins, outs, strict=True)):
        return []
    gaps = [ins[k] - outs[k - 1] for k in (1, 2)]
    if all(g.abs().max() < 1e-10 for g in gaps):
        return []
    wpe = getattr(model.transformer, "wpe", None)
    added = {
        "wpe(pos)": [wpe.weight[:T]] * 2 if isinstance(wpe, torch.nn.Embedding) else None,
        "its own input": [ins[0], ins[1]],
        "wte(idx) + wpe(pos)": [ins[0]] * 2,
    }
    fix = "x = wte(idx) + wpe(pos) once before the loop; then x = block(x) for each block"
    for name, each in added.items():
        if each is None or not all(
            torch.allclose(g, t.expand_as(g), atol=1e-10, rtol=0) for g, t in zip(gaps, each, strict=True)
        ):
            continue
        if name == "its own input":
            words = "each block's output is added to that block's input again (x = x + block(x)): the block adds its"
            words += " residual inside, so the stream gets it twice"
            fix = "x = block(x) for each block: the block adds its residual itself"
            return [Finding("blocks: residual added around each block", words, fix, evidence="three blocks' inputs")]
        words = f"each block's input is the previous block's output plus {name} again: {name} is added before"
        words += " every block, where GPT-2 adds the embeddings once, before the first"
        return [Finding(f"embeddings: {name} added before every block", words, fix, evidence="three blocks' inputs")]
    return []


# ---------------------------------------------------------------- block: the wiring


def _block(impl) -> list[Finding]:
    """Which wiring of the block's own four submodules reproduces its output: the submodules are yours, so a
    bug inside attention, LayerNorm or the MLP is not mistaken for a wiring bug (then nothing is said)."""
    from .oracles import hf_block, run_hf_block

    hf = hf_block(SMALL, seed=71)
    ours = load_into(impl.Block(impl.GPTConfig(**SMALL)).double().eval(), hf, what="Block")
    x = torch.randn(2, 8, SMALL["n_embd"], generator=_gen(72), dtype=torch.float64)
    y = ours(x)
    if same(y, run_hf_block(hf, x)):
        return []
    found = _unused(ours, lambda: ours(x), {})
    norm = {"ln_1": ours.ln_1, "ln_2": ours.ln_2, "none": lambda t: t, "ln_2(ln_1)": lambda t: ours.ln_2(ours.ln_1(t))}
    attn, mlp = (lambda t: ours.attn(t)), ours.mlp
    # (attention's norm, MLP's norm, attention residual, MLP residual, MLP reads, order, where each norm sits)
    right = ("ln_1", "ln_2", "x", "x", "stream", "attn first", "pre-ln", "pre-ln")
    fix = "x = x + self.attn(self.ln_1(x)); x = x + self.mlp(self.ln_2(x))"
    try:
        if same(y, _wired(right, norm, attn, mlp, x)):
            # wired right: the difference is inside a submodule. A LayerNorm the block builds itself (torch's
            # nn.LayerNorm with its own eps, say) is not the one the LayerNorm probe fits: fit it here.
            return found or _block_norms(ours)
        if same(y, ours.ln_2(_post(ours, x))):
            return [_known_or("post-ln", "block-wiring: post-LN", "post-LN", fix)]
    except Exception:
        pass
    for wiring in _wirings(right):
        try:
            if same(y, _wired(wiring, norm, attn, mlp, x)):
                tag, words = _wiring_words(wiring, right)
                # a LayerNorm the wiring itself leaves out is a symptom of it, not a second finding
                left_out = {n for n in ("ln_1", "ln_2") if n not in wiring[:2]}
                rest = [f for f in found if f.tag not in {f"unused-parameter: {n}" for n in left_out}]
                return [*rest, Finding(tag, words, fix, evidence="the block rewired from your own submodules")]
        except Exception:
            continue
    return found


def _block_norms(ours) -> list[Finding]:
    """The block's own ln_1 and ln_2 fitted as LayerNorms; one finding, said once for both when they agree."""
    import copy

    fitted = {name: _layernorm_fit(copy.deepcopy(getattr(ours, name))) for name in ("ln_1", "ln_2")}
    alike = [f.tag for f in fitted["ln_1"]] == [f.tag for f in fitted["ln_2"]]
    for name, found in fitted.items():
        if found:
            where = "ln_1 and ln_2" if alike else name
            return [replace(found[0], text=f"the block's {where}: {found[0].text}")]
    return []


def _post(ours, x: torch.Tensor) -> torch.Tensor:
    h = ours.ln_1(x + ours.attn(x))
    return h + ours.mlp(h)


def _wirings(right: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Every wiring one or two choices away from the right one, the nearest first (a fixed amount of work)."""
    import itertools

    def away(w: tuple[str, ...]) -> int:
        return sum(a != b for a, b in zip(w, right, strict=True))

    every = itertools.product(
        ("ln_1", "ln_2", "none"),
        ("ln_2", "ln_1", "none", "ln_2(ln_1)"),
        ("x", "normalised", "none", "subtracted"),
        ("x", "normalised", "none", "subtracted", "block input"),  # x + mlp(ln_2(x + a)): a left out of the output
        ("stream", "block input", "attention output"),
        ("attn first", "mlp first"),
        ("pre-ln", "post-ln", "on output"),
        ("pre-ln", "post-ln", "on output"),
    )
    return sorted((w for w in every if 0 < away(w) <= 2), key=away)


def _wired(wiring: tuple[str, ...], norm: dict, attn: Callable, mlp: Callable, x: torch.Tensor) -> torch.Tensor:
    an, mn, ares, mres, reads, order, aplace, mplace = wiring

    def branch(inp: torch.Tensor, fn: Callable, n: str, res: str, place: str) -> torch.Tensor:
        sign = -1.0 if res == "subtracted" else 1.0  # x - f(x): a sign typo in the residual sum
        kept = {"x": inp, "normalised": inp, "none": 0.0, "subtracted": inp, "block input": x}[res]
        if place == "post-ln":  # the norm after the residual sum: norm(x + f(x))
            return norm[n](sign * fn(inp) + kept)
        if place == "on output":  # the norm on the branch's output: x + norm(f(x))
            return sign * norm[n](fn(inp)) + kept
        h = norm[n](inp)
        return sign * fn(h) + (h if res == "normalised" else kept)

    if order == "mlp first":
        return branch(branch(x, mlp, mn, mres, mplace), attn, an, ares, aplace)
    h = branch(x, attn, an, ares, aplace)
    if reads == "block input":  # parallel branches: the MLP reads the block's input, both are added
        return h + mlp(norm[mn](x)) + ({"x": 0.0, "normalised": norm[mn](x) - x, "none": -x}[mres])
    if reads == "attention output":  # the MLP reads attention's output a, not the stream x + a
        a = h - {"x": x, "normalised": norm[an](x), "none": 0.0}[ares] if aplace == "pre-ln" else None
        if a is None:
            raise ValueError("not a wiring")
        return h + mlp(norm[mn](a)) + ({"x": 0.0, "normalised": norm[mn](a) - h, "none": -h}[mres])
    return branch(h, mlp, mn, mres, mplace)


_KNOWN_WIRING = {
    ("mlp", "ln_1"): "shared-layernorm",
    ("attention residual", "none"): "no-attention-residual",
    ("attention residual", "normalised"): "residual-from-normalised",
    ("order", "mlp first"): "branches-swapped",
    ("mlp reads", "block input"): "block-wiring: ln_2 input",
    ("mlp residual", "none"): "block-wiring: block output",
    ("attention", "none"): "block-wiring: ln_1 unused",
    ("mlp", "none"): "block-wiring: ln_2 unused",
    ("mlp placement", "post-ln"): "block-wiring: mlp post-ln",
    ("mlp placement", "on output"): "block-wiring: ln_2 on the mlp output",
    ("attention placement", "on output"): "block-wiring: ln_1 on the attention output",
    ("mlp reads", "attention output"): "block-wiring: mlp reads attention output",
    ("attention", "ln_2"): "block-wiring: ln_1 unused",  # attention reads ln_2: ln_1 is never used
    ("attention placement", "post-ln"): "block-wiring: attention post-ln",
    ("attention residual", "subtracted"): "block-wiring: attention subtracted",
    ("mlp residual", "subtracted"): "block-wiring: mlp subtracted",
    ("mlp", "ln_2(ln_1)"): "block-wiring: ln_2 input",  # ln_2 reads ln_1's output: the MLP's input normalised twice
}
# two choices that are one mistake: named as that mistake
_KNOWN_WIRING_PAIRS = {(("attention", "ln_2"), ("mlp", "ln_1")): "block-wiring: ln_1 and ln_2 swapped"}


def _wiring_words(wiring: tuple[str, ...], right: tuple[str, ...]) -> tuple[str, str]:
    keys = ("attention", "mlp", "attention residual", "mlp residual", "mlp reads", "order", "attention placement",
            "mlp placement")  # fmt: skip
    diff = [(k, w) for k, w, r in zip(keys, wiring, right, strict=True) if w != r]
    words = {
        "attention": "attention reads {}(x)",
        "mlp": "the MLP reads {}(...)",  # ln_2(ln_1)(...): normalised twice
        "attention residual": "attention's residual adds {}",
        "mlp residual": "the MLP's residual adds {}",
        "mlp reads": "the MLP reads the {}, not the stream x + attn(ln_1(x))",
        "order": "the {} order of the branches",
        "attention placement": "attention's LayerNorm comes after its residual sum ({}): ln_1(x + attn(x))",
        "mlp placement": "the MLP's LayerNorm comes after its residual sum ({}): ln_2(x + mlp(x))",
    }
    shown = [(k, w if w != "none" else "nothing" if "residual" in k else "no norm") for k, w in diff]
    subtracted = {"attention residual": "attention's output is subtracted from the stream: x - attn(ln_1(x))",
                  "mlp residual": "the MLP's output is subtracted from the stream: x - mlp(ln_2(x))"}  # fmt: skip
    said = {
        ("mlp residual", "block input"): "the block returns x + mlp(ln_2(h)) with h = x + attn(ln_1(x)): the "
        "MLP's residual adds the block's input x, not h, so attention's output never reaches the next block"
    }
    on_output = {"attention placement": "ln_1 normalises attention's output, not its input: x + ln_1(attn(x))",
                 "mlp placement": "ln_2 normalises the MLP's output, not its input: x + ln_2(mlp(x))"}  # fmt: skip
    text = "; ".join(said.get((k, w)) or (on_output[k] if w == "on output" else subtracted[k] if w == "subtracted"
                                          else words[k].format(w)) for k, w in shown)  # fmt: skip
    if len(diff) == 1 and diff[0] in _KNOWN_WIRING:
        return _KNOWN_WIRING[diff[0]], text
    if tuple(diff) in _KNOWN_WIRING_PAIRS:
        return _KNOWN_WIRING_PAIRS[tuple(diff)], text
    return "block-wiring: " + ", ".join(f"{k} {w}" for k, w in diff), text


# ---------------------------------------------------------------- generate


def _generate(impl) -> list[Finding]:
    """generate's sampling and context, on your own model (so a model bug is not mistaken for a sampling one):
    the distribution handed to torch.multinomial, fitted for the temperature and counted for top-k, and the
    context handed to forward once the sequence is longer than block_size."""
    hf = hf_lm(TINY, seed=81, dtype=torch.float64)
    ours = load_into(impl.GPT(impl.GPTConfig(**TINY)).double().eval(), hf, what="GPT")
    idx = torch.randint(0, TINY["vocab_size"], (1, 6), generator=_gen(82))
    logits = ours(idx)[0][0, -1]
    found = []
    probs = _sampled_probs(ours, idx, temperature=2.0)
    if probs is not None and bool((probs < 0).any()):  # no distribution: what it is, before any fit of one
        return _not_a_distribution(ours, idx, logits, probs)
    if probs is not None and bool((probs > 0).all()):
        lp, lg = probs.log(), logits
        tau = float(((lg - lg.mean()) * (lg - lg.mean())).sum() / ((lg - lg.mean()) * (lp - lp.mean())).sum())
        if torch.allclose(F.softmax(logits / tau, -1), probs, rtol=1e-6, atol=1e-12) and abs(tau - 2.0) > 1e-6:
            fix = "logits / temperature before the softmax"
            if abs(tau - 1.0) < 1e-6:
                words = "temperature=2 samples from softmax(logits): the temperature is not applied"
                found.append(Finding("temperature: ignored", words, fix, evidence="the sampled distribution fitted"))
            elif abs(tau - 0.5) < 1e-6:
                found.append(_known_or("temperature-multiplied", "temperature: multiplied", "logits * T", fix))
            else:
                words = f"temperature=2 samples as temperature {tau:.4g}"
                found.append(Finding(f"temperature: {tau:.4g} for 2", words, fix, evidence="fitted"))
            found[-1:] = [_temperature_confirmed(ours, found[-1], tau)]
    k = 5
    plain = _sampled_probs(ours, idx, temperature=1.0)
    if plain is None and probs is None and not _always_greedy(ours, idx):  # no torch.multinomial: count the draws
        return [*found, *sampling.hand_sampled(impl), *_crop(ours)] or _returned(ours)
    ordered = F.softmax(logits, -1).sort().values  # sorted: a generate may sample from sorted probabilities
    if plain is not None and not torch.allclose(plain.sort().values, ordered, rtol=1e-6, atol=1e-12):
        # the premise of every fit below: at temperature 1, generate samples from your forward's own last logits
        words = (
            "at temperature 1 generate samples from another distribution than softmax of your forward's last "
            "logits for the same prompt: the logits it computes differ (its KV-cache path or its context?)"
        )
        return [*found, Finding("generate: logits differ from forward", words, kind=OBSERVED,
                                evidence="one prompt, temperature 1, no top-k"), *_crop(ours)]  # fmt: skip
    probs = _sampled_probs(ours, idx, temperature=1.0, top_k=k)
    before = len(found)
    if probs is not None and probs.numel() == k < logits.numel():  # drawn among the k values: mapped back?
        found += _top_k_unmapped(ours, idx, logits, k)
    elif probs is not None:
        kept = int((probs > 0).sum())
        top = set(torch.topk(logits, k).indices.tolist())
        if kept != k:
            fix = "mask logits < the k-th largest value (not <=) with -inf, then softmax"
            known = {k - 1: "top-k-keeps-k-minus-one", k + 1: "top-k-keeps-k-plus-one"}
            kth = torch.topk(logits, k).values[-1]
            if kept == logits.numel() and torch.allclose(probs, F.softmax(logits, -1), rtol=1e-6):
                found.append(_known_or("top-k-ignored", "top-k: ignored", "top_k not applied", fix))
            elif torch.allclose(probs, F.softmax(logits.masked_fill(logits < kth, 0.0), -1), rtol=1e-6):
                words = "top-k sets the dropped logits to 0, not -inf: they keep exp(0) weight and can be sampled"
                found.append(Finding("top-k: masked with 0", words, fix, evidence="the sampled distribution fitted"))
            elif kept == logits.numel() and (floor := _floor(probs, logits < kth)) is not None:
                words = (
                    f"top_k={k} leaves each of the other {int((logits < kth).sum())} tokens a probability of "
                    f"{floor:.3g} (a floor: clamp(min={floor:.3g}) or + {floor:.3g} after the softmax?), so "
                    "tokens outside the k largest are drawn"
                )
                fix = "no floor on the probabilities: the tokens top-k masks keep probability 0"
                found.append(Finding(f"top-k: floored at {floor:.3g}", words, fix, evidence="the sampled distribution"))
            elif kept in known:
                found.append(_known_or(known[kept], f"top-k: keeps {kept}", f"keeps {kept}", fix))
            elif threshold := _top_k_threshold(logits[None], probs[None], k):
                tag, words = _TOP_K_THRESHOLDS[threshold]
                found.append(Finding(tag, words, fix, evidence="the sampled distribution fitted"))
                if not _top_k_threshold_confirmed(ours, k, threshold):  # the same threshold for each row of two
                    found[-1] = unconfirmed(found[-1], "a batch of two prompts (each row its own threshold)")
                before = len(found)  # confirmed above, by its own threshold: the count differs per row
            elif kept < logits.numel():
                words = f"top_k={k} leaves {kept} tokens with a nonzero probability"
                found.append(Finding(f"top-k: keeps {kept}", words, fix, evidence="the sampled distribution"))
        elif set(probs.nonzero().flatten().tolist()) == top:
            want = F.softmax(logits.masked_fill(probs == 0, float("-inf")), -1)
            if not torch.allclose(probs, want, rtol=1e-6) and torch.allclose(probs, probs.max() * (probs > 0)):
                found.append(_known_or("top-k-uniform", "top-k: uniform", "uniform over the k", "softmax"))
            else:  # right for one prompt: is it right for each row of a batch?
                found += _top_k_over_the_batch(ours, k)
                before = len(found)  # measured on the batch itself: no second confirmation to ask for
        if len(found) > before and not _top_k_confirmed(ours, k, kept):
            second = f"a batch of two prompts (each row must keep {kept} as one prompt did)"
            found[before:] = [unconfirmed(f, second) for f in found[before:]]
    found += _global_rng_ignored(ours, idx)
    if _always_greedy(ours, idx):
        words = "generate takes the argmax at temperature 2 (it never samples): only temperature == 0 is greedy"
        fix = "if temperature == 0: argmax; else: softmax(logits / temperature) and torch.multinomial"
        found.append(Finding("generate: always greedy", words, fix, evidence="measured"))
    found += _crop(ours)
    return found or _returned(ours)


def _floor(probs: torch.Tensor, dropped: torch.Tensor) -> float | None:
    """The one small probability every token top-k drops (the mask ``dropped``) holds, far below the least of the
    kept ones; None when they do not (v27: the probabilities clamped to at least 1e-6 so that multinomial never sees
    a zero)."""
    if not dropped.any():
        return None
    low = probs[dropped]
    floor = low.max()
    if torch.allclose(low, floor.expand_as(low), rtol=1e-6) and floor < 1e-2 * probs[~dropped].min():
        return float(floor)
    return None


def _top_k_unmapped(ours, idx: torch.Tensor, logits: torch.Tensor, k: int) -> list[Finding]:
    """top-k that hands torch.multinomial the k largest values and appends the drawn position (0..k-1) itself as
    the token, never mapped back through topk's indices. The draw is made the top position, whose token id is
    not 0 on this prompt, so the two are told apart."""
    seen: list[torch.Tensor] = []
    real = torch.multinomial

    def record(probs: torch.Tensor, num_samples: int, *args, **kw) -> torch.Tensor:
        seen.append(probs.detach().clone())
        return probs.argmax(dim=-1, keepdim=True).expand(*probs.shape[:-1], num_samples)

    torch.multinomial = record
    try:
        out = ours.generate(idx, 1, temperature=1.0, top_k=k, generator=_gen(83))
    except Exception:
        return []
    finally:
        torch.multinomial = real
    if len(seen) != 1 or seen[0].shape[-1] != k:
        return []
    drawn = int(seen[0].reshape(-1, k)[0].argmax())
    token, mapped = int(out[0, -1]), int(torch.topk(logits, k).indices[drawn])
    if token != drawn or token == mapped:
        return []
    words = (f"with top_k={k} generate draws a position among the {k} largest logits and appends that position "
             f"({drawn}) as the token id: the token there is topk's index ({mapped}), so every token you sample "
             f"is one of 0..{k - 1}")  # fmt: skip
    fix = "idx_next = torch.gather(topk_indices, -1, torch.multinomial(probs, 1)): map the drawn position to its id"
    return [Finding("top-k: drawn position not mapped to the token id", words, fix,
                    evidence="the draw handed back to generate, against topk's indices")]  # fmt: skip


def _not_a_distribution(ours, idx: torch.Tensor, logits: torch.Tensor, handed: torch.Tensor) -> list[Finding]:
    """torch.multinomial was handed negative weights: the logits themselves (confirmed at a second temperature),
    or something else that is no distribution (said, with no fix)."""
    again = _sampled_probs(ours, idx, temperature=1.0)  # both normalised by their sum (so any temperature cancels)
    if again is not None and all(same(h, logits / logits.sum()) for h in (handed, again)):
        words = "torch.multinomial is handed weights proportional to the logits, not softmax of them"
        fix = "probs = F.softmax(logits / temperature, dim=-1); idx_next = torch.multinomial(probs, num_samples=1)"
        return [Finding("sampling: multinomial on logits", words, fix, evidence="at temperatures 2 and 1")]
    words = f"the weights handed to torch.multinomial include negative values (min {handed.min().item():.3g})"
    return [Finding("sampling: not a distribution", words, kind=OBSERVED, evidence="temperature 2")]


def _top_k_confirmed(ours, k: int, kept: int) -> bool:
    """top_k keeps the same number of tokens in each row of a batch of two prompts as it did for one."""
    idx = torch.randint(0, TINY["vocab_size"], (2, 6), generator=_gen(88))
    probs = _sampled_probs(ours, idx, rows=True, temperature=1.0, top_k=k)
    return probs is not None and all(int(n) == kept for n in (probs > 0).sum(-1))


# where top-k's threshold comes from, when not the k-th largest logit: (logits (rows, V), k) -> one per row
_TOP_K_FROM: dict[str, Callable[[torch.Tensor, int], torch.Tensor]] = {
    "k-th smallest": lambda lg, k: torch.topk(lg, k, dim=-1, largest=False).values[:, -1:],
    "probabilities": lambda lg, k: torch.topk(F.softmax(lg, -1), k, dim=-1).values[:, -1:],
}
_TOP_K_THRESHOLDS = {
    "k-th smallest": ("top-k: kthvalue (k-th smallest)", "top-k's threshold is the k-th smallest logit (topk with "
                      "largest=False): every logit above it is kept, almost the whole vocabulary"),
    "probabilities": ("top-k: threshold from probabilities", "top-k's threshold is the k-th largest probability, "
                      "compared with the logits: every logit above that probability is kept"),
}  # fmt: skip


# top-k thresholds taken over the whole batch instead of each row: (logits (rows, V), k) -> one shared threshold
_TOP_K_OVER_BATCH: dict[str, Callable[[torch.Tensor, int], torch.Tensor]] = {
    "the smallest k-th largest logit of all rows": lambda lg, k: torch.topk(lg, k, dim=-1).values[:, -1].min(),
    "the largest k-th largest logit of all rows": lambda lg, k: torch.topk(lg, k, dim=-1).values[:, -1].max(),
    "the k-th largest logit of the whole batch": lambda lg, k: torch.topk(lg.flatten(), k).values[-1],
}


def _top_k_over_the_batch(ours, k: int) -> list[Finding]:
    """top_k that keeps the k largest for one prompt but not in each row of a batch of two: a threshold taken over
    the batch (``topk(...).values.min()`` with no dim, topk of the flattened logits), fitted; what fits none is said
    as the counts per row, without a fix (v30: the floor over the whole batch)."""
    idx = torch.randint(0, TINY["vocab_size"], (2, 6), generator=_gen(88))
    probs = _sampled_probs(ours, idx, rows=True, temperature=1.0, top_k=k)
    if probs is None:
        return []
    kept = [int(n) for n in (probs > 0).sum(-1)]
    if all(n == k for n in kept):
        return []
    try:
        logits = ours(idx)[0][:, -1]
    except Exception:  # a forward that cannot take a batch of two: nothing to fit
        return []
    evidence = "a batch of two prompts, top_k=5, against each row's own logits"
    for name, threshold in _TOP_K_OVER_BATCH.items():
        want = F.softmax(logits.masked_fill(logits < threshold(logits, k), float("-inf")), -1)
        if torch.allclose(want, probs, rtol=1e-6, atol=1e-12):
            words = (f"top-k's threshold is one number for the whole batch, {name}, not each row's own k-th largest: "
                     f"with two prompts the rows keep {kept[0]} and {kept[1]} tokens for top_k={k}")  # fmt: skip
            fix = "one threshold per row: torch.topk(logits, k, dim=-1).values[:, [-1]], compared row by row"
            return [Finding("top-k: threshold over the batch", words, fix, evidence=evidence)]
    words = (f"top_k={k} keeps {k} tokens for one prompt, but {kept[0]} and {kept[1]} in the rows of a batch of two: "
             "each row must keep its own k largest logits")  # fmt: skip
    return [Finding("top-k: not per row", words, kind=OBSERVED, evidence=evidence)]


def _global_rng_ignored(ours, idx: torch.Tensor) -> list[Finding]:
    """generate without a generator that draws the same tokens whatever torch.manual_seed said: a Generator of its
    own with a constant seed (v30). The global RNG is restored afterwards, as the caller left it."""
    draws = []
    with torch.random.fork_rng(devices=[]):
        for seed in (100, 200, 300):
            torch.manual_seed(seed)
            try:
                draws.append(ours.generate(idx, 8, temperature=1.0))
            except Exception:
                return []
        try:  # a generate that never samples draws its argmax every time: that is another finding
            greedy = ours.generate(idx, 8, temperature=0.0)
        except Exception:
            return []
    if any(not torch.equal(draws[0], d) for d in draws[1:]) or torch.equal(draws[0], greedy):
        return []
    words = ("without a generator, generate draws the same 8 tokens after torch.manual_seed(100), (200) and (300): "
             "it ignores the global RNG (a torch.Generator of its own, seeded with a constant?)")  # fmt: skip
    fix = "pass the caller's generator on as it is, None included: torch.multinomial(probs, 1, generator=generator)"
    return [Finding("sampling: global RNG ignored", words, fix, evidence="three global seeds, temperature 1")]


def _top_k_threshold(logits: torch.Tensor, probs: torch.Tensor, k: int) -> str | None:
    """Which threshold top-k compared the logits with, fitted: the distribution is the softmax over the logits at
    or above it, in every row."""
    for name, fn in _TOP_K_FROM.items():
        th = fn(logits, k)
        want = F.softmax(logits.masked_fill(logits < th, float("-inf")), -1)
        if want.shape == probs.shape and torch.allclose(want, probs, rtol=1e-6, atol=1e-12):
            return name
    return None


def _top_k_threshold_confirmed(ours, k: int, threshold: str) -> bool:
    """The threshold fitted on one prompt gives each row of a batch of two prompts too."""
    idx = torch.randint(0, TINY["vocab_size"], (2, 6), generator=_gen(88))
    probs = _sampled_probs(ours, idx, rows=True, temperature=1.0, top_k=k)
    try:
        logits = ours(idx)[0][:, -1]
    except Exception:  # a forward that cannot take a batch of two confirms nothing
        return False
    return probs is not None and _top_k_threshold(logits, probs, k) == threshold


def _temperature_confirmed(ours, f: Finding, tau: float) -> Finding:
    """The temperature fitted on one prompt must also give each row of a batch of two prompts."""
    idx = torch.randint(0, TINY["vocab_size"], (2, 6), generator=_gen(87))
    probs = _sampled_probs(ours, idx, rows=True, temperature=2.0)
    try:
        want = F.softmax(ours(idx)[0][:, -1] / tau, -1)
    except Exception:  # a forward that cannot take a batch of two confirms nothing
        want = None
    if (
        probs is not None
        and want is not None
        and probs.shape == want.shape
        and torch.allclose(want, probs, rtol=1e-6, atol=1e-12)
    ):
        return f
    return unconfirmed(f, "a batch of two prompts (each row must be its own softmax(logits / T))")


def _returned(ours) -> list[Finding]:
    """What greedy generate returns, against the argmax continuation of your own forward: the prompt followed
    by max_new_tokens new tokens."""
    idx = torch.randint(0, TINY["vocab_size"], (1, 5), generator=_gen(86))
    try:
        out = ours.generate(idx, 3, temperature=0.0)
    except Exception:
        return []
    seq = idx
    for _ in range(3):
        seq = torch.cat([seq, ours(seq)[0][:, -1].argmax(-1, keepdim=True)], dim=1)
    if out.shape == seq.shape:
        return _fed_back(ours, idx)  # the right tokens by chance (a tiny model repeats one) need not be fed back
    fix = "return torch.cat([idx, new tokens], dim=1): the prompt, then max_new_tokens tokens"
    evidence = "greedy generate against your own forward's argmax"
    if torch.equal(out, seq[:, 5:]):
        words = "generate returns only the new tokens; the contract returns the prompt followed by them"
        return [Finding("generate: returns new tokens only", words, fix, evidence=evidence)]
    d = out.shape[1] - seq.shape[1]
    if d and torch.equal(out, seq[:, : out.shape[1]]) if d < 0 else d and torch.equal(out[:, : seq.shape[1]], seq):
        words = f"generate appends {3 + d} tokens for max_new_tokens=3"
        fix = "for _ in range(max_new_tokens): one new token per step"
        tag = f"generate: max_new_tokens {'+' if d > 0 else '-'} {abs(d)}"
        return [Finding(tag, words, fix, evidence=evidence)]
    if out.shape[1] != seq.shape[1]:
        words = f"generate returns {out.shape[1]} tokens for a prompt of 5 and max_new_tokens=3 (want 8)"
        return [Finding(f"generate: returns {out.shape[1]} of 8 tokens", words, evidence=evidence)]  # no fit: no fix
    return []


def _fed_back(ours, idx: torch.Tensor) -> list[Finding]:
    """The contexts greedy generate hands to forward, step by step, without the KV cache: each step must see the
    prompt and every token drawn so far (v34: a loop that kept the new tokens in a list and conditioned every step
    on the prompt, so greedy decoding repeated one token)."""
    seen: list[torch.Tensor] = []
    handle = ours.register_forward_pre_hook(lambda m, a: seen.append(a[0].detach().clone()))
    try:
        ours.generate(idx, 3, temperature=0.0, use_kv_cache=False)
    except Exception:
        return []
    finally:
        handle.remove()
    if len(seen) != 3 or not all(torch.equal(context, idx) for context in seen):
        return []
    words = (
        "every step of generate hands forward the prompt alone: the tokens it draws are never fed back, so "
        "each is drawn from the distribution after the prompt (greedy decoding repeats one token)"
    )
    fix = "append each new token to the sequence (idx = torch.cat((idx, idx_next), dim=1)) and condition on that"
    return [Finding("generate: conditions on the prompt only", words, fix,
                    evidence="the contexts handed to forward at three greedy steps, measured")]  # fmt: skip


def _always_greedy(ours, idx: torch.Tensor) -> bool:
    """generate at temperature 2 never calls torch.multinomial and returns the greedy continuation."""
    calls = []
    real = torch.multinomial

    def counted(*args, **kwargs) -> torch.Tensor:
        calls.append(1)
        return real(*args, **kwargs)

    torch.multinomial = counted
    try:
        sampled = ours.generate(idx, 4, temperature=2.0, generator=_gen(85))
    except Exception:
        return False
    finally:
        torch.multinomial = real
    try:
        return not calls and torch.equal(sampled, ours.generate(idx, 4, temperature=0.0))
    except Exception:
        return False


def _sampled_probs(ours, idx: torch.Tensor, rows: bool = False, **kwargs) -> torch.Tensor | None:
    """The distribution generate hands to torch.multinomial for one new token (None if it never calls it):
    flattened, or with ``rows`` one distribution per row of the batch."""
    seen: list[torch.Tensor] = []
    real = torch.multinomial

    def record(probs: torch.Tensor, num_samples: int, *args, **kw) -> torch.Tensor:
        seen.append(probs.detach().double().clone())
        return probs.argmax(dim=-1, keepdim=True).expand(*probs.shape[:-1], num_samples)

    torch.multinomial = record
    try:
        ours.generate(idx, 1, generator=_gen(83), **kwargs)
    except Exception:
        pass
    finally:
        torch.multinomial = real
    if len(seen) != 1:
        return None
    if rows:
        if seen[0].numel() % idx.size(0):
            return None
        p = seen[0].reshape(idx.size(0), -1)
        return p / p.nansum(-1, keepdim=True)  # a NaN stays where it is, not in the whole row
    p = seen[0].reshape(-1)
    return p / p.sum()


def _context(ours, idx: torch.Tensor, **kwargs) -> torch.Tensor | None:
    """The last context generate hands to forward for one new token (None if it never calls forward)."""
    seen: list[torch.Tensor] = []
    handle = ours.register_forward_pre_hook(lambda m, a: seen.append(a[0].detach().clone()))
    try:
        ours.generate(idx, 1, temperature=0.0, **kwargs)
    except Exception:
        pass
    finally:
        handle.remove()
    return seen[-1][0] if seen else None


def _crop(ours) -> list[Finding]:
    """The context forward receives when the sequence is longer than block_size: without the KV cache first
    (the crop itself), then with it (a cached path that never falls back to the crop is another bug)."""
    T = TINY["block_size"]
    idx = torch.randint(0, TINY["vocab_size"], (1, T + 3), generator=_gen(84))
    got = _context(ours, idx, use_kv_cache=False)
    if got is None:
        return []
    if got.numel() == T and torch.equal(got, idx[0, -T:]):
        cached = _context(ours, idx)
        if cached is not None and cached.numel() > T:
            fix = "once the sequence outgrows block_size, drop the cache and crop: idx[:, -block_size:]"
            return [_known_or("kv-cache-no-fallback", "kv-cache: no fallback", "the cache is fed past block_size", fix)]
    n = got.numel()
    fix = "idx_cond = idx[:, -block_size:]: the last block_size tokens"
    if n == T and torch.equal(got, idx[0, -T:]):
        return []
    if n == T + 3:
        return [_known_or("generate-no-crop", "generate-crop: none", "not cropped", fix)]
    if n == T and torch.equal(got, idx[0, :T]):
        return [_known_or("generate-crops-from-front", "generate-crop: front", "the first tokens", fix)]
    if n < T + 3 and torch.equal(got, idx[0, -n:]):
        d = n - T
        tag = f"generate-crop: block_size {'+' if d > 0 else '-'} {abs(d)}"
        words = f"the context is cropped to the last {n} tokens; block_size is {T}"
        return [Finding(tag, words, fix, evidence="the context handed to forward, measured")]
    return []


# ---------------------------------------------------------------- data, schedule, tokenizer


def _data(impl) -> list[Finding]:
    tokens = torch.arange(1000)
    loader = impl.DataLoader(tokens, 4, 16)
    x, y = (t.clone() for t in loader.next_batch())  # copies: a loader may refill one buffer in place
    if tuple(x.shape) != (4, 16):  # the premise of every fit below: (B, T) batches
        words = f"next_batch returns x of shape {tuple(x.shape)} for B=4, T=16; the contract is (B, T)"
        if tuple(x.shape) == (16, 4):
            return [Finding("loader: batches shaped (T, B)", words, "x = buf[:-1].view(B, T); y = buf[1:].view(B, T)",
                            evidence="the first batch's shape")]  # fmt: skip
        return [Finding("loader: batch shape", words, kind=OBSERVED, evidence="the first batch's shape")]
    steps = (x[:, 1:] - x[:, :-1] == 1).double().mean().item()
    if steps < 0.9:  # the premise of the shift and start fits: each row of x is a window of the stream 0, 1, 2, ...
        words = "the rows of x are not runs of consecutive tokens of the stream 0, 1, 2, ... (first row: "
        words += f"{x[0, :6].tolist()}): the positions read from the stream are not start + arange(B*T + 1)"
        return [
            Finding("loader: rows not windows of the stream", words, kind=OBSERVED, evidence="measured on 0, 1, 2, ...")
        ]
    shifts, counts = (y - x).flatten().unique(return_counts=True)
    d = int(shifts[counts.argmax()])  # the shift of most positions (a buffer's end may wrap differently)
    found = []
    if d != 1 and counts.max() >= 0.9 * y.numel():
        tag = "y-not-shifted" if d == 0 else f"target-shift: {d}"
        found.append(
            Finding(
                tag,
                f"y[b, t] is x[b, t + {d}]; the target is the next token, x[b, t + 1]",
                "x = buf[:-1].view(B, T); y = buf[1:].view(B, T)",
                evidence="measured on 0, 1, 2, ...",
            )
        )
    if d == 1 and counts.max() < y.numel():
        found.append(_targets_off(x, y))
    x2, _ = loader.next_batch()
    if torch.equal(x2, x):
        found.append(
            Finding(
                "loader: does not advance",
                "next_batch returns the same batch every time",
                "advance the position after each batch",
                evidence="two batches read",
            )
        )
        return found
    found += _loader_starts(impl, tokens, shifted=bool(found)) + (_wraps(impl) or pipeline.data(impl))
    return found or pipeline.loader_resume(impl)  # the position kept across a checkpoint, once batches are right


def _targets_off(x: torch.Tensor, y: torch.Tensor) -> Finding:
    """The few targets that are not the next token of the stream 0, 1, 2, ... (the rest are), each said with
    where its value sits in x (v35: the batch's last target taken from the first row, x[0, 0])."""
    off = y != x + 1
    said = []
    for b, t in off.nonzero().tolist()[:3]:
        v = int(y[b, t])
        at = (x == v).nonzero().tolist()
        where = f", which is x[{at[0][0]}, {at[0][1]}]" if at else ""
        u = int(x[b, t])
        said.append(f"y[{b}, {t}] = {v}{where}, where the token after x[{b}, {t}] = {u} is {u + 1}")
    n = int(off.sum())
    words = f"{n} of the {y.numel()} targets {'is' if n == 1 else 'are'} not the next token of the stream: "
    words += "; ".join(said)
    fix = "buf = tokens[start : start + B*T + 1]; x = buf[:-1].view(B, T); y = buf[1:].view(B, T): every target is"
    fix += " the token after its input in the stream, a row's last included"
    return Finding("loader: some targets not the next token", words, fix, evidence="measured on 0, 1, 2, ...")


def _wraps(impl) -> list[Finding]:
    """A stream of 100 tokens read in batches of B*T + 1 = 33: the fourth batch runs past the end and must
    wrap around to token 0 (the contract), not raise or come back short."""
    tokens, B, T = torch.arange(100), 2, 16
    loader = impl.DataLoader(tokens, B, T)
    fix = "positions = (start + torch.arange(B*T + 1)) % len(tokens): the stream wraps around to its start"
    evidence = "four batches read from 100 tokens"
    try:
        for _ in range(4):
            x, y = loader.next_batch()
    except Exception as exc:
        words = f"the loader fails when a batch runs past the end of the tokens ({type(exc).__name__}): it must wrap"
        return [Finding("loader: no wrap-around", words, fix, evidence=evidence)]
    if tuple(x.shape) != (B, T) or tuple(y.shape) != (B, T):
        words = f"a batch that runs past the end of the tokens has shape {tuple(x.shape)}, not ({B}, {T}): it must wrap"
        return [Finding("loader: no wrap-around", words, fix, evidence=evidence)]
    return []


def _loader_starts(impl, tokens: torch.Tensor, shifted: bool) -> list[Finding]:
    """Where each batch starts in the stream (tokens 0, 1, 2, ...), fitted as start = a*batch + b*rank + c with
    one rank and with two: the contract has c = 0, a = W*B*T and b = B*T. Each of c, a and b is measured at two
    shapes (B, T) = (4, 16) and (3, 8) and named by the expression in B, T and W that gives it at both (a
    constant that no expression fits stays a number, and is a finding only when it is the same at both)."""
    shapes = ((4, 16), (3, 8))

    def start(B: int, T: int, rank: int, world: int, batch: int) -> int:
        loader = impl.DataLoader(tokens, B, T, rank=rank, world_size=world)
        for _ in range(batch):
            loader.next_batch()
        return int(loader.next_batch()[0][0, 0])

    def measured(B: int, T: int) -> tuple[int, ...]:
        c, a1 = start(B, T, 0, 1, 0), start(B, T, 0, 1, 1) - start(B, T, 0, 1, 0)
        return c, a1, start(B, T, 0, 2, 1) - start(B, T, 0, 2, 0), start(B, T, 1, 2, 0) - start(B, T, 0, 2, 0)

    try:
        state = torch.get_rng_state()  # a loader may draw from the global generator: measure twice, then restore
        try:
            torch.manual_seed(64)
            first = measured(*shapes[0])
            torch.manual_seed(65)
            again = measured(*shapes[0])
            torch.manual_seed(66)
            other = measured(*shapes[1])
        finally:
            torch.set_rng_state(state)
    except Exception:
        return []
    if again != first:  # the same loader built twice starts elsewhere: no start or stride is a parameter
        words = "the same DataLoader built twice reads different batches: random starts, not the stream in order"
        fix = "read the stream in order: start = (batches * world_size + rank) * B * T, advanced by each batch"
        return [Finding("loader: random starts", words, fix, evidence="two loaders built alike under different seeds")]
    B, T = shapes[0]
    c, a1, a2, b = first
    worlds = {"c": (0, 1), "a1": (1, 1), "a2": (2, 2), "b": (3, 2)}  # (index, the world size it was measured with)

    def sym(name: str) -> str | None:
        i, world = worlds[name]
        return _loader_symbol(first[i], other[i], shapes, world)

    fix = "start = (batches * world_size + rank) * B * T"
    evidence = (
        f"batch starts measured on tokens 0, 1, 2, ... with 1 and 2 ranks, at (B, T) = {shapes[0]} and {shapes[1]}"
    )
    found = []

    def finding(tag: str, words: str, confirmed: bool) -> Finding:
        f = Finding(tag, words, fix, evidence=evidence)
        return f if confirmed else unconfirmed(f, f"a second shape, (B, T) = {shapes[1]}")

    if c != 0 and not shifted:  # a shifted x is the target-shift finding already
        name = sym("c")
        words = f"the first batch starts at token {_said(name, c)}, not 0"
        if name == "B*T" and a1 == B * T:  # one whole batch in: batch 0 is never read
            words = "the first batch read is batch 1 (it starts at B*T): batch 0 is skipped (e.g. the counter is "
            words += "advanced before the start is computed)"
            found.append(finding("loader: first batch skipped", words, True))
        else:
            found.append(finding(f"loader: offset {name or c}", words, name is not None))
    if a1 != B * T:
        name = sym("a1")
        words = f"each batch advances {_said(name, a1)} tokens, not B*T = {B * T}"
        found.append(finding(f"loader-stride: {name or a1}", words, name is not None))
    elif a2 == 2 * B * T and b == B * T:
        pass  # the contract
    elif a2 == B * T and b == B * T:
        found.append(_known_or("ranks-overlap", "loader: ranks overlap", "ranks advance B*T", fix))
    elif b == 0:
        words = "every rank reads the same slice: the rank is not part of the start"
        found.append(Finding("loader: rank ignored", words, fix, evidence=evidence))
    elif b == len(tokens) // 2 and a2 == B * T:
        words = f"each rank reads its own contiguous half of the tokens (rank 1 starts at {b}), not interleaved batches"
        found.append(Finding("loader: contiguous shards", words, fix, evidence=evidence))
    elif b != B * T:
        name = sym("b")
        words = f"with 2 ranks rank 1 starts {_said(name, b)} tokens after rank 0 and each advances {a2}"
        found.append(finding(f"loader: rank offset {name or b}", words, name is not None))
    else:  # ranks right, the stride with 2 ranks wrong
        name = sym("a2")
        words = f"with W = 2 ranks each batch advances {_said(name, a2)} tokens, not W*B*T = {2 * B * T}"
        found.append(finding(f"loader-stride: {name or a2}", words, name is not None))
    return found


# expressions a start, stride or offset is named by (W: the world size it was measured with)
_LOADER_SYMBOLS: tuple[tuple[str, Callable[[int, int, int], int]], ...] = (
    ("0", lambda B, T, W: 0),
    ("1", lambda B, T, W: 1),
    ("B", lambda B, T, W: B),
    ("T", lambda B, T, W: T),
    ("B*T", lambda B, T, W: B * T),
    ("B*T + 1", lambda B, T, W: B * T + 1),
    ("B*T - 1", lambda B, T, W: B * T - 1),
    ("B*(T + 1)", lambda B, T, W: B * (T + 1)),
    ("T + 1", lambda B, T, W: T + 1),
    ("W*B*T", lambda B, T, W: W * B * T),
    ("B*T*W*W", lambda B, T, W: W * W * B * T),
    ("W*T", lambda B, T, W: W * T),
    ("W*B", lambda B, T, W: W * B),
    ("W*(B*T + 1)", lambda B, T, W: W * (B * T + 1)),
)


def _said(name: str | None, v: int) -> str:
    return f"{name} = {v}" if name not in (None, str(v)) else str(v)


def _loader_symbol(v1: int, v2: int, shapes: tuple[tuple[int, int], ...], world: int) -> str | None:
    """The expression in B, T (and W) that gives v1 at the first shape and v2 at the second; a constant when
    v1 == v2 and no expression fits; None when neither (one measurement would name a coincidence)."""
    for name, fn in _LOADER_SYMBOLS:
        if (fn(*shapes[0], world), fn(*shapes[1], world)) == (v1, v2):
            return name
    return str(v1) if v1 == v2 else None


def _training(impl) -> list[Finding]:
    """The LR schedule, then one optimizer step (each part only when the contract name exists); each part's
    further fits (spec/probes_pipeline.py) run only when its first fits say nothing."""
    from .oracles import cosine_lr

    found: list[Finding] = []
    parts = (
        (_schedule, lambda i: pipeline.schedule(i, cosine_lr)),
        (_optimizer, pipeline.optimizer),
        (_train_step, None),
        (_autocast_keeps_weights, None),
        (_clipping, lambda i: pipeline.clipping(i, _Tiny(), pipeline.micro_batches(63))),
        (pipeline.loader_state, None),  # the loader's state, as a checkpoint saves and restores it
    )
    for first, more in parts:
        if first is _clipping and any(f.tag.startswith(("train-step", "accumulation", "no-optimizer")) for f in found):
            continue  # the step itself is wrong: its size says nothing about clipping
        for part in (first, more):
            try:
                got = part(impl) if part else []
            except Exception:  # a part that cannot run says nothing (e.g. train_step not written yet)
                continue
            found += got
            if got:
                break
    return found


def _schedule(impl) -> list[Finding]:
    """The LR schedule at every step, as two fitted parts: the warmup and the cosine's range."""
    from .oracles import cosine_lr

    max_lr, min_lr, w, m = 1.0, 0.1, 10, 50
    steps = range(0, m + 10)
    got = [float(impl.get_lr(s, max_lr, min_lr, w, m)) for s in steps]
    if all(abs(got[s] - cosine_lr(s, max_lr, min_lr, w, m)) < 1e-9 for s in steps):
        # right at max_lr = 1: a schedule that returns the multiplier lr / max_lr (for LambdaLR) looks the same
        hi, lo = 6e-4, 6e-5
        scaled = [float(impl.get_lr(s, hi, lo, w, m)) for s in steps]
        if all(abs(scaled[s] - cosine_lr(s, hi, lo, w, m) / hi) < 1e-9 for s in steps):
            words = f"get_lr returns the multiplier lr / max_lr (1.0 at the peak for max_lr = {hi:g}), not the lr"
            fix = "return the learning rate itself: max_lr * (step + 1) / warmup_steps, then the cosine to min_lr"
            return [Finding("lr-schedule: returns the multiplier (lr / max_lr)", words, fix,
                            evidence=f"get_lr measured at every step with max_lr 1 and {hi:g}")]  # fmt: skip
        if all(abs(scaled[s] - cosine_lr(s, hi, lo * hi, w, m)) < 1e-12 for s in steps):
            words = f"the floor is min_lr * max_lr ({lo * hi:g}), not min_lr ({lo:g}): min_lr read as a fraction"
            fix = "decay to min_lr itself: min_lr + (max_lr - min_lr) * 0.5 * (1 + cos(pi * progress))"
            return [Finding("lr-schedule: min_lr read as a fraction of max_lr", words, fix,
                            evidence=f"get_lr measured at every step with max_lr 1 and {hi:g}")]  # fmt: skip
        return []

    def cosine(s: int, start: int) -> float:
        return min_lr + (max_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * min(max(s - start, 0) / (m - start), 1.0)))

    def fits(lo: int, hi: int, fn: Callable[[int], float]) -> bool:
        return all(abs(got[s] - fn(s)) < 1e-9 for s in range(lo, hi))

    fix = "max_lr * (step + 1) / warmup_steps during warmup, then the cosine from warmup_steps to max_steps"
    evidence = "get_lr measured at every step"
    if fits(0, m + 10, lambda s: cosine(s, 0)):
        return [_known_or("no-warmup", "lr-schedule: no warmup", "no warmup: the cosine starts at step 0", fix)]
    warmup_ok = fits(0, w, lambda s: max_lr * (s + 1) / w)
    decay_ok = fits(w, m + 10, lambda s: cosine(s, w))
    if fits(0, w, lambda s: max_lr * s / w) and decay_ok:
        words = "the warmup starts at lr 0 (max_lr * step / warmup_steps): step 0 does not train"
        return [Finding("lr-schedule: warmup from 0", words, fix, evidence=evidence)]
    if warmup_ok and fits(w, m + 10, lambda s: cosine(s, 0)):
        words = "the cosine runs over steps 0..max_steps, not warmup_steps..max_steps"
        return [Finding("lr-schedule: cosine range", words, fix, evidence=evidence)]
    if warmup_ok and fits(w, m, lambda s: cosine(s, w)) and fits(m, m + 10, lambda s: got[m]):
        return [pipeline.after_max_steps(impl, got[m], (max_lr, min_lr, w, m), fix)]
    if warmup_ok and fits(w, m, lambda s: min_lr + (max_lr - min_lr) * (1 - (s - w) / (m - w))):
        words = "the lr decays linearly from max_lr to min_lr, not along a cosine"
        return [Finding("lr-schedule: linear decay", words, fix, evidence=evidence)]
    edited = pipeline.schedule_edit(impl, got, (max_lr, min_lr, w, m), fix)
    if edited:
        return edited
    # the cosine's two ends fitted (the schedule is a + (b - a) * c(s) for the known shape c): swapped, or others
    c = [0.5 * (1 + math.cos(math.pi * (s - w) / (m - w))) for s in range(w, m)]
    a = got[m - 1] - (got[w] - got[m - 1]) * c[-1] / (c[0] - c[-1])
    b = a + (got[w] - a) / c[0]
    if fits(w, m, lambda s: a + (b - a) * c[s - w]) and abs(b - max_lr) > 1e-9:
        if abs(a - max_lr) < 1e-9 and abs(b - min_lr) < 1e-9:
            words = "the cosine rises from min_lr to max_lr: min_lr and max_lr are swapped in the decay"
            return [Finding("lr-schedule: decay reversed", words, fix, evidence=evidence)]
        words = f"the cosine runs from {b:g} down to {a:g}, not from max_lr = {max_lr:g} to min_lr = {min_lr:g}"
        return [Finding(f"lr-schedule: cosine from {b:.3g} to {a:.3g}", words, fix, evidence=evidence)]
    return []


def _optimizer(impl) -> list[Finding]:
    """configure_optimizers on a matrix and a vector with arguments no default has: which tensors are decayed,
    by how much, and the learning rate, betas and eps AdamW was given."""
    twice = pipeline.listed_twice(impl)  # on GPT-2's tied head: a parameter handed to AdamW twice
    if twice:
        return twice
    model = torch.nn.Linear(4, 3)
    wd, lr, betas, eps = 0.3, 0.02, (0.8, 0.9), 1e-7
    opt = impl.configure_optimizers(model, weight_decay=wd, learning_rate=lr, betas=betas, eps=eps)
    decay = {id(p): g["weight_decay"] for g in opt.param_groups for p in g["params"]}
    # a tensor in no group is never updated, let alone decayed (0 here; the words say so)
    matrix, vector = decay.get(id(model.weight), 0.0), decay.get(id(model.bias), 0.0)
    lost = [n for n, p in model.named_parameters() if id(p) not in decay]
    found = []
    evidence = "configure_optimizers measured on a Linear(4, 3)"
    fix = "AdamW(groups, lr=learning_rate, betas=betas, eps=eps): decay weight_decay on dim >= 2 tensors, 0 on the rest"
    rule = {(wd, 0.0): None, (wd, wd): "decay-every-parameter", (0.1, 0.0): "weight-decay-hardcoded"}
    held = [p for g in opt.param_groups for p in g["params"]]
    shapes = sorted(tuple(p.shape) for p in model.parameters())
    if len(lost) == len(shapes) and sorted(tuple(p.shape) for p in held) == shapes:  # every one a copy
        words = (
            "AdamW's groups hold tensors shaped as the model's parameters but not the parameters themselves "
            "(state_dict() values or .data / .detach() copies): no gradient reaches them, the model never moves"
        )
        fix = "params = [p for p in model.parameters() if p.requires_grad]: the Parameters, not copies of them"
        return [Finding("optimizer: not the model's parameters", words, fix, evidence=evidence)]
    if (matrix, vector) not in rule:
        name = "none" if matrix == vector == 0 else "vectors only" if matrix == 0 else f"{matrix:g} and {vector:g}"
        words = f"weight decay {matrix:g} on matrices and {vector:g} on biases/gains; want {wd:g} and 0"
        words += f" ({', '.join(lost)} in no group: never updated)" if lost else ""
        found.append(Finding(f"weight-decay: {name}", words, fix, evidence=evidence))
    elif rule[(matrix, vector)] == "decay-every-parameter" and (by_name := pipeline.optimizer(impl)):
        return by_name  # the Linear's bias is decayed, but on GPT-2's names a rule by name spares some vectors
    elif rule[(matrix, vector)]:
        found.append(_known_or(rule[(matrix, vector)], "weight-decay", "", fix))
    split = _split_hyperparameters(opt, model, {"lr": lr, "betas": betas, "eps": eps}, evidence)
    if split:
        return found + split
    group = opt.param_groups[0]
    if group["lr"] != lr:
        found.append(
            _known_or("lr-hardcoded", "adamw-lr", "", fix)
            if group["lr"] == 3e-4
            else Finding(f"adamw-lr: {group['lr']:g}", f"AdamW gets lr {group['lr']:g}, not learning_rate", fix)
        )
    if tuple(group["betas"]) != betas:
        b1, b2 = group["betas"]
        words = f"AdamW gets betas ({b1:g}, {b2:g}), not the betas argument"
        found.append(Finding(f"adamw-betas: ({b1:g}, {b2:g})", words, fix, evidence=evidence))
    if group["eps"] != eps:
        words = f"AdamW gets eps {group['eps']:g}, not the eps argument"
        found.append(Finding(f"adamw-eps: {group['eps']:g}", words, fix, evidence=evidence))
    return found + pipeline.optimizer_defaults(impl, model, passed_on=(tuple(group["betas"]) == betas,
                                                                      group["eps"] == eps))  # fmt: skip


def _split_hyperparameters(opt, model: torch.nn.Module, given: dict, evidence: str) -> list[Finding]:
    """A hyperparameter right in some of AdamW's groups and not in others (v35: lr written into the decay group only
    and not passed to AdamW, so the biases and gains train at AdamW's default 1e-3)."""
    names = {id(p): n for n, p in model.named_parameters()}
    found = []
    for key, want in given.items():
        got = [g[key] if key != "betas" else tuple(g[key]) for g in opt.param_groups]
        if all(v == want for v in got) or all(v != want for v in got):
            continue
        wrong = [(i, v) for i, v in enumerate(got) if v != want]
        i, v = wrong[0]
        held = ", ".join(names.get(id(p), "?") for p in opt.param_groups[i]["params"]) or "no tensors"
        arg = "learning_rate" if key == "lr" else key
        words = f"AdamW's group {i} ({held}) gets {key} {v}, not the {arg} argument {want}, which the other group has:"
        words += f" {key} is set in one group only and not passed to AdamW, whose default fills the rest"
        fix = f"AdamW(groups, {key}={arg}, ...): every group gets the argument"
        found.append(Finding(f"adamw-{key}: group {i} ({held}) at {v}", words, fix, evidence=evidence))
    return found


class _Tiny(torch.nn.Module):
    """A model with the contract's forward signature, small enough to take gradients by hand."""

    def __init__(self) -> None:
        super().__init__()
        g = _gen(61)
        self.wte = torch.nn.Parameter(torch.randn(8, 4, generator=g, dtype=torch.float64))
        self.head = torch.nn.Parameter(torch.randn(4, 8, generator=g, dtype=torch.float64))

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        logits = self.wte[idx] @ self.head
        loss = None if targets is None else F.cross_entropy(logits.view(-1, 8), targets.reshape(-1))
        return logits, loss


def _optimizer_steps(impl, batches: list) -> int:
    """How many times train_step calls optimizer.step on these micro-batches (the contract: once)."""
    model = _Tiny()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    calls, step = [0], opt.step

    def counted(*args, **kwargs):
        calls[0] += 1
        return step(*args, **kwargs)

    opt.step = counted
    with torch.enable_grad():
        impl.train_step(model, opt, batches, 1e9)
    return calls[0]


def _train_step(impl) -> list[Finding]:
    """One train_step on two micro-batches of different losses, with SGD at lr 1: the returned loss against the
    mean, the sum and the last micro-batch's; the update against the mean gradient, the sum, none."""
    batches = pipeline.micro_batches(62)
    model = _Tiny()
    start = [q.detach().clone() for q in model.parameters()]
    losses, grads = [], []
    with torch.enable_grad():
        for x, y in batches:
            loss = model(x, y)[1]
            losses.append(loss.detach())
            grads.append(torch.autograd.grad(loss, list(model.parameters())))
    mean = [(a + b) / 2 for a, b in zip(*grads, strict=True)]
    total = [a + b for a, b in zip(*grads, strict=True)]
    with torch.enable_grad():
        loss, _ = impl.train_step(model, torch.optim.SGD(model.parameters(), lr=1.0), batches, 1e9)
    step = [s0 - q.detach() for s0, q in zip(start, model.parameters(), strict=True)]

    def close(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
        return all(torch.allclose(u, v, rtol=1e-9, atol=1e-12) for u, v in zip(a, b, strict=True))

    loss = torch.as_tensor(loss).detach().double()
    as_mean, as_sum = (torch.allclose(loss, v, rtol=1e-9) for v in ((losses[0] + losses[1]) / 2, losses[0] + losses[1]))
    as_last = torch.allclose(loss, losses[1], rtol=1e-9)
    if as_mean and close(step, mean):
        return []
    evidence = "train_step measured on two micro-batches (SGD, lr 1)"
    fix = "divide each micro-batch's loss by their number before backward; return the mean of the losses"
    if [_optimizer_steps(impl, batches[:n]) for n in (1, 2)] == [1, 2] and _optimizer_steps(impl, batches * 2) == 4:
        words = "optimizer.step() runs once per micro-batch, inside the accumulation loop, not once per train_step"
        fix = "loop over the micro-batches doing backward only; then clip and call optimizer.step() once"
        return [Finding("train-step: optimizer step every micro-batch", words, fix,
                        evidence="optimizer.step calls counted with 1, 2 and 4 micro-batches")]  # fmt: skip
    if close(step, total) and as_sum:
        return [_known_or("accumulation-not-divided", "train-step: not divided", "loss and gradient summed", fix)]
    if close(step, mean) and as_sum:
        words = "the returned loss is the sum over the micro-batches, not their mean (the gradient is right)"
        return [Finding("train-step: loss summed", words, fix, evidence=evidence)]
    if close(step, mean) and as_last:
        return [_known_or("train-step-returns-last-loss", "train-step: last loss", "the last loss returned", fix)]
    for kind, value in (("last", losses[1] / 2), ("mean", (losses[0] + losses[1]) / 4)):  # a loss / n returned
        if close(step, mean) and torch.allclose(loss, value, rtol=1e-9):
            return [pipeline.reported_loss_over_n(impl, _Tiny(), kind, fix)]
    if all(v.abs().max() == 0 for v in step):
        if _optimizer_steps(impl, batches) == 0:
            return [_known_or("no-optimizer-step", "train-step: no step", "the weights do not change", fix)]
        # step() is called and moves nothing: the gradient it sees is zero (v16: zero_grad just before the step was
        # told "never called optimizer.step()")
        if float(loss) == 0 and float(losses[0]) != 0:  # a loss scaled to zero before backward (v27: 1 // n)
            words = (
                "optimizer.step() is called but the weights do not change, and the returned loss is 0: each "
                "micro-batch's loss is multiplied by 0 before backward (an integer share such as 1 // n?), so "
                "its gradient is zero"
            )
            fix = "loss = loss / n (a float division) before backward, for each of the n micro-batches"
            return [Finding("train-step: loss scaled to zero", words, fix, evidence=evidence)]
        words = "optimizer.step() is called but the weights do not change: the gradients are zeroed (or never set) "
        words += "between the backward passes and the step"
        fix = "zero_grad() before the micro-batch loop; backward, then clip, then optimizer.step(), nothing between"
        return [Finding("train-step: step sees no gradient", words, fix, evidence=evidence)]
    if any(close(step, [t * k for t in grads[1]]) for k in (0.5, 1.0)):
        words = "only the last micro-batch's gradient reaches the step: the gradients are zeroed inside the loop"
        fix = "optimizer.zero_grad() once before the micro-batch loop; backward accumulates into .grad"
        return [Finding("train-step: last micro-batch gradient", words, fix, evidence=evidence)]
    return []


def _autocast_keeps_weights(impl) -> list[Finding]:
    """A float32 model through one train_step with ``autocast_dtype=torch.bfloat16`` (where train_step takes it):
    autocast lowers the precision of the forward's ops and leaves the parameters float32 (v34: ``model.to(dtype)``
    in place of ``torch.autocast`` left the weights, and every later update, in bfloat16)."""
    if not takes_keyword(impl.train_step, "autocast_dtype"):
        return []
    model = _Tiny().float()
    with torch.enable_grad():
        impl.train_step(model, torch.optim.SGD(model.parameters(), lr=1e-3), pipeline.micro_batches(62), 1e9,
                        autocast_dtype=torch.bfloat16)  # fmt: skip
    dtypes = sorted({str(p.dtype).removeprefix("torch.") for p in model.parameters()} - {"float32"})
    if not dtypes:
        return []
    words = (f"with autocast_dtype=torch.bfloat16, train_step leaves the model's parameters in {', '.join(dtypes)} "
             "(they were float32): it casts the model instead of running the forward under autocast, so the weights "
             "and every update after it keep the low precision")  # fmt: skip
    fix = "leave the model's dtype alone: with torch.autocast(x.device.type, dtype=autocast_dtype): the forward"
    return [Finding("train-step: model cast for autocast", words, fix,
                    evidence="the parameters' dtypes after one step, measured")]  # fmt: skip


def _clipped_step(impl, max_norm: float) -> tuple[float, float, float]:
    """One train_step (SGD, lr 1) on a fresh model: (the mean gradient's norm, the step's norm, the norm returned)."""
    batches = pipeline.micro_batches(63)
    model = _Tiny()
    start = [q.detach().clone() for q in model.parameters()]
    with torch.enable_grad():
        losses = [model(x, y)[1] / 2 for x, y in batches]
        mean = torch.autograd.grad(sum(losses), list(model.parameters()))
        norm = float(torch.sqrt(sum(t.pow(2).sum() for t in mean)))
        _, returned = impl.train_step(model, torch.optim.SGD(model.parameters(), lr=1.0), batches, max_norm)
    step = [s0 - q.detach() for s0, q in zip(start, model.parameters(), strict=True)]
    return norm, float(torch.sqrt(sum(t.pow(2).sum() for t in step))), float(torch.as_tensor(returned))


def _clipping(impl) -> list[Finding]:
    """One train_step (SGD, lr 1) whose gradient norm is far above ``max_norm`` = 0.05: the step must be the
    mean gradient scaled to norm 0.05 and the returned norm the one before clipping. A clip to another fixed
    norm is confirmed with max_norm 0.1: "whatever max_norm is" must hold for a second max_norm."""
    max_norm = 0.05
    norm, step_norm, returned = _clipped_step(impl, max_norm)
    fix = "norm = clip_grad_norm_(model.parameters(), max_norm): it clips and returns the norm before clipping"
    evidence = f"train_step measured with a gradient of norm {norm:.3g} and max_norm {max_norm}"
    if step_norm == 0 and _steps_below(impl, 10 * norm, norm):  # no step at all, a whole one under max_norm
        words = (
            f"train_step makes no step when the gradient's norm ({norm:.3g}) exceeds max_norm ({max_norm}), and a "
            f"whole step when it is below (max_norm {10 * norm:.3g}): the step is skipped, not clipped"
        )
        fix = "clip, then always step: clip_grad_norm_(model.parameters(), max_norm); optimizer.step() (no if)"
        return [Finding("clip: step skipped above max_norm", words, fix, evidence=evidence + ", then above it")]
    if abs(step_norm - max_norm) > 1e-6 * max_norm and step_norm < norm * (1 - 1e-6):
        fitted = float(f"{step_norm:.3g}")
        words = f"the gradient is clipped to norm {fitted:g} whatever max_norm is (max_norm was {max_norm})"
        found = Finding(f"clip: max_norm {fitted:g}", words, fix, evidence=evidence)
        try:
            again = _clipped_step(impl, 0.1)[1]
        except Exception:  # a second step that cannot run confirms nothing
            again = math.nan
        if abs(again - step_norm) <= 1e-6 * step_norm:
            return [found]
        # not a fixed norm: say only what was measured (v23's judge read "whatever max_norm is" next to "changed
        # with max_norm" as false)
        words = (f"the clipped step has norm {fitted:g} where max_norm was {max_norm} (the gradient's norm before "
                 f"clipping: {norm:.3g})")  # fmt: skip
        return [unconfirmed(replace(found, text=words), "max_norm 0.1 (the step's norm changed with max_norm)")]
    if abs(step_norm - max_norm) <= 1e-6 * max_norm and abs(returned - max_norm) <= 1e-6 * max_norm:
        words = f"train_step returns the gradient norm after clipping ({returned:g} = max_norm), not before it"
        return [Finding("train-step: norm after clipping", words, fix, evidence=evidence)]
    return []


def _steps_below(impl, max_norm: float, norm: float) -> bool:
    """Whether train_step with a max_norm above the gradient's norm makes the whole, unclipped step."""
    try:
        return abs(_clipped_step(impl, max_norm)[1] - norm) <= 1e-6 * norm
    except Exception:
        return False


def _known_or(name: str, family: str, words: str, fix: str) -> Finding:
    """A measured family named by its known bug when the library has it (one bug, one name)."""
    from gpt2spec import bugs

    try:
        bug = bugs.by_name(name)
        return Finding(name, bug.why, bug.fix, evidence="measured")
    except KeyError:
        return Finding(family, words, fix, evidence="measured")


def _tokenizer(impl) -> list[Finding]:
    found = []
    tok = impl.Tokenizer()
    try:
        text = tok.decode([0xFF])
    except Exception:
        text = None
    if text == "":
        found.append(
            Finding(
                "decode-errors: ignore",
                "decode drops invalid UTF-8 instead of writing U+FFFD",
                'decode with errors="replace"',
                evidence="decode([0xff]) measured",
            )
        )
    if text == "\xff":
        words = "decode reads the bytes as Latin-1 (one character per byte), not UTF-8"
        fix = 'decode with .decode("utf-8", errors="replace")'
        found.append(Finding("decode-encoding: latin-1", words, fix, evidence="decode([0xff]) measured"))
    found += _tie_break(impl)
    found += _counts(impl)
    found += _stops_early(impl) + _round_trip(impl) + _specials_kept(impl) + pipeline.tokenizer(impl)
    if not found:  # no family fits: the first merge that differs from GPT-2's, on an ordinary text
        found += merges.first_wrong_merge(impl) or merges.specials_in_training(impl)
    base = {bytes([i]): i for i in range(256)}

    def encode(extra: dict[bytes, int], text: str) -> list[bytes]:
        t = impl.Tokenizer.from_ranks(base | extra)
        inverse = {i: b for b, i in (base | extra).items()}
        return [inverse[i] for i in t.encode_ordinary(text)]

    try:
        first = encode({b"bc": 256, b"ab": 257}, "abc")
        second = encode({b"ab": 256, b"bc": 257}, "abc")
        not_frequent = encode({b"xa": 256, b"ab": 257}, "xabab") == [b"xa", b"b", b"ab"]
    except Exception:
        return found
    fix = "merge the adjacent pair of lowest rank first, until no pair has a rank"
    order = None  # each order named only when it reproduces both crafted vocabularies (a merge that loses a part
    # of the pair fails the lowest-rank check too, and is neither order)
    if first == second == [b"ab", b"c"] and not_frequent:
        order = "leftmost", "encode merges the leftmost mergeable pair first, not the pair of lowest rank"
    elif first == [b"ab", b"c"] and second == [b"a", b"bc"]:
        order = "highest rank", "encode merges the pair of highest rank first, not the lowest"
    if order:
        found.append(Finding(f"encode-merge-order: {order[0]}", order[1], fix, evidence="3 crafted vocabularies"))
    return found


def _tie_break(impl) -> list[Finding]:
    """Training's tie-break, from one merge on texts whose pairs all occur once, fitted among the orders a
    participant writes: "zyab" then "abzy" merge (a, b) twice under the contract's smallest (left bytes, right
    bytes); the largest pair gives (z, y) twice; the pair seen first (z, y) then (a, b); the pair seen last
    (a, b) then (z, y); the smallest (right bytes, left bytes) (y, a) then (a, b)."""
    first = []
    for text in ("zyab", "abzy"):
        try:
            tok = impl.Tokenizer().train(text, 257, special_tokens=())
            first.append(next(p for p in (tok.decode([i]) for i in tok.encode_ordinary(text)) if len(p) == 2))
        except Exception:
            return []
    fix = "ties go to the smallest (left bytes, right bytes): entry = (-count, vocab[a], vocab[b])"
    evidence = "one merge trained on 'zyab' and on 'abzy'"
    if first == ["zy", "zy"]:
        return [_known_or("tie-break-largest-id", "tokenizer-tie-break: largest", "ties go to the largest", fix)]
    orders = {
        ("zy", "ab"): ("first seen", "the pair seen first in the text"),
        ("ab", "zy"): ("last seen", "the pair seen last in the text"),
        ("ya", "ab"): ("right bytes first", "the smallest (right bytes, left bytes): the right token compared first"),
    }
    if tuple(first) in orders:
        try:  # the premise: counts decide before the tie-break does ("zy" once, "ab" three times: "ab" first)
            tok = impl.Tokenizer().train("zyababab", 257, special_tokens=())
            if tok.decode([256]) != "ab":
                return []  # the most frequent pair is not merged first: not a tie-break (the counts probe looks)
        except Exception:
            return []
        name, words = orders[tuple(first)]
        words = f"count ties go to {words}, not the smallest (left bytes, right bytes)"
        return [Finding(f"tokenizer-tie-break: {name}", words, fix, evidence=evidence)]
    return []


def _stops_early(impl) -> list[Finding]:
    """Training on "abcdef" (every pair occurs once) with room for three merges: the contract merges until
    vocab_size is reached (count-1 pairs included), so "abcdef" encodes to three tokens."""
    try:
        tok = impl.Tokenizer().train("abcdef", 259, special_tokens=())
        n = len(tok.encode_ordinary("abcdef"))
    except Exception:
        return []
    try:
        learned = [tok.decode([i]) for i in range(256, 259)]  # what the three merges made, if any
    except Exception:
        learned = []
    if n != 6 or any(len(t) >= 2 for t in learned):  # merges were learned: encode, not training, misses them
        return []
    try:  # the premise: pairs that occur twice are merged (a training that merges nothing is another bug)
        twice = impl.Tokenizer().train("abab abab", 259, special_tokens=())
        if len(twice.encode_ordinary("abab")) == 4:
            words = "training learns no merge at all, even of a pair that occurs 4 times (vocab_size 259: room for 3)"
            return [Finding("tokenizer-training: no merges", words, kind=OBSERVED, evidence="trained on 'abab abab'")]
    except Exception:
        return []
    words = "training stops when the most frequent pair occurs only once; merge until vocab_size is reached"
    fix = "keep merging while a pair exists: a pair that occurs once is still merged"
    return [Finding("tokenizer: min count 2", words, fix, evidence="trained on 'abcdef' with room for 3 merges")]


def _round_trip(impl) -> list[Finding]:
    """decode(encode(text)) of a text with spaces and a newline at both ends gives the text back."""
    text = "  two words \n"
    try:
        tok = impl.Tokenizer()
        got = tok.decode(tok.encode_ordinary(text))
    except Exception:
        return []
    fix = "decode = b''.join(vocab[i] for i in ids).decode('utf-8', errors='replace'): nothing added or removed"
    for name, want in (("strips whitespace", text.strip()), ("strips leading whitespace", text.lstrip()),
                       ("strips trailing whitespace", text.rstrip())):  # fmt: skip
        if got == want != text:
            words = f"decode {name.replace('strips', 'removes')}: decode(encode(text)) must give text back"
            return [Finding(f"decode: {name}", words, fix, evidence=f"decode(encode({text!r})) = {got!r}")]
    return []


def _specials_kept(impl) -> list[Finding]:
    """from_ranks(ranks, pattern, special_tokens) keeps the special tokens it is given."""
    from gpt2spec.contract import GPT2_PATTERN

    base = {bytes([i]): i for i in range(256)}
    try:
        tok = impl.Tokenizer.from_ranks(base, GPT2_PATTERN, {"<|endoftext|>": 256})
        ids = tok.encode("<|endoftext|>", allowed_special="all")
    except Exception:
        ids = None
    if ids is None or ids == [256]:
        return []
    evidence = "from_ranks with one special token"
    if 256 in ids:  # the special was kept (its id is there): something else adds the rest
        words = f"'<|endoftext|>' alone encodes to {ids[:6]}: its id, and more ids besides"
        return [Finding("encode: special plus more", words, kind=OBSERVED, evidence=evidence)]
    try:
        kept = tok.decode([256]) == "<|endoftext|>"
    except Exception:
        kept = False
    if kept:  # the tokenizer has the special (decode knows it): encode is what loses it
        words = f"the tokenizer knows '<|endoftext|>' (id 256); encode with allowed_special='all' gives {ids[:6]}"
        return [Finding("encode: allowed special lost", words, kind=OBSERVED, evidence=evidence)]
    words = f"from_ranks drops the special tokens it is given: '<|endoftext|>' encodes to {ids[:4]}..., not [256]"
    fix = "from_ranks(ranks, pattern, special_tokens): keep special_tokens (load goes through it too)"
    return [Finding("from-ranks: specials dropped", words, fix, evidence=evidence)]


def _counts(impl) -> list[Finding]:
    """Training's pair counts, weighted by how often each pre-token occurs: in "zy1zy1zy1ab" (pre-tokens zy x3,
    1 x3, ab x1) (z, y) occurs 3 times; counted once per distinct pre-token it ties with (a, b), which then wins
    the tie-break (the smaller bytes). Confirmed on "zy1zy1zy1ab ab", where the three orders part: weighted
    counts merge (z, y) (3), unweighted ones (a, b) (in 2 distinct pre-tokens), the rarest pair first (' ', a)."""
    first = pipeline.first_merge(impl, "zy1zy1zy1ab")
    if first != "ab":
        return []
    words = "pair counts are not weighted by how often each pre-token occurs (each distinct pre-token counts once)"
    fix = "stats[pair] += freq of the pre-token, for every occurrence of the pair"
    found = Finding("tokenizer-counts: unweighted", words, fix, evidence="one merge trained on 'zy1zy1zy1ab'")
    if pipeline.first_merge(impl, "zy1zy1zy1ab ab") == "ab":
        return [found]
    return [unconfirmed(found, "a second text ('zy1zy1zy1ab ab': unweighted counts merge (a, b) first)")]


def _first(*parts: Callable) -> Callable[[object], list[Finding]]:
    """The findings of the first part that has any (a part that cannot run says nothing)."""

    def run(impl) -> list[Finding]:
        for part in parts:
            try:
                found = part(impl)
            except Exception:
                continue
            if found:
                return found
        return []

    return run


def _measured_first(*parts: Callable) -> Callable[[object], list[Finding]]:
    """The findings of the first part that measures something; facts (OBSERVED) wait for the parts after it (a
    generate whose logits differ from its forward's gets no sampling fit, and the KV-cache probes still run)."""

    def run(impl) -> list[Finding]:
        facts: list[Finding] = []
        for part in parts:
            try:
                found = part(impl)
            except Exception:
                continue
            if any(f.kind != OBSERVED for f in found):
                return found
            facts += found
        return facts

    return run


def _random_in_eval(component: str) -> Callable[[object], list[Finding]]:
    return lambda impl: structure.eval_randomness(impl, component)  # first: randomness confuses every fit


def _in_place(component: str) -> Callable[[object], list[Finding]]:
    return lambda impl: structure.writes_input(impl, component)  # first: a changed input confuses every fit


def _low_precision(component: str) -> Callable[[object], list[Finding]]:
    return lambda impl: structure.precision(impl, component)  # before the fits: rounding confuses every fit


def _shapes(within: str) -> Callable[[object], list[Finding]]:
    # first: a parameter of another shape than HF's cannot take its weights, so no fit below can run (v23: an MLP
    # 2 * n_embd wide said nothing)
    return lambda impl: structure.param_shapes(impl, within)


PROBES: dict[str, Callable] = {
    "attention": _first(
        _shapes(".attn."), _in_place("attention"), _random_in_eval("attention"), _low_precision("attention"), _attention
    ),
    "layernorm": _first(
        structure.layernorm_shapes,
        structure.layernorm_output,
        _in_place("layernorm"),
        _low_precision("layernorm"),
        _layernorm,
        fits.layernorm_init,
    ),
    "mlp": _first(_shapes(".mlp."), _in_place("mlp"), _random_in_eval("mlp"), _low_precision("mlp"), _mlp),
    "gpt": _first(structure.unregistered_blocks, _random_in_eval("gpt"), _low_precision("gpt"), _gpt),
    "block": _first(_shapes(".h."), _in_place("block"), _random_in_eval("block"), _low_precision("block"), _block),
    "config": structure.config_defaults,
    "generate": _measured_first(_generate, structure.generate_contract),
    "data": _data,
    "training": _training,
    "tokenizer": _tokenizer,
}
