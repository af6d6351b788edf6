"""What every route shares: the current knowledge base, and the common query parameters."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Depends, HTTPException, Query, Request
from pydantic import BeforeValidator

from ebpm.accounts.principal import Principal
from ebpm.budget.service import BudgetService
from ebpm.budget.views import BudgetViews
from ebpm.errors import InvalidInputError
from ebpm.indicators.monitor import Monitor
from ebpm.progress.service import ProgressService
from ebpm.research.service import ResearchService
from ebpm.services import browse, edition_bridge
from ebpm.services.edition_bridge import Carried
from ebpm.services.knowledge import EditionCaches, Knowledge
from ebpm.services.tables import MAX_PAGE_SIZE, PAGE_SIZE, TableState
from ebpm.store.editions import check as editions_check
from ebpm.web import editions
from ebpm.web.auth import refuse
from ebpm.web.render import remember_owners
from ebpm.web.research_views import NO_STORE

EditionQ = Annotated[
    str | None,
    Query(
        pattern=r"^(19|20)\d\d$",
        description="The strategy's edition, a year such as 2023 (default: the latest).",
    ),
]


def _followup_only(request: Request) -> bool:
    """Routes on the monitoring store's own ids: the budget mapping (onto rows), the follow-up
    (reports on actions), and every write. They serve the follow-up edition only."""
    path = request.url.path
    return (
        request.method not in ("GET", "HEAD")
        or path.startswith(("/budget", "/follow-up", "/api/budget", "/api/progress"))
        or (path.startswith("/api/actions/") and path.endswith("/progress"))
    )


def get_knowledge(request: Request, edition: EditionQ = None) -> Knowledge:
    """The edition the request asks for (``/e/2023/…`` or ``edition=``), else the latest; the
    follow-up edition on the routes that only it has (a page asked in another is sent there)."""
    caches: EditionCaches = request.app.state.cache
    asked = editions.chosen(request) or edition
    if _followup_only(request):
        followup = caches.followup_edition()
        if asked is not None:
            caches.editions().path(asked)  # an edition not here is a 404 first, as on every route
        if asked is not None and followup is not None and editions_check(asked) != followup:
            if wants_page(request):
                raise HTTPException(307, headers={"location": f"/e/{followup}{request.url.path}"})
            raise InvalidInputError(
                "edition",
                f"{asked}: the budget mapping and the progress reports follow the {followup} "
                f"edition (ask for edition={followup}, or leave edition out)",
            )
        asked = followup
    knowledge = caches.get(asked)
    found = caches.editions()
    request.state.edition_nav = {
        "edition": knowledge.edition,
        "editions": found.names(),
        "default": found.latest,
        "chosen": asked is not None,
    }
    # the badges' tooltips name the ministries of the document being served (once per load)
    knowledge.derived("owner_names", lambda k_: remember_owners(k_.ministry_names()))
    return knowledge


KnowledgeDep = Annotated[Knowledge, Depends(get_knowledge)]


def wants_page(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api/") or path.endswith((".json", ".csv", ".xlsx")))


def get_followup_knowledge(request: Request, k: KnowledgeDep) -> Knowledge:
    """The edition the monitoring store was filled against (``k`` itself with one edition)."""
    caches: EditionCaches = request.app.state.cache
    return caches.followup_of(k)


def carried(request: Request, k: Knowledge) -> Carried | None:
    """How ``k``'s rows, actions and series continue those of the follow-up edition (None when
    ``k`` is that edition): the ids the monitoring store knows them by."""
    followup = get_followup_knowledge(request, k)
    if followup is k:
        return None
    found: Carried | None = getattr(request.state, "carried", None)
    if found is None:  # once a request: the reviews are read from the store each time
        found = request.state.carried = edition_bridge.carried(followup, k, request.app.state.monitoring)
    return found


def get_monitor(request: Request, k: KnowledgeDep) -> Monitor:
    """The indicator monitor of the current document (one per loaded knowledge base); in an edition
    the store was not filled against, its series see the records of the series they continue."""
    store = request.app.state.monitoring
    bridge = carried(request, k)
    series = None if bridge is None else bridge.series
    return k.derived("monitor", lambda k_: Monitor(k_.doc, store, series))


MonitorDep = Annotated[Monitor, Depends(get_monitor)]


def get_budget(request: Request, k: KnowledgeDep) -> BudgetViews:
    """The budget views of the follow-up edition, whose rows the projects are mapped onto (the
    mapping engine is only built to recompute)."""
    store = request.app.state.monitoring
    followup = get_followup_knowledge(request, k)
    return followup.derived("budget", lambda k_: BudgetViews(BudgetService(k_.doc, store)))


BudgetDep = Annotated[BudgetViews, Depends(get_budget)]


Limit = Annotated[int, Query(ge=1, le=500, description="Items per page.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip.")]
Format = Annotated[
    Literal["json", "csv", "xlsx"],
    Query(description="csv or xlsx: the whole filtered list as CSV (UTF-8, BOM) or as an Excel workbook."),
]
SectionQ = Annotated[
    str | None, Query(max_length=40, description="Heading id, e.g. 2.2 or 2.2.1 (takes everything below).")
]
MinistryQ = Annotated[str | None, Query(max_length=40, description="Owner abbreviation, e.g. 文 or 内閣府.")]


def _iso_date(value: Any) -> Any:
    """Only YYYY-MM-DD: pydantic alone would also read ``0`` as 1970-01-01."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("write the date as YYYY-MM-DD, e.g. 2025-03-31")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def _blank_or_iso_date(value: Any) -> Any:
    """A form's cleared date field sends ``as_of=``: that means no date, not a bad one."""
    return None if value == "" else _iso_date(value)


# a date a page's filter form may send empty
FormDate = Annotated[date | None, BeforeValidator(_blank_or_iso_date)]


def table_state(
    sort: Annotated[str | None, Query(max_length=40, description="Column key to sort by.")] = None,
    desc: Annotated[bool, Query(description="Sort descending.")] = False,
    page: Annotated[int, Query(ge=1, le=100_000, description="1-based page.")] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Rows per page.")] = PAGE_SIZE,
) -> TableState:
    """A table's state from the URL, shared by a page, its JSON twin and its downloads."""
    return TableState(sort=sort or None, desc=desc, page=page, size=size)


TableQ = Annotated[TableState, Depends(table_state)]


def get_research(request: Request) -> ResearchService:
    """The research analytics; without a store, a 404 that says how to load one (never a 500)."""
    service: ResearchService = request.app.state.research
    if not service.available():
        raise HTTPException(404, NO_STORE)
    return service


ResearchDep = Annotated[ResearchService, Depends(get_research)]


def get_progress(request: Request, k: KnowledgeDep) -> ProgressService:
    """Progress reports on the current document's actions."""
    store = request.app.state.monitoring
    bridge = carried(request, k)
    if bridge is None:
        return k.derived("progress", lambda k_: ProgressService(k_.doc, store, browse.actions(k_)))
    return ProgressService(k.doc, store, browse.actions(k), bridge.actions)  # the links may be reviewed


ProgressDep = Annotated[ProgressService, Depends(get_progress)]


def budget_owners(k: Knowledge, views: BudgetViews, project_id: str) -> list[str]:
    """The abbreviations of the ministry that runs ``project_id`` (its reviewers' scope)."""
    return views.service.owners(project_id, {x.abbreviation: x.name for x in k.doc.ministries})


def check_budget_reviewer(
    request: Request, k: Knowledge, views: BudgetViews, who: Principal, project_id: str
) -> None:
    """Refuse (403, audited) a budget review by anyone but the project's ministry and admins."""
    owners = budget_owners(k, views, project_id)
    if not who.can_write_for(owners):
        raise refuse(
            request,
            who.name,
            f"{who.name} may not review project {project_id} of {'、'.join(owners) or '?'}",
            action="budget.review",
            target=project_id,
        )
