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
    method: str | None
    ratio: float | None
    actual_rate: float | None
    required_rate: float | None
    base: PointOut | None
    latest: PointOut | None
    target: TargetOut | None
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


class ChartPoint(BaseModel):
    x: float
    y: float | None
    label: str | None = None
    source: str | None = None


class SeriesChart(BaseModel):
    points: list[ChartPoint]
    target: ChartPoint | None
    projection: list[ChartPoint]


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


class RollUp(BaseModel):
    id: str
    status: str
    status_label: str
    counts: dict[str, int]
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
