"""The REST API under /api/: plain paths, JSON with pagination, every list also as CSV."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request

from ebpm.indicators.monitor import InvalidTargetError
from ebpm.indicators.periods import PeriodError, parse_period
from ebpm.indicators.progress import Status
from ebpm.search.documents import KINDS
from ebpm.search.index import MAX_QUERY
from ebpm.services import browse, overview
from ebpm.web import models as m
from ebpm.web.auth import WriterDep, client_ip, refuse
from ebpm.web.deps import (
    BudgetDep,
    Format,
    IsoDate,
    KnowledgeDep,
    Limit,
    MinistryQ,
    MonitorDep,
    Offset,
    SectionQ,
    check_budget_reviewer,
)
from ebpm.web.tabular import CSV_RESPONSE, table_response

router = APIRouter(prefix="/api", responses={404: {"model": m.ErrorOut}, 422: {"model": m.ErrorOut}})

# a write can fail on its body (400), on a missing or wrong login (401), on a read-only server or a
# user without the right scope (403)
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {code: {"model": m.ErrorOut} for code in (400, 401, 403)}
DueBy = Annotated[IsoDate | None, Query(description="Only items due on or before this date (YYYY-MM-DD).")]


def page(items: list[dict[str, Any]], limit: int, offset: int) -> dict[str, Any]:
    return {"total": len(items), "limit": limit, "offset": offset, "items": items[offset : offset + limit]}


def listing(items: list[dict[str, Any]], limit: int, offset: int, fmt: str, name: str) -> Any:
    return table_response(items, name, fmt) if fmt != "json" else page(items, limit, offset)


@router.get("/health", response_model=m.Health, summary="Liveness: a constant answer")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/sections", response_model=list[m.SectionNode], responses=CSV_RESPONSE, summary="The sections tree"
)
def sections(k: KnowledgeDep, format: Format = "json") -> Any:
    if format != "json":
        return table_response(browse.sections_flat(k), "sections", format)
    return browse.section_tree(k)


@router.get("/sections/{section_id}", response_model=m.SectionDetail, summary="One section with its rows")
def section(k: KnowledgeDep, section_id: Annotated[str, Path(max_length=40)]) -> Any:
    return browse.section_detail(k, section_id)


@router.get(
    "/measures", response_model=m.Page[m.MeasureSummary], responses=CSV_RESPONSE, summary="Measure rows"
)
def measures(
    k: KnowledgeDep,
    section: SectionQ = None,
    ministry: MinistryQ = None,
    reposted: Annotated[
        bool | None, Query(description="Only rows with (true) or without a 再掲 item.")
    ] = None,
    min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
    max_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    format: Format = "json",
) -> Any:
    items = browse.list_measures(k, section, ministry, reposted, min_confidence, max_confidence)
    return listing(items, limit, offset, format, "measures")


@router.get("/measures/{measure_id}", response_model=m.MeasureDetail, summary="One row, its source lines")
def measure(k: KnowledgeDep, measure_id: Annotated[str, Path(max_length=60)]) -> Any:
    return browse.measure_detail(k, measure_id)


@router.get("/actions", response_model=m.Page[m.ActionOut], responses=CSV_RESPONSE, summary="Future actions")
def actions(
    k: KnowledgeDep,
    section: SectionQ = None,
    ministry: MinistryQ = None,
    due_by: DueBy = None,
    limit: Limit = 50,
    offset: Offset = 0,
    format: Format = "json",
) -> Any:
    return listing(browse.list_actions(k, section, ministry, due_by), limit, offset, format, "actions")


@router.get("/ministries", response_model=m.Page[m.MinistryOut], responses=CSV_RESPONSE, summary="Owners")
def ministries(k: KnowledgeDep, limit: Limit = 100, offset: Offset = 0, format: Format = "json") -> Any:
    return listing(overview.list_ministries(k), limit, offset, format, "ministries")


@router.get(
    "/ministries/{abbreviation}", response_model=m.MinistryDetail, summary="One ministry's commitments"
)
def ministry(
    k: KnowledgeDep,
    abbreviation: Annotated[str, Path(max_length=40)],
    as_of: Annotated[
        IsoDate | None, Query(description="Overdue means due before this date (default today).")
    ] = None,
) -> Any:
    return overview.ministry_detail(k, abbreviation, as_of or date.today())


@router.get(
    "/indicators", response_model=m.Page[m.IndicatorOut], responses=CSV_RESPONSE, summary="Indicators"
)
def indicators(
    k: KnowledgeDep,
    section: SectionQ = None,
    block: Annotated[Literal["kpi", "reference", "grand_goal"] | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    format: Format = "json",
) -> Any:
    browse.check_filters(k, section, None)
    items = [
        browse.indicator_json(i)
        for i in k.doc.indicators
        if (section is None or browse.under(i.section, section)) and (block is None or i.block == block)
    ]
    return listing(items, limit, offset, format, "indicators")


@router.get("/footnotes", response_model=m.Page[m.FootnoteOut], responses=CSV_RESPONSE, summary="Footnotes")
def footnotes(k: KnowledgeDep, limit: Limit = 50, offset: Offset = 0, format: Format = "json") -> Any:
    return listing(browse.list_footnotes(k), limit, offset, format, "footnotes")


@router.get("/footnotes/{number}", response_model=m.FootnoteOut, summary="One footnote")
def footnote(k: KnowledgeDep, number: Annotated[int, Path(ge=1, le=100_000)]) -> Any:
    return browse.footnote_detail(k, number)


@router.get(
    "/glossary", response_model=m.Page[m.GlossaryOut], responses=CSV_RESPONSE, summary="Abbreviations"
)
def glossary(k: KnowledgeDep, limit: Limit = 200, offset: Offset = 0, format: Format = "json") -> Any:
    return listing(browse.list_glossary(k), limit, offset, format, "glossary")


@router.get("/search", response_model=m.SearchOut, responses=CSV_RESPONSE, summary="Search with facets")
def search(
    k: KnowledgeDep,
    q: Annotated[
        str,
        # declared for the spec, checked by the search itself, whose 422 says what is wrong
        Query(
            description="Words or a question, Japanese or English.",
            json_schema_extra={"minLength": 1, "maxLength": MAX_QUERY, "pattern": r"[^\W_]"},
        ),
    ],
    section: SectionQ = None,
    ministry: MinistryQ = None,
    kind: Annotated[Literal[KINDS] | None, Query()] = None,  # type: ignore[valid-type]
    due_by: DueBy = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=1000)] = 0,
    format: Format = "json",
) -> Any:
    browse.check_filters(k, section, ministry)  # an unknown filter value is a 404, as on every list
    results = k.index.search(
        q, section=section, ministry=ministry, kind=kind, due_by=due_by, limit=offset + limit
    )
    data = overview.search_json(results, offset)
    if format != "json":
        rows = [{key: v for key, v in hit.items() if key != "segments"} for hit in data["hits"]]
        return table_response(rows, "search", format)
    return data


@router.get("/commitments", response_model=m.CommitmentsOut, responses=CSV_RESPONSE, summary="Commitments")
def commitments(
    k: KnowledgeDep,
    ministry: MinistryQ = None,
    section: SectionQ = None,
    due_by: DueBy = None,
    overdue_as_of: Annotated[IsoDate | None, Query(description="Only actions due before this date.")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
    format: Format = "json",
) -> Any:
    data = overview.commitments(k, ministry, section, due_by, overdue_as_of)
    if format != "json":
        return table_response(data["items"], "commitments", format)
    return page(data["items"], limit, offset) | {
        "counts_by_ministry": data["counts_by_ministry"],
        "counts_by_year": data["counts_by_year"],
    }


StatusQ = Annotated[Status | None, Query(description="Only series with this status.")]


@router.get(
    "/indicators/series",
    response_model=m.Page[m.SeriesStatus],
    responses=CSV_RESPONSE,
    summary="Indicator series with their progress status",
)
def indicator_series(
    monitor: MonitorDep,
    k: KnowledgeDep,
    section: SectionQ = None,
    status: StatusQ = None,
    limit: Limit = 50,
    offset: Offset = 0,
    format: Format = "json",
) -> Any:
    browse.check_filters(k, section, None)
    items = [
        s
        for s in monitor.statuses()
        if (section is None or browse.under(s["section"], section))
        and (status is None or s["status"] == status)
    ]
    return listing(items, limit, offset, format, "indicator-series")


@router.get("/indicators/status", response_model=m.RollUps, summary="Statuses rolled up by goal and section")
def indicator_roll_ups(monitor: MonitorDep) -> Any:
    return monitor.roll_ups()


@router.get(
    "/indicators/series/{series_id}",
    response_model=m.SeriesDetail,
    summary="One series: observations, target, chart",
)
def indicator_series_detail(monitor: MonitorDep, series_id: Annotated[str, Path(max_length=60)]) -> Any:
    return monitor.detail(series_id)


@router.put(
    "/indicators/series/{series_id}/target",
    response_model=m.SeriesStatus,
    responses=WRITE_RESPONSES,
    summary="Set a series' target (the secretariat: an admin); the previous target is kept as history",
)
def set_indicator_target(
    request: Request,
    monitor: MonitorDep,
    author: WriterDep,
    series_id: Annotated[str, Path(max_length=60)],
    body: m.TargetIn,
) -> Any:
    # the strategy names no owning ministry for an indicator series: its targets are the secretariat's
    monitor.get(series_id)
    if not author.is_admin:
        message = "targets are set by the secretariat (admin); no ministry owns a series"
        raise refuse(request, author.name, message, action="target.set", target=series_id)
    try:
        period = parse_period(body.period)
        base = parse_period(body.base_period).label if body.base_period else None
    except PeriodError as exc:
        raise HTTPException(422, str(exc)) from None
    try:
        return monitor.set_target(
            series_id, body.value, period, body.direction, author.name, base, body.note, client_ip(request)
        )
    except InvalidTargetError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get(
    "/budget/projects",
    response_model=m.Page[m.BudgetProjectSummary],
    responses=CSV_RESPONSE,
    summary="Budget projects with their top strategy items",
)
def budget_projects(
    views: BudgetDep,
    ministry: Annotated[str | None, Query(max_length=60)] = None,
    unmatched: Annotated[bool | None, Query(description="Only projects flagged (true) or not.")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    format: Format = "json",
) -> Any:
    return listing(views.projects(ministry, unmatched), limit, offset, format, "budget-projects")


@router.get(
    "/budget/projects/{project_id}",
    response_model=m.BudgetProjectDetail,
    summary="One project: its years, ranked items with explanations, and reviews",
)
def budget_project(views: BudgetDep, project_id: Annotated[str, Path(max_length=80)]) -> Any:
    return views.project(project_id)


@router.put(
    "/budget/projects/{project_id}/reviews",
    response_model=m.StoredReview,
    responses=WRITE_RESPONSES,
    summary="Confirm, reject or add a mapping (its ministry or an admin); recomputes never overwrite it",
)
def review_budget_project(
    request: Request,
    k: KnowledgeDep,
    views: BudgetDep,
    writer: WriterDep,
    project_id: Annotated[str, Path(max_length=80)],
    body: m.ReviewIn,
) -> Any:
    check_budget_reviewer(request, k, views, writer, project_id)
    # the reviewer is who is logged in (ASVS: the server records the actor, never the client)
    ip = client_ip(request)
    return views.service.review(project_id, body.item_id, body.decision, writer.name, body.note, ip)


@router.get(
    "/budget/summary", response_model=m.BudgetSummary, summary="Budget per item, level, ministry and year"
)
def budget_summary(views: BudgetDep) -> Any:
    return views.service.aggregate()


@router.get(
    "/budget/items/{item_id}", response_model=m.BudgetItem, summary="A strategy item's projects and trend"
)
def budget_item(views: BudgetDep, item_id: Annotated[str, Path(max_length=60)]) -> Any:
    return views.item(item_id)


@router.get(
    "/budget/similar",
    response_model=list[m.SimilarPair],
    summary="Pairs of projects of different ministries with similar descriptions",
)
def budget_similar(
    views: BudgetDep,
    threshold: Annotated[
        float, Query(ge=0.05, le=1.0, description="Cosine similarity from which to list.")
    ] = 0.45,
) -> Any:
    return views.service.similar_pairs(threshold)
