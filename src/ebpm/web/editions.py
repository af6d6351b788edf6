"""Editions on the web: ``/e/2023/…`` and ``?edition=2023`` pick an edition, the latest is the default.

Today's URLs stay what they were: without a prefix a page shows the latest edition. Under the
prefix every page of the site is that edition's, so a reader who follows links stays in it:
the middleware strips the prefix before routing (one set of routes serves every edition) and
puts it back on the site's own links in the HTML it sends, in one place rather than in every
template. A page asked for with ``?edition=`` is sent to its prefixed address, so that its links
keep the edition too; the API and the JSON twins take ``edition=`` as it is.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ebpm.store.editions import EDITION

SCOPE_KEY = "ebpm.edition"
_PREFIX = re.compile(r"^/e/(\d{4})(/.*)?$")
# the site's own links in its HTML: href="/…", action="/…", not the static files nor prefixed ones
_LINK = re.compile(rb'((?:href|action)=")/(?!static/|e/\d{4}/|/)')


def chosen(request: Request) -> str | None:
    """The edition the request asks for: its prefix, else ``?edition=``, else None (the default)."""
    prefixed: str | None = request.scope.get(SCOPE_KEY)
    return prefixed or request.query_params.get("edition") or None


def url_for_edition(request: Request, edition: str) -> str:
    """This page in ``edition``, its query kept but ``edition``: always prefixed, so that the link
    rewriting of a prefixed page leaves it alone."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "edition"]
    return f"/e/{edition}{request.url.path}" + (f"?{urlencode(query)}" if query else "")


def _wants_html(path: str) -> bool:
    return not (path.startswith(("/api/", "/static/")) or path.endswith((".json", ".csv", ".xlsx")))


class EditionPrefix:
    """Routes ``/e/YEAR/path`` as ``/path`` with the edition in the scope, and links its HTML back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        found = _PREFIX.match(path)
        if found is None:
            await self._redirect_query(scope, receive, send)
            return
        edition, rest = found.group(1), found.group(2) or "/"
        inner = {**scope, "path": rest, "raw_path": rest.encode(), SCOPE_KEY: edition}
        if not _wants_html(rest):
            await self.app(inner, receive, send)
            return
        # HEAD: the GET's page is rewritten so that its Content-Length is the GET's, then dropped
        head = scope["method"] == "HEAD"
        if head:
            inner["method"] = "GET"
        await self.app(inner, receive, _Relink(send, f"/e/{edition}/".encode(), head))

    async def _redirect_query(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A page asked for with ``?edition=YEAR``: 307 to ``/e/YEAR/page`` (a form's GET lands here)."""
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        edition = dict(query).get("edition", "")
        if scope["method"] not in ("GET", "HEAD") or not _wants_html(scope["path"]) or not edition:
            await self.app(scope, receive, send)
            return
        if not EDITION.match(edition):
            await self.app(scope, receive, send)  # the dependency answers it with a clear error
            return
        rest = urlencode([(k, v) for k, v in query if k != "edition"])
        location = f"/e/{edition}{scope['path']}" + (f"?{rest}" if rest else "")
        await send(
            {
                "type": "http.response.start",
                "status": 307,
                "headers": [(b"location", location.encode("latin-1", "replace")), (b"content-length", b"0")],
            }
        )
        await send({"type": "http.response.body", "body": b""})


class _Relink:
    """Rewrites the site's links in an HTML response to keep the edition prefix."""

    def __init__(self, send: Send, prefix: bytes, head: bool = False) -> None:
        self.send = send
        self.prefix = prefix
        self.head = head
        self.start: Message | None = None
        self.html = False
        self.chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(raw=list(message.get("headers", [])))
            self.html = headers.get("content-type", "").startswith("text/html")
            location = headers.get("location")
            if location and location.startswith("/") and not location.startswith(("//", "/e/")):
                headers["location"] = self.prefix.decode()[:-1] + location  # a redirect stays in it
            self.start = {**message, "headers": headers.raw}
            if not self.html:
                await self.send(self.start)
            return
        if not self.html:
            await self.send({**message, "body": b""} if self.head else message)
            return
        self.chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = _LINK.sub(lambda m: m.group(1) + self.prefix, b"".join(self.chunks))
        assert self.start is not None
        headers = MutableHeaders(raw=list(self.start["headers"]))
        if "content-length" in headers:
            headers["content-length"] = str(len(body))
        if "etag" in headers:  # the same page under another prefix is other bytes
            headers["etag"] = headers["etag"].rstrip('"') + '-e"'
        await self.send({**self.start, "headers": headers.raw})
        await self.send({"type": "http.response.body", "body": b"" if self.head else body})


def nav(request: Request) -> dict[str, Any]:
    """What the page header needs for its edition switcher (set by the knowledge dependency)."""
    found: dict[str, Any] | None = getattr(request.state, "edition_nav", None)
    return found or {"edition": None, "editions": [], "default": None}
