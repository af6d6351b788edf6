"""Response models of the REST API: what /api/openapi.json promises, and what schemathesis checks."""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class Counts(BaseModel):
    measures: int
    actions: int
    indicators: int


class HeadingOut(BaseModel):
    id: str
    level: str
    number: str
    title: str
    line: int


class HeadingRef(BaseModel):
    id: str
    number: str
    title: str


class SectionNode(HeadingOut):
    counts: Counts
    children: list[SectionNode]


class SectionChild(HeadingOut):
    counts: Counts


class CellOut(BaseModel):
    text: str
    ministries: list[str]
    other_tags: list[str]
    reposted: bool
    topic: str | None
    line_start: int
    line_end: int
    lines: list[int]


class MeasureOut(BaseModel):
    id: str
    section: str
    table_line: int
    marker_line: int
    line_start: int
    line_end: int
    crosses_page: bool
    confidence: float
    reasons: list[str]
    reposted: bool
    commitment: CellOut
    status: list[CellOut]
    actions: list[CellOut]


class MeasureSummary(BaseModel):
    id: str
    section: str
    commitment: str
    ministries: list[str]
    status_count: int
    action_count: int
    reposted: bool
    confidence: float
    reasons: list[str]
    crosses_page: bool
    line_start: int
    line_end: int


class GoalOut(BaseModel):
    id: str
    kind: str
    section: str
    text: str
    line_start: int
    line_end: int


class IndicatorValueOut(BaseModel):
    text: str
    number: float | None
    unit: str | None


class IndicatorOut(BaseModel):
    id: str
    block: str
    section: str
    name: str
    values: list[IndicatorValueOut]
    date: str | None
    year: int | None
    fiscal_year: int | None
    footnotes: list[int]
    text: str
    line_start: int
    line_end: int


class SectionTable(BaseModel):
    section: str
    title: str
    number: str
    measures: list[MeasureOut]


class SectionDetail(BaseModel):
    heading: HeadingOut
    breadcrumbs: list[HeadingRef]
    counts: Counts
    children: list[SectionChild]
    goals: list[GoalOut]
    indicators: list[IndicatorOut]
    tables: list[SectionTable]


class SourceLine(BaseModel):
    line: int
    text: str


class CellRef(BaseModel):
    measure_id: str
    column: str
    position: int
    section: str
    text: str
    line_start: int


class RepostOut(BaseModel):
    column: str
    position: int
    original: CellRef | None
    similarity: float | None
    copies: list[CellRef]


class FootnoteRef(BaseModel):
    number: int
    text: str
    line: int


class MeasureDetail(BaseModel):
    measure: MeasureOut
    breadcrumbs: list[HeadingRef]
    source: list[SourceLine]
    reposts: list[RepostOut]
    footnotes: list[FootnoteRef]


class ActionOut(BaseModel):
    id: str
    measure_id: str
    section: str
    text: str
    ministries: list[str]
    inherited: bool
    due: str | None
    due_category: str
    reposted: bool
    line_start: int
    line_end: int


class MinistryOut(BaseModel):
    abbreviation: str
    name: str | None
    group: str | None
    line: int | None
    commitments: int
    actions: int


class MinistryRef(BaseModel):
    abbreviation: str
    name: str | None
    group: str | None
    line: int | None


class CommitmentOut(BaseModel):
    ministry: str
    measure_id: str
    action_id: str
    section: str
    text: str
    due: str | None
    due_category: str
    phrase: str | None
    fiscal_year: int | None
    inherited: bool
    overdue: bool
    line_start: int
    line_end: int


class YearGroup(BaseModel):
    year: str
    label: str
    items: list[CommitmentOut]


class MinistryDetail(BaseModel):
    ministry: MinistryRef
    as_of: str
    commitments: list[MeasureSummary]
    action_count: int
    overdue_count: int
    by_year: list[YearGroup]


class FootnoteOut(BaseModel):
    number: int
    text: str
    line: int
    line_end: int
    cited_on: list[int]


class GlossaryOut(BaseModel):
    abbreviation: str
    name_ja: str
    name_en: str | None
    line: int


class Segment(BaseModel):
    text: str
    mark: bool


class SearchHit(BaseModel):
    id: str
    kind: str
    section: str
    measure_id: str | None
    ministries: list[str]
    due: str | None
    line_start: int
    line_end: int
    score: float
    snippet: str  # HTML: the text escaped, the matched words in <mark>
    segments: list[Segment]


class SearchOut(BaseModel):
    query: str
    total: int
    offset: int
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]]


class Page(BaseModel, Generic[T]):
    total: int
    limit: int
    offset: int
    items: list[T]


class CommitmentsOut(Page[CommitmentOut]):
    counts_by_ministry: dict[str, int]
    counts_by_year: dict[str, int]


class Health(BaseModel):
    status: str


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(BaseModel):
    """A 404 or 422: a message, or for invalid parameters one item per parameter."""

    detail: str | list[ErrorItem]


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
    value: float = Field(allow_inf_nan=False)
    period: str = Field(min_length=1, max_length=40, description="2030, FY2025, 令和7年度 …")
    direction: Literal["up", "down"] = "up"
    base_period: str | None = Field(default=None, max_length=40)
    note: str | None = Field(default=None, max_length=2000)


class BudgetYear(BaseModel):
    fiscal_year: int
    budget_million_yen: float | None


class ReviewOut(BaseModel):
    decision: str
    reviewer: str
    created_at: str
    note: str | None


class TopItem(BaseModel):
    item_id: str
    kind: str
    score: float | None
    review: ReviewOut | None


class BudgetProjectSummary(BaseModel):
    project_id: str
    name: str
    ministry: str
    unmatched: bool | None
    confidence: float | None
    budgets: list[BudgetYear]
    top_items: list[TopItem]


class Explanation(BaseModel):
    shared_terms: list[str]
    project_sentence: str
    item_sentence: str


class MatchItem(BaseModel):
    item_id: str
    kind: str
    line_start: int
    line_end: int
    rank: int | None
    score: float | None
    explanation: Explanation | None
    review: ReviewOut | None


class ProjectYearOut(BaseModel):
    fiscal_year: int
    bureau: str | None
    purpose: str | None
    summary: str | None
    budget_million_yen: float | None
    executed_million_yen: float | None


class StoredReview(BaseModel):
    id: int
    project_id: str
    item_id: str
    decision: str
    reviewer: str
    note: str | None
    created_at: str


class BudgetProjectDetail(BaseModel):
    project_id: str
    name: str
    ministry: str
    fiscal_year: int
    computed: bool
    unmatched: bool | None
    best_score: float | None
    confidence: float | None
    markers: list[str]
    items: list[MatchItem]
    years: list[ProjectYearOut]
    reviews: list[StoredReview]


class ReviewIn(BaseModel):
    item_id: str = Field(min_length=1, max_length=60)
    decision: Literal["confirm", "reject", "add"]
    reviewer: str = Field(min_length=1, max_length=100)
    note: str | None = Field(default=None, max_length=2000)


class ItemProject(BaseModel):
    project_id: str
    name: str
    ministry: str
    share: float
    budgets: list[BudgetYear]


class BudgetItem(BaseModel):
    item_id: str
    kind: str
    line_start: int
    line_end: int
    title: str
    section: str
    projects: list[ItemProject]
    trend: list[BudgetYear]


class AggregateYear(BaseModel):
    fiscal_year: int
    budget_yen: int
    change: float | None


class AggregateRow(BaseModel):
    id: str
    title: str
    years: list[AggregateYear]


class UnmatchedYear(BaseModel):
    fiscal_year: int
    budget_yen: int


class BudgetSummary(BaseModel):
    fiscal_years: list[int]
    by_measure: list[AggregateRow]
    by_subsection: list[AggregateRow]
    by_section: list[AggregateRow]
    by_field: list[AggregateRow]
    by_ministry: list[AggregateRow]
    unmatched: list[UnmatchedYear]


class SimilarPair(BaseModel):
    a: str
    a_name: str
    a_ministry: str
    b: str
    b_name: str
    b_ministry: str
    score: float
    shared_terms: list[str]
