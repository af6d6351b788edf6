"""Response models of the research analytics (``ebpm.research.analytics`` answers, as promised in the spec).

Ratios are ``None`` where their denominator is 0 (no papers, no funding): the service never
divides by zero and the API never invents a value.
"""

from __future__ import annotations

from pydantic import BaseModel


class ResearchDataset(BaseModel):
    id: int
    kind: str
    label: str
    rows: int
    imported_at: str | None


class ResearchStatus(BaseModel):
    sample: bool
    years: list[int] | None
    datasets: list[ResearchDataset]


class ResearchQueryMeta(BaseModel):
    """The query as the service ran it (its filters, the years and the engine)."""

    by: str
    engine: str
    first_year: int
    last_year: int
    counting: str
    country: str | None = None
    institution_type: str | None = None
    funding_type: str | None = None
    fiscal_years: list[int] | None = None
    researcher_window: int | None = None
    window: int | None = None


class IndicatorItem(BaseModel):
    id: str | None
    name: str | None
    type: str | None = None  # institutions only
    country: str | None = None  # institutions only
    name_en: str | None = None  # funding types, gender, career stages
    p: float
    p_top10: float
    pp_top10: float | None
    p_top1: float
    pp_top1: float | None
    mncs: float | None
    world_share: float | None
    p_avg: float
    intl_share: float | None
    top1_intl_share: float | None
    works: int


class IndicatorTotals(BaseModel):
    world_p: float
    world_p_top10: float
    world_p_top1: float
    world_intl_share: float | None
    works_without_group: int
    unaffiliated_p: float | None = None  # fractional counting only


class IndicatorsOut(BaseModel):
    query: ResearchQueryMeta
    years: int
    totals: IndicatorTotals
    items: list[IndicatorItem]


class InputOutputItem(BaseModel):
    id: str | None
    name: str | None
    type: str | None = None
    country: str | None = None
    name_en: str | None = None
    amount_yen: float
    records: int
    papers: float
    p_top10: float
    p_top1: float
    pp_top10: float | None
    papers_per_100m_yen: float | None
    top10_per_100m_yen: float | None
    papers_by_award_id: float
    unlinked_records: int
    unlinked_yen: float


class InputOutputTotals(BaseModel):
    amount_yen: float
    records: int
    unlinked_records: int
    unlinked_yen: float
    papers: float
    works_in_window: int
    works_linked: int
    works_linked_by_award_id: int
    works_linked_by_researcher_only: int
    works_with_grants_unlinked: int


class InputsOutputsOut(BaseModel):
    query: ResearchQueryMeta
    totals: InputOutputTotals
    items: list[InputOutputItem]


class TrendPoint(BaseModel):
    window: str
    start: int
    end: int
    p: float
    world_p: float
    share: float | None
    p_top10: float
    world_p_top10: float
    top10_share: float | None


class TrendSeries(BaseModel):
    id: str | None
    name: str | None
    windows: list[TrendPoint]


class TrendOverall(BaseModel):
    window: str
    end: int
    p: float
    world_p: float
    p_top10: float
    world_p_top10: float
    share: float | None
    top10_share: float | None


class FieldTrend(BaseModel):
    id: str | None
    name: str | None
    specialisation: float | None
    share_first: float | None
    share_last: float | None
    top10_share_first: float | None
    top10_share_last: float | None
    top10_share_change: float | None
    p_first: float
    p_last: float
    growth: float | None


class TrendsOut(BaseModel):
    query: ResearchQueryMeta
    windows: list[str]
    overall: list[TrendOverall]
    series: list[TrendSeries]
    fields: list[FieldTrend]
    fastest_growing: list[FieldTrend]
    top10_share_falling: list[FieldTrend]


class PatentItem(BaseModel):
    id: str | None
    name: str | None
    p: float
    p_cited: float
    cited_share: float | None
    world_p: float
    world_cited: float


class PatentTotals(BaseModel):
    p_cited: float
    world_cited: float
    patent_families: int


class PatentsOut(BaseModel):
    query: ResearchQueryMeta
    totals: PatentTotals
    items: list[PatentItem]
