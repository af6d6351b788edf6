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
from ebpm.indicators.monitor import Monitor
from ebpm.progress.service import ProgressService
from ebpm.research.service import ResearchService
from ebpm.services import browse
from ebpm.services.knowledge import Knowledge
from ebpm.services.tables import MAX_PAGE_SIZE, PAGE_SIZE, TableState
from ebpm.web.auth import refuse
from ebpm.web.render import remember_owners
from ebpm.web.research_views import NO_STORE


def get_knowledge(request: Request) -> Knowledge:
    knowledge: Knowledge = request.app.state.cache.get()
    # the badges' tooltips name the ministries of the document being served (once per load)
    knowledge.derived("owner_names", lambda k_: remember_owners(k_.ministry_names()))
    return knowledge


KnowledgeDep = Annotated[Knowledge, Depends(get_knowledge)]


def get_monitor(request: Request, k: KnowledgeDep) -> Monitor:
    """The indicator monitor of the current document (one per loaded knowledge base)."""
    store = request.app.state.monitoring
    return k.derived("monitor", lambda k_: Monitor(k_.doc, store))


MonitorDep = Annotated[Monitor, Depends(get_monitor)]


def get_budget(request: Request, k: KnowledgeDep) -> BudgetViews:
    """The budget views of the current document (the mapping engine is only built to recompute)."""
    store = request.app.state.monitoring
    return k.derived("budget", lambda k_: BudgetViews(BudgetService(k_.doc, store)))


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
    return k.derived("progress", lambda k_: ProgressService(k_.doc, store, browse.actions(k_)))


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
