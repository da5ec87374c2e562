"""Measure the error distribution of every numerical check in the model spec and write docs/TOLERANCES.md.

    python -m tools.measure_tolerances       # 50 seeds (components), 20 (tiny GPT), 3 (124M), 4 (sampling)
    python -m tools.measure_tolerances --seeds 2 --mid-seeds 1 --big-seeds 0 --tv-seeds 1 --out /tmp/T.md  # smoke

For each check it runs the same computation as the spec test (the spec's own helpers, seeds varied:
seed 0 is the spec's exact case) on the reference and on the independent implementations in
tests/impls, and records the worst error over all implementations and seeds. It then runs the
mutants that declare the check as a catcher (gpt2spec/known_bugs) and records the smallest error a bug
produces there (over seeds 0..2), so each tolerance is shown between the two: the noise of correct
code below it, the signal of the targeted bug above it.

"used" is max(|actual - expected| / (atol + rtol*|expected|)): 1.0 is exactly at the tolerance, so the
margin of correct code is 1/used and a bug is caught with a factor of `used` to spare.

Not a test (no test_ prefix): it takes a few minutes.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from gpt2spec.known_bugs import ALL as MUTANTS
from gpt2spec.registry import ROOT, Implementation, import_impl, resolve
from spec import oracles
from spec import test_attention as t_attn
from spec import test_block as t_block
from spec import test_layernorm as t_ln
from spec import test_mlp as t_mlp
from spec.strategies import AttentionShape
from spec.test_gpt import TOLERANCE as GPT_TOL
from tests.mutation import SECTION_SPECS

CORRECT = "reference,tests/impls/einsum_style,tests/impls/loop_style"


@dataclass
class Err:
    """Worst absolute error and worst fraction of the tolerance used, over any number of comparisons."""

    abs: float = 0.0
    used: float = 0.0
    note: str = ""

    def add(self, actual: torch.Tensor, expected: torch.Tensor, atol: float, rtol: float = 0.0) -> Err:
        a, e = actual.detach().double(), expected.detach().double()
        if a.shape != e.shape:
            self.used, self.note = math.inf, f"shape {tuple(a.shape)}"
            return self
        if not torch.isfinite(a).all():
            self.used, self.abs, self.note = math.inf, math.inf, "NaN/inf"
            return self
        diff = (a - e).abs()
        self.abs = max(self.abs, diff.max().item() if diff.numel() else 0.0)
        self.used = max(self.used, (diff / (atol + rtol * e.abs())).max().item() if diff.numel() else 0.0)
        return self

    def scalar(self, value: float, bound: float) -> Err:
        self.abs = max(self.abs, value)
        self.used = max(self.used, value / bound)
        return self


@dataclass
class Check:
    """One spec test's numerical comparison. ``run(impl, seed)`` returns an Err, or {part: Err} when the test
    compares several quantities with different bounds (one table row per part)."""

    name: str  # row label
    test: str  # spec module::function
    tolerance: str | dict[str, str]
    run: Callable[[Implementation, int], Err | dict[str, Err]]
    tier: str = "cheap"  # cheap | mid | big (124M: no mutants) | tv: how many seeds
    results: dict[str, dict[str, Err]] = field(default_factory=dict)  # part -> impl -> worst over seeds
    bug: dict[str, Err] = field(default_factory=dict)  # mutant -> smallest over seeds (worst over parts)
    seconds: float = 0.0

    @property
    def module(self) -> str:
        return "spec/" + self.test.split("::")[0]

    @property
    def function(self) -> str:
        return self.test.split("::")[1]

    def tolerances(self) -> dict[str, str]:
        return self.tolerance if isinstance(self.tolerance, dict) else {"": self.tolerance}


# ------------------------------------------------------------------ attention


def attn_parity(impl, s):
    err = Err()
    for shape in [(2, 9, 1, 16), (2, 9, 4, 8), (1, 24, 3, 5), (1, 6, 12, 64)]:
        shape = AttentionShape(*shape)
        ours, hf = t_attn.make_attention(impl, shape, seed=1 + 1000 * s)
        x = t_attn.x_of(shape, seed=2 + 1000 * s)
        with torch.no_grad():
            err.add(ours(x), oracles.run_hf_attention(hf, x), 1e-10)
    return err


def attn_gradients(impl, s):
    shape = AttentionShape(2, 8, 4, 8)
    ours, hf = t_attn.make_attention(impl, shape, seed=3 + 1000 * s)
    x = t_attn.x_of(shape, seed=4 + 1000 * s)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    w = torch.randn(x.shape, generator=torch.Generator().manual_seed(5 + 1000 * s), dtype=torch.float64)
    (ours(x1) * w).sum().backward()
    (oracles.run_hf_attention(hf, x2) * w).sum().backward()
    err = Err().add(x1.grad, x2.grad, 1e-10)
    hf_grads = {n: p.grad.t() if n.endswith("weight") else p.grad for n, p in hf.named_parameters()}
    for name, p in ours.named_parameters():
        if p.grad is None:
            return Err(math.inf, math.inf, f"{name} no grad")
        err.add(p.grad, hf_grads[name], 1e-10)
    return err


def _random_attention_shape(g: torch.Generator) -> AttentionShape:
    def pick(options):
        return options[int(torch.randint(len(options), (1,), generator=g))]

    return AttentionShape(pick([1, 2, 3]), pick(list(range(2, 25))), pick([1, 2, 3, 4]), pick([1, 2, 4, 8, 16]))


def attn_causality(impl, s):
    g = torch.Generator().manual_seed(s)
    err = Err()
    for _ in range(4):  # like Hypothesis: random shapes and cut points
        shape = _random_attention_shape(g)
        t = int(torch.randint(shape.T, (1,), generator=g))
        attn, _ = t_attn.make_attention(impl, shape, seed=s)
        x = t_attn.x_of(shape, s)
        perturbed = x.clone()
        perturbed[:, t + 1 :] += 3.0 * torch.randn(perturbed[:, t + 1 :].shape, generator=g, dtype=x.dtype)
        with torch.no_grad():
            err.add(attn(perturbed)[:, : t + 1], attn(x)[:, : t + 1], 1e-12)
    return err


def attn_batch(impl, s):
    shape = AttentionShape(3, 5, 2, 8)
    attn, _ = t_attn.make_attention(impl, shape, seed=8 + 1000 * s)
    x = t_attn.x_of(shape, 9 + 1000 * s)
    other = x.clone()
    other[1:] = torch.randn(other[1:].shape, generator=torch.Generator().manual_seed(s), dtype=x.dtype)
    with torch.no_grad():
        return Err().add(attn(other)[0], attn(x)[0], 1e-12)


# ------------------------------------------------------------------ LayerNorm


def ln_parity(impl, s):
    g = torch.Generator().manual_seed(10_000 + s)
    B, T, C = (int(torch.randint(lo, hi + 1, (1,), generator=g)) for lo, hi in ((1, 3), (1, 9), (2, 96)))
    scale = 10 ** (4 * torch.rand(1, generator=g).item() - 2)  # 1e-2 .. 1e2, like the strategy
    ln = t_ln.make_ln(impl, C, s)
    x = scale * torch.randn(B, T, C, generator=torch.Generator().manual_seed(s), dtype=torch.float64) + 3.0
    return Err().add(ln(x), t_ln.expected(ln, x), 1e-10, 1e-10)


def ln_eps(impl, s):
    ln = t_ln.make_ln(impl, 64, seed=1 + 1000 * s)
    x = 5.0 + 1e-3 * torch.randn(2, 3, 64, generator=torch.Generator().manual_seed(2 + 1000 * s), dtype=torch.float64)
    return Err().add(ln(x), t_ln.expected(ln, x), 1e-8)


def ln_large_mean(impl, s):
    ln = t_ln.make_ln(impl, 64, seed=9 + 1000 * s, dtype=torch.float32)
    means = torch.tensor([1e3, -3e3, 1e4, -1e4], dtype=torch.float64).view(4, 1, 1)
    g = torch.Generator().manual_seed(10 + 1000 * s)
    x = (means + torch.randn(4, 3, 64, generator=g, dtype=torch.float64)).float()
    w, b = ln.weight.detach().double(), ln.bias.detach().double()
    return Err().add(ln(x), F.layer_norm(x.double(), (64,), w, b, 1e-5).float(), 2e-2)


def ln_biased(impl, s):
    ln = t_ln.make_ln(impl, 4, seed=3 + 1000 * s)
    x = torch.randn(8, 4, generator=torch.Generator().manual_seed(4 + 1000 * s), dtype=torch.float64)
    return Err().add(ln(x), t_ln.expected(ln, x), 1e-10)


def ln_affine(impl, s):
    ln = impl.LayerNorm(6).double()
    with torch.no_grad():
        ln.weight.copy_(torch.arange(1.0, 7.0, dtype=torch.float64))
        ln.bias.copy_(torch.arange(-3.0, 3.0, dtype=torch.float64))
    x = torch.randn(5, 6, generator=torch.Generator().manual_seed(5 + 1000 * s), dtype=torch.float64)
    return Err().add(ln(x), t_ln.expected(ln, x), 1e-10)


def ln_gradients(impl, s):
    ln = t_ln.make_ln(impl, 16, seed=6 + 1000 * s)
    x = torch.randn(3, 5, 16, generator=torch.Generator().manual_seed(7 + 1000 * s), dtype=torch.float64)
    w = torch.randn(3, 5, 16, generator=torch.Generator().manual_seed(8 + 1000 * s), dtype=torch.float64)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    weight, bias = ln.weight.detach().clone().requires_grad_(), ln.bias.detach().clone().requires_grad_()
    (ln(x1) * w).sum().backward()
    (F.layer_norm(x2, (16,), weight, bias, 1e-5) * w).sum().backward()
    err = Err().add(x1.grad, x2.grad, 1e-10)
    return err.add(ln.weight.grad, weight.grad, 1e-10).add(ln.bias.grad, bias.grad, 1e-10)


# ------------------------------------------------------------------ MLP, Block


def mlp_parity(impl, s, scale=1.0, atol=1e-12, seeds=(1, 2)):
    ours, hf = t_mlp.make_mlp(impl, seed=seeds[0] + 1000 * s)
    g = torch.Generator().manual_seed(seeds[1] + 1000 * s)
    x = scale * torch.randn(2, 7, 32, generator=g, dtype=torch.float64)
    with torch.no_grad():
        return Err().add(ours(x), hf(x), atol)


def mlp_gelu(impl, s):
    return mlp_parity(impl, s, scale=60.0, atol=1e-9, seeds=(3, 4))


def block_parity(impl, s):
    ours, hf = t_block.make_block(impl, seed=1 + 1000 * s)
    x = t_block.x_of(2 + 1000 * s)
    with torch.no_grad():
        return Err().add(ours(x), oracles.run_hf_block(hf, x), 1e-10)


def block_identity(impl, s):
    ours, _ = t_block.make_block(impl, seed=3 + 1000 * s)
    with torch.no_grad():
        for proj in (ours.attn.c_proj, ours.mlp.c_proj):
            proj.weight.zero_()
            proj.bias.zero_()
        x = 4.0 * t_block.x_of(4 + 1000 * s) + 1.0
        return Err().add(ours(x), x, 1e-12)


def block_gradients(impl, s):
    ours, hf = t_block.make_block(impl, seed=5 + 1000 * s)
    x = t_block.x_of(6 + 1000 * s)
    w = torch.randn(x.shape, generator=torch.Generator().manual_seed(s), dtype=x.dtype)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    (ours(x1) * w).sum().backward()
    (oracles.run_hf_block(hf, x2) * w).sum().backward()
    err = Err().add(x1.grad, x2.grad, 1e-10)
    hf_grads = {n: p.grad for n, p in hf.named_parameters()}
    for name, p in ours.named_parameters():
        if p.grad is None:
            return Err(math.inf, math.inf, f"{name} no grad")
        want = hf_grads[name].t() if name.endswith(oracles.CONV1D_WEIGHTS) else hf_grads[name]
        err.add(p.grad, want, 1e-10)
    return err


# ------------------------------------------------------------------ GPT


def gpt_parity(shape_name: str, dtype: torch.dtype):
    """Logits+loss and gradients are checked with different bounds: one row each, computed in one run."""
    shape = oracles.TINY if shape_name == "tiny" else oracles.GPT2_SMALL

    def run(impl, s):
        logit_atol, grad_atol, grad_rtol = GPT_TOL[dtype]
        hf = oracles.hf_lm(shape, seed=1234 + s, dtype=dtype)
        ours = oracles.load_into(impl.GPT(impl.GPTConfig(**shape)).to(dtype).eval(), hf, what="GPT")
        g = torch.Generator().manual_seed(s)
        idx, targets = (torch.randint(0, shape["vocab_size"], (2, 16), generator=g) for _ in range(2))
        logits, loss = ours(idx, targets)
        want_logits = hf(idx).logits
        want_loss = F.cross_entropy(want_logits.flatten(0, 1), targets.flatten())
        parts = {"logits": Err().add(logits, want_logits, logit_atol).add(loss, want_loss, logit_atol)}
        loss.backward()
        want_loss.backward()
        hf_grads = {n: p.grad for n, p in hf.named_parameters()}
        parts["gradients"] = err = Err()
        for name, p in ours.named_parameters():
            if p.grad is None:
                err.used, err.note = math.inf, f"{name} no grad"
                break
            want = hf_grads[name].t() if name.endswith(oracles.CONV1D_WEIGHTS) else hf_grads[name]
            err.add(p.grad, want, grad_atol, grad_rtol)
        return parts

    return run


def gpt_from_hf(impl, s):
    hf = oracles.hf_lm(oracles.TINY, seed=1234 + s)
    state = dict(hf.state_dict())
    T = oracles.TINY["block_size"]
    for i in range(oracles.TINY["n_layer"]):
        state[f"transformer.h.{i}.attn.bias"] = torch.tril(torch.ones(T, T, dtype=torch.bool))[None, None]
        state[f"transformer.h.{i}.attn.masked_bias"] = torch.tensor(-1e4)
    model = impl.GPT.from_hf_state_dict(state, impl.GPTConfig(**oracles.TINY)).eval()
    idx = torch.randint(0, oracles.TINY["vocab_size"], (2, 16), generator=torch.Generator().manual_seed(s))
    with torch.no_grad():
        return Err().add(model(idx)[0], hf(idx).logits, 1e-4)


def generate_tv(impl, s):
    """Total variation between 40,000 samples and softmax(logits/T), worst over T in {1, 0.5, 2}; bound 0.04."""
    hf = oracles.hf_lm(oracles.TINY, seed=7, dtype=torch.float64)
    with torch.no_grad():
        hf.transformer.wte.weight.mul_(3.0)
    ours = oracles.load_into(impl.GPT(impl.GPTConfig(**oracles.TINY)).double().eval(), hf, what="GPT")
    idx = torch.randint(0, oracles.TINY["vocab_size"], (1, 2), generator=torch.Generator().manual_seed(4)).repeat(
        40_000, 1
    )
    err = Err()
    for temperature in (1.0, 0.5, 2.0):
        out = ours.generate(idx, 1, temperature=temperature, generator=torch.Generator().manual_seed(2 + 1000 * s))
        counts = torch.bincount(out[:, -1], minlength=oracles.TINY["vocab_size"]).double() / len(idx)
        with torch.no_grad():
            probs = F.softmax(hf(idx[:1]).logits[0, -1] / temperature, dim=-1)
        err.scalar(0.5 * (counts - probs).abs().sum().item(), 0.04)
    return err


def gpt_parity_checks(shape: str) -> list[Check]:
    return [
        Check(
            f"GPT {shape} {str(dtype).removeprefix('torch.').replace('float', 'fp')}",
            "test_gpt.py::test_parity_with_hf",
            {
                "logits": f"atol {GPT_TOL[dtype][0]:g}",
                "gradients": f"atol {GPT_TOL[dtype][1]:g} + rtol {GPT_TOL[dtype][2]:g}",
            },
            gpt_parity(shape, dtype),
            tier="big" if shape == "124M" else "mid",
        )
        for dtype in (torch.float32, torch.float64)
    ]


CHECKS = [
    Check("attention parity (4 shapes)", "test_attention.py::test_parity_with_hf", "atol 1e-10", attn_parity),
    Check("attention gradients", "test_attention.py::test_gradients_match_hf", "atol 1e-10", attn_gradients),
    Check("attention causality", "test_attention.py::test_causality", "atol 1e-12", attn_causality),
    Check(
        "attention batch independence", "test_attention.py::test_batch_elements_independent", "atol 1e-12", attn_batch
    ),
    Check("LayerNorm parity", "test_layernorm.py::test_parity_with_torch", "atol 1e-10 + rtol 1e-10", ln_parity),
    Check("LayerNorm eps", "test_layernorm.py::test_eps_inside_sqrt_on_small_variance", "atol 1e-8", ln_eps),
    Check(
        "LayerNorm float32, mean >> std",
        "test_layernorm.py::test_parity_in_float32_when_the_mean_dwarfs_the_spread",
        "atol 2e-2",
        ln_large_mean,
    ),
    Check("LayerNorm biased variance", "test_layernorm.py::test_biased_variance", "atol 1e-10", ln_biased),
    Check("LayerNorm weight and bias", "test_layernorm.py::test_weight_and_bias_applied", "atol 1e-10", ln_affine),
    Check("LayerNorm gradients", "test_layernorm.py::test_gradients", "atol 1e-10", ln_gradients),
    Check("MLP parity", "test_mlp.py::test_parity_with_hf", "atol 1e-12", mlp_parity),
    Check("MLP tanh GELU (x60)", "test_mlp.py::test_gelu_is_tanh_approximation", "atol 1e-9", mlp_gelu),
    Check("Block parity", "test_block.py::test_parity_with_hf", "atol 1e-10", block_parity),
    Check("Block identity", "test_block.py::test_identity_when_branches_are_silent", "atol 1e-12", block_identity),
    Check("Block gradients", "test_block.py::test_gradients_match_hf", "atol 1e-10", block_gradients),
    *gpt_parity_checks("tiny"),
    Check(
        "GPT from_hf_state_dict", "test_gpt.py::test_from_hf_state_dict", "atol 1e-4 (fp32)", gpt_from_hf, tier="mid"
    ),
    Check(
        "generate: sample distribution",
        "test_generate.py::test_samples_follow_softmax_over_temperature",
        "total variation 0.04",
        generate_tv,
        tier="tv",
    ),
    *gpt_parity_checks("124M"),
]


def _try(check: Check, impl, s: int) -> dict[str, Err]:
    torch.manual_seed(0)
    try:
        out = check.run(impl, s)
    except Exception as exc:  # a mutant may raise instead of giving a wrong value: the test fails too
        return {part: Err(math.inf, math.inf, f"raises {type(exc).__name__}") for part in check.tolerances()}
    return out if isinstance(out, dict) else {"": out}


def _worse(a: Err, b: Err) -> Err:
    top = a if a.used >= b.used else b
    return Err(max(a.abs, b.abs), top.used, top.note)


def measure(checks: list[Check], seeds: dict[str, int], mutant_seeds: int, out: Path, meta: dict) -> None:
    correct = [Implementation(r, import_impl(r)) for r in resolve(CORRECT)]
    tmp = Path(tempfile.mkdtemp(prefix="gpt2spec-mutants-"))
    mutants = {m.name: (m, Implementation(*_load(m.materialize(tmp)))) for m in MUTANTS}
    for check in checks:
        start = time.perf_counter()
        n = seeds[check.tier]
        for impl in correct:
            for s in range(n):
                for part, e in _try(check, impl, s).items():
                    per_impl = check.results.setdefault(part, {})
                    per_impl[impl.name] = _worse(per_impl.get(impl.name, Err()), e)
        if check.tier != "big":
            for name, (m, impl) in mutants.items():
                if check.function in m.catches and check.module in SECTION_SPECS[m.section]:
                    # the test fails when any part fails: a bug's error is its worst part, at its best seed
                    runs = [max(_try(check, impl, s).values(), key=lambda e: e.used) for s in range(mutant_seeds)]
                    check.bug[name] = min(runs, key=lambda e: e.used)
        check.seconds = time.perf_counter() - start
        print(f"{check.name:<36} {_summary(check)}  ({check.seconds:.0f}s, {n} seeds)", flush=True)
        write_markdown(checks, meta, out)  # after every check, so a long run leaves usable partial results


def _load(pkg: Path):
    ref = resolve(str(pkg))[0]
    return ref, import_impl(ref)


def _used(check: Check, part: str) -> float:
    return max(e.used for e in check.results[part].values())


def _summary(check: Check) -> str:
    margins = ", ".join(f"{p or 'margin'} {_ratio(_margin(_used(check, p)))}" for p in check.results)
    bug = min((e.used for e in check.bug.values()), default=None)
    return f"{margins}; bug {_ratio(bug)}"


def _margin(used: float) -> float:
    return 1 / used if used else math.inf


def _ratio(x: float | None) -> str:
    if x is None:
        return "-"
    if math.isinf(x):
        return "inf"
    return f"{x:.1e}x" if x >= 1e4 or x < 0.1 else f"{x:.1f}x"


def write_markdown(checks: list[Check], meta: dict, path: Path) -> None:
    done = [c for c in checks if c.results]
    impls = list(next(iter(done[0].results.values()))) if done else []
    seeds = meta["seeds"]
    lines = [
        "# Tolerances: measured, not guessed",
        "",
        "<!-- generated by `python -m tools.measure_tolerances`; hand-written notes go below the marker at the end -->",
        "",
        f"Measured on CPU, torch {torch.__version__}, {torch.get_num_threads()} threads. Each numerical check of the "
        f"model spec ran on the correct implementations ({', '.join(impls)}) over {seeds['cheap']} seeds "
        f"({seeds['mid']} for the tiny GPT and loading checks, {seeds['big']} for the 124M shape, {seeds['tv']} "
        "for the sampling check; seed 0 is the spec's own case, other seeds vary weights and inputs), and on every "
        f"mutant that declares the check as a catcher (seeds 0..{meta['mutant_seeds'] - 1}, its smallest error kept).",
        "",
        "- **observed**: worst absolute error over all correct implementations and seeds.",
        "- **margin**: tolerance / observed, computed as `1 / max(|diff| / (atol + rtol·|expected|))`: how far "
        "correct code stays below the bound. Flagged when < 10x.",
        "- **bug**: the smallest error a targeted mutant produces, in units of the tolerance (for a test that "
        "compares several quantities, the mutant's worst one: that is what fails the test); `raises ...` / "
        "`NaN/inf` mean the test fails by exception or on non-finite output. Flagged when < 10x.",
        "",
        "| check | spec test | tolerance | observed (abs) | margin | bug (x tolerance), weakest mutant | flag | s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in done:
        bug_text, bug_used = "-", None
        if c.bug:
            weakest = min(c.bug, key=lambda n: c.bug[n].used)
            e = c.bug[weakest]
            bug_used = e.used
            bug_text = f"{e.note or _ratio(e.used)} ({weakest}; {len(c.bug)} mutants)"
        elif c.tier == "big":
            bug_text = "not run at 124M (the tiny rows run the same mutants)"
        for part, tol in c.tolerances().items():
            if part not in c.results:
                continue
            observed = max(e.abs for e in c.results[part].values())
            margin = _margin(_used(c, part))
            flags = (["**margin < 10x**"] if margin < 10 else []) + (
                ["**bug < 10x**"] if bug_used is not None and bug_used < 10 else []
            )
            name = f"{c.name} {part}".strip()
            lines.append(
                f"| {name} | `{c.test}` | {tol} | {observed:.2e} | {_ratio(margin)} | {bug_text} | "
                f"{' '.join(flags)} | {c.seconds:.0f} |"
            )
    lines += ["", "Per implementation, the worst fraction of the tolerance used (1/margin):", ""]
    lines.append("| check | " + " | ".join(impls) + " |")
    lines.append("|---|" + "---|" * len(impls))
    for c in done:
        for part, per_impl in c.results.items():
            name = f"{c.name} {part}".strip()
            lines.append(f"| {name} | " + " | ".join(f"{per_impl[i].used:.2e}" for i in impls) + " |")
    path.parent.mkdir(parents=True, exist_ok=True)
    marker = "<!-- measured table ends -->"
    old = path.read_text() if path.is_file() else ""
    tail = old.split(marker, 1)[1] if marker in old else "\n"
    path.write_text("\n".join(lines) + f"\n\n{marker}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=50, help="seeds for the component checks")
    parser.add_argument("--mid-seeds", type=int, default=20, help="seeds for the tiny-GPT and loading checks")
    parser.add_argument("--big-seeds", type=int, default=3, help="seeds for the 124M checks")
    parser.add_argument("--tv-seeds", type=int, default=4, help="seeds for the sampling check (40,000 draws each)")
    parser.add_argument("--mutant-seeds", type=int, default=3)
    parser.add_argument("--only", default="", help="substring of the check names to run")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "TOLERANCES.md")
    args = parser.parse_args()
    seeds = {"cheap": args.seeds, "mid": args.mid_seeds, "big": args.big_seeds, "tv": args.tv_seeds}
    checks = [c for c in CHECKS if args.only in c.name]
    measure(checks, seeds, args.mutant_seeds, args.out, {"seeds": seeds, "mutant_seeds": args.mutant_seeds})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
