"""HTML pages, Japanese first. Each page has a JSON twin at the same path plus ``.json``
(``/sections/2.1`` and ``/sections/2.1.json``) that carries exactly the data the page shows."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from ebpm.errors import NotFoundError
from ebpm.indicators.progress import STATUS_LABELS, roll_up
from ebpm.search.documents import KINDS
from ebpm.search.index import QueryError, Results
from ebpm.services import browse, overview
from ebpm.services.knowledge import Knowledge
from ebpm.store import monitoring
from ebpm.web.deps import BudgetDep, IsoDate, KnowledgeDep, MinistryQ, MonitorDep, SectionQ
from ebpm.web.page_cache import Cached, PageCache
from ebpm.web.render import Glossary, templates

router = APIRouter(include_in_schema=False)

PageFn = Callable[..., dict[str, Any]]


def page(path: str, template: str, twin: str | None = None) -> Callable[[PageFn], PageFn]:
    """Register ``fn`` as the HTML page at ``path`` and its JSON twin at ``twin`` (``path.json``).

    ``fn`` takes the request and returns the page's data; the twin is registered first
    because ``/sections/{id}`` would otherwise also take ``/sections/2.1.json``.
    """

    def register(fn: PageFn) -> PageFn:
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

            def render() -> Cached:
                context = {
                    "request": request,
                    "data": fn(*args, **kwargs),
                    "gloss": k.derived("glossary", lambda k_: Glossary(k_.doc.glossary)),
                    "json_url": _twin_url(request, twin or f"{path}.json"),
                }
                body = templates.env.get_template(template).render(context)
                return _cached(body.encode(), "text/html; charset=utf-8")

            return _serve(request, k, render)

        router.add_api_route(twin or f"{path}.json", as_json, methods=["GET"])
        router.add_api_route(path, as_html, methods=["GET"])
        return fn

    return register


def _cached(body: bytes, media_type: str) -> Cached:
    return Cached(body, media_type, '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"')


def _serve(request: Request, k: Knowledge, render: Callable[[], Cached]) -> Response:
    """The page from the cache (rendered on a miss), or 304 when the browser has it already."""
    cache: PageCache = request.app.state.page_cache
    # The key names every store a page reads: the loaded knowledge base (a re-ingest loads a new
    # one) and the monitoring store, which changes with each indicator or budget import, target,
    # budget mapping and review, from this server or a command. "today" too: the ministry page's
    # overdue marks default to today's date. (The research pages are not cached here.)
    store_version = monitoring.version(request.app.state.monitoring)
    key = (k.token, store_version, date.today(), str(request.url.path), str(request.url.query))
    page = cache.get_or_render(key, render)
    headers = {"etag": page.etag, "cache-control": "no-cache"}  # revalidate: a re-ingest changes pages
    if request.headers.get("if-none-match") == page.etag:
        return Response(status_code=304, headers=headers)
    return Response(page.body, media_type=page.media_type, headers=headers)


def _twin_url(request: Request, twin: str) -> str:
    url = request.url.path.rstrip("/") or ""
    url = "/index.json" if twin == "/index.json" else url + ".json"
    return url + (f"?{request.url.query}" if request.url.query else "")


@page("/", "home.html", twin="/index.json")
def home(request: Request, k: KnowledgeDep) -> dict[str, Any]:
    return overview.overview(k)


@page("/sections/{section_id}", "section.html")
def section(
    request: Request, k: KnowledgeDep, section_id: Annotated[str, Path(max_length=40)]
) -> dict[str, Any]:
    return browse.section_detail(k, section_id)


@page("/measures/{measure_id}", "measure.html")
def measure(
    request: Request, k: KnowledgeDep, measure_id: Annotated[str, Path(max_length=60)]
) -> dict[str, Any]:
    return browse.measure_detail(k, measure_id)


@page("/ministries", "ministries.html")
def ministries(request: Request, k: KnowledgeDep) -> dict[str, Any]:
    return {"ministries": overview.list_ministries(k)}


@page("/ministries/{abbreviation}", "ministry.html")
def ministry(
    request: Request,
    k: KnowledgeDep,
    abbreviation: Annotated[str, Path(max_length=40)],
    as_of: Annotated[IsoDate | None, Query()] = None,
) -> dict[str, Any]:
    return overview.ministry_detail(k, abbreviation, as_of or date.today())


@page("/search", "search.html")
def search(
    request: Request,
    k: KnowledgeDep,
    q: Annotated[str, Query(max_length=2000)] = "",
    section: SectionQ = None,
    ministry: MinistryQ = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 30,
) -> dict[str, Any]:
    """The search page; with no query it shows the form, and a bad query shows why."""
    filters = {"section": section or None, "ministry": ministry or None, "kind": kind or None}
    data: dict[str, Any] = {
        "q": q,
        "filters": filters,
        "kinds": list(KINDS),
        "error": None,
        "results": None,
        "facet_links": {},
    }
    if not q.strip():
        return data
    try:
        results: Results = k.index.search(
            q, section=filters["section"], ministry=filters["ministry"], kind=filters["kind"], limit=limit
        )
    except QueryError as exc:
        data["error"] = str(exc)
        return data
    data["results"] = overview.search_json(results)
    data["facet_links"] = _facet_links(q, filters, results.facets)
    return data


def _facet_links(q: str, active: dict[str, str | None], facets: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Each facet value as a shareable URL: the query, the active filters, and this value."""
    out: dict[str, Any] = {}
    for facet, counts in facets.items():
        links = []
        for value, count in counts.items():
            params = {**{k: v for k, v in active.items() if v}, "q": q, facet: value}
            links.append(
                {
                    "value": value,
                    "count": count,
                    "href": f"/search?{urlencode(params)}",
                    "current": active.get(facet) == value,
                }
            )
        out[facet] = links
    return out


@page("/indicators", "indicators.html")
def indicators(request: Request, k: KnowledgeDep, monitor: MonitorDep) -> dict[str, Any]:
    """Every series with its value as parsed, its source line and its status."""
    statuses = monitor.statuses()
    parsed = {s.id: s.document_text for s in monitor.series.values()}
    roll = monitor.roll_ups(statuses)
    return {
        "series": [s | {"document_text": parsed[s["id"]]} for s in statuses],
        "sections": roll["sections"],
        "status_labels": STATUS_LABELS,
    }


@page("/indicators/{series_id}", "indicator.html")
def indicator(
    request: Request, k: KnowledgeDep, monitor: MonitorDep, series_id: Annotated[str, Path(max_length=60)]
) -> dict[str, Any]:
    detail = monitor.detail(series_id)
    return detail | {"breadcrumbs": browse.breadcrumbs(k, detail["section"])}


@page("/goals/{goal_id}", "goal.html")
def goal(
    request: Request, k: KnowledgeDep, monitor: MonitorDep, goal_id: Annotated[str, Path(max_length=60)]
) -> dict[str, Any]:
    """A goal statement with the statuses of its indicators rolled up."""
    g = next((g for g in k.doc.goals if g.id == goal_id), None)
    if g is None:
        raise NotFoundError(f"no goal {goal_id!r}; goal ids look like 2.2.1.goal.1")
    statuses = [s for s in monitor.statuses() if goal_id in s["goal_ids"]]
    summary, counts = roll_up([s["status"] for s in statuses])
    return {
        "goal": browse.goal_json(g),
        "breadcrumbs": browse.breadcrumbs(k, g.section),
        "status": summary,
        "status_label": STATUS_LABELS[summary],
        "counts": counts,
        "series": statuses,
    }


@page("/glossary", "glossary.html")
def glossary(request: Request, k: KnowledgeDep) -> dict[str, Any]:
    return {"glossary": browse.list_glossary(k)}


@page("/source", "source.html")
def source(
    request: Request,
    k: KnowledgeDep,
    start: Annotated[int, Query(ge=1)] = 1,
    end: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """Source lines verbatim: the provenance every other page links to."""
    return browse.source_excerpt(k, start, end if end is not None else start + 40)


@page("/budget", "budget.html")
def budget(
    request: Request,
    k: KnowledgeDep,
    views: BudgetDep,
    unmatched: Annotated[bool | None, Query()] = None,
) -> dict[str, Any]:
    """Projects with their top matches, and the budget over the strategy tree."""
    projects = views.projects(unmatched=unmatched)
    return {
        "projects": projects,
        "filters": {"unmatched": unmatched},
        "sample": any(p["project_id"].startswith("SAMPLE-") for p in projects),
        "treemap": views.treemap(),
        "totals": views.service.aggregate()["by_section"],
    }


@page("/budget/projects/{project_id}", "budget_project.html")
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
