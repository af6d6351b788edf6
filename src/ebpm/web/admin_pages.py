"""The secretariat's administration pages: users (add, disable, a new API token) and the audit
log with its chain check. Admins only; never cached; forms work without JavaScript and carry the
session's CSRF token. They call the same services as ``ebpm users`` and ``ebpm audit``."""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from ebpm.accounts import service as accounts
from ebpm.accounts.principal import Principal
from ebpm.audit import log as audit
from ebpm.commitments.listing import owners
from ebpm.errors import AccountError, UnknownUserError
from ebpm.web import i18n
from ebpm.web.auth import check_admin_writer, client_ip, identify
from ebpm.web.deps import IsoDate, KnowledgeDep
from ebpm.web.follow_pages import html, login_first, private, twin

router = APIRouter(include_in_schema=False)
PAGE = 100
UserName = Annotated[str, Path(max_length=64)]


def admin_reader(request: Request) -> tuple[Principal, str | None] | Response:
    identity = identify(request)
    if identity is None:
        return login_first(request)
    if not identity.principal.is_admin:
        raise HTTPException(403, "this page is the secretariat's (admins only)")
    return identity.principal, identity.csrf


@router.get("/follow-up/users.json")
@router.get("/follow-up/users")
def users_page(request: Request, k: KnowledgeDep) -> Response:
    """Every user with role, ministries and state; forms to add one, disable one, issue a token."""
    found = admin_reader(request)
    if isinstance(found, Response):
        return found
    _admin, csrf = found
    data = {
        "csrf": csrf,
        "users": [asdict(u) for u in accounts.list_users(request.app.state.monitoring)],
        "ministries": sorted(owners(k.doc)),
        "error": None,
        "token": None,
    }
    return twin(request, k, "users.html", data)


def _users_again(
    request: Request, k: Any, csrf: str, error: str | None, token: dict[str, str] | None
) -> Response:
    data = {
        "csrf": csrf,
        "users": [asdict(u) for u in accounts.list_users(request.app.state.monitoring)],
        "ministries": sorted(owners(k.doc)),
        "error": error,
        "token": token,
    }
    return html(request, k, "users.html", data, 422 if error else 200)


@router.post("/follow-up/users")
def add_user(
    request: Request,
    k: KnowledgeDep,
    csrf: Annotated[str, Form(max_length=100)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    ministries: Annotated[str, Form(max_length=400)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    confirm: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    who = check_admin_writer(request, csrf)
    chosen = [m for m in re.split(r"[\s,、]+", ministries) if m]
    if password != confirm:
        _ = i18n.gettext_for(request)
        return _users_again(request, k, csrf, _("パスワードが一致しません"), None)
    try:
        accounts.add_user(
            request.app.state.monitoring,
            name.strip(),
            role,
            chosen,
            password,
            actor=who.name,
            ip=client_ip(request),
            known_ministries=owners(k.doc),
        )
    except AccountError as exc:
        return _users_again(request, k, csrf, str(exc), None)
    return private(RedirectResponse("/follow-up/users", status_code=303))


@router.post("/follow-up/users/{name}/disable")
def disable_user(
    request: Request, name: UserName, csrf: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    who = check_admin_writer(request, csrf)
    try:
        accounts.disable_user(request.app.state.monitoring, name, actor=who.name, ip=client_ip(request))
    except UnknownUserError as exc:
        raise HTTPException(404, str(exc)) from None
    except AccountError as exc:
        raise HTTPException(422, str(exc)) from None
    return private(RedirectResponse("/follow-up/users", status_code=303))


@router.post("/follow-up/users/{name}/token")
def new_token(
    request: Request, k: KnowledgeDep, name: UserName, csrf: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    """A new API token for ``name``, shown on this one answer only (the store keeps its hash)."""
    who = check_admin_writer(request, csrf)
    try:
        token = accounts.new_token(request.app.state.monitoring, name, actor=who.name, ip=client_ip(request))
    except UnknownUserError as exc:
        raise HTTPException(404, str(exc)) from None
    except AccountError as exc:
        raise HTTPException(422, str(exc)) from None
    return _users_again(request, k, csrf, None, {"name": name, "value": token})


@router.get("/follow-up/audit.json")
@router.get("/follow-up/audit")
def audit_page(
    request: Request,
    k: KnowledgeDep,
    user: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[IsoDate | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    verify: Annotated[bool, Query(description="Check the whole hash chain")] = False,
) -> Response:
    """The audit log, newest first, filtered by user and day; with ``verify``, the chain checked."""
    found = admin_reader(request)
    if isinstance(found, Response):
        return found
    store = request.app.state.monitoring
    rows = audit.entries(
        store,
        user=user or None,
        since=since.isoformat() if since else None,
        limit=PAGE + 1,
        offset=(page - 1) * PAGE,
    )
    query = "&".join(f"{key}={quote(str(v))}" for key, v in (("user", user), ("since", since)) if v)
    data = {
        "filters": {"user": user or "", "since": since.isoformat() if since else "", "page": page},
        "entries": [asdict(e) for e in rows[:PAGE]],
        "more": len(rows) > PAGE,
        "query": query,
        "verdict": asdict(audit.verify(store)) if verify else None,
    }
    return twin(request, k, "audit.html", data)
