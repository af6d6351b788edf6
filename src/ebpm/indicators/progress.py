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
4. Fewer than two observations at different times, no target, or a target year not after the
   base: insufficient data. No status is guessed.

Projection: a least-squares line through all observations, read at the target year.
Roll-up: a goal's or section's summary is the median status of its series that have one
(statuses ordered deterioration < limited < fair < on track < achieved), with counts of each.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, replace
from typing import Literal

from ebpm.indicators.periods import Period

Status = Literal[
    "target_achieved", "on_track", "fair_progress", "limited_progress", "deterioration", "insufficient_data"
]
STATUS_LABELS: dict[str, str] = {
    "target_achieved": "目標達成",
    "on_track": "順調",
    "fair_progress": "一定の進捗",
    "limited_progress": "進捗が限定的",
    "deterioration": "悪化",
    "insufficient_data": "データ不足",
}
ORDER: list[Status] = ["deterioration", "limited_progress", "fair_progress", "on_track", "target_achieved"]
ON_TRACK, FAIR = 0.95, 0.5


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


def _met(value: float, target: Target) -> bool:
    return value >= target.value if target.direction == "up" else value <= target.value


def projection(points: list[Point], at: Period) -> float | None:
    """The least-squares line through ``points`` read at ``at``; None with fewer than two times."""
    xs = [p.period.year_fraction for p in points]
    if len(set(xs)) < 2:
        return None
    slope, intercept = statistics.linear_regression(xs, [p.value for p in points])
    return slope * at.year_fraction + intercept


def _rates(x0: float, xt: float, target: float, dt: float, dT: float) -> tuple[str, float, float]:
    if x0 > 0 and xt > 0 and target > 0:
        return "cagr", (xt / x0) ** (1 / dt) - 1, (target / x0) ** (1 / dT) - 1
    return "linear", (xt - x0) / dt, (target - x0) / dT


def assess(points: list[Point], target: Target | None) -> Assessment:
    """The status of a series with observations ``points`` toward ``target``."""
    ordered = sorted(points, key=lambda p: p.period.end)
    if not ordered:
        return Assessment("insufficient_data", "no target" if target is None else "no observation")
    latest = ordered[-1]
    if target is None:
        return Assessment("insufficient_data", "no target", base=ordered[0], latest=latest)
    base = next((p for p in ordered if p.period.label == target.base_period), ordered[0])
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
    if t0 >= T:
        return replace(known, reason="the target period is not after the base period")
    method, actual, required = _rates(base.value, latest.value, target.value, t - t0, T - t0)
    known = replace(known, method=method, actual_rate=actual, required_rate=required)
    if required == 0:
        # the target is the base value: holding it is on track, moving away is not
        moved_wrong = latest.value < base.value if target.direction == "up" else latest.value > base.value
        return replace(
            known,
            status="deterioration" if moved_wrong else "on_track",
            reason="the target equals the base value",
        )
    ratio = actual / required
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
    known = sorted((s for s in statuses if s != "insufficient_data"), key=ORDER.index)
    summary: Status = known[(len(known) - 1) // 2] if known else "insufficient_data"
    return summary, {s: counts[s] for s in [*ORDER, "insufficient_data"] if counts[s]}
