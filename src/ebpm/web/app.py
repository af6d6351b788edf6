"""The web application: REST API under /api/, HTML pages with JSON twins, packaged static assets.

Reads are GETs (each answers HEAD too); the few writes (a series' target, a budget review) are
PUTs under /api/ that need the API token. Errors are JSON for the API and the JSON twins and
an HTML page elsewhere, never a stack trace; each error a service raises maps to one status
(``ERROR_STATUS``).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ebpm import __version__
from ebpm.errors import (
    EditionFormatError,
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
    StaleVersionError,
    UnknownColumnError,
)
from ebpm.research.service import ResearchService
from ebpm.research.store import ResearchStoreError
from ebpm.research.store import resolve_path as research_path
from ebpm.search.index import IndexMissingError, QueryError
from ebpm.services.knowledge import EditionCaches
from ebpm.store import monitoring
from ebpm.store.knowledge_base import KnowledgeBaseError
from ebpm.web import (
    admin_pages,
    api,
    edition_pages,
    edition_upload,
    follow_pages,
    i18n,
    pages,
    progress_api,
    report_pages,
    research_api,
    research_pages,
)
from ebpm.web.editions import EditionPrefix
from ebpm.web.limits import RequestLimits, max_body_bytes, max_upload_bytes
from ebpm.web.page_cache import PageCache
from ebpm.web.render import templates

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("ebpm.web")

# no inline script or style anywhere: every script and stylesheet is a packaged file
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class HeadersMiddleware:
    """Security headers on every response, and a Server-Timing header with the time spent
    inside the application (what the web benchmark reports as server-side rendering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed = (time.perf_counter() - started) * 1000
                headers = list(message.get("headers", []))
                headers += SECURITY_HEADERS
                headers.append((b"server-timing", f"app;dur={elapsed:.2f}".encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


# Every error a service raises up to the web, with the one status it is answered with (a
# subclass, such as UnknownSectionError or UnknownSeriesError, takes its base's).
ERROR_STATUS: dict[type[Exception], int] = {
    NotFoundError: 404,  # an unknown id or filter value
    NotAllowedError: 403,  # a write outside the user's scope (audited where it is refused)
    InvalidInputError: 422,  # a field of a write refused; the message names it
    QueryError: 422,  # a search query that cannot be searched
    UnknownColumnError: 422,  # a table sorted by a key that is no column
    EditionFormatError: 422,  # an edition that is not a year
    KnowledgeBaseError: 503,  # no knowledge base loaded, or an unreadable one
    IndexMissingError: 503,
    ResearchStoreError: 503,  # a research store that exists but is locked or not a store
}


def status_of(exc: Exception) -> int:
    return next(ERROR_STATUS[c] for c in type(exc).__mro__ if c in ERROR_STATUS)


class HeadAsGet:
    """HEAD on every GET route: the GET's status and headers (Content-Length included), no body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


def _allowed(app: FastAPI, request: Request, given: str) -> str:
    """Every method the API documents at the request's path: Starlette's 405 names only the first
    route's, and a path may have a GET and a PUT route of its own. Other paths keep ``given``."""
    methods: set[str] = set()
    for template, operations in app.openapi()["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, request.url.path):
            methods |= {m.upper() for m in operations}
    return ", ".join(sorted(methods)) or given


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path.endswith(".json")


def _error(
    request: Request,
    status: int,
    message: Any,
    headers: Mapping[str, str] | None = None,
    page_message: str | None = None,
) -> Response:
    """The error as JSON (``message``) or as a page (``page_message``, else ``message``)."""
    if wants_json(request):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    _ = i18n.gettext_for(request)
    text = page_message or (message if isinstance(message, str) else _("入力が正しくありません"))
    return templates.TemplateResponse(
        request, "error.html", {"status": status, "message": text}, status_code=status, headers=headers
    )


def one_value_each(request: Request) -> None:
    """Refuse a query parameter given more than once (``limit=5&limit=500``): every parameter of
    this app takes one value, and FastAPI would silently keep the last one, so the answer would
    not be what the client asked for."""
    counts = Counter(name for name, _ in request.query_params.multi_items())
    repeated = sorted(name for name, n in counts.items() if n > 1)
    if repeated:
        raise RequestValidationError(
            [
                {"loc": ("query", name), "msg": "given more than once; give it once", "type": "repeated"}
                for name in repeated
            ]
        )


def whole_numbers(request: Request) -> None:
    """Refuse a whole-number query parameter written as anything but digits (``limit=5.0``,
    ``researcher_window=1e1``): Pydantic's lax mode would read 5.0 as 5, and the OpenAPI
    contract says integer."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    wrong = [
        name
        for name in _integer_params(route)
        if (raw := request.query_params.get(name)) is not None and not _WHOLE.fullmatch(raw.strip())
    ]
    if wrong:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", name),
                    "msg": "Input should be a valid integer, written in digits",
                    "type": "int_parsing",
                }
                for name in wrong
            ]
        )


_WHOLE = re.compile(r"[+-]?\d+")
_INTEGER_PARAMS: dict[int, tuple[str, ...]] = {}


def _integer_params(route: APIRoute) -> tuple[str, ...]:
    """The names of the route's query parameters typed ``int`` (or ``int | None``), its
    dependencies' included; found once a route."""
    key = id(route)
    if key not in _INTEGER_PARAMS:
        names: list[str] = []
        pending = [route.dependant]
        while pending:
            dependant = pending.pop()
            names += [f.alias for f in dependant.query_params if _is_int(f.field_info.annotation)]
            pending += dependant.dependencies
        _INTEGER_PARAMS[key] = tuple(dict.fromkeys(names))
    return _INTEGER_PARAMS[key]


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    args = get_args(annotation)
    return get_origin(annotation) in (Union, UnionType) and int in args and set(args) <= {int, type(None)}


def create_app(
    db: Path,
    monitoring_db: monitoring.Location | None = None,
    api_token: str | None = None,
    research_db: Path | None = None,
) -> FastAPI:
    """The app serving the knowledge base at ``db`` (reloaded when a re-ingest replaces it), the
    monitoring store (``$EBPM_MONITORING_DB`` by default) and the research store (``$EBPM_RESEARCH_DB``
    by default; without one the research pages say how to load it). Writes need ``api_token``
    (default ``$EBPM_API_TOKEN``) as a bearer token; without one, the app is read-only."""
    app = FastAPI(
        title="ebpm API",
        version=__version__,
        description=(
            "統合イノベーション戦略2023 as a policy graph: sections, measure rows, actions, ministries, "
            "indicators, footnotes, glossary, search, commitments, indicator monitoring and budget mapping. "
            "Reads are GETs; the writes (a series' target, a budget review) are PUTs that need the "
            "API token as a bearer token. Every fact carries the "
            "1-based line numbers of the source text. Lists take `limit`/`offset`; `format=csv` downloads "
            "the whole filtered list as CSV (UTF-8 with BOM, for Excel)."
        ),
        openapi_url="/api/openapi.json",
        docs_url=None,  # the interactive docs load their assets from a CDN; the app must work offline
        redoc_url=None,
        dependencies=[Depends(one_value_each), Depends(whole_numbers)],
    )
    app.state.cache = EditionCaches(db)
    app.state.page_cache = PageCache()
    app.state.monitoring = monitoring.open_store(monitoring.resolve_path(monitoring_db))
    app.state.research = ResearchService(research_path(research_db))
    app.state.api_token = api_token if api_token is not None else os.environ.get("EBPM_API_TOKEN", "")
    app.state.edition_jobs = edition_upload.IngestJobs()
    i18n.load()  # a broken catalogue stops the server here, not on the first English page
    # inside: its 413s get the headers; a new edition's PDF may pass the API's limit
    uploads = {edition_upload.UPLOAD_PATH: max_upload_bytes()}
    app.add_middleware(RequestLimits, max_body_bytes=max_body_bytes(), uploads=uploads)
    app.add_middleware(i18n.LanguageCookie)
    app.add_middleware(HeadersMiddleware)
    app.add_middleware(HeadAsGet)
    app.add_middleware(EditionPrefix)  # outermost: the routes below never see /e/YEAR
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(research_api.router)
    app.include_router(research_pages.router)
    app.include_router(progress_api.router)
    app.include_router(follow_pages.router)
    app.include_router(admin_pages.router)
    app.include_router(edition_pages.review_router)
    app.include_router(edition_upload.router)
    app.include_router(report_pages.router)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = exc.headers
        if exc.status_code == 405 and headers:
            given = {k.lower(): v for k, v in headers.items()}.get("allow", "")
            headers = {k: v for k, v in headers.items() if k.lower() != "allow"}
            headers["Allow"] = _allowed(app, request, given)
        return _error(request, exc.status_code, exc.detail, headers)  # e.g. Allow on a 405

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        details = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        if wants_json(request):
            return JSONResponse({"detail": details}, status_code=422)
        message = "; ".join(f"{'.'.join(map(str, d['loc'][1:]))}: {d['msg']}" for d in details)
        return _error(request, 422, message)

    @app.exception_handler(StaleVersionError)
    async def stale(request: Request, exc: StaleVersionError) -> Response:
        # the state now goes with the 409, so the client can show what changed and resend
        if wants_json(request):
            return JSONResponse({"detail": str(exc), "current": exc.current}, status_code=409)
        return _error(request, 409, str(exc))

    async def service_error(request: Request, exc: Exception) -> Response:
        return _error(request, status_of(exc), str(exc))

    for error in ERROR_STATUS:
        app.add_exception_handler(error, service_error)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        _ = i18n.gettext_for(request)
        page = _("内部エラーです。詳しくはサーバーのログにあります")
        return _error(request, 500, "internal error; the server log has the details", page_message=page)

    return app
