"""Response and request models of indicator monitoring."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class PointOut(BaseModel):
    period: str
    value: float


class TargetOut(BaseModel):
    value: float
    period: str
    direction: str
    origin: str  # document | user
    line: int | None = None
    author: str | None = None
    created_at: str | None = None
    note: str | None = None


class SeriesStatus(BaseModel):
    id: str
    name: str
    unit: str | None
    block: str
    section: str
    goal_ids: list[str]
    line: int
    status: str
    status_label: str
    reason: str
    verdict: str = ""  # the finding in Japanese words, with formatted numbers
    method: str | None
    ratio: float | None
    actual_rate: float | None
    required_rate: float | None
    base: PointOut | None
    latest: PointOut | None
    base_label: str | None = None  # the base period in Japanese: 2017年度
    latest_label: str | None = None  # the latest period in Japanese: 2021年度
    latest_text: str | None = None  # the value as the pages write it: 17.8%
    latest_origin: str | None = None  # document (文書の値) | import
    latest_line: int | None = None
    observation_count: int = 0
    target: TargetOut | None
    target_label: str | None = None
    target_text: str | None = None
    projected_value: float | None
    projected_met: bool | None


class ObservationOut(BaseModel):
    series_id: str
    period: str
    period_end: str
    value: float
    unit: str | None
    source: str
    note: str | None
    origin: str
    line: int | None
    imported_at: str | None
    superseded_at: str | None
    period_label: str | None = None
    value_text: str | None = None


class ChartPoint(BaseModel):
    x: float  # the position on the chart's axis (a fiscal year's number on a fiscal-year axis)
    y: float | None
    label: str | None = None  # the period in Japanese: 2021年度
    period: str | None = None  # the canonical period: FY2021
    source: str | None = None
    origin: str | None = None


class AxisTick(BaseModel):
    value: float
    label: str


class ChartAxis(BaseModel):
    kind: str  # fiscal_year | year | periods
    min: float
    max: float
    ticks: list[AxisTick]


class SeriesChart(BaseModel):
    axis: ChartAxis
    points: list[ChartPoint]
    target: ChartPoint | None
    projection: list[ChartPoint]


class SeriesCategory(BaseModel):
    id: str
    label: str | None
    chart: SeriesChart
    status: str
    status_label: str


class ChartRow(BaseModel):
    series_id: str
    category: str
    period: str
    period_label: str
    value: float | None
    value_text: str
    unit: str
    kind: str
    source: str


class SeriesFacts(BaseModel):
    indicator_id: str
    label: str | None
    source: str
    document_text: str
    line_end: int


class SeriesDetail(SeriesStatus):
    series: SeriesFacts
    observations: list[ObservationOut]
    chart: SeriesChart
    categories: list[SeriesCategory] = []  # a series split by category: each category's chart
    chart_rows: list[ChartRow] = []  # the charts' numbers, as the page's table shows them


class RollUp(BaseModel):
    id: str
    status: str
    status_label: str
    counts: dict[str, int]
    total: int | None = None  # series rolled up
    with_data: int | None = None  # of which with an observation
    targeted: int | None = None  # of which with a target
    rated: int | None = None  # of which with a progress status
    kind: str | None = None
    section: str | None = None
    text: str | None = None


class RollUps(BaseModel):
    goals: list[RollUp]
    sections: list[RollUp]


class TargetIn(BaseModel):
    # strict: true would otherwise be read as 1.0 (and "30" as 30); JSON integers still pass
    value: float = Field(strict=True, allow_inf_nan=False)
    period: str = Field(min_length=1, max_length=40, description="2030, FY2025, 令和7年度 …")
    direction: Literal["up", "down"] = "up"
    base_period: str | None = Field(default=None, max_length=40)
    note: str | None = Field(default=None, max_length=2000)
