"""Typed domain entities of the policy graph.

Every entity carries the 1-based line numbers of the bundled source file it
was read from, so that every fact can be traced back to the document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

HeadingLevel = Literal["chapter", "section", "group", "subsection", "item"]
GoalKind = Literal["grand_goal", "vision", "goal"]
IndicatorBlock = Literal["kpi", "reference", "grand_goal"]
CellColumn = Literal["commitment", "status", "action"]


@dataclass(slots=True)
class Heading:
    id: str
    level: HeadingLevel
    number: str  # the numbering as written, e.g. "（１）"
    title: str
    line: int
    parent_id: str | None


@dataclass(slots=True)
class Footnote:
    number: int
    text: str
    line: int
    line_end: int
    references: list[int] = field(default_factory=list)  # lines that cite it


@dataclass(slots=True)
class GoalStatement:
    id: str
    kind: GoalKind
    section: str
    text: str
    line_start: int
    line_end: int


@dataclass(slots=True)
class IndicatorValue:
    text: str
    number: float | None
    unit: str | None


@dataclass(slots=True)
class Indicator:
    id: str
    block: IndicatorBlock
    section: str
    name: str
    values: list[IndicatorValue]
    date: str | None  # the date or period as written
    year: int | None  # calendar year, when unambiguous
    fiscal_year: int | None  # Japanese fiscal year (April–March), when written as 年度
    footnotes: list[int]
    text: str  # the whole item, raw lines joined
    line: int
    line_end: int


@dataclass(slots=True)
class Cell:
    """One item of a measure-table cell: the commitment, a status item or an action."""

    text: str  # raw text joined across wrapped lines and page breaks
    ministries: list[str]
    other_tags: list[str]  # bracketed text that is not a ministry, e.g. ＩＳＳ延⻑期間
    reposted: bool
    line_start: int
    line_end: int
    lines: list[int] = field(default_factory=list)  # every source line of the item
    topic: str | None = None  # the （sub-head） the item sits under, in section 4 tables


@dataclass(slots=True)
class Measure:
    id: str
    section: str
    table_line: int  # the line of the table header the row belongs to
    marker_line: int
    line_start: int
    line_end: int
    crosses_page: bool
    confidence: float
    reasons: list[str]
    commitment: Cell
    status: list[Cell]
    actions: list[Cell]

    @property
    def reposted(self) -> bool:
        return self.commitment.reposted or any(c.reposted for c in self.status + self.actions)

    def cells(self) -> list[tuple[CellColumn, int, Cell]]:
        """Every cell of the row with its column and its position in that column."""
        return [
            ("commitment", 0, self.commitment),
            *(("status", k, c) for k, c in enumerate(self.status)),
            *(("action", k, c) for k, c in enumerate(self.actions)),
        ]


@dataclass(slots=True)
class GlossaryEntry:
    abbreviation: str
    name_ja: str
    name_en: str | None
    line: int
    line_end: int


@dataclass(slots=True)
class Ministry:
    abbreviation: str
    name: str
    group: str | None
    line: int


@dataclass(slots=True)
class Document:
    source: str
    sha256: str
    line_count: int
    # the year of the edition (統合イノベーション戦略２０２４ → "2024"), "" when unknown
    edition: str = ""
    headings: list[Heading] = field(default_factory=list)
    goals: list[GoalStatement] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    footnotes: list[Footnote] = field(default_factory=list)
    glossary: list[GlossaryEntry] = field(default_factory=list)
    ministries: list[Ministry] = field(default_factory=list)
    # line number -> element id, or "noise:<kind>" for lines that carry nothing
    coverage: dict[int, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # expected parts not found
