"""Who is making a request, and whether they may write.

Three ways in, checked in this order:
- ``Authorization: Bearer …`` with a personal token (``ebpm users token``), or with the
  server's bootstrap admin token ``$EBPM_API_TOKEN`` (for setting up and for automation);
- the session cookie of a web login.
A bearer token that matches nothing is refused (401), never read as "anonymous". A server with
neither users nor a bootstrap token is read-only (403), as before accounts existed.
Sessions, tokens and lockouts live in the monitoring store, so several server processes share them.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from ebpm.accounts import service as accounts
from ebpm.accounts.principal import Principal
from ebpm.audit import log as audit

SESSION_COOKIE = "ebpm_session"
CSRF_HEADER = "x-csrf-token"
BOOTSTRAP = Principal("token:bootstrap", "admin", frozenset())
READ_ONLY = "this server is read-only: add a user (`ebpm users add`) or set $EBPM_API_TOKEN to allow writes"


class Identity:
    """The principal of a request and, for a cookie session, its CSRF token."""

    __slots__ = ("csrf", "principal")

    def __init__(self, principal: Principal, csrf: str | None) -> None:
        self.principal = principal
        self.csrf = csrf


def client_ip(request: Request) -> str | None:
    # behind a reverse proxy, uvicorn's --proxy-headers puts the client's address here
    return request.client.host if request.client else None


def identify(request: Request) -> Identity | None:
    """The request's user, or None (anonymous, or a token or cookie that matches nothing)."""
    cached = request.scope.get("ebpm.identity", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    found = _identify(request)
    request.scope["ebpm.identity"] = found
    return found


def _identify(request: Request) -> Identity | None:
    store = request.app.state.monitoring
    authorization = request.headers.get("authorization", "")
    if authorization.strip():
        token = bearer_token(authorization)
        if not token:
            return None
        bootstrap: str = request.app.state.api_token
        if bootstrap and secrets.compare_digest(token.encode(), bootstrap.encode()):
            return Identity(BOOTSTRAP, None)
        principal = accounts.principal_for_token(store, token)
        return Identity(principal, None) if principal else None
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        session = accounts.session_principal(store, cookie)
        if session is not None:
            return Identity(session[0], session[1])
    return None


def bearer_token(authorization: str) -> str | None:
    """The token of ``Bearer <token>``, the scheme in any case (RFC 7235); None for another scheme."""
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def bearer_matches(authorization: str, expected: str) -> bool:
    """``authorization`` is ``Bearer <expected>``, the token compared in constant time."""
    token = bearer_token(authorization)
    return token is not None and secrets.compare_digest(token.encode(), expected.encode())


def writes_enabled(request: Request) -> bool:
    return bool(request.app.state.api_token) or accounts.users_exist(request.app.state.monitoring)


UNAUTHORISED = "log in, or send a valid bearer token"
STALE_FORM = "the form is out of date (CSRF check failed): reload the page and try again"


def refuse(
    request: Request,
    actor: str,
    message: str,
    *,
    status: int = 403,
    action: str | None = None,
    target: str | None = None,
    reason: str | None = None,
) -> HTTPException:
    """The refusal of a request, appended to the audit log first (``action`` defaults to the
    method and path); raise what it returns."""
    audit.record(
        request.app.state.monitoring,
        actor=actor,
        action=action or f"{request.method} {request.url.path}",
        outcome="denied",
        target=target,
        ip=client_ip(request),
        after={"reason": reason} if reason else None,
    )
    headers = {"www-authenticate": "Bearer"} if status == 401 else None
    return HTTPException(status, message, headers=headers)


def check_writer(request: Request, csrf: str | None = None) -> Principal:
    """The user a write is made as; 403 on a read-only server, 401 without a valid login (audited),
    403 for a viewer (audited). A cookie session must also send its CSRF token (``csrf``, from a
    form, or the X-CSRF-Token header)."""
    identity = identify(request)
    if identity is None:
        if not writes_enabled(request):
            raise HTTPException(403, READ_ONLY)
        raise refuse(request, "anonymous", UNAUTHORISED, status=401)
    who = identity.principal
    if identity.csrf is not None:
        sent = csrf or request.headers.get(CSRF_HEADER, "")
        if not sent or not secrets.compare_digest(sent.encode(), identity.csrf.encode()):
            raise refuse(request, who.name, STALE_FORM, reason="csrf")
    if who.role == "viewer":
        raise refuse(request, who.name, f"{who.name} is a viewer and may not write")
    return who


def require_writer(request: Request) -> Principal:
    """The dependency of every API write."""
    return check_writer(request)


def check_admin_writer(request: Request, csrf: str | None = None) -> Principal:
    """A write only the secretariat makes: :func:`check_writer`, then 403 (audited) for others."""
    who = check_writer(request, csrf)
    if not who.is_admin:
        raise refuse(request, who.name, "only the secretariat (admin) may do this")
    return who


def require_admin(request: Request) -> Principal:
    return check_admin_writer(request)


def require_admin_reader(request: Request) -> Principal:
    """Reads only admins may make (the audit log): 401 anonymous, 403 anyone else (audited)."""
    identity = identify(request)
    if identity is None:
        raise HTTPException(401, UNAUTHORISED, headers={"www-authenticate": "Bearer"})
    if not identity.principal.is_admin:
        raise refuse(request, identity.principal.name, "only the secretariat (admin) may read this")
    return identity.principal


WriterDep = Annotated[Principal, Depends(require_writer)]
AdminDep = Annotated[Principal, Depends(require_admin)]
AdminReaderDep = Annotated[Principal, Depends(require_admin_reader)]
