"""The chart of a series: its points on a time axis labelled as its periods are written.

A series of fiscal years is drawn on a fiscal-year axis (2021年度, 2022年度 …, one tick a year, so
that a gap between years shows), a series of calendar years on a year axis (2021年 …); a series
of months or dates, or of periods of mixed kinds, on an axis of its periods in time order, each
labelled as it is (2022年3月, 2021年度). No period is moved to the calendar year its end falls in:
FY2021 is drawn at 2021年度, not at 2022.25. The axis spans the observations and the target
and half a step more on either side, never a padding of its own (a target alone once gave
1924–2128).

Every chart also has its table (``rows``): the same numbers, for the page's table twin, its
downloads, and for anyone the chart does not serve.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ebpm.indicators.periods import Period, label_ja
from ebpm.indicators.progress import number_ja

Json = dict[str, Any]
AxisKind = Literal["fiscal_year", "year", "periods"]
_FY = re.compile(r"FY(\d{4})")
_YEAR = re.compile(r"(\d{4})")
YEARLY: tuple[tuple[AxisKind, re.Pattern[str], str], ...] = (
    ("fiscal_year", _FY, "年度"),
    ("year", _YEAR, "年"),
)
PAD = 0.5  # of a step, on either side: the first and last points do not sit on the frame
ORIGIN_LABELS = {"document": "文書の値", "import": "取込"}


@dataclass(frozen=True, slots=True)
class Axis:
    kind: AxisKind
    positions: dict[str, float]  # period label → x
    ticks: list[tuple[float, str]]  # x, label

    def x(self, period: Period) -> float:
        return self.positions[period.label]

    def json(self) -> Json:
        xs = [x for x, _ in self.ticks]
        return {
            "kind": self.kind,
            "min": min(xs) - PAD if xs else 0.0,
            "max": max(xs) + PAD if xs else 1.0,
            "ticks": [{"value": x, "label": label} for x, label in self.ticks],
        }


def axis_for(periods: Sequence[Period]) -> Axis:
    """The axis that ``periods`` (observations and targets, of one series or of its categories)
    are drawn on."""
    distinct = sorted(set(periods))
    labels = [p.label for p in distinct]
    for kind, pattern, suffix in YEARLY:
        years = [pattern.fullmatch(label) for label in labels]
        numbers = {label: float(m.group(1)) for label, m in zip(labels, years, strict=True) if m}
        if distinct and len(numbers) == len(labels):
            first, last = int(min(numbers.values())), int(max(numbers.values()))
            ticks = [(float(y), f"{y}{suffix}") for y in range(first, last + 1)]
            return Axis(kind, numbers, ticks)
    positions = {label: float(k) for k, label in enumerate(labels)}
    return Axis("periods", positions, [(float(k), label_ja(label)) for k, label in enumerate(labels)])


def chart(
    observations: Sequence[Any],
    target: Any | None,
    projection: Sequence[tuple[Period, float | None]],
    axis: Axis,
) -> Json:
    """The chart data of one series: ``observations`` (monitor.Observation, current ones), the
    ``target`` (progress.Target), and the projection's end points, placed on ``axis``."""
    points = []
    for o in observations:
        period = o.point().period
        points.append(
            {
                "x": axis.x(period),
                "y": o.value,
                "label": label_ja(o.period),
                "period": o.period,
                "source": o.source,
                "origin": o.origin,
            }
        )
    return {
        "axis": axis.json(),
        "points": points,
        "target": (
            {
                "x": axis.x(target.period),
                "y": target.value,
                "label": label_ja(target.period.label),
                "period": target.period.label,
            }
            if target is not None
            else None
        ),
        "projection": [
            {"x": axis.x(period), "y": y, "label": label_ja(period.label), "period": period.label}
            for period, y in projection
        ],
    }


def exact_ja(value: float) -> str:
    """A value in full, thousands separated, for a table of numbers: 29,300.22, 117,000."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,}"


def rows(series_id: str, category: str | None, unit: str | None, data: Json) -> list[Json]:
    """The chart's numbers as table rows: each observation, the target, the projection's ends."""
    out: list[Json] = []

    def row(point: Json, kind: str, source: str = "") -> None:
        out.append(
            {
                "series_id": series_id,
                "category": category or "",
                "period": point["period"],
                "period_label": point["label"],
                "value": point["y"],
                # a projection is a fitted line: its digits past the fourth are noise
                "value_text": number_ja(point["y"]) if kind == "直線トレンド" else exact_ja(point["y"]),
                "unit": unit or "",
                "kind": kind,
                "source": source,
            }
        )

    for p in data["points"]:
        row(p, "観測値（" + ORIGIN_LABELS.get(p["origin"], p["origin"]) + "）", p["source"])
    if data["target"] is not None:
        row(data["target"], "目標")
    for p in data["projection"]:
        if p["y"] is not None:
            row(p, "直線トレンド")
    return out
