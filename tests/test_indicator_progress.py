"""The progress method on hand-computed cases (see ebpm.indicators.progress for the method)."""

from __future__ import annotations

import pytest

from ebpm.indicators.charts import axis_for
from ebpm.indicators.periods import label_ja, parse_period
from ebpm.indicators.progress import Point, Target, assess, projection, roll_up, summarize


def pts(*pairs: tuple[str, float]) -> list[Point]:
    return [Point(parse_period(p), v) for p, v in pairs]


def target(value: float, period: str, direction: str = "up") -> Target:
    return Target(value, parse_period(period), direction)


def test_on_track_by_compound_growth() -> None:
    # 100 → 121 in two years is 10 %/year; 100 → 161.051 in five years needs 10 %/year: ratio 1.0
    a = assess(pts(("2020", 100), ("2022", 121)), target(161.051, "2025"))
    assert a.method == "cagr"
    assert a.actual_rate == pytest.approx(0.10)
    assert a.required_rate == pytest.approx(0.10)
    assert a.ratio == pytest.approx(1.0)
    assert a.status == "on_track"


def test_fair_and_limited_progress() -> None:
    # needs 10 %/year; achieves 6 % (ratio 0.6) and then 2 % (ratio 0.2)
    fair = assess(pts(("2020", 100), ("2021", 106)), target(161.051, "2025"))
    assert fair.ratio == pytest.approx(0.6) and fair.status == "fair_progress"
    limited = assess(pts(("2020", 100), ("2021", 102)), target(161.051, "2025"))
    assert limited.ratio == pytest.approx(0.2) and limited.status == "limited_progress"


def test_deterioration() -> None:
    a = assess(pts(("2020", 100), ("2021", 95)), target(150, "2025"))
    assert a.ratio is not None and a.ratio < 0
    assert a.status == "deterioration"


def test_decreasing_target() -> None:
    # emissions 100 → 81 in two years (−10 %/year); target 59.049 by 2025 needs −10 %/year
    a = assess(pts(("2020", 100), ("2022", 81)), target(59.049, "2025", "down"))
    assert a.actual_rate == pytest.approx(-0.10) and a.required_rate == pytest.approx(-0.10)
    assert a.status == "on_track"
    rising = assess(pts(("2020", 100), ("2022", 110)), target(59.049, "2025", "down"))
    assert rising.status == "deterioration"


def test_zero_base_uses_absolute_change() -> None:
    # growth rates are undefined from 0: 0 → 4 in two years is +2/year; 10 by 2025 needs +2/year
    a = assess(pts(("2020", 0), ("2022", 4)), target(10, "2025"))
    assert a.method == "linear"
    assert a.actual_rate == pytest.approx(2.0) and a.required_rate == pytest.approx(2.0)
    assert a.status == "on_track"


def test_negative_base_uses_absolute_change() -> None:
    # a growth rate of −4.5 % → −1.5 %, target +1.5 % by 2024: +1.5/year achieved, +1.5/year needed
    a = assess(pts(("2020", -4.5), ("2022", -1.5)), target(1.5, "2024"))
    assert a.method == "linear"
    assert a.ratio == pytest.approx(1.0)
    assert a.status == "on_track"


def test_target_already_met() -> None:
    a = assess(pts(("2020", 100), ("2022", 140)), target(130, "2025"))
    assert a.status == "target_achieved"
    below = assess(pts(("2020", 50), ("2022", 40)), target(45, "2025", "down"))
    assert below.status == "target_achieved"


def test_insufficient_data_is_never_a_guess() -> None:
    assert assess(pts(("2020", 100)), target(150, "2025")).status == "insufficient_data"
    # what is missing is said, not lumped into データ不足
    assert assess([], target(150, "2025")).status == "target_only"
    assert assess(pts(("2020", 100), ("2022", 110)), None).status == "no_target"
    assert assess([], None).status == "no_data"
    same_time = assess(pts(("2022-03", 100), ("FY2021", 105)), target(150, "2025"))
    assert same_time.status == "insufficient_data"  # both end on 2022-03-31
    stale_target = assess(pts(("2020", 100), ("2022", 110)), target(150, "2019"))
    assert stale_target.status == "insufficient_data"


def test_fiscal_years_are_placed_at_their_end() -> None:
    # FY2020 ends 2021-03-31, FY2022 ends 2023-03-31: two years apart
    a = assess(pts(("FY2020", 100), ("FY2022", 121)), target(161.051, "FY2025"))
    assert a.actual_rate == pytest.approx(0.10, rel=1e-3)
    assert a.status == "on_track"


def test_linear_projection() -> None:
    points = pts(("2020", 10), ("2021", 12), ("2022", 14))
    assert projection(points, parse_period("2025")) == pytest.approx(20.0, rel=1e-3)
    a = assess(points, target(25, "2025"))
    assert a.projected_value == pytest.approx(20.0, rel=1e-3)
    assert a.projected_met is False
    assert projection(pts(("2020", 1)), parse_period("2025")) is None


def test_base_period_can_be_chosen() -> None:
    points = pts(("2018", 50), ("2020", 100), ("2022", 121))
    a = assess(points, Target(161.051, parse_period("2025"), "up", base_period="2020"))
    assert a.base is not None and a.base.period.label == "2020"
    assert a.status == "on_track"


def test_roll_up_is_the_median_status() -> None:
    summary, counts = roll_up(["on_track", "deterioration", "fair_progress", "insufficient_data"])
    assert summary == "fair_progress"
    assert counts == {"deterioration": 1, "fair_progress": 1, "on_track": 1, "insufficient_data": 1}
    assert roll_up(["insufficient_data"])[0] == "insufficient_data"


def test_verdict_in_japanese_words_with_formatted_numbers() -> None:
    # 100 → 103.63 in two years is 1.8 %/year; 100 → 170.8 by 2030 needs 5.5 %/year: ratio 0.33
    a = assess(pts(("2020", 100), ("2022", 103.6324)), target(170.81445, "2030"), "%")
    assert a.status == "limited_progress" and a.ratio == pytest.approx(0.327, abs=1e-3)
    assert a.verdict == "目標達成に必要な伸び率 5.5%/年に対し実績 1.8%/年（達成見込み 33%）"
    assert a.reason.startswith("actual cagr rate")  # the machine-readable finding is kept
    falling = assess(pts(("2020", 100), ("2022", 81)), target(59.049, "2025", "down"))
    assert falling.verdict == "目標達成に必要な減少率 10.0%/年に対し実績 10.0%/年（達成見込み 100%）"
    worse = assess(pts(("2020", 100), ("2021", 95)), target(150, "2025"))
    assert worse.verdict.endswith("実績は逆方向の減少 5.0%/年（悪化）")
    linear = assess(pts(("2020", 0), ("2022", 4)), target(10, "2025"), "件")
    assert linear.verdict == "目標達成に必要な増加幅 2件/年に対し実績 2件/年（達成見込み 100%）"
    assert (
        assess([], target(570, "FY2025"), "億円").verdict
        == "目標 570億円（2025年度）のみで、観測値はまだありません"
    )
    assert (
        assess(pts(("FY2021", 41072)), None, "人").verdict
        == "目標は設定されていません（最新値 41,072人（2021年度））"
    )


def test_roll_up_is_withheld_on_too_few_rated_series() -> None:
    def row(status: str, target: bool = True, latest: bool = True) -> dict[str, object]:
        return {"status": status, "target": {} if target else None, "latest": {} if latest else None}

    # 2 rated series out of 98 (section 2.1 once showed 悪化 so): no status
    few = summarize([row("deterioration")] * 2 + [row("no_target", target=False)] * 96)
    assert few["status"] == "withheld" and few["status_label"] == "判定保留"
    assert (few["total"], few["with_data"], few["targeted"], few["rated"]) == (98, 98, 2, 2)
    # three rated out of four with a target: the median
    enough = summarize(
        [row("on_track"), row("deterioration"), row("fair_progress"), row("target_only", latest=False)]
    )
    assert enough["status"] == "fair_progress" and enough["with_data"] == 3
    # three rated, but out of ten with a target: still too few
    assert summarize([row("on_track")] * 3 + [row("target_only", latest=False)] * 7)["status"] == "withheld"


def test_period_labels_and_axes() -> None:
    assert [label_ja(x) for x in ("FY2021", "2022", "2022-03", "2023-03-31", "odd")] == [
        "2021年度",
        "2022年",
        "2022年3月",
        "2023年3月31日",
        "odd",
    ]
    fy = axis_for([parse_period("FY2019"), parse_period("FY2021"), parse_period("FY2025")])
    assert fy.kind == "fiscal_year" and fy.x(parse_period("FY2021")) == 2021
    assert fy.json()["min"] == 2018.5 and fy.json()["max"] == 2025.5
    assert [t["label"] for t in fy.json()["ticks"]][:3] == ["2019年度", "2020年度", "2021年度"]
    mixed = axis_for([parse_period("FY2021"), parse_period("2022-03"), parse_period("2025")])
    # in time order (FY2021 and 2022-03 both end on 2022-03-31), each labelled as written
    assert mixed.kind == "periods"
    assert [t["label"] for t in mixed.json()["ticks"]] == ["2022年3月", "2021年度", "2025年"]
