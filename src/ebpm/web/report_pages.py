"""The reports from the web: a page with their forms, and the files themselves.

The files are the ones ``ebpm report`` writes (the same functions, the same bytes for the same
data), in the edition the page is in, with the follow-up's records as that edition sees them. A
PDF takes seconds to lay out, so each file is kept for as long as its data does not change: the
key names the edition's load, the monitoring store's version and the filters, and the same
request again is answered from memory (a few files only, the most recent).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path as FilePath
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import Response

from ebpm.errors import UnknownMinistryError, UnknownSectionError
from ebpm.export.workbook import XLSX_MEDIA_TYPE
from ebpm.reports import annual, followup, render, table, word
from ebpm.reports.context import Provenance
from ebpm.services import overview
from ebpm.services.knowledge import Knowledge
from ebpm.store import monitoring
from ebpm.web.deps import BudgetDep, KnowledgeDep, MinistryQ, MonitorDep, ProgressDep, SectionQ
from ebpm.web.pages import page

router = APIRouter(include_in_schema=False)

MEDIA = {
    "xlsx": XLSX_MEDIA_TYPE,
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
}
KEEP = 8  # files kept in memory


class _Files:
    """The last few report files, by what they were made from."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()

    def get(self, key: tuple[Any, ...], make: Callable[[], bytes]) -> bytes:
        with self._lock:
            if key in self._files:
                self._files.move_to_end(key)
                return self._files[key]
        body = make()  # outside the lock: another report may be made meanwhile
        with self._lock:
            self._files[key] = body
            while len(self._files) > KEEP:
                self._files.popitem(last=False)
        return body


FILES = _Files()


@page("/reports", "reports.html")
def reports_page(request: Request, k: KnowledgeDep) -> dict[str, Any]:
    """The reports with the filters each takes."""
    return {
        "edition": k.edition,
        "ministries": [m["abbreviation"] for m in overview.list_ministries(k)],
        "sections": [
            {"id": h.id, "title": h.title}
            for h in k.doc.headings
            if h.id.startswith("2.") and h.level in ("section", "subsection")
        ],
        "research": request.app.state.research.available(),
    }


def _provenance(request: Request, k: Knowledge) -> Provenance:
    return Provenance.of(k.edition, k.path, request.app.state.monitoring)


def _send(request: Request, k: Knowledge, name: str, kind: str, make: Callable[[], bytes]) -> Response:
    store_version = monitoring.version(request.app.state.monitoring)
    key = (k.token, store_version, request.url.path, str(request.url.query))
    try:
        body = FILES.get(key, make)
    except (UnknownMinistryError, UnknownSectionError) as exc:
        raise HTTPException(404, str(exc)) from None
    file_name = f"{name}-{k.edition}.{kind}"
    disposition = f"attachment; filename*=UTF-8''{quote(file_name)}"
    # a download, HTML too: the report's own styles are inline, which the site's CSP forbids
    return Response(body, media_type=MEDIA[kind], headers={"content-disposition": disposition})


@router.get("/reports/followup.xlsx")
def followup_sheet(
    request: Request,
    k: KnowledgeDep,
    progress: ProgressDep,
    ministry: MinistryQ = None,
    section: SectionQ = None,
) -> Response:
    """The follow-up sheet, as ``ebpm report followup`` writes it."""
    provenance = _provenance(request, k)
    return _send(
        request,
        k,
        "followup",
        "xlsx",
        lambda: followup.followup_xlsx(k, progress.current(), provenance, ministry or None, section or None),
    )


@router.get("/reports/table.{kind}")
def table_report(
    request: Request,
    k: KnowledgeDep,
    progress: ProgressDep,
    kind: Annotated[str, Path(pattern=r"^(docx|pdf|html)$")],
    ministry: MinistryQ = None,
    section: SectionQ = None,
    with_progress: Annotated[bool, Query()] = False,
) -> Response:
    """Chapter 2's three-column tables, as ``ebpm report table`` writes them."""
    provenance = _provenance(request, k)

    def make() -> bytes:
        tables = table.gather(
            k, progress.current() if with_progress else None, ministry or None, section or None
        )
        if kind == "docx":
            return word.table_docx(tables, provenance)
        page = table.table_html(tables, provenance)
        return render.pdf(page) if kind == "pdf" else page.encode("utf-8")

    return _send(request, k, "table", kind, make)


@router.get("/reports/annual.{kind}")
def annual_report(
    request: Request,
    k: KnowledgeDep,
    progress: ProgressDep,
    monitor: MonitorDep,
    views: BudgetDep,
    kind: Annotated[str, Path(pattern=r"^(pdf|html)$")],
) -> Response:
    """The annual progress report, as ``ebpm report annual`` writes it."""
    provenance = _provenance(request, k)
    service = request.app.state.research
    research: FilePath | None = service.path if service.available() else None

    def make() -> bytes:
        data = annual.gather(k, monitor, progress.current(), views, research, provenance.data_day)
        page = annual.annual_html(data, provenance)
        return render.pdf(page) if kind == "pdf" else page.encode("utf-8")

    return _send(request, k, "annual", kind, make)
