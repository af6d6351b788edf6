"""Small SVG charts drawn on the server, so that they are in the PDF as vectors (no JavaScript,
no matplotlib): stacked horizontal bars and a series' line chart from
:func:`ebpm.indicators.charts.chart`'s data.

Every text drawn is escaped here; numbers are written with fixed digits, so the same data gives
the same markup. Each chart carries a <title> for readers that do not see it, and the reports
give its numbers as a table beside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import escape

# the pages' status colours (app.css), for the statuses of indicators, actions and the rest
COLOURS = {
    "target_achieved": "#3f8f5b",
    "on_track": "#4a86b8",
    "fair_progress": "#b38b1d",
    "limited_progress": "#c06a2b",
    "deterioration": "#b83b3b",
    "insufficient_data": "#9aa3b0",
    "not_computable": "#9683b5",
    "target_only": "#7d93c2",
    "no_target": "#6fa597",
    "no_data": "#c4c4c4",
    "done": "#3f8f5b",
    "on_time": "#4a86b8",
    "overdue": "#b83b3b",
    "budget": "#1d4f91",
}
INK, MUTED, GRID = "#1a1a1a", "#555555", "#c8ccd2"
FONT = 'font-family="Noto Sans CJK JP, sans-serif"'


@dataclass(frozen=True, slots=True)
class Segment:
    value: float
    key: str  # a COLOURS key
    label: str


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    segments: Sequence[Segment]


def _f(x: float) -> str:
    return f"{x:.1f}"


def _text_width(text: str, size: float) -> float:
    """Roughly how wide ``text`` is drawn: a full-width character is about one em."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.55 for ch in text)


def hbars(bars: Sequence[Bar], title: str, unit: str = "", width: int = 640) -> str:
    """Horizontal bars, stacked by segment, one a line, with the total at each bar's end and a
    legend of the segments' labels."""
    size, row = 11.0, 18.0
    label_w = min(240.0, max([_text_width(b.label, size) for b in bars] + [40.0]) + 8)
    plot_w = width - label_w - 70
    totals = [sum(s.value for s in b.segments) for b in bars]
    top = max([*totals, 0.0]) or 1.0
    legend: dict[str, str] = {}
    for b in bars:
        for s in b.segments:
            legend.setdefault(s.key, s.label)
    legend_h = 22.0 if len(legend) > 1 else 0.0
    height = legend_h + row * len(bars) + 6
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{_f(height)}" '
        f'viewBox="0 0 {width} {_f(height)}" role="img" {FONT} font-size="{_f(size)}">',
        f"<title>{escape(title)}</title>",
    ]
    if legend_h:
        x = label_w
        for key, label in legend.items():
            out.append(f'<rect x="{_f(x)}" y="5" width="10" height="10" fill="{COLOURS.get(key, MUTED)}"/>')
            out.append(f'<text x="{_f(x + 14)}" y="14" fill="{INK}">{escape(label)}</text>')
            x += 24 + _text_width(label, size)
    for n, (b, total) in enumerate(zip(bars, totals, strict=True)):
        y = legend_h + n * row
        out.append(
            f'<text x="{_f(label_w - 6)}" y="{_f(y + 13)}" text-anchor="end" fill="{INK}">'
            f"{escape(b.label)}</text>"
        )
        x = label_w
        for s in b.segments:
            w = plot_w * s.value / top
            if w > 0:
                out.append(
                    f'<rect x="{_f(x)}" y="{_f(y + 3)}" width="{_f(w)}" height="{_f(row - 6)}" '
                    f'fill="{COLOURS.get(s.key, MUTED)}">'
                    f"<title>{escape(s.label)}: {_num(s.value)}</title></rect>"
                )
            x += w
        out.append(
            f'<text x="{_f(x + 4)}" y="{_f(y + 13)}" fill="{MUTED}">{_num(total)}{escape(unit)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _num(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}"


def _ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    """Round values between ``lo`` and ``hi`` for the value axis."""
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / count
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = (lo // step) * step
    return [first + k * step for k in range(count + 3) if lo <= first + k * step <= hi + step * 1e-9]


def line_chart(
    data: dict[str, Any], title: str, unit: str | None, width: int = 300, height: int = 170
) -> str:
    """One series: observations joined by a line, the target as a diamond, the projection dashed,
    on the series' own axis (fiscal years, years or periods, as its page draws it)."""
    axis = data["axis"]
    points = data["points"]
    target = data["target"]
    projection = [p for p in data["projection"] if p["y"] is not None]
    ys = [p["y"] for p in points] + ([target["y"]] if target else []) + [p["y"] for p in projection]
    lo, hi = (min(ys), max(ys)) if ys else (0.0, 1.0)
    lo = min(lo, 0.0) if lo >= 0 else lo  # a positive series starts at zero: the bars of change read true
    hi = hi if hi > lo else lo + 1.0
    hi += (hi - lo) * 0.08
    left, right, top, bottom = 46.0, 8.0, 22.0, 30.0
    pw, ph = width - left - right, height - top - bottom
    x_lo, x_hi = float(axis["min"]), float(axis["max"])

    def sx(x: float) -> float:
        return left + (x - x_lo) / ((x_hi - x_lo) or 1.0) * pw

    def sy(y: float) -> float:
        return top + (1 - (y - lo) / (hi - lo)) * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" {FONT} font-size="9">',
        f"<title>{escape(title)}</title>",
        f'<text x="{_f(left)}" y="12" fill="{MUTED}">{escape(unit or "")}</text>',
    ]
    for t in _ticks(lo, hi):
        y = sy(t)
        out.append(
            f'<line x1="{_f(left)}" x2="{_f(width - right)}" y1="{_f(y)}" y2="{_f(y)}" stroke="{GRID}"/>'
        )
        out.append(
            f'<text x="{_f(left - 3)}" y="{_f(y + 3)}" text-anchor="end" fill="{MUTED}">{_short(t)}</text>'
        )
    ticks = axis["ticks"]
    every = max(1, math.ceil(len(ticks) / 4))  # at most four labels: 2021年度 is wide
    for k, tick in enumerate(ticks):
        x = sx(float(tick["value"]))
        out.append(
            f'<line x1="{_f(x)}" x2="{_f(x)}" y1="{_f(top + ph)}" y2="{_f(top + ph + 3)}" stroke="{MUTED}"/>'
        )
        if k % every == 0:
            out.append(
                f'<text x="{_f(x)}" y="{_f(top + ph + 14)}" text-anchor="middle" fill="{MUTED}">'
                f"{escape(tick['label'])}</text>"
            )
    out.append(
        f'<line x1="{_f(left)}" x2="{_f(width - right)}" y1="{_f(top + ph)}" y2="{_f(top + ph)}" '
        f'stroke="{MUTED}"/>'
    )
    if len(projection) == 2:
        a, b = projection
        out.append(
            f'<line x1="{_f(sx(a["x"]))}" y1="{_f(sy(a["y"]))}" x2="{_f(sx(b["x"]))}" y2="{_f(sy(b["y"]))}" '
            f'stroke="{MUTED}" stroke-dasharray="4 3"/>'
        )
    if len(points) > 1:
        path = " ".join(f"{_f(sx(p['x']))},{_f(sy(p['y']))}" for p in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{COLOURS["budget"]}" stroke-width="1.6"/>')
    for p in points:
        out.append(
            f'<circle cx="{_f(sx(p["x"]))}" cy="{_f(sy(p["y"]))}" r="2.6" fill="{COLOURS["budget"]}">'
            f"<title>{escape(p['label'])}: {_num(p['y'])}</title></circle>"
        )
    if target:
        x, y = sx(target["x"]), sy(target["y"])
        out.append(
            f'<path d="M{_f(x)},{_f(y - 5)} L{_f(x + 5)},{_f(y)} L{_f(x)},{_f(y + 5)} '
            f'L{_f(x - 5)},{_f(y)} Z" fill="{COLOURS["target_achieved"]}">'
            f"<title>目標 {escape(target['label'])}: {_num(target['y'])}</title></path>"
        )
    out.append("</svg>")
    return "".join(out)


def _short(value: float) -> str:
    """An axis label: 1.2万, 3億 and so on, as Japanese charts write large numbers."""
    a = abs(value)
    for size, suffix in ((1e12, "兆"), (1e8, "億"), (1e4, "万")):
        if a >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"
