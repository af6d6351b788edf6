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
4. No status is guessed. What is missing is said instead: no observation and no numeric target
   → no data (数値なし: a qualitative item, or a value whose period the text does not give); a
   target and no observation → target only (目標のみ); observations and no target → current
   value only (現状値のみ: every 参考指標 until someone sets a target); both, but fewer than two
   observations at different times, less than a year (365 days) between base and latest (too
   short for an annual rate), or a target year not after the base → insufficient data.
5. The method is total: a rate or ratio that is not a finite number (an overflow from absurd
   values or a very short horizon) or a value that is not finite gives "not computable", never
   an exception. ``Assessment.target_fault`` says when the target's value or period is the cause,
   so that a write can refuse such a target before it is stored.

Projection: a least-squares line through all observations, read at the target year.
Roll-up: a goal's or section's summary is the median status of its series that have one
(statuses ordered deterioration < limited < fair < on track < achieved), with counts of each;
:func:`summarize` withholds it (判定保留) unless enough series are rated (see ``MIN_RATED``).

Every assessment carries ``verdict``, the same finding in Japanese words with formatted numbers
(目標達成に必要な伸び率 5.5%/年に対し実績 1.8%/年…), for people; ``reason`` and the rates stay
as they are, for programs.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from ebpm.indicators.periods import Period, label_ja

WITHHELD = "withheld"
Status = Literal[
    "target_achieved",
    "on_track",
    "fair_progress",
    "limited_progress",
    "deterioration",
    "not_computable",
    "insufficient_data",
    "target_only",
    "no_target",
    "no_data",
]
STATUS_LABELS: dict[str, str] = {
    "target_achieved": "目標達成",
    "on_track": "順調",
    "fair_progress": "一定の進捗",
    "limited_progress": "進捗が限定的",
    "deterioration": "悪化",
    "not_computable": "算出不能",
    "insufficient_data": "データ不足",
    "target_only": "目標のみ",
    "no_target": "現状値のみ",
    "no_data": "数値なし",
    WITHHELD: "判定保留",  # a roll-up only: too few of its series are rated (see summarize)
}
# statuses that say nothing about progress: left out of roll-ups
UNRATED: list[Status] = ["not_computable", "insufficient_data", "target_only", "no_target", "no_data"]
ORDER: list[Status] = ["deterioration", "limited_progress", "fair_progress", "on_track", "target_achieved"]
ON_TRACK, FAIR = 0.95, 0.5
MIN_DAYS = 365  # between base and latest: a shorter span is no ground for an annual rate
# A roll-up states a status only when at least MIN_RATED of its series are rated, and they are at
# least MIN_RATED_SHARE of its series that have a target: the median of 2 rated series out of 98
# (section 2.1 once showed 悪化 so) says nothing about the section. Series without a target are
# not in the share's base, as they can never be rated; they are counted and shown all the same.
MIN_RATED = 3
MIN_RATED_SHARE = 0.5
ROLL_UP_RULE = (
    f"判定のある指標が{MIN_RATED}以上あり、かつ目標のある指標の{MIN_RATED_SHARE:.0%}以上のとき、"
    "その中央値を示します。そうでなければ判定保留とします。"
)


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
    verdict: str = ""  # the finding in Japanese, with formatted numbers


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


def number_ja(value: float, unit: str | None = None) -> str:
    """A value as the pages write it: 17.8%, 41,072人, 1,069億円 (thousands separated, at most four
    significant digits below 1,000; no exponent for the magnitudes statistics have)."""
    if not math.isfinite(value):
        text = str(value)
    elif abs(value) >= 1000:
        text = f"{value:,.0f}"
    elif value == 0:
        text = "0"
    elif abs(value) >= 1e-4:
        text = f"{value:.4g}"
    else:
        text = f"{value:.2g}"
    return text + (unit or "")


def _percent(rate: float, digits: int = 1) -> str:
    return f"{rate * 100:.{digits}f}%"


def _with_period(value: float, unit: str | None, period: Period) -> str:
    return f"{number_ja(value, unit)}（{label_ja(period.label)}）"


def rate_verdict(method: str, actual: float, required: float, ratio: float, unit: str | None) -> str:
    """「目標達成に必要な伸び率 5.5%/年に対し実績 1.8%/年（達成見込み 33%）」: the rated finding.

    The words follow the direction the target needs (伸び率/減少率 for compound rates, 増加幅/減少幅
    for absolute change per year), so that a fall toward a lower target reads as progress; the
    達成見込み is the ratio of the actual pace to the required one."""
    falling = required < 0
    noun = ("減少" if falling else "増加") + ("率" if method == "cagr" else "幅")
    if method == "cagr" and not falling:
        noun = "伸び率"

    def pace(rate: float) -> str:
        return f"{_percent(abs(rate))}/年" if method == "cagr" else f"{number_ja(abs(rate), unit)}/年"

    head = f"目標達成に必要な{noun} {pace(required)}に対し"
    if ratio < 0:
        wrong = "増加" if falling else "減少"
        return f"{head}実績は逆方向の{wrong} {pace(actual)}（悪化）"
    return f"{head}実績 {pace(actual)}（達成見込み {ratio * 100:.0f}%）"


def assess(points: list[Point], target: Target | None, unit: str | None = None) -> Assessment:
    """The status of a series with observations ``points`` toward ``target`` (``unit``: the series'
    unit, for the verdict's words only)."""
    ordered = sorted(points, key=lambda p: p.period.end)
    if not ordered:
        if target is None:
            return Assessment(
                "no_data", "no observation and no target", verdict="観測値も数値目標もありません"
            )
        return Assessment(
            "target_only",
            "no observation",
            verdict=f"目標 {_with_period(target.value, unit, target.period)}のみで、観測値はまだありません",
        )
    latest = ordered[-1]
    if target is None:
        return Assessment(
            "no_target",
            "no target",
            base=ordered[0],
            latest=latest,
            verdict=f"目標は設定されていません（最新値 {_with_period(latest.value, unit, latest.period)}）",
        )
    base = next((p for p in ordered if p.period.label == target.base_period), ordered[0])
    odd = next((p for p in ordered if not math.isfinite(p.value)), None)
    if odd is not None:
        return Assessment(
            "not_computable",
            f"the value of {odd.period.label} is not a finite number",
            base=base,
            latest=latest,
            verdict=f"{label_ja(odd.period.label)}の値が有限の数ではないため判定できません",
        )
    if not math.isfinite(target.value):
        return Assessment(
            "not_computable",
            "the target value is not a finite number",
            base=base,
            latest=latest,
            target_fault=True,
            verdict="目標値が有限の数ではないため判定できません",
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
    goal = f"目標 {_with_period(target.value, unit, target.period)}"
    if _met(latest.value, target) and latest is not base:
        return replace(
            known,
            status="target_achieved",
            reason="the latest value meets the target",
            verdict=f"最新値 {_with_period(latest.value, unit, latest.period)} が{goal}に達しています",
        )
    t0, t, T = base.period.year_fraction, latest.period.year_fraction, target.period.year_fraction
    if t <= t0:
        if _met(latest.value, target):
            return replace(
                known,
                status="target_achieved",
                reason="the only value meets the target",
                verdict=f"唯一の観測値 {_with_period(latest.value, unit, latest.period)} が"
                f"{goal}に達しています",
            )
        return replace(
            known,
            reason="fewer than two observations at different times",
            verdict=f"観測値が1時点のみのため、伸び率を計算できません（{goal}）",
        )
    if (latest.period.end - base.period.end).days < MIN_DAYS:
        return replace(
            known,
            reason="less than a year between the base and the latest observation: no annual rate",
            verdict="基準と最新の観測値の間が1年未満のため、年率を計算できません",
        )
    if t0 >= T:
        return replace(
            known,
            reason="the target period is not after the base period",
            verdict=f"目標の期間（{label_ja(target.period.label)}）が基準の期間"
            f"（{label_ja(base.period.label)}）より後ではないため判定できません",
        )
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
            verdict="値が極端なため、目標達成に必要な伸び率を計算できません",
        )
    actual = _rate(method, base.value, latest.value, t - t0)
    if actual is None:
        return replace(
            known,
            status="not_computable",
            reason=f"the rate from {base.value:g} ({base.period.label}) to {latest.value:g} "
            f"({latest.period.label}) cannot be computed (not a finite number)",
            required_rate=required,
            verdict="値が極端なため、実績の伸び率を計算できません",
        )
    known = replace(known, actual_rate=actual, required_rate=required)
    if required == 0:
        # the target is the base value: holding it is on track, moving away is not
        moved_wrong = latest.value < base.value if target.direction == "up" else latest.value > base.value
        return replace(
            known,
            status="deterioration" if moved_wrong else "on_track",
            reason="the target equals the base value",
            verdict="目標は基準値と同じで、"
            + ("最新値は基準値から逆方向に動いています" if moved_wrong else "最新値はその水準を保っています"),
        )
    ratio = _finite(lambda: actual / required)
    if ratio is None:
        # a required rate so close to zero that the ratio overflows: the target is all but the base
        return replace(
            known,
            status="not_computable",
            reason=f"the ratio of actual {actual:.4g} to required {required:.4g} cannot be computed",
            target_fault=True,
            verdict="目標が基準値にほぼ等しく、実績との比を計算できません",
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
    verdict = rate_verdict(method, actual, required, ratio, unit)
    return replace(known, status=status, reason=reason, ratio=ratio, verdict=verdict)


def roll_up(statuses: list[Status]) -> tuple[Status, dict[str, int]]:
    """The median status of those that have one, and the count of each status."""
    counts = Counter(statuses)
    known = sorted((s for s in statuses if s not in UNRATED), key=ORDER.index)
    summary: Status = known[(len(known) - 1) // 2] if known else "insufficient_data"
    return summary, {s: counts[s] for s in [*ORDER, *UNRATED] if counts[s]}


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A goal's or section's roll-up of series ``rows`` (Monitor.status dicts): the median status,
    or ``withheld`` (判定保留) where too few series are rated (``MIN_RATED``, ``MIN_RATED_SHARE``),
    the count of each status, and how many series have data, a target, a rating."""
    statuses: list[Status] = [r["status"] for r in rows]
    median, counts = roll_up(statuses)
    rated = sum(1 for s in statuses if s not in UNRATED)
    targeted = sum(1 for r in rows if r.get("target") is not None)
    enough = rated >= MIN_RATED and rated >= MIN_RATED_SHARE * targeted
    status = median if enough else WITHHELD
    return {
        "status": status,
        "status_label": STATUS_LABELS[status],
        "counts": counts,
        "total": len(rows),
        "with_data": sum(1 for r in rows if r.get("latest") is not None),
        "targeted": targeted,
        "rated": rated,
    }
