"""The report's two charts as inline SVG, built here: no browser, no network, no plotting library.

Both must read in grayscale (the PDF is often printed on an office printer), so the series differ
by gray level *and* outline (white with a dashed outline, mid gray, near black) and the legend
repeats the swatches. Bars carry no value labels: the table right above each chart gives every
figure, and an SVG text costs WeasyPrint about a millisecond to lay out and draw (the 19 value
labels were ~10 % of a warm render); a label per group names the bars. Every label is escaped:
asset and client names come from an untrusted workbook.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Sequence

from markupsafe import Markup, escape

from . import format as fmt

FONT = "DejaVu Sans, sans-serif"
INK = "#111111"
# (fill, stroke, dash) per series: distinguishable without colour
SERIES_STYLE = {
    "before": ("#b8b8b8", "#555555", ""),
    "target": ("#ffffff", "#111111", "4 2"),
    "after": ("#333333", "#111111", ""),
}


def _num(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, text: str, *, size: float = 9, anchor: str = "middle",
          weight: str = "normal", fill: str = INK) -> str:
    return (f'<text x="{_num(x)}" y="{_num(y)}" font-family="{FONT}" font-size="{_num(size)}" '
            f'text-anchor="{anchor}" font-weight="{weight}" fill="{fill}">{escape(text)}</text>')


def _bar(x: float, y: float, w: float, h: float, series: str) -> str:
    fill, stroke, dash = SERIES_STYLE[series]
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(max(h, 0.0))}" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="0.8"{dash_attr}/>')


def _legend(x: float, y: float, labels: Sequence[tuple[str, str]]) -> str:
    parts = []
    for series, label in labels:
        parts.append(_bar(x, y - 8, 12, 9, series))
        parts.append(_text(x + 16, y, label, anchor="start"))
        x += 24 + 6.2 * len(label)
    return "".join(parts)


def _svg(width: int, height: int, body: str, title: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def grouped_bars(
    groups: Sequence[tuple[str, Sequence[tuple[str, Decimal]]]],
    *,
    legend: Sequence[tuple[str, str]],
    title: str,
    width: int = 640,
    height: int = 140,
) -> Markup:
    """Vertical grouped bars around a zero line (values may be negative).

    ``groups`` is ``[(group label, [(series, value), ...]), ...]``; ``series`` is a key of
    :data:`SERIES_STYLE`.
    """
    values = [float(v) for _, series in groups for _, v in series] or [0.0]
    top, bottom = max(max(values), 0.0), min(min(values), 0.0)
    if top == bottom:
        top = 1.0
    plot_top, plot_bottom = 30.0, height - 26.0
    span = top - bottom
    scale = (plot_bottom - plot_top) / span
    zero_y = plot_top + top * scale
    left, right = 20.0, width - 10.0
    group_w = (right - left) / max(len(groups), 1)
    n = max((len(s) for _, s in groups), default=1)
    bar_w = min(56.0, group_w * 0.8 / n)
    parts = [_legend(left, 14, legend)]
    for gi, (glabel, series) in enumerate(groups):
        gx = left + gi * group_w + (group_w - bar_w * len(series)) / 2
        for si, (name, value) in enumerate(series):
            v = float(value)
            x = gx + si * bar_w
            y = zero_y - v * scale if v >= 0 else zero_y
            h = abs(v) * scale
            parts.append(_bar(x + 2, y, bar_w - 4, h, name))
        parts.append(_text(left + gi * group_w + group_w / 2, height - 6, glabel, size=9,
                           weight="bold"))
    parts.append(f'<line x1="{_num(left)}" y1="{_num(zero_y)}" x2="{_num(right)}" '
                 f'y2="{_num(zero_y)}" stroke="{INK}" stroke-width="0.8"/>')
    return _svg(width, height, "".join(parts), title)


def buckets_chart(buckets: Sequence, currency: str = "USD") -> Markup:
    """Spot, stable and futures wallet: before, target and after, in the base currency."""
    groups = [
        (fmt.bucket(b.name), [("before", b.before), ("target", b.target), ("after", b.after)])
        for b in buckets
    ]
    return grouped_bars(
        groups,
        legend=[("before", "Before"), ("target", "Target"), ("after", "After the plan")],
        title=f"Buckets before, at target and after the plan ({currency})",
    )


def stress_chart(rows: Sequence, currency: str = "USD") -> Markup:
    """P&L of each price shock, before and after the plan."""
    groups = [
        (fmt.shock(r.shock), [("before", r.pnl_before), ("after", r.pnl_after)]) for r in rows
    ]
    return grouped_bars(
        groups,
        legend=[("before", "Before"), ("after", "After the plan")],
        title=f"Profit or loss if prices move at once ({currency})",
    )


__all__ = ["buckets_chart", "grouped_bars", "stress_chart", "SERIES_STYLE"]
