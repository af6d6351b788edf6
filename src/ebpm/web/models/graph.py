"""Response models of the policy graph: sections, rows, ministries, search, commitments."""

from __future__ import annotations

from pydantic import BaseModel

from ebpm.web.models.common import Page


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
    # plain-language phrasings written for the element that matched the query, when its own
    # text holds none of the words typed (why it was found); not the strategy's words
    via: list[str]
    # found by what the query means (its sentence vector), not by a word it shares
    by_meaning: bool


class SearchOut(BaseModel):
    query: str
    total: int
    offset: int
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]]


class CommitmentsOut(Page[CommitmentOut]):
    counts_by_ministry: dict[str, int]
    counts_by_year: dict[str, int]
