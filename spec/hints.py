"""Hints that follow the symptom, not the test, recorded for the one Diagnosis section.

One bug usually fails several tests. Each test's own fixed hint then guesses at a different cause, and
a test further down the chain (generate, loading HF weights, training) blames its own clause for a bug
in the forward pass. Two remedies, used by the spec tests; both *record* what they find in
gpt2spec/verdicts.py, and the failure's Diagnosis section (written once, by gpt2spec/fingerprint.py)
says it, so no test message carries a second verdict:

- ``symptom(actual, variants, x)``: the known bug (spec/variants.py, keyed by gpt2spec/known_bugs' names)
  that reproduces the failing output, the same in every test that bug fails; the test's own hint stays
  in the message only when no known bug fits.
- ``@needs("gpt")`` on a test: when it fails, first run the prerequisite components' own parity
  checks (tiny cases, once per implementation and component, cached) and, if one fails, say so
  first: "your attention already fails its own parity check ...; fix that first". No dependence on
  test order: the check runs here, when needed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
import torch.nn.functional as F

from gpt2spec import bugs, contract, verdicts

from . import variants
from .oracles import (
    CONV1D_WEIGHTS,
    TINY,
    hf_attention,
    hf_block,
    hf_lm,
    hf_mlp,
    load_into,
    run_hf_block,
    to_contract_names,
)

# component -> the components it is built from, checked first (data-flow order: the contract's table)
DEPENDS = {name: tuple(p for p in contract.SECTIONS if p in contract.prerequisites(name)) for name in contract.SECTIONS}
SPEC_FILE = {name: contract.spec_path(s.spec[0]) for name, s in contract.SECTIONS.items()}
SMALL = dict(block_size=16, vocab_size=64, n_layer=1, n_head=4, n_embd=32)
SEE_DIAGNOSIS = "see the Diagnosis below"
_verdicts: dict[tuple[str, str], tuple[str | None, list[verdicts.Finding]]] = {}


def known(name: str, evidence: str = "reproduces your output to round-off") -> verdicts.Finding:
    """A known bug as a finding, in its own words and with its own fix (gpt2spec/known_bugs)."""
    bug = bugs.by_name(name)
    return verdicts.Finding(name, bug.why, bug.fix, verdicts.REPRODUCED, evidence)


def symptom(actual: torch.Tensor, candidates: dict[str, variants.Fn], x: torch.Tensor, otherwise: str = "") -> str:
    """Record the known bug(s) that reproduce ``actual`` from ``x`` and point to the Diagnosis; ``otherwise``
    (the test's own hint) when none does."""
    hits = _hits(actual, candidates, x)
    for finding in hits:
        verdicts.record(finding)
    return SEE_DIAGNOSIS if hits else otherwise


def _hits(actual: torch.Tensor, candidates: dict[str, variants.Fn], x: torch.Tensor) -> list[verdicts.Finding]:
    try:
        return [known(name) for name in variants.matches(actual.detach(), candidates, x)]
    except Exception:
        return []


def layernorm_symptom(actual: torch.Tensor, x: torch.Tensor, weight, bias, otherwise: str = "") -> str:
    return symptom(actual, variants.layernorm(weight.detach(), bias.detach()), x, otherwise)


def attention_symptom(actual: torch.Tensor, hf_attn, x: torch.Tensor, n_head: int, otherwise: str = "") -> str:
    return symptom(actual, variants.attention(hf_attn, n_head), x, otherwise)


# ---------------------------------------------------------------- prerequisites


def needs(*components: str) -> Callable:
    """Decorate a spec test (first argument ``impl``): when it fails, name the first prerequisite component
    that fails its own parity check before the test's own message (and record it for the Diagnosis)."""

    def decorate(test: Callable) -> Callable:
        @functools.wraps(test)
        def wrapper(impl, *args, **kwargs):
            __tracebackhide__ = True
            try:
                return test(impl, *args, **kwargs)
            except AssertionError as exc:
                note = prerequisite_note(impl, components)
                if note is None:
                    raise
                raise AssertionError(f"{note}\n\n(this test's own check:) {exc}") from exc
            except NotImplementedError:  # a blank of the template: reported as such, not as a failure
                raise
            except Exception as exc:  # a crash inside a broken prerequisite (a shape error in attention) too
                note = prerequisite_note(impl, components)
                if note is not None:
                    exc.add_note(note)
                raise

        return wrapper

    return decorate


def prerequisite_note(impl, components: tuple[str, ...]) -> str | None:
    order = [c for c in DEPENDS if any(c == d or c in DEPENDS[d] for d in components) and c in _CHECKS]
    for component in order:
        verdict = own_check(impl, component)
        if verdict is not None:
            verdicts.prerequisite(
                f"your {component} already fails its own parity check ({verdict}): this test builds on it "
                f"({SPEC_FILE[component]})",
                component,
            )
            return (
                f"Your {component} already fails its own parity check; fix that first ({SPEC_FILE[component]}): "
                "this test builds on it, so its own hint below may not apply. The Diagnosis below is about it."
            )
    return None


def own_check(impl, component: str) -> str | None:
    """None if ``component`` of ``impl`` matches HF's on a tiny fp64 case, else what is wrong (and its known
    bug, if one reproduces it, recorded for the Diagnosis). Cached per implementation and component."""
    key = (impl.name, component)
    if key not in _verdicts:
        try:
            with torch.no_grad():
                pending = verdicts.take()  # this check's findings, kept apart from the test's own
                try:
                    verdict = _CHECKS[component](impl)
                finally:
                    found = verdicts.take().findings
                    verdicts.restore(pending)
            _verdicts[key] = (verdict, found if verdict else [])
        except NotImplementedError:
            _verdicts[key] = (None, [])  # a blank is reported as "not implemented", not as a failed prerequisite
        except Exception as exc:
            _verdicts[key] = (f"it raised {type(exc).__name__}: {str(exc)[:200]}", [])
    verdict, found = _verdicts[key]
    for finding in found:
        verdicts.record(finding)
    return verdict


def _verdict(actual: torch.Tensor, expected: torch.Tensor, _recorded: str) -> str | None:
    """What is wrong, in one clause (``_recorded``: the symptom call, which recorded any known bug)."""
    if variants.same(actual, expected):
        return None
    diff = (actual.double() - expected.double()).abs().nan_to_num(nan=float("inf")).max().item()
    return f"max abs diff {diff:.2e} on a tiny fp64 case"


def _x(C: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(2, 9, C, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _check_attention(impl) -> str | None:
    hf = hf_attention(SMALL, seed=0)
    ours = load_into(impl.CausalSelfAttention(impl.GPTConfig(**SMALL)).double().eval(), hf, what="attention")
    x = _x(SMALL["n_embd"])
    y = ours(x)
    return _verdict(y, variants.hf_attention_fn(hf)(x), attention_symptom(y, hf, x, SMALL["n_head"]))


def _check_layernorm(impl) -> str | None:
    C = SMALL["n_embd"]
    ln = impl.LayerNorm(C).double()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        ln.weight.copy_(1.0 + 0.5 * torch.randn(C, generator=g, dtype=torch.float64))
        ln.bias.copy_(0.5 * torch.randn(C, generator=g, dtype=torch.float64))
    x = 3.0 + _x(C, seed=2)
    y = ln(x)
    want = F.layer_norm(x, (C,), ln.weight, ln.bias, variants.EPS)
    return _verdict(y, want, layernorm_symptom(y, x, ln.weight, ln.bias))


def _check_mlp(impl) -> str | None:
    hf = hf_mlp(SMALL, seed=3)
    ours = load_into(impl.MLP(impl.GPTConfig(**SMALL)).double().eval(), hf, what="MLP")
    x = _x(SMALL["n_embd"], seed=4)
    y = ours(x)
    return _verdict(y, hf(x), symptom(y, variants.mlp(hf), x))


def _check_block(impl) -> str | None:
    hf = hf_block(SMALL, seed=5)
    ours = load_into(impl.Block(impl.GPTConfig(**SMALL)).double().eval(), hf, what="Block")
    x = _x(SMALL["n_embd"], seed=6)
    y = ours(x)
    want = run_hf_block(hf, x)
    return _verdict(y, want, symptom(y, variants.block(hf, SMALL["n_head"]), x))


def _check_gpt(impl) -> str | None:
    hf = hf_lm(TINY, seed=8, dtype=torch.float64)
    ours = load_into(impl.GPT(impl.GPTConfig(**TINY)).double().eval(), hf, what="GPT")
    idx = torch.randint(0, TINY["vocab_size"], (2, 12), generator=torch.Generator().manual_seed(9))
    return _verdict(ours(idx)[0], hf(idx).logits, "")


_CHECKS = {
    "attention": _check_attention,
    "layernorm": _check_layernorm,
    "mlp": _check_mlp,
    "block": _check_block,
    "gpt": _check_gpt,
}


# ---------------------------------------------------------------- loading HF weights


def loaded_weights_report(model: torch.nn.Module, hf_state: dict[str, torch.Tensor]) -> list[str]:
    """Which parameters of a model built by from_hf_state_dict differ from the HF state dict it was given,
    naming a Conv1D weight that was loaded untransposed; empty when every parameter equals HF's."""
    want = to_contract_names(hf_state)
    if not any(k.startswith("transformer.") for k in want):  # a GPT2Model state dict
        want = {(k if k.startswith("lm_head.") else f"transformer.{k}"): v for k, v in want.items()}
    if "lm_head.weight" not in want and "transformer.wte.weight" in want:
        want["lm_head.weight"] = want["transformer.wte.weight"]
    lines = []
    for name, p in model.named_parameters(remove_duplicate=False):
        expected = want.get(name)
        if expected is None:
            lines.append(f"{name}: not in HF's state dict (a name outside the contract?)")
        elif tuple(p.shape) == tuple(expected.shape) and torch.equal(p.detach().to(expected.dtype), expected):
            continue
        elif name.endswith(CONV1D_WEIGHTS) and _equal(p.detach().to(expected.dtype), expected.t()):
            lines.append(f"{name}: loaded untransposed: HF's Conv1D stores (in, out), transpose it to (out, in)")
        elif tuple(p.shape) != tuple(expected.shape):
            lines.append(f"{name}: shape {tuple(p.shape)}, HF's (in the contract's layout) {tuple(expected.shape)}")
        else:
            diff = (p.detach().double() - expected.double()).abs().max().item()
            lines.append(f"{name}: differs from HF's {name} (max abs diff {diff:.3g}): not loaded?")
    return lines


def _equal(a: torch.Tensor, b: torch.Tensor) -> bool:
    return tuple(a.shape) == tuple(b.shape) and torch.equal(a, b)
