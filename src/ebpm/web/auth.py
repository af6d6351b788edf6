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
        if bootstrap and bearer_matches(authorization, bootstrap):
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


def check_writer(request: Request, csrf: str | None = None) -> Principal:
    """The user a write is made as; 403 on a read-only server, 401 without a valid login (audited),
    403 for a viewer (audited). A cookie session must also send its CSRF token (``csrf``, from a
    form, or the X-CSRF-Token header)."""
    identity = identify(request)
    what = f"{request.method} {request.url.path}"
    if identity is None:
        if not writes_enabled(request):
            raise HTTPException(403, READ_ONLY)
        audit.record(
            request.app.state.monitoring,
            actor="anonymous",
            action=what,
            outcome="denied",
            ip=client_ip(request),
        )
        raise HTTPException(
            401, "log in, or send a valid bearer token", headers={"www-authenticate": "Bearer"}
        )
    if identity.csrf is not None:
        sent = csrf or request.headers.get(CSRF_HEADER, "")
        if not sent or not secrets.compare_digest(sent.encode(), identity.csrf.encode()):
            audit.record(
                request.app.state.monitoring,
                actor=identity.principal.name,
                action=what,
                outcome="denied",
                ip=client_ip(request),
                after={"reason": "csrf"},
            )
            raise HTTPException(
                403, "the form is out of date (CSRF check failed): reload the page and try again"
            )
    if identity.principal.role == "viewer":
        audit.record(
            request.app.state.monitoring,
            actor=identity.principal.name,
            action=what,
            outcome="denied",
            ip=client_ip(request),
        )
        raise HTTPException(403, f"{identity.principal.name} is a viewer and may not write")
    return identity.principal


def require_writer(request: Request) -> Principal:
    """The dependency of every API write."""
    return check_writer(request)


def require_admin(request: Request) -> Principal:
    principal = check_writer(request)
    if not principal.is_admin:
        audit.record(
            request.app.state.monitoring,
            actor=principal.name,
            action=f"{request.method} {request.url.path}",
            outcome="denied",
            ip=client_ip(request),
        )
        raise HTTPException(403, "only the secretariat (admin) may do this")
    return principal


def require_admin_reader(request: Request) -> Principal:
    """Reads only admins may make (the audit log): 401 anonymous, 403 anyone else."""
    identity = identify(request)
    if identity is None:
        raise HTTPException(
            401, "log in, or send a valid bearer token", headers={"www-authenticate": "Bearer"}
        )
    if not identity.principal.is_admin:
        audit.record(
            request.app.state.monitoring,
            actor=identity.principal.name,
            action=f"{request.method} {request.url.path}",
            outcome="denied",
            ip=client_ip(request),
        )
        raise HTTPException(403, "only the secretariat (admin) may read the audit log")
    return identity.principal


WriterDep = Annotated[Principal, Depends(require_writer)]
AdminDep = Annotated[Principal, Depends(require_admin)]
AdminReaderDep = Annotated[Principal, Depends(require_admin_reader)]
