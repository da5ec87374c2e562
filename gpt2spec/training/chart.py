"""One SVG line chart (no dependency): the report card's and the race's curves, titled, both axes
labelled, ticks at round numbers (1, 2 or 5 x 10^k) and token counts written 0, 20k, 40k, 1.5M."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
DASHES = ["", "14 7", "4 5", "18 5 4 5", "2 3", "10 3 2 3"]
Series = tuple[str, Sequence[tuple[float, float]]]  # (legend label, [(x, y), ...])


def nice_ticks(lo: float, hi: float, n: int = 6) -> list[float]:
    """Round ticks covering [lo, hi]: a step of 1, 2 or 5 x 10^k giving about ``n`` of them."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        hi = lo + 1.0 if math.isfinite(lo) else 1.0
        lo = hi - 1.0
    raw = (hi - lo) / max(1, n - 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    ticks, t = [], first
    while t < hi + step * 0.999:
        ticks.append(round(t, 12))
        t += step
    return ticks


def fmt_tokens(x: float) -> str:
    """12000 -> '12k', 1500000 -> '1.5M'."""
    for div, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:g}{unit}"
    return f"{x:g}"


def fmt_value(x: float, ticks: list[float]) -> str:
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    decimals = max(0, -math.floor(math.log10(step))) if step > 0 else 2
    return f"{x:.{decimals}f}"


def line_chart(
    series: list[Series],
    title: str,
    xlabel: str,
    ylabel: str,
    width: int = 900,
    height: int = 480,
    markers: bool = True,
) -> str:
    """An SVG chart of every series (same axes), with a legend to the right."""
    left, right, top, bottom = 90, 230, 50, 70
    pw, ph = width - left - right, height - top - bottom
    points = [(x, y) for _, c in series for x, y in c if math.isfinite(y)]
    xs, ys = [x for x, _ in points] or [0.0, 1.0], [y for _, y in points] or [0.0, 1.0]
    xt = nice_ticks(0.0, max(xs) or 1.0)
    yt = nice_ticks(min(ys), max(ys))
    x_lo, x_hi, y_lo, y_hi = xt[0], xt[-1], yt[0], yt[-1]

    def sx(x: float) -> float:
        return left + pw * (x - x_lo) / (x_hi - x_lo)

    def sy(y: float) -> float:
        return top + ph * (y_hi - min(max(y, y_lo), y_hi)) / (y_hi - y_lo)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="16" role="img">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="30" font-size="20" font-weight="bold">{html.escape(title)}</text>',
    ]
    for y in yt:
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 8}" y="{sy(y) + 5:.1f}" text-anchor="end">{fmt_value(y, yt)}</text>')
    for x in xt:
        out.append(f'<line x1="{sx(x):.1f}" x2="{sx(x):.1f}" y1="{top}" y2="{top + ph}" stroke="#eee"/>')
        out.append(f'<text x="{sx(x):.1f}" y="{top + ph + 24}" text-anchor="middle">{fmt_tokens(x)}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
    out.append(f'<text x="{left + pw / 2}" y="{height - 16}" text-anchor="middle">{html.escape(xlabel)}</text>')
    out.append(
        f'<text transform="translate(24,{top + ph / 2}) rotate(-90)" text-anchor="middle">{html.escape(ylabel)}</text>'
    )
    for i, (label, curve) in enumerate(series):
        color, dash = COLORS[i % len(COLORS)], DASHES[i % len(DASHES)]
        pts = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in curve if math.isfinite(y))
        out.append(
            f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="3" stroke-dasharray="{dash}"/>'
        )
        if markers and len(curve) <= 40:
            out += [f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="4" fill="{color}"/>' for x, y in curve
                    if math.isfinite(y)]  # fmt: skip
        ly = top + 14 + 28 * i
        out.append(
            f'<line x1="{left + pw + 14}" x2="{left + pw + 50}" y1="{ly}" y2="{ly}" stroke="{color}" '
            f'stroke-width="3" stroke-dasharray="{dash}"/>'
        )
        out.append(f'<text x="{left + pw + 58}" y="{ly + 5}">{html.escape(label[:20])}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
