"""What a request may make the server read: bodies up to a limit, and only from a writer with the token.

A pure ASGI middleware, outside FastAPI, because FastAPI reads a route's whole body before it
solves the route's dependencies: the token check (``deps.require_token``) would only run after
an unauthenticated 200 MB PUT had been read into memory. Here:

- a write (any method but GET, HEAD and OPTIONS) without a valid token is handed an empty body,
  so the route's own token dependency answers 401/403 (and a route without that method its 405)
  without one byte of the client's body being read;
- a body larger than ``$EBPM_MAX_BODY_BYTES`` (default 4 MiB; the largest legitimate body, a
  target or a review, is under 1 KiB) is a 413: at once when Content-Length says so, else as
  soon as the streamed chunks (chunked transfer encoding) add up to more;
- the few upload routes named to the middleware (a new edition of the strategy: its PDF can be
  tens of MiB) take ``$EBPM_MAX_UPLOAD_BYTES`` instead (default 64 MiB), and only on a POST from a
  known writer: the token check above comes first, so the larger limit is no way in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ebpm.web.auth import identify

LOGIN_PATH = "/login"

ENV_VAR = "EBPM_MAX_BODY_BYTES"
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
UPLOAD_ENV_VAR = "EBPM_MAX_UPLOAD_BYTES"
DEFAULT_MAX_UPLOAD_BYTES = 64 * 1024 * 1024
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LimitError(ValueError):
    """A limit configured in the environment cannot be read; the message names the variable."""


def _bytes_from(variable: str, default: int) -> int:
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    if not raw.isdecimal():
        raise LimitError(f"${variable}: {raw!r} is not a number of bytes, e.g. {default}")
    return int(raw)


def max_body_bytes() -> int:
    """The largest request body the server reads: ``$EBPM_MAX_BODY_BYTES``, else 4 MiB."""
    return _bytes_from(ENV_VAR, DEFAULT_MAX_BODY_BYTES)


def max_upload_bytes() -> int:
    """The largest body of an upload route: ``$EBPM_MAX_UPLOAD_BYTES``, else 64 MiB."""
    return _bytes_from(UPLOAD_ENV_VAR, DEFAULT_MAX_UPLOAD_BYTES)


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when the body passes the limit: FastAPI passes an HTTPException
    raised while it reads a body on to the app's handler, which answers 413 in the usual form."""

    def __init__(self, limit: int, variable: str = ENV_VAR) -> None:
        super().__init__(
            413, f"the request body is larger than this server's limit of {limit} bytes (${variable})"
        )


class RequestLimits:
    """Authenticate writes before their body is read, and cap every body at ``max_body_bytes``
    (a POST to a path of ``uploads`` at that path's own limit)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, uploads: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.limit = max_body_bytes
        self.uploads = dict(uploads or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in READ_METHODS and not _authorised(scope):
            await self.app(scope, _empty_body(), send)
            return
        upload = self.uploads.get(scope["path"]) if scope["method"] == "POST" else None
        limit = self.limit if upload is None else upload
        too_large = BodyTooLarge(limit, ENV_VAR if upload is None else UPLOAD_ENV_VAR)
        declared = _content_length(scope)
        source = receive
        if declared is not None and declared > limit:
            if upload is None:
                await _answer(too_large, scope, receive, send)
                return
            # an upload is a page's form: its route's first read raises the 413, which the app
            # answers as that page's error (HTML), still without one byte of the body read
            source = _refusing(too_large)
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await source()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge as exc:  # read outside a route (which would have answered it)
            if started:
                raise
            await _answer(exc, scope, receive, send)


def _authorised(scope: Scope) -> bool:
    """A writer is known (the routes' dependency then checks the rest), or the request logs in."""
    if scope["path"] == LOGIN_PATH:
        return True
    return identify(Request(scope)) is not None  # the one identification, reused by the route


def _empty_body() -> Receive:
    """A ``receive`` that gives an empty body and then a disconnect, never the client's bytes."""
    given = False

    async def receive() -> Message:
        nonlocal given
        if given:
            return {"type": "http.disconnect"}
        given = True
        return {"type": "http.request", "body": b"", "more_body": False}

    return receive


def _refusing(exc: BodyTooLarge) -> Receive:
    """A ``receive`` that raises ``exc`` at the first read, so the client's body is never read."""

    async def receive() -> Message:
        raise exc

    return receive


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _answer(exc: HTTPException, scope: Scope, receive: Receive, send: Send) -> None:
    # only write routes take a body, and they are all under /api/: JSON, as the API's errors are
    response = JSONResponse(
        {"detail": exc.detail}, status_code=exc.status_code, headers={"connection": "close"}
    )
    await response(scope, receive, send)
