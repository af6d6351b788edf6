"""HTML pages, Japanese first. Each page has a JSON twin at the same path plus ``.json``
(``/sections/2.1`` and ``/sections/2.1.json``) that carries exactly the data the page shows."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps
from typing import Annotated, Any, Literal
from urllib.parse import quote, unquote, urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from ebpm.budget.views import BudgetViews
from ebpm.errors import NotFoundError
from ebpm.export.tables import TableWriter
from ebpm.export.workbook import XLSX_MEDIA_TYPE, workbook
from ebpm.indicators.progress import ROLL_UP_RULE, summarize
from ebpm.search.documents import KINDS
from ebpm.search.index import QueryError, Results
from ebpm.services import action_table, browse, indicator_table, overview, tables
from ebpm.services import lineage as lineage_service
from ebpm.services.action_table import ActionFilters
from ebpm.services.budget_table import ProjectFilters, project_table, ranking
from ebpm.services.indicator_table import IndicatorFilters
from ebpm.services.knowledge import Knowledge
from ebpm.services.tables import fold
from ebpm.store import monitoring
from ebpm.web import i18n
from ebpm.web.auth import identify
from ebpm.web.deps import (
    BudgetDep,
    FormDate,
    KnowledgeDep,
    MinistryQ,
    MonitorDep,
    ProgressDep,
    SectionQ,
    TableQ,
    budget_owners,
    carried,
)
from ebpm.web.page_cache import Cached, PageCache
from ebpm.web.render import Glossary, templates
from ebpm.web.tabular import CSV_MEDIA_TYPE

router = APIRouter(include_in_schema=False)

PageFn = Callable[..., dict[str, Any]]
# the route's arguments → what the page shows the logged-in user (``viewer`` in the template), or None
ViewerFn = Callable[[dict[str, Any]], dict[str, Any] | None]


def page(
    path: str,
    template: str,
    twin: str | None = None,
    table: str | tuple[str, ...] | None = None,
    viewer: ViewerFn | None = None,
) -> Callable[[PageFn], PageFn]:
    """Register ``fn`` as the HTML page at ``path`` and its JSON twin at ``twin`` (``path.json``).

    ``fn`` takes the request and returns the page's data; the twin is registered first
    because ``/sections/{id}`` would otherwise also take ``/sections/2.1.json``. With ``table``
    (the key of a :func:`ebpm.services.tables.view` in the data) the page also has ``path.csv``
    and ``path.xlsx``: the same function with the same query, so they hold the rows on screen. A
    page with several tables (one a chart) names them all; ``?table=`` picks one, the first by default.
    With ``viewer`` the HTML page shows a logged-in user more (their forms, with the session's CSRF
    token): such a page is rendered for that user alone, never cached nor shared, and sent with
    ``no-store``; anyone else gets the cached page. The JSON twin is the same for everyone.
    """

    def register(fn: PageFn) -> PageFn:
        if table is not None:
            names = (table,) if isinstance(table, str) else table
            base = twin.removesuffix(".json") if twin else path  # the home page's are /index.csv …
            for suffix in ("csv", "xlsx"):
                router.add_api_route(f"{base}.{suffix}", _download(fn, names, suffix), methods=["GET"])

        @wraps(fn)
        def as_json(*args: Any, **kwargs: Any) -> Response:
            def render() -> Cached:
                body = json.dumps(fn(*args, **kwargs), ensure_ascii=False, separators=(",", ":"))
                return _cached(body.encode(), "application/json")

            return _serve(kwargs["request"], kwargs["k"], render)

        @wraps(fn)
        def as_html(*args: Any, **kwargs: Any) -> Response:
            request: Request = kwargs["request"]
            k: Knowledge = kwargs["k"]
            user = viewer(kwargs) if viewer is not None else None

            def render() -> Cached:
                context = {
                    "request": request,
                    "data": fn(*args, **kwargs),
                    "gloss": k.derived("glossary", lambda k_: Glossary(k_.doc.glossary)),
                    "json_url": _twin_url(request, twin or f"{path}.json"),
                    "viewer": user,
                    **i18n.template_context(request),
                }
                body = templates.env.get_template(template).render(context)
                return _cached(body.encode(), "text/html; charset=utf-8")

            if user is not None:  # one user's page, with their CSRF token: never in the shared cache
                mine = render()
                return Response(mine.body, media_type=mine.media_type, headers={"cache-control": "no-store"})
            return _serve(request, k, render)

        router.add_api_route(twin or f"{path}.json", as_json, methods=["GET"])
        router.add_api_route(path, as_html, methods=["GET"])
        return fn

    return register


def _download(fn: PageFn, names: tuple[str, ...], suffix: str) -> Callable[..., Response]:
    """The route that writes one of ``fn``'s tables (``?table=``, else the first of ``names``) as
    CSV (UTF-8 with a BOM, for Excel) or .xlsx."""

    @wraps(fn)
    def download(*args: Any, **kwargs: Any) -> Response:
        request: Request = kwargs["request"]
        lang = i18n.language(request)  # as the page's: ?lang=, else the cookie, else Japanese
        asked = request.query_params.get("table")
        table = asked if asked in names else names[0]
        view = fn(*args, **kwargs)[table]
        header, rows = tables.export_rows(view, lang)
        name = _file_name(request.url.path, suffix)
        ascii_name = name.encode("ascii", "replace").decode()
        disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
        if suffix == "csv":
            buffer = io.StringIO()
            TableWriter(buffer).writerows([header, *rows])
            body = ("\ufeff" + buffer.getvalue()).encode()
            media = CSV_MEDIA_TYPE
        else:
            note = f"ebpm: {request.url.path.removesuffix('.xlsx')}?{request.url.query}"
            body, media = workbook(header, rows, title=table, note=note), XLSX_MEDIA_TYPE
        return Response(body, media_type=media, headers={"content-disposition": disposition})

    return download


def _file_name(path: str, suffix: str) -> str:
    """``/ministries/経.xlsx`` → ``ministries-経.xlsx``: the page's path, readable in a Downloads folder."""
    stem = unquote(path).strip("/").removesuffix(f".{suffix}").replace("/", "-") or "ebpm"
    return f"{stem}.{suffix}"


def _cached(body: bytes, media_type: str) -> Cached:
    return Cached(body, media_type, '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"')


def _serve(request: Request, k: Knowledge, render: Callable[[], Cached]) -> Response:
    """The page from the cache (rendered on a miss), or 304 when the browser has it already."""
    cache: PageCache = request.app.state.page_cache
    # The key names every store a page reads: the loaded knowledge base (a re-ingest loads a new
    # one) and the monitoring store, which changes with each indicator or budget import, target,
    # budget mapping and review, from this server or a command. "today" too: the ministry page's
    # overdue marks default to today's date. The language too: ?lang= or the cookie picks it, and
    # one URL is a Japanese and an English page. (The research pages are not cached here.)
    store_version = monitoring.version(request.app.state.monitoring)
    lang = i18n.language(request)
    # a page that reads a second edition (a diff) names its load too
    extra = getattr(request.state, "cache_extra", None)
    key = (k.token, extra, store_version, date.today(), lang, str(request.url.path), str(request.url.query))
    page = cache.get_or_render(key, render)
    headers = {"etag": page.etag, "cache-control": "no-cache"}  # revalidate: a re-ingest changes pages
    if request.headers.get("if-none-match") == page.etag:
        return Response(status_code=304, headers=headers)
    return Response(page.body, media_type=page.media_type, headers=headers)


def _twin_url(request: Request, twin: str) -> str:
    url = request.url.path.rstrip("/") or ""
    url = "/index.json" if twin == "/index.json" else url + ".json"
    return url + (f"?{request.url.query}" if request.url.query else "")


@page("/", "home.html", twin="/index.json", table=("ministry_chart", "year_chart"))
def home(request: Request, k: KnowledgeDep) -> dict[str, Any]:
    """What ebpm is for and the strategy at a glance; each chart's numbers download as a table."""
    data = overview.overview(k)
    whole = tables.TableState(size=tables.MAX_PAGE_SIZE)  # a chart shows every bar: no pages
    return data | {
        "ministry_chart": tables.view(data["actions_per_ministry"], overview.PER_MINISTRY_COLUMNS, whole),
        "year_chart": tables.view(data["deadlines_per_year"], overview.PER_YEAR_COLUMNS, whole),
    }


@page("/diagnostics", "diagnostics.html")
def diagnostics(request: Request, k: KnowledgeDep) -> dict[str, Any]:
    """How well the document parsed (moved off the home page: it is for whoever checks the parse)."""
    return overview.diagnostics(k)


SECTION_COLUMNS = (
    tables.Column("id", "ID", "ID"),
    tables.Column("section", "節", "Section"),
    tables.Column("commitment", "具体的な取組", "Commitment"),
    tables.Column("status", "実施状況・現状分析", "Status and analysis"),
    tables.Column("actions", "今後の取組方針", "Future actions"),
    tables.Column("ministries", "担当", "Owners", "list"),
    tables.Column("line_start", "行", "Line", "number"),
)


@page("/sections/{section_id}", "section.html", table="table")
def section(
    request: Request,
    k: KnowledgeDep,
    section_id: Annotated[str, Path(max_length=40)],
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> dict[str, Any]:
    """A heading's page; its downloads hold the three-column rows of the page in view."""
    data = browse.section_detail(k, section_id, page)
    rows = [
        {
            "id": m["id"],
            "section": m["section"],
            "commitment": m["commitment"]["text"],
            "status": "\n".join(c["text"] for c in m["status"]),
            "actions": "\n".join(c["text"] for c in m["actions"]),
            "ministries": m["commitment"]["ministries"],
            "line_start": m["line_start"],
        }
        for group in data["tables"]
        for m in group["measures"]
    ]
    return data | {"table": tables.view(rows, SECTION_COLUMNS, tables.TableState(size=max(1, len(rows))))}


@page("/measures/{measure_id}", "measure.html")
def measure(
    request: Request,
    k: KnowledgeDep,
    progress: ProgressDep,
    views: BudgetDep,
    measure_id: Annotated[str, Path(max_length=60)],
    as_of: Annotated[FormDate, Query()] = None,
) -> dict[str, Any]:
    """A row with its source lines, and what hangs on it: its actions with their due dates and
    overdue marks, the budget projects mapped to it, and the indicators of its section."""
    detail = browse.measure_detail(k, measure_id)
    day = as_of or date.today()
    actions = [
        r
        for r in action_table.all_rows(k, progress.current(), day)
        if r["measure_id"] == measure_id or measure_id in r["also_in"]
    ]
    # the budget is mapped onto the follow-up edition's rows: this row's, or the one it continues
    bridge = carried(request, k)
    budget_row = measure_id if bridge is None else bridge.rows.get(measure_id)
    budget = views.item(budget_row) if budget_row else {"projects": [], "trend": []}
    store = request.app.state.monitoring
    section = detail["measure"]["section"]
    indicators = [
        browse.indicator_json(i)
        for i in k.doc.indicators
        if section == i.section or section.startswith(i.section + ".")
    ]
    return detail | {
        "as_of": day.isoformat(),
        "actions": actions,
        "budget": {"projects": budget["projects"], "trend": budget["trend"]},
        "indicators": indicators,
        "edition": k.edition,
        "budget_row": budget_row,
        "followup_edition": k.edition if bridge is None else bridge.edition,
        "history": lineage_service.history(request.app.state.cache, k, measure_id, store),
    }


@page("/ministries", "ministries.html", table="table")
def ministries(request: Request, k: KnowledgeDep, state: TableQ) -> dict[str, Any]:
    """Every owner with its counts: sortable, with downloads (the list is short: one page)."""
    rows = overview.list_ministries(k)
    return {"ministries": rows, "table": tables.view(rows, overview.MINISTRY_COLUMNS, state)}


YearQ = Annotated[
    str | None, Query(pattern=r"^(FY\d{4}|asap|ongoing|unspecified)?$", description="FY2024, asap, ongoing …")
]
ProgressQ = Annotated[str | None, Query(max_length=20, description="A progress status, or unreported.")]


@page("/ministries/{abbreviation}", "actions.html", table="table")
def ministry(
    request: Request,
    k: KnowledgeDep,
    progress: ProgressDep,
    state: TableQ,
    abbreviation: Annotated[str, Path(max_length=40)],
    as_of: Annotated[FormDate, Query()] = None,
    section: SectionQ = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    year: YearQ = None,
    status: ProgressQ = None,
    overdue: Annotated[bool, Query()] = False,
) -> dict[str, Any]:
    """One ministry's actions: filtered, in pages, with the fiscal years to jump to and downloads."""
    head = overview.ministry_head(k, abbreviation)
    f = ActionFilters(head["abbreviation"], section or None, q, year or None, status or None, overdue, as_of)
    owned = [
        browse.measure_summary(m) for m in k.doc.measures if head["abbreviation"] in m.commitment.ministries
    ]
    return {"ministry": head, "rows_owned": owned} | action_table.actions_page(
        k, progress.current(), f, state
    )


@page("/commitments", "actions.html", table="table")
def commitments(
    request: Request,
    k: KnowledgeDep,
    progress: ProgressDep,
    state: TableQ,
    as_of: Annotated[FormDate, Query()] = None,
    ministry: MinistryQ = None,
    section: SectionQ = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    year: YearQ = None,
    status: ProgressQ = None,
    overdue: Annotated[bool, Query()] = False,
) -> dict[str, Any]:
    """Every ministry's actions in one list, with each ministry's overdue count above it."""
    f = ActionFilters(ministry or None, section or None, q, year or None, status or None, overdue, as_of)
    reports = progress.current()
    data = action_table.actions_page(k, reports, f, state)
    return {
        "ministry": None,
        "by_ministry": action_table.overdue_by_ministry(k, reports, f.as_of or date.today()),
    } | data


SEARCH_PAGE = 20
SEARCH_COLUMNS = (
    tables.Column("rank", "順位", "Rank", "number"),
    tables.Column("kind", "種類", "Kind"),
    tables.Column("id", "ID", "ID"),
    tables.Column("section", "節", "Section"),
    tables.Column("ministries", "担当", "Owners", "list"),
    tables.Column("due", "期限", "Due", "date"),
    tables.Column("relevance", "関連度", "Relevance", "number"),
    tables.Column("text", "本文（抜粋）", "Text (excerpt)"),
    tables.Column("line_start", "行", "Line", "number"),
)


@page("/search", "search.html", table="table")
def search(
    request: Request,
    k: KnowledgeDep,
    q: Annotated[str, Query(max_length=2000)] = "",
    section: SectionQ = None,
    ministry: MinistryQ = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    due_by: Annotated[FormDate, Query(description="Only hits due on or before this date.")] = None,
    overdue: Annotated[bool, Query(description="Only hits past their due date as of as_of.")] = False,
    as_of: Annotated[FormDate, Query()] = None,
    page: Annotated[int, Query(ge=1, le=100)] = 1,
    limit: Annotated[int, Query(ge=1, le=200)] = SEARCH_PAGE,
) -> dict[str, Any]:
    """The search page, ``limit`` hits a page; with no query it shows the form, and a bad query
    shows why. Deadline filters: ``due_by``, and ``overdue`` (due before ``as_of``, default today)."""
    filters = {"section": section or None, "ministry": ministry or None, "kind": kind or None}
    as_of = as_of or date.today()
    deadline = due_by
    if overdue:
        yesterday = as_of - timedelta(days=1)
        deadline = min(deadline, yesterday) if deadline else yesterday
    data: dict[str, Any] = {
        "q": q,
        "filters": filters,
        "deadline": {
            "due_by": due_by.isoformat() if due_by else None,
            "overdue": overdue,
            "as_of": as_of.isoformat(),
        },
        "kinds": list(KINDS),
        "error": None,
        "results": None,
        "facet_links": {},
        "pages": None,
        "table": tables.view([], SEARCH_COLUMNS, tables.TableState(size=limit)),
    }
    if not q.strip():
        return data
    try:
        results: Results = k.index.search(
            q,
            section=filters["section"],
            ministry=filters["ministry"],
            kind=filters["kind"],
            due_by=deadline,
            limit=page * limit,
        )
    except QueryError as exc:
        data["error"] = str(exc)
        return data
    data["results"] = overview.search_json(results, offset=(page - 1) * limit)
    pages = max(1, -(-results.total // limit))
    first = (page - 1) * limit + 1 if results.total else 0
    data["pages"] = {
        "total": results.total,
        "first": first,
        "last": min(page * limit, results.total),
        "page": page,
        "pages": pages,
    }
    titles = {h.id: h.title for h in k.doc.headings}
    data["facet_links"] = _facet_links(q, filters, results.facets, titles)
    rows = [
        h | {"rank": first + n, "text": "".join(piece["text"] for piece in h["segments"])}
        for n, h in enumerate(data["results"]["hits"])
    ]
    data["table"] = tables.view(rows, SEARCH_COLUMNS, tables.TableState(size=limit))  # the hits on screen
    return data


def _facet_links(
    q: str, active: dict[str, str | None], facets: dict[str, dict[str, int]], titles: dict[str, str]
) -> dict[str, Any]:
    """Each facet value as a shareable URL: the query, the active filters, and this value. A section
    is labelled with its title (2.1 Society 5.0 の実現 …), not its number alone."""
    out: dict[str, Any] = {}
    for facet, counts in facets.items():
        links = []
        for value, count in counts.items():
            params = {**{k: v for k, v in active.items() if v}, "q": q, facet: value}
            label = f"{value} {fold(titles[value])}" if facet == "section" and value in titles else value
            links.append(
                {
                    "value": value,
                    "label": label,
                    "count": count,
                    "href": f"/search?{urlencode(params)}",
                    "current": active.get(facet) == value,
                }
            )
        out[facet] = links
    return out


@page("/indicators", "indicators.html", table="table")
def indicators(
    request: Request,
    k: KnowledgeDep,
    monitor: MonitorDep,
    state: TableQ,
    status: Annotated[str | None, Query(max_length=40, description="A series status.")] = None,
    block: Annotated[str | None, Query(max_length=20, description="kpi, reference or grand_goal.")] = None,
    section: SectionQ = None,
    goal: Annotated[str | None, Query(max_length=60, description="A goal id, e.g. 2.2.1.goal.1.")] = None,
) -> dict[str, Any]:
    """The reporting-status page: every series with its value as written, its latest value, its
    target and its status; filtered, sorted, in pages, with the status summary and downloads."""
    f = IndicatorFilters(status or None, block or None, section or None, goal or None)
    return indicator_table.indicators_page(k, monitor, f, state)


@page("/indicators/{series_id}", "indicator.html", table="chart_table")
def indicator(
    request: Request, k: KnowledgeDep, monitor: MonitorDep, series_id: Annotated[str, Path(max_length=60)]
) -> dict[str, Any]:
    """One series: its status in words, its chart (with a category selector where the series is
    split by category), the chart's numbers as a table (downloadable) and every observation."""
    detail = monitor.detail(series_id)
    return detail | {
        "breadcrumbs": browse.breadcrumbs(k, detail["section"]),
        "chart_table": indicator_table.chart_table(detail["chart_rows"]),
    }


@page("/goals/{goal_id}", "goal.html")
def goal(
    request: Request, k: KnowledgeDep, monitor: MonitorDep, goal_id: Annotated[str, Path(max_length=60)]
) -> dict[str, Any]:
    """A goal statement with the statuses of its indicators rolled up."""
    g = next((g for g in k.doc.goals if g.id == goal_id), None)
    if g is None:
        raise NotFoundError(f"no goal {goal_id!r}; goal ids look like 2.2.1.goal.1")
    statuses = [s for s in monitor.statuses() if goal_id in s["goal_ids"]]
    return {
        "goal": browse.goal_json(g),
        "breadcrumbs": browse.breadcrumbs(k, g.section),
        "series": statuses,
        "rule": ROLL_UP_RULE,
    } | summarize(statuses)


GLOSSARY_COLUMNS = (
    tables.Column("abbreviation", "略称", "Abbreviation"),
    tables.Column("name_ja", "正式名称", "Name"),
    tables.Column("name_en", "英語名", "English name"),
    tables.Column("line", "原文", "Source line", "number"),
)


@page("/glossary", "glossary.html", table="table")
def glossary(
    request: Request,
    k: KnowledgeDep,
    state: TableQ,
    q: Annotated[str | None, Query(max_length=200, description="Text in the abbreviation or names.")] = None,
) -> dict[str, Any]:
    """The document's glossary, filtered by text, sortable, paged, downloadable."""
    entries = browse.list_glossary(k)
    needle = tables.fold(q).casefold().strip() if q else ""
    if needle:
        entries = [
            e
            for e in entries
            if needle
            in tables.fold(" ".join([e["abbreviation"], e["name_ja"], e["name_en"] or ""])).casefold()
        ]
    return {"q": q or "", "glossary": entries, "table": tables.view(entries, GLOSSARY_COLUMNS, state)}


@page("/source", "source.html")
def source(
    request: Request,
    k: KnowledgeDep,
    start: Annotated[int, Query(ge=1)] = 1,
    end: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """Source lines verbatim: the provenance every other page links to."""
    return browse.source_excerpt(k, start, end if end is not None else start + 40)


@page("/budget", "budget.html", table="table")
def budget(
    request: Request,
    k: KnowledgeDep,
    views: BudgetDep,
    state: TableQ,
    ministry: Annotated[
        str | None, Query(max_length=60, description="A ministry's name, e.g. 外務省.")
    ] = None,
    match: Annotated[
        Literal["", "matched", "unmatched"] | None, Query(description="matched or unmatched (estimated).")
    ] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """The budget over the strategy tree (treemap, sections, the rows that receive most), and the
    projects as a filterable table with downloads."""
    data = project_table(views, ProjectFilters(ministry or None, match or None, q), state)
    return data | views.overview() | {"sample": _sample(views)}


def _sample(views: BudgetViews) -> bool:
    return any(pid.startswith("SAMPLE-") for pid in views.service.latest())


@page("/budget/ranking", "budget_ranking.html", table="table")
def budget_ranking(
    request: Request,
    k: KnowledgeDep,
    views: BudgetDep,
    state: TableQ,
    by: Annotated[
        Literal["row", "section"], Query(description="row: measure rows; section: 2.1 … 2.6")
    ] = "row",
) -> dict[str, Any]:
    """Rows or sections of the strategy by the budget they receive, largest first."""
    return ranking(views, by, state) | {"sample": _sample(views)}


def _budget_reviewer(route: dict[str, Any]) -> dict[str, Any] | None:
    """Who is logged in (a browser session) and whether they may review this project: its page
    shows them the confirm and reject buttons, or says who may; None for anyone else."""
    identity = identify(route["request"])
    if identity is None or identity.csrf is None:  # a bearer token has no form to post
        return None
    owners = budget_owners(route["k"], route["views"], route["project_id"])
    return {
        "name": identity.principal.name,
        "csrf": identity.csrf,
        "owners": owners,
        "allowed": identity.principal.can_write_for(owners),
    }


@page("/budget/projects/{project_id}", "budget_project.html", viewer=_budget_reviewer)
def budget_project(
    request: Request, k: KnowledgeDep, views: BudgetDep, project_id: Annotated[str, Path(max_length=80)]
) -> dict[str, Any]:
    return views.project(project_id) | {"sample": project_id.startswith("SAMPLE-")}


@page("/budget/items/{item_id}", "budget_item.html")
def budget_item(
    request: Request, k: KnowledgeDep, views: BudgetDep, item_id: Annotated[str, Path(max_length=60)]
) -> dict[str, Any]:
    data = views.item(item_id)
    return data | {"breadcrumbs": browse.breadcrumbs(k, data["section"])}
