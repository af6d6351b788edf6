"""Pages across editions: the differences between two editions, and the review of the links
the matcher is unsure of (admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from ebpm.lineage.match import action_id
from ebpm.model import Document
from ebpm.services import diff_table
from ebpm.services import lineage as lineage_service
from ebpm.services.knowledge import EditionCaches, Knowledge
from ebpm.web.auth import check_writer, client_ip, identify
from ebpm.web.deps import KnowledgeDep, MinistryQ, TableQ
from ebpm.web.follow_pages import html, login_first, private
from ebpm.web.pages import page

DIFF_KINDS = Annotated[str | None, Query(pattern=r"^(row|action)?$", description="row or action.")]
DIFF_CHANGES = Annotated[
    str | None,
    Query(
        pattern=r"^(changed|new|dropped|continued)?$", description="One change; default: all but continued."
    ),
]


@page("/diff/{old}/{new}", "diff.html", table="table")
def edition_diff(
    request: Request,
    k: KnowledgeDep,
    state: TableQ,
    old: Annotated[str, Path(max_length=8)],
    new: Annotated[str, Path(max_length=8)],
    ministry: MinistryQ = None,
    kind: DIFF_KINDS = None,
    change: DIFF_CHANGES = None,
    unsure: Annotated[bool, Query()] = False,
) -> dict[str, Any]:
    """What changed from one edition to another: new, dropped and changed rows and actions with a
    word-level diff, deadlines moved, owners changed; the links under review flagged."""
    caches: EditionCaches = request.app.state.cache
    old_k, new_k = caches.get(old), caches.get(new)
    request.state.cache_extra = (old_k.token, new_k.token)
    store = request.app.state.monitoring
    diff = diff_table.edition_diff(old_k, new_k, store, ministry or None)
    f = diff_table.DiffFilters(kind or None, change or None, unsure, ministry or None)
    return diff_table.diff_page(diff, f, state) | {
        "editions": caches.editions().names(),
        "owners": sorted(old_k.owners() | new_k.owners()),
    }


# ---- the review of unsure links (admins) ------------------------------------------------------

review_router = APIRouter(include_in_schema=False)


def _pair(request: Request, old: str, new: str) -> tuple[Knowledge, Knowledge]:
    caches: EditionCaches = request.app.state.cache
    return caches.get(old), caches.get(new)


def _texts(doc: Document) -> dict[str, str]:
    """Row and action ids -> their text (a row by its commitment)."""
    out = {m.id: m.commitment.text for m in doc.measures}
    out |= {action_id(m.id, k): a.text for m in doc.measures for k, a in enumerate(m.actions)}
    return out


@review_router.get("/diff/{old}/{new}/review")
def review_form(
    request: Request, old: Annotated[str, Path(max_length=8)], new: Annotated[str, Path(max_length=8)]
) -> Response:
    """The links the matcher is unsure of, each with both texts and a form: confirm the suggested
    predecessor, name another one, or mark the item new (admins; others are told so)."""
    identity = identify(request)
    if identity is None:
        return login_first(request)
    old_k, new_k = _pair(request, old, new)
    store = request.app.state.monitoring
    found = lineage_service.lineage(old_k, new_k, store)
    reviewed = lineage_service.decisions(store, old_k.edition, new_k.edition)
    old_text, new_text = _texts(old_k.doc), _texts(new_k.doc)
    links = [
        {
            "kind": link.kind,
            "old": link.old,
            "new": link.new,
            "score": None if link.score is None else round(link.score, 3),
            "method": link.method,
            "old_text": old_text.get(link.old or ""),
            "new_text": new_text.get(link.new or ""),
        }
        for link in [*found.rows, *found.actions]
        if link.unsure and link.new is not None
    ]
    data = {
        "from": old_k.edition,
        "to": new_k.edition,
        "links": links,
        "reviewed": len(reviewed),
        "csrf": identity.csrf,
        "allowed": identity.principal.is_admin,
        "user": identity.principal.name,
    }
    return html(request, new_k, "diff_review.html", data)


@review_router.post("/diff/{old}/{new}/review")
def review_link(
    request: Request,
    old: Annotated[str, Path(max_length=8)],
    new: Annotated[str, Path(max_length=8)],
    csrf: Annotated[str, Form(max_length=100)] = "",
    kind: Annotated[str, Form(max_length=10)] = "",
    new_id: Annotated[str, Form(max_length=60)] = "",
    old_id: Annotated[str, Form(max_length=60)] = "",
    decision: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Record one decision (``decision``: link to ``old_id``, or ``new``: no predecessor); back to
    the review page."""
    who = check_writer(request, csrf)
    old_k, new_k = _pair(request, old, new)
    predecessor = None if decision == "new" else (old_id.strip() or None)
    if decision not in ("link", "new") or (decision == "link" and predecessor is None):
        raise HTTPException(422, "decision: link (with old_id) or new")
    lineage_service.review(
        request.app.state.monitoring, who, old_k, new_k, kind, new_id.strip(), predecessor, client_ip(request)
    )
    return private(RedirectResponse(f"/diff/{old_k.edition}/{new_k.edition}/review?saved=1", status_code=303))
