"""Progress toward a target: the UN ESCAP / Open SDG method, plus a linear-trend projection.

Method (UN ESCAP, *Asia and the Pacific SDG Progress Report*, "anticipated progress"; the same
as Open SDG's progress status):

1. base = the target's base observation (default: the series' first), latest = its last;
   times are the decimal years at which their periods end.
2. actual rate: the compound annual growth rate from base to latest,
   ``(x_t / x_0) ** (1 / (t - t_0)) - 1``; required rate: the rate that reaches the target
   by the target year, ``(x* / x_0) ** (1 / (T - t_0)) - 1``. Where a value is zero or
   negative the growth rate is undefined, and both rates are the absolute change per year
   instead (``(x_t - x_0) / (t - t_0)``).
3. ratio = actual / required. The signs carry the direction: a fall toward a lower target is
   progress. Status: latest already at or past the target → target achieved; ratio ≥ 0.95 →
   on track; 0.5 ≤ ratio < 0.95 → fair progress; 0 ≤ ratio < 0.5 → limited progress;
   ratio < 0 → deterioration.
4. Fewer than two observations at different times, less than a year (365 days) between base and
   latest (too short for an annual rate), no target, or a target year not after the base:
   insufficient data. No status is guessed.
5. The method is total: a rate or ratio that is not a finite number (an overflow from absurd
   values or a very short horizon) or a value that is not finite gives "not computable", never
   an exception. ``Assessment.target_fault`` says when the target's value or period is the cause,
   so that a write can refuse such a target before it is stored.

Projection: a least-squares line through all observations, read at the target year.
Roll-up: a goal's or section's summary is the median status of its series that have one
(statuses ordered deterioration < limited < fair < on track < achieved), with counts of each.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from ebpm.indicators.periods import Period

Status = Literal[
    "target_achieved",
    "on_track",
    "fair_progress",
    "limited_progress",
    "deterioration",
    "not_computable",
    "insufficient_data",
]
STATUS_LABELS: dict[str, str] = {
    "target_achieved": "目標達成",
    "on_track": "順調",
    "fair_progress": "一定の進捗",
    "limited_progress": "進捗が限定的",
    "deterioration": "悪化",
    "not_computable": "算出不能",
    "insufficient_data": "データ不足",
}
# statuses that say nothing about progress: left out of roll-ups
UNRATED: list[Status] = ["not_computable", "insufficient_data"]
ORDER: list[Status] = ["deterioration", "limited_progress", "fair_progress", "on_track", "target_achieved"]
ON_TRACK, FAIR = 0.95, 0.5
MIN_DAYS = 365  # between base and latest: a shorter span is no ground for an annual rate


@dataclass(frozen=True, slots=True)
class Point:
    period: Period
    value: float


@dataclass(frozen=True, slots=True)
class Target:
    value: float
    period: Period
    direction: str  # up | down
    base_period: str | None = None


@dataclass(frozen=True, slots=True)
class Assessment:
    status: Status
    reason: str
    method: str | None = None  # "cagr" or "linear"
    actual_rate: float | None = None
    required_rate: float | None = None
    ratio: float | None = None
    base: Point | None = None
    latest: Point | None = None
    projected_value: float | None = None  # the linear trend at the target period
    projected_met: bool | None = None
    target_fault: bool = False  # not computable because of the target's value or period


def _met(value: float, target: Target) -> bool:
    return value >= target.value if target.direction == "up" else value <= target.value


def projection(points: list[Point], at: Period) -> float | None:
    """The least-squares line through ``points`` read at ``at``; None with fewer than two times."""
    xs = [p.period.year_fraction for p in points]
    if len(set(xs)) < 2:
        return None

    def read() -> float:
        slope, intercept = statistics.linear_regression(xs, [p.value for p in points])
        return slope * at.year_fraction + intercept

    return _finite(read)


def _finite(compute: Callable[[], float]) -> float | None:
    """``compute()``, or None where it overflows or gives no finite number."""
    try:
        value = float(compute())
    except (ArithmeticError, ValueError, TypeError):  # overflow, ÷0, a complex power, fsum's overflow
        return None
    return value if math.isfinite(value) else None


def _rate(method: str, x0: float, x1: float, years: float) -> float | None:
    """The annual rate from ``x0`` to ``x1`` over ``years``: compound growth or absolute change."""
    if method == "cagr":
        return _finite(lambda: (x1 / x0) ** (1 / years) - 1)
    return _finite(lambda: (x1 - x0) / years)


def assess(points: list[Point], target: Target | None) -> Assessment:
    """The status of a series with observations ``points`` toward ``target``."""
    ordered = sorted(points, key=lambda p: p.period.end)
    if not ordered:
        return Assessment("insufficient_data", "no target" if target is None else "no observation")
    latest = ordered[-1]
    if target is None:
        return Assessment("insufficient_data", "no target", base=ordered[0], latest=latest)
    base = next((p for p in ordered if p.period.label == target.base_period), ordered[0])
    odd = next((p for p in ordered if not math.isfinite(p.value)), None)
    if odd is not None:
        return Assessment(
            "not_computable",
            f"the value of {odd.period.label} is not a finite number",
            base=base,
            latest=latest,
        )
    if not math.isfinite(target.value):
        return Assessment(
            "not_computable",
            "the target value is not a finite number",
            base=base,
            latest=latest,
            target_fault=True,
        )
    projected = projection(ordered, target.period)
    known = Assessment(
        "insufficient_data",
        "",
        base=base,
        latest=latest,
        projected_value=projected,
        projected_met=_met(projected, target) if projected is not None else None,
    )
    if _met(latest.value, target) and latest is not base:
        return replace(known, status="target_achieved", reason="the latest value meets the target")
    t0, t, T = base.period.year_fraction, latest.period.year_fraction, target.period.year_fraction
    if t <= t0:
        if _met(latest.value, target):
            return replace(known, status="target_achieved", reason="the only value meets the target")
        return replace(known, reason="fewer than two observations at different times")
    if (latest.period.end - base.period.end).days < MIN_DAYS:
        return replace(
            known, reason="less than a year between the base and the latest observation: no annual rate"
        )
    if t0 >= T:
        return replace(known, reason="the target period is not after the base period")
    # growth rates are undefined from zero or below: absolute change per year there
    positive = base.value > 0 and latest.value > 0 and target.value > 0
    method = "cagr" if positive else "linear"
    known = replace(known, method=method)
    required = _rate(method, base.value, target.value, T - t0)
    if required is None:
        return replace(
            known,
            status="not_computable",
            reason=f"the rate required to go from {base.value:g} ({base.period.label}) to the target "
            f"{target.value:g} by {target.period.label} cannot be computed (not a finite number)",
            target_fault=True,
        )
    actual = _rate(method, base.value, latest.value, t - t0)
    if actual is None:
        return replace(
            known,
            status="not_computable",
            reason=f"the rate from {base.value:g} ({base.period.label}) to {latest.value:g} "
            f"({latest.period.label}) cannot be computed (not a finite number)",
            required_rate=required,
        )
    known = replace(known, actual_rate=actual, required_rate=required)
    if required == 0:
        # the target is the base value: holding it is on track, moving away is not
        moved_wrong = latest.value < base.value if target.direction == "up" else latest.value > base.value
        return replace(
            known,
            status="deterioration" if moved_wrong else "on_track",
            reason="the target equals the base value",
        )
    ratio = _finite(lambda: actual / required)
    if ratio is None:
        # a required rate so close to zero that the ratio overflows: the target is all but the base
        return replace(
            known,
            status="not_computable",
            reason=f"the ratio of actual {actual:.4g} to required {required:.4g} cannot be computed",
            target_fault=True,
        )
    status: Status
    if ratio >= ON_TRACK:
        status = "on_track"
    elif ratio >= FAIR:
        status = "fair_progress"
    elif ratio >= 0:
        status = "limited_progress"
    else:
        status = "deterioration"
    reason = f"actual {method} rate {actual:.4g} / required {required:.4g} = {ratio:.2f}"
    return replace(known, status=status, reason=reason, ratio=ratio)


def roll_up(statuses: list[Status]) -> tuple[Status, dict[str, int]]:
    """The median status of those that have one, and the count of each status."""
    counts = Counter(statuses)
    known = sorted((s for s in statuses if s not in UNRATED), key=ORDER.index)
    summary: Status = known[(len(known) - 1) // 2] if known else "insufficient_data"
    return summary, {s: counts[s] for s in [*ORDER, *UNRATED] if counts[s]}
