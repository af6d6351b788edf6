"""Response and request models of the budget mapping."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

RELEVANCE = (
    "関連度, 0..1: the calibrated probability that the project serves a row (``confidence``) times this "
    "item's score over the project's best of its kind; comparable across projects (ebpm.budget.relevance)"
)
NOT_YET_MAPPED = (
    "false: not yet mapped (imported or revised since the last map, or the map was interrupted); its "
    "matches are old or absent until `ebpm budget map`, the next import or the next server start"
)


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
    score: float | None = Field(description="The engine's raw score: it ranks one project's items")
    relevance: float | None = Field(description=RELEVANCE)
    review: ReviewOut | None


class BudgetProjectSummary(BaseModel):
    project_id: str
    name: str
    ministry: str
    unmatched: bool | None
    mapped: bool = Field(description=NOT_YET_MAPPED)
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
    score: float | None = Field(description="The engine's raw score: it ranks one project's items")
    relevance: float | None = Field(description=RELEVANCE)
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
    mapped: bool = Field(description=NOT_YET_MAPPED)
    unmatched: bool | None
    best_score: float | None
    confidence: float | None = Field(
        description="The calibrated probability that the project serves a row of the strategy (0..1)"
    )
    signals: dict[str, float] = Field(
        description="The best row's signals (words, meanings, chars: shares of what the project's own "
        "terms could score; best; margin to the second row), as the calibration reads them"
    )
    items: list[MatchItem]
    years: list[ProjectYearOut]
    reviews: list[StoredReview]


class ReviewIn(BaseModel):
    item_id: str = Field(min_length=1, max_length=60)
    decision: Literal["confirm", "reject", "add"]
    # who reviews is who is logged in, recorded by the server; a name sent here is ignored
    reviewer: str | None = Field(default=None, max_length=100)
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
