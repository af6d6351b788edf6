"""The follow-up API: progress reports on actions, the secretariat's review, the audit log.

``GET /api/actions/{id}/progress`` answers with an ``ETag`` of the action's version; a ``PUT``
sends it back in ``If-Match`` (or a ``version`` field). A stale version is a 409 whose body holds
the state now. The author and time of a report are the server's, never the client's.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ebpm.audit import log as audit
from ebpm.progress.reports import MAX_NOTE, STATUSES
from ebpm.web.auth import AdminDep, AdminReaderDep, WriterDep, client_ip
from ebpm.web.deps import Format, IsoDate, Limit, MinistryQ, Offset, ProgressDep, SectionQ
from ebpm.web.models.common import ErrorOut
from ebpm.web.tabular import CSV_RESPONSE, table_response

router = APIRouter(
    prefix="/api", tags=["follow-up"], responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}}
)
ActionId = Annotated[str, Path(max_length=60, description="An action id, e.g. 2.2.1.m3.a1")]


class ConflictOut(BaseModel):
    """A 409: the message, and the action's progress as it is now."""

    detail: str
    current: dict[str, Any]


WRITE: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "not logged in"},
    403: {"model": ErrorOut, "description": "read-only server, or not this user's ministry"},
    409: {"model": ConflictOut, "description": "stale version: `current` is the state now"},
}
ADMIN_READ: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "not logged in"},
    403: {"model": ErrorOut, "description": "not an admin"},
}


class ProgressIn(BaseModel):
    # strings, not enums: the service checks them and names the field in its message
    model_config = ConfigDict(extra="forbid")
    status: str = Field(max_length=40, description=f"One of {', '.join(STATUSES)}")
    note: str = Field(default="", max_length=MAX_NOTE)
    evidence_url: str | None = Field(default=None, max_length=2000, description="http(s) only")
    as_of: str = Field(max_length=10, description="YYYY-MM-DD, not in the future")
    version: int | None = Field(default=None, ge=0, description="The version read (else the If-Match header)")


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["accepted", "returned"]
    comment: str = Field(default="", max_length=MAX_NOTE)


def _etag(response: Response, state: dict[str, Any]) -> dict[str, Any]:
    response.headers["etag"] = f'"{state["version"]}"'
    return state


@router.get("/actions/{action_id}/progress", summary="An action's progress: version, current report, history")
def get_progress(progress: ProgressDep, action_id: ActionId, response: Response) -> Any:
    return _etag(response, progress.state(action_id))


@router.put(
    "/actions/{action_id}/progress",
    responses=WRITE,
    summary="Report progress on an action (its ministry's editor or an admin), on top of the version read",
)
def put_progress(
    request: Request,
    response: Response,
    progress: ProgressDep,
    writer: WriterDep,
    action_id: ActionId,
    body: ProgressIn,
    if_match: Annotated[str | None, Header(max_length=40)] = None,
) -> Any:
    version: object = body.version if body.version is not None else if_match
    state = progress.report(
        writer, action_id, version, body.model_dump(exclude={"version"}), client_ip(request)
    )
    return _etag(response, state)


@router.get(
    "/progress", responses=CSV_RESPONSE, summary="Actions with their current status (filter, page, CSV)"
)
def list_progress(
    progress: ProgressDep,
    ministry: MinistryQ = None,
    status: Annotated[
        Literal["not_started", "in_progress", "done", "delayed", "cancelled", "none"] | None,
        Query(description="A report status, or none: no report yet"),
    ] = None,
    overdue_as_of: Annotated[IsoDate | None, Query(description="Only actions overdue on this day")] = None,
    section: SectionQ = None,
    limit: Limit = 50,
    offset: Offset = 0,
    format: Format = "json",
) -> Any:
    items = progress.listing(ministry, status, overdue_as_of, section)
    if format != "json":
        flat = [{k: v for k, v in i.items() if k != "report"} | _report_columns(i["report"]) for i in items]
        return table_response(flat, "progress", format)
    return {"total": len(items), "limit": limit, "offset": offset, "items": items[offset : offset + limit]}


def _report_columns(report: dict[str, Any] | None) -> dict[str, Any]:
    r = report or {}
    review = r.get("review") or {}
    return {
        "note": r.get("note"),
        "evidence_url": r.get("evidence_url"),
        "as_of": r.get("as_of"),
        "author": r.get("author"),
        "reported_at": r.get("created_at"),
        "review": review.get("decision"),
        "review_comment": review.get("comment"),
    }


@router.get("/progress/coverage", summary="Report coverage and statuses per ministry and per section")
def progress_coverage(progress: ProgressDep) -> Any:
    return progress.coverage()


@router.get("/progress/review-queue", summary="Current reports not yet reviewed by the secretariat")
def review_queue(progress: ProgressDep) -> Any:
    return progress.review_queue()


@router.post(
    "/progress/reports/{report_id}/review",
    responses=WRITE,
    summary="Accept or return an action's current report (admin)",
)
def review_report(
    request: Request,
    progress: ProgressDep,
    admin: AdminDep,
    report_id: Annotated[int, Path(ge=1, le=2**62)],
    body: ReviewIn,
) -> Any:
    return progress.review(admin, report_id, body.decision, body.comment, client_ip(request))


@router.get("/audit", responses=ADMIN_READ, summary="The audit log, newest first (admin)")
def audit_log(
    request: Request,
    _admin: AdminReaderDep,
    user: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[IsoDate | None, Query(description="Entries on or after this day")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    rows = audit.entries(
        request.app.state.monitoring,
        user=user,
        since=since.isoformat() if since else None,
        limit=limit,
        offset=offset,
    )
    return {"limit": limit, "offset": offset, "items": [asdict(e) for e in rows]}
