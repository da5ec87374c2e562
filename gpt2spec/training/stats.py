"""Is one entry's mean really lower than another's? Welch's t-test over seeds, with no dependency.

The open race ranks entries by mean held-out bits/byte over seeds; two entries share a rank unless
Welch's two-sided t-test gives p < 0.01 (modded-nanogpt asks the same p before it accepts a record).
With scipy installed the p-value is scipy's; without it the same formula runs here (the t distribution's
CDF through the regularized incomplete beta function, by its continued fraction).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

ALPHA = 0.01


def mean_std(xs: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one value)."""
    m = sum(xs) / len(xs)
    if len(xs) < 2:
        return m, 0.0
    return m, math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def welch_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided p-value of Welch's t-test that ``a`` and ``b`` have the same mean (1.0 when undefined)."""
    if len(a) < 2 or len(b) < 2:
        return 1.0
    (ma, sa), (mb, sb) = mean_std(a), mean_std(b)
    va, vb = sa**2 / len(a), sb**2 / len(b)
    if va + vb == 0:
        return 1.0 if ma == mb else 0.0
    t = (ma - mb) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    try:
        from scipy import stats

        return float(2 * stats.t.sf(abs(t), df))
    except ImportError:
        return t_two_sided_p(t, df)


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` degrees of freedom: I_{df/(df+t^2)}(df/2, 1/2)."""
    return _betainc(df / 2, 0.5, df / (df + t * t))


def _betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b) (Numerical Recipes' continued fraction, Lentz)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x > (a + 1) / (a + b + 2):  # the fraction converges fast only below this point: use the symmetry
        return 1.0 - _betainc(b, a, 1.0 - x)
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return math.exp(log_front) * h / a


def shared_ranks(entries: list[tuple[str, list[float]]], alpha: float = ALPHA) -> dict[str, int]:
    """Ranks for entries sorted by mean (lower is better). An entry opens a new rank only when it is
    significantly worse (p < alpha) than the first entry of the current rank; otherwise it shares it."""
    order = sorted(entries, key=lambda e: (mean_std(e[1])[0], e[0]))
    ranks: dict[str, int] = {}
    leader: list[float] | None = None
    rank = 0
    for i, (name, xs) in enumerate(order, 1):
        if leader is None or welch_p(leader, xs) < alpha:
            rank, leader = i, xs
        ranks[name] = rank
    return ranks
