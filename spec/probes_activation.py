"""The MLP's activation fitted as a member of a family, when it is no activation spec/probes.py lists.

Participants write GELU by hand, and a hand-written GELU goes wrong in its constants: the cube written as a
square, 0.044715 as 0.44715, sqrt(2/pi) as 2/pi, the 0.5 dropped. Listing each slip names only the ones someone
listed; fitting the formula's constants names any of them. Each family is linearised (atanh, erfinv or the logit
of a / (alpha x) - 1 is linear in the constants), solved by least squares on the measured curve, and kept only when
the fitted formula reproduces every measured point to round-off (spec/variants.same).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from gpt2spec.verdicts import Finding

from .variants import same

FIX = 'F.gelu(self.c_fc(x), approximate="tanh"): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))'
EVIDENCE = "the activation measured with identity projections, its constants fitted"

# GPT-2's tanh GELU: alpha x (1 + tanh(beta (x + gamma x^power)))
_GPT2 = dict(alpha=0.5, beta=math.sqrt(2 / math.pi), gamma=0.044715, power=3)
# constants a hand-written formula is likely to hold, by name (a fitted number near one is said with its name)
_NAMED = {
    "sqrt(2/pi)": math.sqrt(2 / math.pi),
    "2/pi": 2 / math.pi,
    "sqrt(pi/2)": math.sqrt(math.pi / 2),
    "sqrt(2pi)": math.sqrt(2 * math.pi),
    "1/sqrt(2pi)": 1 / math.sqrt(2 * math.pi),
    "sqrt(2)": math.sqrt(2),
    "1/sqrt(2)": 1 / math.sqrt(2),
    "pi/2": math.pi / 2,
    "2": 2.0,
    "1": 1.0,
    "0.5": 0.5,
}


def fit(h: torch.Tensor, act: torch.Tensor) -> Finding | None:
    """The first family whose fitted constants reproduce ``act`` (the activation of ``h``), named by what differs
    from GPT-2's tanh GELU; None when none does."""
    for family in (_tanh_form, _erf_form, _sigmoid_form, _relu_power):
        try:
            found = family(h, act)
        except (RuntimeError, ValueError, ZeroDivisionError):  # a degenerate fit (e.g. too few usable points)
            continue
        if found:
            return found
    return None


def _say(value: float) -> str:
    """A fitted constant in words: its name when it is one of the usual ones, else 4 significant digits."""
    for name, v in _NAMED.items():
        if math.isclose(value, v, rel_tol=1e-4):
            return f"{name} = {v:.4g}" if name not in ("1", "2", "0.5") else name
    return f"{value:.4g}"


def _rounded(value: float) -> list[float]:
    """The fitted value, then the same rounded to 4 and 3 significant digits (a hand-typed constant is short)."""
    return list(dict.fromkeys([value, float(f"{value:.4g}"), float(f"{value:.3g}")]))


def _solve(columns: list[torch.Tensor], target: torch.Tensor) -> list[float]:
    a = torch.stack(columns, dim=1)
    solution = torch.linalg.lstsq(a, target[:, None]).solution[:, 0]
    return [float(s) for s in solution]


def _usable(h: torch.Tensor, act: torch.Tensor, alpha: float, front: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The points where act / (alpha x^front) - 1 is finite and well inside (-1, 1), flattened: (x, t)."""
    x, a = h.flatten(), act.flatten()
    keep = x.abs() > 1e-3
    t = a[keep] / (alpha * x[keep].pow(front)) - 1
    ok = t.abs() < 0.98
    return x[keep][ok], t[ok]


def _first_reproducing(candidates: list[dict], fn: Callable[..., torch.Tensor], h, act) -> dict | None:
    for c in candidates:
        if same(act, fn(h, **c)):
            return c
    return None


def _tanh(h: torch.Tensor, alpha: float, beta: float, gamma: float, power: int, front: int = 1) -> torch.Tensor:
    return alpha * h.pow(front) * (1 + torch.tanh(beta * (h + gamma * h.pow(power))))


# what multiplies (1 + tanh(...)): GPT-2's x, or a formula that lost it (1) or multiplies by x once more (x^2)
_FRONTS = (1, 0, 2)


def _tanh_form(h: torch.Tensor, act: torch.Tensor) -> Finding | None:
    """alpha x (1 + tanh(beta (x + gamma x^p))): atanh(a / (alpha x) - 1) = beta x + beta gamma x^p."""
    for front in _FRONTS:
        for alpha in (0.5, 1.0):
            found = _tanh_fitted(h, act, alpha, front)
            if found:
                return found
    return None


def _tanh_fitted(h: torch.Tensor, act: torch.Tensor, alpha: float, front: int) -> Finding | None:
    x, t = _usable(h, act, alpha, front)
    if x.numel() < 8:
        return None
    u = torch.atanh(t)
    for power in (3, 2, 4, 5):
        beta, bg = _solve([x, x.pow(power)], u)
        if abs(beta) < 1e-6:
            continue
        gamma = bg / beta
        tried = [dict(alpha=alpha, beta=b, gamma=g, power=power, front=front)
                 for b in _rounded(beta) for g in _rounded(gamma)]  # fmt: skip
        got = _first_reproducing(tried, _tanh, h, act)
        if got and not _is_gpt2(got):
            return _tanh_finding(got)
    return None


def _is_gpt2(c: dict) -> bool:
    return c["front"] == 1 and all(math.isclose(c[k], _GPT2[k], rel_tol=1e-4) for k in _GPT2)


def _tanh_finding(c: dict) -> Finding:
    differences = []  # (in the tag, in words)
    if c["power"] != _GPT2["power"]:
        differences.append((f"x^{c['power']} for x^3", f"x^{c['power']} in place of x^3"))
    if not math.isclose(c["gamma"], _GPT2["gamma"], rel_tol=1e-4):
        said = _say(c["gamma"])
        differences.append((f"{said} for 0.044715", f"the cubic term's coefficient {said} in place of 0.044715"))
    if not math.isclose(c["beta"], _GPT2["beta"], rel_tol=1e-4):
        said = _say(c["beta"])
        differences.append((f"{said} for sqrt(2/pi)", f"tanh's factor {said} in place of sqrt(2/pi) = 0.7979"))
    if c["alpha"] != _GPT2["alpha"]:
        differences.append(("no 0.5", "no 0.5 in front (x (1 + tanh(...)), twice GELU)"))
    if c["front"] == 0:
        differences.append(("no x in front", "no x in front: 0.5 (1 + tanh(...)) is the gate alone, never times x"))
    if c["front"] == 2:
        differences.append(("x * gelu(x)", "x multiplied in once more: x^2 in front, x * gelu(x)"))
    tag = ", ".join(short for short, _ in differences)
    words = "; ".join(long for _, long in differences)
    words = f"your activation is the tanh GELU written with {words}: every other constant is GPT-2's"
    return Finding(f"gelu-formula: {tag}", words, FIX, evidence=EVIDENCE)


def _erf(h: torch.Tensor, alpha: float, scale: float) -> torch.Tensor:
    return alpha * h * (1 + torch.erf(h / scale))


def _erf_form(h: torch.Tensor, act: torch.Tensor) -> Finding | None:
    """alpha x (1 + erf(x / s)): erfinv(a / (alpha x) - 1) = x / s. GPT-2's exact GELU has s = sqrt(2)."""
    for alpha in (0.5, 1.0):
        x, t = _usable(h, act, alpha, 1)
        if x.numel() < 8:
            continue
        (inv,) = _solve([x], torch.erfinv(t))
        if abs(inv) < 1e-6:
            continue
        tried = [dict(alpha=alpha, scale=s) for s in _rounded(1 / inv)]
        got = _first_reproducing(tried, _erf, h, act)
        if not got:
            continue
        if math.isclose(got["scale"], math.sqrt(2), rel_tol=1e-4) and alpha == 0.5:
            return None  # the exact GELU: spec/probes.py's catalogue names it
        differences = []
        if not math.isclose(got["scale"], math.sqrt(2), rel_tol=1e-4):
            differences.append(f"erf(x / {_say(got['scale'])}) in place of erf(x / sqrt(2))")
        if alpha != 0.5:
            differences.append("no 0.5 in front")
        said = "; ".join(differences)
        words = f"your activation is the erf GELU written with {said} (GPT-2 uses the tanh approximation)"
        return Finding(f"gelu-formula: erf form, {said}", words, FIX, evidence=EVIDENCE)
    return None


def _sigmoid(h: torch.Tensor, k: float) -> torch.Tensor:
    return h * torch.sigmoid(k * h)


def _sigmoid_form(h: torch.Tensor, act: torch.Tensor) -> Finding | None:
    """x sigmoid(k x): logit(a / x) = k x. k = 1 is SiLU, k = 1.702 the sigmoid GELU (both listed already)."""
    x, a = h.flatten(), act.flatten()
    keep = x.abs() > 1e-3
    r = a[keep] / x[keep]
    ok = (r > 0.01) & (r < 0.99)
    if int(ok.sum()) < 8:
        return None
    (k,) = _solve([x[keep][ok]], torch.logit(r[ok]))
    got = _first_reproducing([dict(k=v) for v in _rounded(k)], _sigmoid, h, act)
    if not got or any(math.isclose(got["k"], listed, rel_tol=1e-3) for listed in (1.0, 1.702)):
        return None
    words = f"your activation is x * sigmoid({_say(got['k'])} x): a sigmoid GELU uses 1.702, GPT-2 the tanh GELU"
    return Finding(f"gelu-formula: x sigmoid({got['k']:.4g} x)", words, FIX, evidence=EVIDENCE)


def _relu_power(h: torch.Tensor, act: torch.Tensor) -> Finding | None:
    """relu(x)^p (zero for x < 0, x^p above): p from log a / log x on the positive side."""
    x, a = h.flatten(), act.flatten()
    if not torch.all(a[x < 0] == 0):
        return None
    pos = (x > 1.2) & (a > 0)
    if int(pos.sum()) < 8:
        return None
    (p,) = _solve([x[pos].log()], a[pos].log())
    for power in dict.fromkeys([round(p), *_rounded(p)]):
        if power != 1 and same(act, torch.relu(h).pow(power)):
            name = "squared ReLU, relu(x)^2" if power == 2 else f"relu(x)^{power:g}"
            words = f"your activation is the {name}: zero below 0 and x^{power:g} above, not GPT-2's tanh GELU"
            return Finding(f"gelu-formula: relu(x)^{power:g}", words, FIX, evidence=EVIDENCE)
    return None
